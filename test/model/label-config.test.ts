/**
 * Labels without retraining: config model.labels merged into the bundle's
 * labels at load (added, overridden, removed), label embeddings computed with
 * the text encoder and cached per text, and clear failures.
 */
import { readdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { RadzError } from "../../src/errors.js";
import {
  loadModel,
  mergeLabelDefinitions,
  readBundleManifest,
  type LabelDefinition,
  type LoadModelOptions,
  type ZeroShotModel,
} from "../../src/model/index.js";
import { silentLogger } from "../../src/observability/logger.js";
import { generateSyntheticStudies } from "../../src/synthetic/index.js";
import {
  copyBundle,
  demoBundleDir,
  editManifest,
  replaceFile,
  tempDir,
  type Json,
} from "./bundle-fixtures.js";
import { tensorFromPart10 } from "./helpers.js";
import { logSink } from "../helpers/log.js";

const CPU: LoadModelOptions = {
  executionProviders: ["cpu"],
  requireGpu: false,
  logger: silentLogger(),
};

async function loadError(dir: string, opts: LoadModelOptions): Promise<RadzError> {
  try {
    const m = await loadModel(dir, opts);
    await m.close();
  } catch (err) {
    expect(err).to.be.instanceOf(RadzError);
    return err as RadzError;
  }
  throw new Error("expected loadModel to fail");
}

const ATELECTASIS: LabelDefinition = {
  id: "atelectasis",
  prompts: {
    positive: ["there is atelectasis", "collapse of the lung base"],
    negative: ["no atelectasis", "the lungs are fully expanded"],
  },
  knowledge: ["atelectasis is a collapse of lung tissue with volume loss"],
  combine: { promptWeight: 0.6, knowledgeWeight: 0.4 },
  threshold: 0.6,
  triageWeight: 0.5,
};

describe("labels from configuration (model.labels)", () => {
  let demo: string;
  let remove: () => void;
  let input: Float32Array;
  const dirs: string[] = [];
  before(async () => {
    const b = await demoBundleDir();
    demo = b.dir;
    remove = b.remove;
    const [study] = generateSyntheticStudies({
      count: 1,
      seed: 31,
      rows: 128,
      columns: 128,
      findingRate: 0.6,
    });
    const m = await readBundleManifest(demo);
    input = tensorFromPart10(study!.instances[0]!, m.preprocess);
  });
  after(() => {
    remove();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it("adds a label with prompts and knowledge: scored after the bundle's, its concept from RadZ's table, the hash changes", async () => {
    const base = await loadModel(demo, CPU);
    const added = await loadModel(demo, { ...CPU, labels: [ATELECTASIS] });
    try {
      expect(added.labels.map((l) => l.id)).to.deep.equal([
        ...base.labels.map((l) => l.id),
        "atelectasis",
      ]);
      const label = added.labels.at(-1)!;
      expect(label.concept).to.deep.equal({
        value: "RADZ0007",
        scheme: "99RADZ",
        meaning: "Atelectasis",
      });
      expect(label.display).to.equal("Atelectasis");
      expect(label.calibration).to.deep.equal({ method: "none" });
      expect(added.manifest.codingSchemes.map((s) => s.designator)).to.include("99RADZ");
      expect(added.identity.labelSetHash).not.to.equal(base.identity.labelSetHash);
      const [withNew] = await added.scoreImages([input]);
      const [orig] = await base.scoreImages([input]);
      expect(withNew).to.have.length(orig!.length + 1);
      // The bundle's labels score exactly as before.
      orig!.forEach((s, k) => expect(withNew![k]).to.deep.equal(s));
      const a = withNew!.at(-1)!;
      expect(a.labelId).to.equal("atelectasis");
      expect(a.threshold).to.equal(0.6);
      expect(a.triageWeight).to.equal(0.5);
      expect(Number.isFinite(a.logit)).to.equal(true);
      expect(a.probability).to.be.closeTo(1 / (1 + Math.exp(-a.logit)), 1e-12);
    } finally {
      await base.close();
      await added.close();
    }
  });

  it("overrides a bundle label's threshold and prompts, and removes another; the label set hash follows", async () => {
    const base = await loadModel(demo, CPU);
    const thr = await loadModel(demo, { ...CPU, labels: [{ id: "pneumothorax", threshold: 0.9 }] });
    const prompts = await loadModel(demo, {
      ...CPU,
      labels: [
        { id: "pneumothorax", prompts: { positive: ["pneumothorax"] } },
        { id: "nodule", remove: true },
      ],
    });
    try {
      const hashes = new Set([base, thr, prompts].map((m) => m.identity.labelSetHash));
      expect(hashes.size).to.equal(3);
      const [b] = await base.scoreImages([input]);
      const [t] = await thr.scoreImages([input]);
      const [p] = await prompts.scoreImages([input]);
      const px = (scores: typeof b) => scores!.find((s) => s.labelId === "pneumothorax")!;
      expect(px(t).threshold).to.equal(0.9);
      expect(px(t).logit).to.equal(px(b).logit);
      expect(px(p).logit).not.to.be.closeTo(px(b).logit, 1e-9);
      expect(p!.map((s) => s.labelId)).not.to.include("nodule");
      expect(prompts.labels.find((l) => l.id === "pneumothorax")!.prompts.negative).to.deep.equal(
        base.labels.find((l) => l.id === "pneumothorax")!.prompts.negative,
      );
    } finally {
      await Promise.all([base.close(), thr.close(), prompts.close()]);
    }
  });

  it("reports configuration problems naming the label (CONFIG_INVALID) before opening sessions", async () => {
    const err = await loadError(demo, {
      ...CPU,
      labels: [
        { id: "mystery_finding", prompts: { positive: ["something odd"] } },
        {
          id: "foo_finding",
          concept: { value: "F1", scheme: "99FOO", meaning: "Foo" },
          prompts: { positive: ["foo"], negative: ["no foo"] },
        },
        { id: "not_in_bundle", remove: true },
      ],
    });
    expect(err.code).to.equal("CONFIG_INVALID");
    expect(err.message).to.contain('"mystery_finding": a new label needs a concept');
    expect(err.message).to.contain('"foo_finding": concept.scheme');
    expect(err.message).to.contain('"not_in_bundle": remove is set');
  });

  it("without a text encoder, start fails naming the labels that lack embeddings and how to add them", async () => {
    const dir = copyBundle(demo);
    dirs.push(dir);
    // Precomputed rows for the bundle's labels, no text encoder.
    const ids = ["pleural_effusion", "pneumothorax", "cardiomegaly", "consolidation", "nodule"];
    const rows = new Float32Array(10 * 32);
    ids.forEach((_, k) => (rows[k * 32 + k + 1] = 1));
    ids.forEach((_, k) => (rows[(5 + k) * 32] = 1));
    const bytes = Buffer.from(rows.buffer);
    writeFileSync(path.join(dir, "rows.bin"), bytes);
    editManifest(dir, (m) => {
      delete m.textEncoder;
      m.labelEmbeddings = {
        file: "rows.bin",
        sha256: "0".repeat(64),
        shape: [10, 32],
        labelIds: ids,
        negativeLabelIds: ids,
      };
    });
    replaceFile(dir, "rows.bin", bytes);
    const ok = await loadModel(dir, { ...CPU, labels: [{ id: "nodule", threshold: 0.7 }] });
    await ok.close();
    const err = await loadError(dir, {
      ...CPU,
      labels: [ATELECTASIS, { id: "nodule", prompts: { positive: ["a new nodule prompt"] } }],
    });
    expect(err.code).to.equal("BUNDLE_LABEL_EMBEDDING_MISSING");
    expect(err.message).to.contain("atelectasis");
    expect(err.message).to.contain("nodule");
    expect(err.message).to.contain("no text encoder");
    expect(err.message).to.contain("labelEmbeddings");
    expect(err.details?.labelIds).to.deep.equal(["nodule", "atelectasis"]);
  });

  it("caches text embeddings on disk keyed by bundle and text: a new label embeds only its new texts", async () => {
    const cache = tempDir("radz-textcache-");
    dirs.push(cache);
    const first = logSink();
    const a = await loadModel(demo, { ...CPU, logger: first.logger, embeddingCacheDir: cache });
    const [sa] = await a.scoreImages([input]);
    await a.close();
    const computed1 = first
      .records()
      .find((l) => l.msg === "label embeddings computed with the text encoder")!;
    expect(computed1.fromCache).to.equal(0);
    const total = computed1.texts as number;
    expect(readdirSync(cache).filter((f) => f.startsWith("label-embeddings-"))).to.have.length(1);

    const second = logSink();
    const b = await loadModel(demo, {
      ...CPU,
      logger: second.logger,
      embeddingCacheDir: cache,
      labels: [ATELECTASIS],
    });
    const [sb] = await b.scoreImages([input]);
    await b.close();
    const computed2 = second
      .records()
      .find((l) => l.msg === "label embeddings computed with the text encoder")!;
    // "the lungs are fully expanded" is already a pneumothorax prompt: 4 of the 5 new texts are new.
    expect(computed2.computed).to.equal(4);
    expect(computed2.fromCache).to.equal(total);
    // Cached embeddings give the same scores as computed ones.
    sa!.forEach((s, k) => {
      expect(sb![k]!.labelId).to.equal(s.labelId);
      expect(sb![k]!.logit).to.be.closeTo(s.logit, 1e-5);
    });

    const third = logSink();
    const c = await loadModel(demo, {
      ...CPU,
      logger: third.logger,
      embeddingCacheDir: cache,
      labels: [ATELECTASIS],
    });
    await c.close();
    expect(third.records().some((l) => l.msg === "label embeddings read from cache")).to.equal(
      true,
    );
  });

  it("merges without loading: unchanged definitions leave the manifest as it is", async () => {
    const m = await readBundleManifest(demo);
    const same = mergeLabelDefinitions(m, []);
    expect(same.manifest).to.equal(m);
    const t = mergeLabelDefinitions(m, [{ id: "cardiomegaly", threshold: 0.3 }]);
    expect(t.overridden).to.deep.equal(["cardiomegaly"]);
    expect(t.textChanged.size).to.equal(0);
    const p = mergeLabelDefinitions(m, [{ id: "cardiomegaly", knowledge: ["a big heart"] }]);
    expect([...p.textChanged]).to.deep.equal(["cardiomegaly"]);
    const labels = (m.labels as unknown as Json[]).length;
    expect(
      mergeLabelDefinitions(m, [{ id: "nodule", remove: true }]).manifest.labels,
    ).to.have.length(labels - 1);
  });
});

export type { ZeroShotModel };
