/** `radz jobs list|retry` on a job store, through the CLI in process (run-cli.ts). */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { SqliteJobStore } from "../../src/jobs/index.js";
import { radz } from "./run-cli.js";

describe("cli: radz jobs", function () {
  this.timeout(60_000);
  let work: string;
  let config: string;
  let dbPath: string;

  before(() => {
    work = mkdtempSync(join(tmpdir(), "radz-jobs-cli-"));
    dbPath = join(work, "radz.sqlite");
    config = join(work, "radz.json");
    writeFileSync(config, JSON.stringify({ jobs: { dbPath } }));
    const store = new SqliteJobStore({ path: dbPath });
    store.enqueueBatch(["f1", "f2", "d1", "q1"], "changes");
    const err = { code: "DICOMWEB_HTTP_ERROR", message: "503" };
    store.fail(store.claimNext(Date.now())!.id, err);
    store.fail(store.claimNext(Date.now())!.id, { code: "DICOM_PARSE_ERROR", message: "bad" });
    const d = store.claimNext(Date.now())!;
    store.complete(d.id, {
      studyInstanceUid: "1.2.3",
      findings: [],
      priority: "routine",
      triageScore: 0,
      model: { id: "m", version: "1", labelSetHash: "h" },
      images: [],
      sr: null,
      timings: {},
    });
    store.close();
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  const jobsIn = () => {
    const store = new SqliteJobStore({ path: dbPath });
    try {
      return Object.fromEntries(store.list().map((j) => [j.orthancStudyId, j]));
    } finally {
      store.close();
    }
  };

  it("lists jobs by state as JSON lines and as a table", async () => {
    const r = await radz(["jobs", "list", "--state", "failed", "--json", "--config", config]);
    expect(r.status, r.stderr).to.equal(0);
    const lines = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { orthancStudyId: string; lastError: { code: string } });
    expect(lines.map((l) => l.orthancStudyId)).to.deep.equal(["f1", "f2"]);
    expect(lines[0]!.lastError.code).to.equal("DICOMWEB_HTTP_ERROR");
    const t = await radz(["jobs", "list", "--config", config]);
    expect(t.status, t.stderr).to.equal(0);
    expect(t.stdout).to.match(/orthancStudyId\s+state\s+attempts/);
    expect(t.stdout).to.include("queued 1, running 0, done 1, skipped 0, failed 2");
  });

  it("retries named studies; an unknown one fails the command and changes nothing", async () => {
    const bad = await radz(["jobs", "retry", "d1", "nope", "--config", config]);
    expect(bad.status).to.equal(1);
    expect(bad.stderr).to.include("JOB_NOT_FOUND");
    expect(jobsIn().d1!.state).to.equal("done");
    const ok = await radz(["jobs", "retry", "d1", "q1", "--json", "--config", config]);
    expect(ok.status, ok.stderr).to.equal(0);
    expect(JSON.parse(ok.stdout)).to.deep.equal([
      { orthancStudyId: "d1", outcome: "requeued", previousState: "done" },
      { orthancStudyId: "q1", outcome: "already-queued", previousState: "queued" },
    ]);
    const d1 = jobsIn().d1!;
    expect(d1).to.include({ state: "queued", source: "manual", attempts: 0 });
  });

  it("retries every failed job with --all-failed", async () => {
    const r = await radz(["jobs", "retry", "--all-failed", "--config", config]);
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.include("requeued 2 failed job(s)");
    const j = jobsIn();
    expect([j.f1!.state, j.f2!.state]).to.deep.equal(["queued", "queued"]);
    expect(j.f1!.lastError).to.equal(null);
  });

  it("refuses neither or both of ids and --all-failed (usage, exit 2)", async () => {
    expect((await radz(["jobs", "retry", "--config", config])).status).to.equal(2);
    expect(
      (await radz(["jobs", "retry", "f1", "--all-failed", "--config", config])).status,
    ).to.equal(2);
  });
});
