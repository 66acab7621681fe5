/**
 * `radz adapt` and `radz eval --adaptation` as a user runs them, on a small
 * generated shifted-site set: the file is written and loads, eval shows
 * without -> with, feedback from the store gives the same fit as the truth
 * file, and the SR written with config model.adaptation names it.
 */
import { readFileSync, readdirSync, rmSync } from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { writeDemoBundle } from "../../src/model/index.js";
import { writeSyntheticStudies } from "../../src/synthetic/index.js";
import { tempDir } from "../model/bundle-fixtures.js";
import { radz } from "./run-cli.js";

describe("cli: radz adapt / radz eval --adaptation", function () {
  this.timeout(300_000);
  let work: string;
  let bundle: string;
  let fitSet: string;
  let testSet: string;
  const env = (vars: Record<string, string>) => {
    Object.assign(process.env, vars);
    return () => {
      for (const k of Object.keys(vars)) delete process.env[k];
    };
  };
  before(async () => {
    work = tempDir("radz-adapt-cli-");
    bundle = path.join(work, "bundle");
    await writeDemoBundle(bundle);
    fitSet = path.join(work, "fit");
    testSet = path.join(work, "test");
    await writeSyntheticStudies(fitSet, {
      count: 40,
      seed: 11,
      rows: 128,
      columns: 128,
      site: "shifted",
    });
    await writeSyntheticStudies(testSet, {
      count: 30,
      seed: 12,
      rows: 128,
      columns: 128,
      site: "shifted",
    });
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  it("fits from truth.csv, evaluates without -> with, and the store's feedback gives the same fit", async () => {
    const out = path.join(work, "adaptation.json");
    const truth = path.join(fitSet, "truth.csv");
    const r = await radz([
      "adapt",
      "--bundle",
      bundle,
      "--truth",
      truth,
      fitSet,
      "--out",
      out,
      "--json",
    ]);
    expect(r.status, r.stderr).to.equal(0);
    const printed = JSON.parse(r.stdout) as {
      id: string;
      studies: number;
      labels: Record<string, unknown>;
    };
    expect(printed.studies).to.equal(40);
    const file = JSON.parse(readFileSync(out, "utf8")) as {
      id: string;
      bundle: { id: string };
      feedback: { source: string; sha256: string };
      labels: Record<string, { weights: number[] }>;
    };
    expect(file.id).to.equal(printed.id);
    expect(file.bundle.id).to.equal("radz-demo-synthetic");
    expect(file.feedback.source).to.equal("truth");

    const e = await radz([
      "eval",
      "--bundle",
      bundle,
      "--truth",
      path.join(testSet, "truth.csv"),
      testSet,
      "--adaptation",
      out,
      "--json",
      "--bootstrap",
      "10",
    ]);
    expect(e.status, e.stderr).to.equal(0);
    const report = JSON.parse(e.stdout) as {
      bundle: { adaptation?: string };
      adaptation: { id: string; labels: Record<string, { auroc: [number, number] }> };
    };
    expect(report.bundle.adaptation).to.equal(file.id);
    expect(report.adaptation.id).to.equal(file.id);
    expect(Object.keys(report.adaptation.labels)).to.have.length(5);
    const plain = await radz([
      "eval",
      "--bundle",
      bundle,
      "--truth",
      path.join(testSet, "truth.csv"),
      testSet,
      "--json",
      "--bootstrap",
      "10",
    ]);
    expect(JSON.parse(plain.stdout)).to.not.have.property("adaptation");

    // The same verdicts imported as feedback: same studies, same snapshot hash, same weights.
    const restore = env({ RADZ_JOBS__DB_PATH: path.join(work, "radz.sqlite") });
    try {
      expect((await radz(["feedback", "import", truth])).status).to.equal(0);
      const fromStore = path.join(work, "from-store.json");
      const s = await radz([
        "adapt",
        "--bundle",
        bundle,
        "--feedback-from-store",
        fitSet,
        "--out",
        fromStore,
      ]);
      expect(s.status, s.stderr).to.equal(0);
      const f2 = JSON.parse(readFileSync(fromStore, "utf8")) as typeof file;
      expect(f2.feedback.source).to.equal("store");
      expect(f2.feedback.sha256).to.equal(file.feedback.sha256);
      for (const [id, l] of Object.entries(file.labels))
        l.weights.forEach((w, j) => expect(f2.labels[id]!.weights[j]).to.be.closeTo(w, 1e-9));
    } finally {
      restore();
    }
    // Either source, not both or neither.
    expect((await radz(["adapt", "--bundle", bundle, fitSet, "--out", out])).status).to.not.equal(
      0,
    );
  });

  it("the SR written with config model.adaptation names it in the algorithm parameters", async () => {
    const out = path.join(work, "adaptation.json");
    const id = (JSON.parse(readFileSync(out, "utf8")) as { id: string }).id;
    const srDir = path.join(work, "sr");
    const restore = env({ RADZ_MODEL__ADAPTATION: out, RADZ_REPORT__SUMMARY_IMAGE: "false" });
    try {
      const study = readdirSync(testSet).find((d) => d.startsWith("2.25."))!;
      const r = await radz([
        "infer",
        path.join(testSet, study),
        "--bundle",
        bundle,
        "--out",
        srDir,
      ]);
      expect(r.status, r.stderr).to.equal(0);
    } finally {
      restore();
    }
    const sr = readdirSync(srDir).find((f) => f.endsWith(".sr.dcm"))!;
    const text = readFileSync(path.join(srDir, sr)).toString("latin1");
    expect(text).to.contain(`adaptation=${id}`);
    expect(text).to.contain("adaptationMethod=gda-blend");
  });
});
