/**
 * `radz backfill` against a real Orthanc: dry run counts, a run enqueues with
 * source "backfill" (skipping other modalities and studies with a job), a
 * second run resumes after the completed range, --restart scans again.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { SqliteJobStore } from "../../src/jobs/index.js";
import { writeDemoBundle } from "../../src/model/index.js";
import { OrthancClient } from "../../src/orthanc/index.js";
import { makeTestInstance, useOrthanc } from "../helpers/orthanc.js";
import { radz } from "./run-cli.js";

describe("cli: radz backfill (real Orthanc)", function () {
  this.timeout(90_000);
  const orthanc = useOrthanc({ stableAgeSeconds: 1 });
  let work: string;
  let config: string;
  let dbPath: string;
  const ids = new Map<string, string>();

  before(async () => {
    work = mkdtempSync(join(tmpdir(), "radz-backfill-"));
    dbPath = join(work, "radz.sqlite");
    config = join(work, "radz.json");
    await writeDemoBundle(join(work, "bundle"));
    writeFileSync(
      config,
      JSON.stringify({
        orthanc: { url: orthanc.url },
        jobs: { dbPath },
        model: { bundle: join(work, "bundle") },
      }),
    );
    const client = new OrthancClient({ url: orthanc.url, timeoutMs: 10_000 });
    const add = async (name: string, date: string, modality = "DX") => {
      const t = makeTestInstance({
        modality,
        bodyPartExamined: modality === "DX" ? "CHEST" : "HEAD",
        extra: { StudyDate: date },
      });
      ids.set(name, (await client.uploadInstance(t.bytes)).parentStudy);
    };
    await add("a", "20240101");
    await add("b", "20240102");
    await add("c", "20240102");
    await add("ct", "20240102", "CT");
    await add("known", "20240103");
    await add("later", "20240301");
    const store = new SqliteJobStore({ path: dbPath });
    store.enqueue(ids.get("known")!, "changes");
    store.close();
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  const jobs = () => {
    const store = new SqliteJobStore({ path: dbPath });
    try {
      return store.list({ limit: 1000 });
    } finally {
      store.close();
    }
  };
  const range = () => ["--since", "2024-01-01", "--until", "2024-01-31", "--config", config];

  it("--dry-run prints the count and changes nothing", async () => {
    const r = await radz(["backfill", ...range(), "--dry-run"]);
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.include("dry run: 5 studies found over 31 day(s)");
    expect(r.stdout).to.include("would enqueue 3");
    expect(r.stdout).to.include("already have a job 1");
    expect(r.stdout).to.include("not eligible (modality) 1");
    expect(jobs()).to.have.length(1);
  });

  it("enqueues the missing studies with source backfill and resumes after a completed range", async () => {
    const r = await radz(["backfill", ...range(), "--json"]);
    expect(r.status, r.stderr).to.equal(0);
    const report = JSON.parse(r.stdout) as { total: number; enqueued: number; complete: boolean };
    expect(report).to.include({ total: 5, enqueued: 3, complete: true });
    const byId = new Map(jobs().map((j) => [j.orthancStudyId, j]));
    for (const name of ["a", "b", "c"])
      expect(byId.get(ids.get(name)!)?.source).to.equal("backfill");
    expect(byId.has(ids.get("ct")!)).to.equal(false);
    expect(byId.has(ids.get("later")!)).to.equal(false);
    expect(byId.get(ids.get("known")!)?.source).to.equal("changes");

    const again = await radz(["backfill", ...range(), "--json"]);
    expect(JSON.parse(again.stdout)).to.include({
      total: 0,
      enqueued: 0,
      resumedAfter: "20240131",
    });
    const restart = await radz(["backfill", ...range(), "--json", "--restart"]);
    expect(JSON.parse(restart.stdout)).to.include({ total: 5, enqueued: 0 });
    expect(jobs()).to.have.length(4);
  });

  it("--modality narrows the studies (its own resume marker); a bad date is a usage error", async () => {
    const r = await radz(["backfill", ...range(), "--modality", "CT", "--dry-run", "--json"]);
    expect(JSON.parse(r.stdout)).to.deep.include({
      total: 5,
      outcomes: { "has-job": 4, "would-enqueue": 1 },
    });
    expect((await radz(["backfill", "--since", "2024-02-30", "--config", config])).status).to.equal(
      2,
    );
  });
});
