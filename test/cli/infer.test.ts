import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { writeDemoBundle } from "../../src/model/index.js";
import { readStudyReport } from "../../src/report/index.js";
import { writeSyntheticStudies } from "../../src/synthetic/index.js";

/** Runs the CLI from source as a user would run `npx radz`. */
function radz(args: string[]) {
  const r = spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], {
    encoding: "utf8",
    env: { ...process.env, RADZ_LOG__LEVEL: "silent" },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("cli: radz infer", function () {
  this.timeout(120_000);
  let work: string;
  before(async () => {
    work = mkdtempSync(join(tmpdir(), "radz-infer-"));
    await writeDemoBundle(join(work, "bundle"));
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  it("writes one SR per study and prints one JSON line per study; a bad file fails only itself", async () => {
    const data = join(work, "data");
    const written = await writeSyntheticStudies(data, {
      count: 3,
      seed: 5,
      rows: 256,
      columns: 256,
    });
    writeFileSync(join(data, "garbage.dcm"), Buffer.from("this is not DICOM at all"));
    const out = join(work, "out");
    const r = radz(["infer", data, "--bundle", join(work, "bundle"), "--out", out, "--json"]);
    expect(r.status, r.stderr).to.equal(1); // one failure → exit 1
    const lines = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).to.have.length(4);
    const done = lines.filter((l) => l.state === "done");
    expect(done).to.have.length(written.studies);
    for (const l of done) {
      expect(l).to.have.keys(
        "studyInstanceUID",
        "state",
        "findings",
        "priority",
        "outputs",
        "timings",
      );
      const [srPath] = l.outputs as string[];
      expect(existsSync(srPath!)).to.equal(true);
      const sr = readStudyReport(new Uint8Array(readFileSync(srPath!)));
      expect(sr.studyInstanceUid).to.equal(l.studyInstanceUID);
      const findings = l.findings as { label: string; probability: number; positive: boolean }[];
      expect(findings.map((f) => f.label)).to.deep.equal(sr.findings.map((f) => f.labelId));
    }
    const failed = lines.find((l) => l.state === "failed")!;
    expect((failed.error as { code: string }).code).to.equal("DICOM_PARSE_ERROR");
    expect(failed.studyInstanceUID).to.equal(null);
  });

  it("scores the drawn findings: truth labels come out positive more often than not", async () => {
    const data = join(work, "data2");
    await writeSyntheticStudies(data, { count: 6, seed: 9, rows: 256, columns: 256 });
    const truth = readFileSync(join(data, "truth.csv"), "utf8").trim().split("\n");
    const header = truth[0]!.split(",");
    const r = radz([
      "infer",
      data,
      "--bundle",
      join(work, "bundle"),
      "--out",
      join(work, "out2"),
      "--json",
    ]);
    expect(r.status, r.stderr).to.equal(0);
    const byStudy = new Map(
      r.stdout
        .trim()
        .split("\n")
        .map(
          (l) =>
            JSON.parse(l) as {
              studyInstanceUID: string;
              findings: { label: string; positive: boolean }[];
            },
        )
        .map((l) => [l.studyInstanceUID, l] as const),
    );
    let agree = 0;
    let total = 0;
    for (const row of truth.slice(1)) {
      const cells = row.split(",");
      const result = byStudy.get(cells[0]!)!;
      for (const [i, label] of header.entries()) {
        if (i === 0) continue;
        const f = result.findings.find((x) => x.label === label)!;
        total++;
        if (f.positive === (cells[i] === "1")) agree++;
      }
    }
    expect(agree / total).to.be.greaterThan(0.8);
  });

  it("prints help for every command", () => {
    for (const cmd of [[], ["serve"], ["infer"], ["demo"], ["bundle"], ["bundle", "demo"]]) {
      const r = radz([...cmd, "--help"]);
      expect(r.status, cmd.join(" ")).to.equal(0);
      expect(r.stdout).to.match(/Usage: radz/);
    }
  });

  it("exits 2 on a usage error", () => {
    const r = radz(["infer"]);
    expect(r.status).to.equal(2);
    expect(r.stderr).to.match(/missing required argument|error:/);
  });
});
