/**
 * Site adaptations at load (config model.adaptation): the few-shot term added
 * to raw logits, calibration and thresholds replaced, the identity naming the
 * adaptation, and ADAPTATION_INVALID for every mismatch with the loaded bundle.
 */
import { rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { expect } from "chai";
import type { RadzError } from "../../src/errors.js";
import {
  ADAPTATION_KIND,
  ADAPTATION_METHOD,
  adaptationId,
  bundleManifestSha256,
  labelLogitHash,
  loadModel,
  readBundleManifest,
  sigmoid,
  type Adaptation,
  type BundleManifest,
  type LoadModelOptions,
} from "../../src/model/index.js";
import { silentLogger } from "../../src/observability/logger.js";
import { generateSyntheticStudies } from "../../src/synthetic/index.js";
import { copyBundle, demoBundleDir, editManifest, tempDir } from "./bundle-fixtures.js";
import { tensorFromPart10 } from "./helpers.js";

const CPU: LoadModelOptions = {
  executionProviders: ["cpu"],
  requireGpu: false,
  logger: silentLogger(),
};

function adaptationFor(
  m: BundleManifest,
  weights: number[],
  edit: (a: Omit<Adaptation, "id">) => void = () => {},
): Adaptation {
  const body: Omit<Adaptation, "id"> = {
    kind: ADAPTATION_KIND,
    schemaVersion: 1,
    bundle: { id: m.identity.id, version: m.identity.version, sha256: bundleManifestSha256(m) },
    embeddingSize: m.imageEncoder.embeddingSize,
    method: { name: ADAPTATION_METHOD, shrinkage: 0.1, alphaGrid: [0, 1], aggregation: "max" },
    feedback: { source: "truth", sha256: "0".repeat(64), studies: 40 },
    createdAt: "2026-12-07T00:00:00.000Z",
    createdBy: "test",
    labels: {
      nodule: {
        logitHash: labelLogitHash(
          m,
          m.labels.find((l) => l.id === "nodule")!,
        ),
        alpha: 1,
        weights,
        bias: 0.5,
        calibration: { method: "platt", a: 0.7, b: -0.2 },
        threshold: 0.4,
        target: { metric: "youden" },
        fit: { n: 40, positives: 12, looAuroc: [0.7, 0.8] },
      },
    },
  };
  edit(body);
  return { ...body, id: adaptationId(body) };
}

async function expectInvalid(
  dir: string,
  adaptation: string | Adaptation,
  ...mentions: string[]
): Promise<void> {
  try {
    const m = await loadModel(dir, { ...CPU, adaptation });
    await m.close();
  } catch (err) {
    expect((err as RadzError).code, (err as Error).message).to.equal("ADAPTATION_INVALID");
    for (const s of mentions) expect((err as Error).message).to.contain(s);
    return;
  }
  expect.fail("expected ADAPTATION_INVALID");
}

describe("model: site adaptations", () => {
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
    inputs = generateSyntheticStudies({ count: 2, seed: 77, rows: 128, columns: 128 }).map((s) =>
      tensorFromPart10(s.instances[0]!, manifest.preprocess),
    );
  });
  after(() => {
    remove();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it("adds w·e + c to the adapted label's raw logit, applies its calibration and threshold, and names itself", async () => {
    const d = manifest.imageEncoder.embeddingSize;
    const weights = Array.from({ length: d }, (_, i) => (i % 3) - 1);
    const adaptation = adaptationFor(manifest, weights);
    const work = tempDir("radz-adaptation-");
    dirs.push(work);
    const file = path.join(work, "adaptation.json");
    writeFileSync(file, JSON.stringify(adaptation));
    const base = await loadModel(demo, CPU);
    const adapted = await loadModel(demo, { ...CPU, adaptation: file });
    try {
      expect(base.identity.adaptation).to.equal(undefined);
      expect(adapted.identity.adaptation).to.deep.equal({
        id: adaptation.id,
        method: ADAPTATION_METHOD,
      });
      expect(adapted.identity.labelSetHash).to.not.equal(base.identity.labelSetHash);
      const embeddings = await base.embedImages(inputs);
      const before = base.scoreEmbeddings(embeddings);
      const after = adapted.scoreEmbeddings(embeddings);
      embeddings.forEach((e, i) => {
        const n = Math.hypot(...e);
        const term = weights.reduce((s, w, j) => s + (w * e[j]!) / n, 0) + 0.5;
        after[i]!.forEach((s, k) => {
          const b = before[i]![k]!;
          if (s.labelId !== "nodule") return expect(s).to.deep.equal(b);
          expect(s.logit).to.be.closeTo(b.logit + term, 1e-5);
          expect(s.probability).to.be.closeTo(sigmoid(0.7 * s.logit - 0.2), 1e-12);
          expect(s.threshold).to.equal(0.4);
        });
      });
      // rawScores (radz calibrate / radz adapt) ignore the adaptation.
      const raw = await loadModel(demo, { ...CPU, adaptation: file, rawScores: true });
      expect(raw.identity.adaptation).to.equal(undefined);
      await raw.close();
    } finally {
      await base.close();
      await adapted.close();
    }
  });

  it("refuses an adaptation that does not match the loaded bundle (ADAPTATION_INVALID)", async () => {
    const d = manifest.imageEncoder.embeddingSize;
    const w = new Array<number>(d).fill(0);
    await expectInvalid(
      demo,
      adaptationFor(manifest, w, (a) => (a.bundle.version = "9.9.9")),
      "fitted for bundle radz-demo-synthetic 9.9.9",
    );
    await expectInvalid(
      demo,
      adaptationFor(manifest, w, (a) => (a.bundle.sha256 = "a".repeat(64))),
      "has changed since it was fitted",
    );
    await expectInvalid(
      demo,
      adaptationFor(manifest, w, (a) => {
        a.labels.atelectasis = a.labels.nodule!;
      }),
      'label "atelectasis" is not in the model',
    );
    await expectInvalid(demo, adaptationFor(manifest, [1, 2]), "has 2 weights");
    const edited = adaptationFor(manifest, w);
    await expectInvalid(demo, { ...edited, createdBy: "someone else" }, "was changed after");
    // The label's prompts changed in the bundle: its logits are not the ones the adaptation was fitted on.
    const changed = copyBundle(demo);
    dirs.push(changed);
    editManifest(changed, (m) => {
      const labels = m.labels as { id: string; prompts: { positive: string[] } }[];
      labels.find((l) => l.id === "nodule")!.prompts.positive.push("a nodule");
    });
    const changedManifest = await readBundleManifest(changed);
    await expectInvalid(
      changed,
      adaptationFor(manifest, w, (a) => (a.bundle.sha256 = bundleManifestSha256(changedManifest))),
      '"nodule" changed since it was fitted',
    );
    const bad = path.join(changed, "bad.json");
    writeFileSync(bad, "{not json");
    await expectInvalid(changed, bad, "could not be read as JSON");
  });
});
