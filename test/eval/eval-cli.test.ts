/**
 * `radz eval` and `radz calibrate` as a user runs them, on synthetic studies
 * from `radz demo --generate` and the demo bundle: the acceptance numbers
 * (AUROC >= 0.95 for every demo label on 200 seeded studies), the --json
 * shape, the files --out writes, and a calibration overlay fitted on one set
 * improving Brier score and ECE on another with AUROC unchanged.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import sharp from "sharp";
import { writeDemoBundle } from "../../src/model/index.js";
import { SYNTHETIC_LABELS, writeSyntheticStudies } from "../../src/synthetic/index.js";
import { editManifest, type Json } from "../model/bundle-fixtures.js";

function radz(args: string[]) {
  const r = spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], {
    encoding: "utf8",
    env: { ...process.env, RADZ_LOG__LEVEL: "silent", RADZ_MODEL__EMBEDDING_CACHE_DIR: "" },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface LabelJson {
  auroc: number;
  aurocCi: [number, number];
  f1: number;
  accuracy: number;
  sensitivity: number;
  specificity: number;
  threshold: number;
  n: number;
  brier: number;
  ece: number;
}

describe("cli: radz eval / radz calibrate on synthetic studies", function () {
  this.timeout(600_000);
  let work: string;
  let bundle: string;
  before(async () => {
    work = mkdtempSync(path.join(os.tmpdir(), "radz-eval-cli-"));
    bundle = path.join(work, "bundle");
    await writeDemoBundle(bundle);
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  it("radz eval on 200 studies from radz demo --generate: AUROC >= 0.95 for every demo label; --json and --out", async () => {
    const data = path.join(work, "eval-set");
    const gen = radz([
      "demo",
      "--generate",
      data,
      "--count",
      "200",
      "--seed",
      "4242",
      "--size",
      "256",
    ]);
    expect(gen.status, gen.stderr).to.equal(0);
    const out = path.join(work, "eval-out");
    const r = radz([
      "eval",
      "--bundle",
      bundle,
      "--truth",
      path.join(data, "truth.csv"),
      data,
      "--out",
      out,
      "--json",
    ]);
    expect(r.status, r.stderr).to.equal(0);
    const report = JSON.parse(r.stdout) as {
      bundle: { synthetic: boolean };
      studies: { evaluated: number };
      labels: Record<string, LabelJson>;
    };
    expect(report.bundle.synthetic).to.equal(true);
    expect(report.studies.evaluated).to.equal(200);
    expect(Object.keys(report.labels)).to.deep.equal([...SYNTHETIC_LABELS]);
    const summary = Object.entries(report.labels)
      .map(([id, l]) => `${id} ${l.auroc.toFixed(3)}`)
      .join(", ");
    for (const [id, l] of Object.entries(report.labels)) {
      expect(l.auroc, `${id}: ${summary}`).to.be.at.least(0.95);
      expect(l.n).to.equal(200);
      expect(l.aurocCi[0]).to.be.at.most(l.auroc);
      expect(l.aurocCi[1]).to.be.at.least(l.auroc);
      for (const k of ["f1", "accuracy", "sensitivity", "specificity", "threshold"] as const)
        expect(l[k], `${id}.${k}`).to.be.within(0, 1);
    }
    // Files: JSON equal to stdout, CSV with a row per label, a real PNG.
    expect(JSON.parse(readFileSync(path.join(out, "eval.json"), "utf8"))).to.deep.equal(report);
    const csv = readFileSync(path.join(out, "eval.csv"), "utf8").trim().split("\n");
    expect(csv).to.have.length(1 + SYNTHETIC_LABELS.length);
    const png = await sharp(readFileSync(path.join(out, "roc.png"))).metadata();
    expect(png.format).to.equal("png");
  });

  it("radz calibrate fits an overlay on one set; radz eval with it on another: AUROC unchanged, Brier and ECE better", async () => {
    // An uncalibrated copy of the demo bundle (calibration "none": probability = sigmoid(raw logit)).
    const raw = path.join(work, "raw-bundle");
    await writeDemoBundle(raw);
    editManifest(raw, (m) => {
      for (const l of m.labels as Json[]) l.calibration = { method: "none" };
    });
    const fitSet = path.join(work, "fit-set");
    const testSet = path.join(work, "test-set");
    await writeSyntheticStudies(fitSet, { count: 120, seed: 9001, rows: 256, columns: 256 });
    await writeSyntheticStudies(testSet, { count: 80, seed: 9002, rows: 256, columns: 256 });
    const overlay = path.join(work, "overlay.json");
    const cal = radz([
      "calibrate",
      "--bundle",
      raw,
      "--truth",
      path.join(fitSet, "truth.csv"),
      fitSet,
      "--out",
      overlay,
      "--target",
      "nodule=specificity:0.9",
      "--json",
    ]);
    expect(cal.status, cal.stderr).to.equal(0);
    const fitted = JSON.parse(cal.stdout) as {
      labels: Record<
        string,
        { target: string; before: { auroc: number }; after: { auroc: number } }
      >;
    };
    expect(fitted.labels.pneumothorax!.target).to.equal("sensitivity 0.95"); // urgent label default
    expect(fitted.labels.nodule!.target).to.equal("specificity 0.9");
    expect(fitted.labels.cardiomegaly!.target).to.equal("youden");
    const written = JSON.parse(readFileSync(overlay, "utf8")) as {
      kind: string;
      method: string;
      labels: Record<string, { calibration: { method: string }; threshold: number }>;
    };
    expect(written.kind).to.equal("radz-calibration-overlay");
    expect(Object.keys(written.labels)).to.deep.equal([...SYNTHETIC_LABELS]);
    expect(written.labels.pneumothorax!.calibration.method).to.equal("platt");

    const r = radz([
      "eval",
      "--bundle",
      raw,
      "--truth",
      path.join(testSet, "truth.csv"),
      testSet,
      "--calibration-overlay",
      overlay,
      "--json",
    ]);
    expect(r.status, r.stderr).to.equal(0);
    const report = JSON.parse(r.stdout) as {
      labels: Record<string, LabelJson>;
      calibration: {
        labels: Record<
          string,
          { auroc: [number, number]; brier: [number, number]; ece: [number, number] }
        >;
      };
    };
    let brierBefore = 0;
    let brierAfter = 0;
    let eceBefore = 0;
    let eceAfter = 0;
    for (const id of SYNTHETIC_LABELS) {
      const c = report.calibration.labels[id]!;
      // Platt is strictly monotone: the ranking, hence the AUROC, cannot change.
      expect(c.auroc[1], id).to.be.closeTo(c.auroc[0], 1e-12);
      expect(report.labels[id]!.threshold).to.equal(written.labels[id]!.threshold);
      brierBefore += c.brier[0];
      brierAfter += c.brier[1];
      eceBefore += c.ece[0];
      eceAfter += c.ece[1];
      expect(c.brier[1], `${id} Brier`).to.be.below(c.brier[0]);
    }
    expect(brierAfter).to.be.below(brierBefore);
    expect(eceAfter).to.be.below(eceBefore);
  });

  it("prints a table; fails clearly on a truth file that names no model label and on an overlay that does not fit", async () => {
    const data = path.join(work, "small");
    const w = await writeSyntheticStudies(data, {
      count: 4,
      seed: 3,
      rows: 128,
      columns: 128,
      findingRate: 0.5,
    });
    const table = radz([
      "eval",
      "--bundle",
      bundle,
      "--truth",
      w.truthCsv,
      data,
      "--bootstrap",
      "50",
    ]);
    expect(table.status, table.stderr).to.equal(0);
    expect(table.stdout).to.match(/label\s+n\s+pos\s+AUROC\s+AUROC 95% CI\s+threshold/);
    expect(table.stdout).to.match(/pneumothorax\s+4\s+\d/);
    expect(table.stdout).to.contain("SYNTHETIC");

    // Isotonic calibration writes an overlay the service (and eval) load.
    const isoOverlay = path.join(work, "isotonic.json");
    const iso = radz([
      "calibrate",
      "--bundle",
      bundle,
      "--truth",
      w.truthCsv,
      data,
      "--method",
      "isotonic",
      "--out",
      isoOverlay,
    ]);
    expect(iso.status, iso.stderr).to.equal(0);
    expect(iso.stdout).to.contain("isotonic calibration on 4 studies");
    const isoJson = JSON.parse(readFileSync(isoOverlay, "utf8")) as {
      method: string;
      labels: Record<string, { calibration: { method: string; x: number[]; y: number[] } }>;
    };
    expect(isoJson.method).to.equal("isotonic");
    for (const entry of Object.values(isoJson.labels)) {
      expect(entry.calibration.method).to.equal("isotonic");
      expect(entry.calibration.x.length).to.equal(entry.calibration.y.length);
    }
    const withIso = radz([
      "eval",
      "--bundle",
      bundle,
      "--truth",
      w.truthCsv,
      data,
      "--calibration-overlay",
      isoOverlay,
      "--json",
      "--bootstrap",
      "20",
    ]);
    expect(withIso.status, withIso.stderr).to.equal(0);
    expect(
      Object.keys(
        (JSON.parse(withIso.stdout) as { calibration: { labels: object } }).calibration.labels,
      ),
    ).to.include.members(Object.keys(isoJson.labels));

    const bad = path.join(work, "bad-truth.csv");
    writeFileSync(bad, "studyInstanceUID,edema\n1.2.3,1\n");
    const r = radz(["eval", "--bundle", bundle, "--truth", bad, data]);
    expect(r.status).to.equal(1);
    expect(r.stderr).to.contain("INPUT_INVALID");
    expect(r.stderr).to.contain("match none of the model's");

    const overlay = path.join(work, "foreign-overlay.json");
    writeFileSync(
      overlay,
      JSON.stringify({
        kind: "radz-calibration-overlay",
        schemaVersion: 1,
        bundle: { id: "radz-demo-synthetic", version: "1.0.0" },
        method: "platt",
        labels: {
          nodule: {
            logitHash: "0123456789abcdef",
            calibration: { method: "platt", a: 1, b: 0 },
            threshold: 0.5,
          },
        },
      }),
    );
    const stale = radz([
      "eval",
      "--bundle",
      bundle,
      "--truth",
      w.truthCsv,
      data,
      "--calibration-overlay",
      overlay,
    ]);
    expect(stale.status).to.equal(1);
    expect(stale.stderr).to.contain("CALIBRATION_OVERLAY_INVALID");
    expect(stale.stderr).to.contain('"nodule"');
  });
});
