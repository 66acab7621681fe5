/**
 * Calibration overlays (radz calibrate's output, config model.calibrationOverlay)
 * and the other load options: raw scores, onnxruntime threads and graph
 * optimisation (scores unchanged).
 */
import { rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { expect } from "chai";
import type { RadzError } from "../../src/errors.js";
import {
  CALIBRATION_OVERLAY_KIND,
  applyCalibrationOverlay,
  labelLogitHash,
  loadModel,
  mergeLabelDefinitions,
  readBundleManifest,
  sigmoid,
  type BundleManifest,
  type CalibrationOverlay,
  type LoadModelOptions,
} from "../../src/model/index.js";
import { silentLogger } from "../../src/observability/logger.js";
import { generateSyntheticStudies } from "../../src/synthetic/index.js";
import { demoBundleDir, tempDir } from "./bundle-fixtures.js";
import { tensorFromPart10 } from "./helpers.js";
import { logSink } from "../helpers/log.js";

const CPU: LoadModelOptions = {
  executionProviders: ["cpu"],
  requireGpu: false,
  logger: silentLogger(),
};

function overlayFor(
  m: BundleManifest,
  entries: Record<string, { a: number; b: number; threshold: number }>,
): CalibrationOverlay {
  return {
    kind: CALIBRATION_OVERLAY_KIND,
    schemaVersion: 1,
    bundle: { id: m.identity.id, version: m.identity.version },
    method: "platt",
    labels: Object.fromEntries(
      Object.entries(entries).map(([id, e]) => [
        id,
        {
          logitHash: labelLogitHash(
            m,
            m.labels.find((l) => l.id === id)!,
          ),
          calibration: { method: "platt" as const, a: e.a, b: e.b },
          threshold: e.threshold,
        },
      ]),
    ),
  };
}

function expectCode(fn: () => unknown, code: string, ...mentions: string[]): void {
  try {
    fn();
  } catch (err) {
    expect((err as RadzError).code, (err as Error).message).to.equal(code);
    for (const m of mentions) expect((err as Error).message).to.contain(m);
    return;
  }
  expect.fail(`expected ${code}`);
}

describe("calibration overlays and load options", () => {
  let demo: string;
  let remove: () => void;
  let manifest: BundleManifest;
  let inputs: Float32Array[];
  const dirs: string[] = [];
  before(async () => {
    const b = await demoBundleDir();
    demo = b.dir;
    remove = b.remove;
    manifest = await readBundleManifest(demo);
    inputs = generateSyntheticStudies({
      count: 3,
      seed: 77,
      rows: 128,
      columns: 128,
      findingRate: 0.5,
    }).map((s) => tensorFromPart10(s.instances[0]!, manifest.preprocess));
  });
  after(() => {
    remove();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it("applies an overlay file: calibration and thresholds replaced, logits unchanged, label set hash changed", async () => {
    const work = tempDir("radz-overlay-");
    dirs.push(work);
    const file = path.join(work, "overlay.json");
    writeFileSync(
      file,
      JSON.stringify(overlayFor(manifest, { pneumothorax: { a: 0.5, b: 0.25, threshold: 0.8 } })),
    );
    const base = await loadModel(demo, CPU);
    const over = await loadModel(demo, { ...CPU, calibrationOverlay: file });
    try {
      expect(over.identity.labelSetHash).not.to.equal(base.identity.labelSetHash);
      const [b] = await base.scoreImages(inputs);
      const [o] = await over.scoreImages(inputs);
      o!.forEach((s, k) => {
        expect(s.logit).to.equal(b![k]!.logit);
        if (s.labelId === "pneumothorax") {
          expect(s.threshold).to.equal(0.8);
          expect(s.probability).to.be.closeTo(sigmoid(0.5 * s.logit + 0.25), 1e-15);
        } else expect(s).to.deep.equal(b![k]);
      });
    } finally {
      await base.close();
      await over.close();
    }
  });

  it("refuses an overlay for another bundle version, an unknown label, or changed prompts, naming them", () => {
    const o = overlayFor(manifest, { nodule: { a: 1, b: 0, threshold: 0.5 } });
    expectCode(
      () =>
        applyCalibrationOverlay(manifest, {
          ...o,
          bundle: { id: manifest.identity.id, version: "9.9.9" },
        }),
      "CALIBRATION_OVERLAY_INVALID",
      "9.9.9",
    );
    expectCode(
      () =>
        applyCalibrationOverlay(manifest, {
          ...o,
          labels: { ...o.labels, edema: o.labels.nodule! },
        }),
      "CALIBRATION_OVERLAY_INVALID",
      'label "edema"',
    );
    const changed = mergeLabelDefinitions(manifest, [
      { id: "nodule", knowledge: ["a round opacity"] },
    ]).manifest;
    expectCode(
      () => applyCalibrationOverlay(changed, o),
      "CALIBRATION_OVERLAY_INVALID",
      '"nodule"',
      "radz calibrate",
    );
    // A threshold-only override does not change the logits: the overlay still fits.
    const thresholdOnly = mergeLabelDefinitions(manifest, [
      { id: "nodule", threshold: 0.3 },
    ]).manifest;
    expect(
      applyCalibrationOverlay(thresholdOnly, o).labels.find((l) => l.id === "nodule")!.threshold,
    ).to.equal(0.5);
  });

  it("fails at load on an unreadable or malformed overlay file", async () => {
    const work = tempDir("radz-overlay-bad-");
    dirs.push(work);
    const file = path.join(work, "o.json");
    writeFileSync(file, "{ nope");
    for (const [content, mention] of [
      ["{ nope", "could not be read as JSON"],
      [JSON.stringify({ kind: "something-else" }), "kind"],
    ] as const) {
      writeFileSync(file, content);
      try {
        const m = await loadModel(demo, { ...CPU, calibrationOverlay: file });
        await m.close();
        expect.fail("expected a failure");
      } catch (err) {
        expect((err as RadzError).code).to.equal("CALIBRATION_OVERLAY_INVALID");
        expect((err as Error).message).to.contain(mention);
      }
    }
  });

  it("rawScores: every probability is sigmoid(raw logit), and an overlay is ignored", async () => {
    const raw = await loadModel(demo, {
      ...CPU,
      rawScores: true,
      calibrationOverlay: "/nonexistent/overlay.json",
    });
    try {
      for (const row of await raw.scoreImages(inputs))
        for (const s of row) expect(s.probability).to.be.closeTo(sigmoid(s.logit), 1e-15);
    } finally {
      await raw.close();
    }
  });

  it("onnxruntime threads, spinning and graph optimisation are applied and logged; scores identical within 1e-5", async () => {
    const log = logSink();
    const base = await loadModel(demo, CPU);
    const tuned = await loadModel(demo, {
      ...CPU,
      intraOpThreads: 1,
      graphOptimization: "disabled",
      spinning: true,
      logger: log.logger,
    });
    try {
      const a = await base.scoreImages(inputs);
      const b = await tuned.scoreImages(inputs);
      a.forEach((row, i) =>
        row.forEach((s, k) => {
          expect(b[i]![k]!.logit).to.be.closeTo(s.logit, 1e-5);
          expect(b[i]![k]!.probability).to.be.closeTo(s.probability, 1e-5);
        }),
      );
      const text = log.text();
      expect(text).to.contain('"intraOpThreads":1');
      expect(text).to.contain('"spinning":true');
      expect(text).to.contain('"graphOptimization":"disabled"');
      expect(text).to.contain('"executionProvider":"cpu"');
    } finally {
      await base.close();
      await tuned.close();
    }
  });
});
