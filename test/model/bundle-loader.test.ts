import { readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { RadzError, type ErrorCode } from "../../src/errors.js";
import { loadModel, type LoadModelOptions, type ZeroShotModel } from "../../src/model/index.js";
import { GraphBuilder } from "../../src/model/onnx-graph.js";
import { silentLogger } from "../../src/observability/logger.js";
import {
  copyBundle,
  demoBundleDir,
  editManifest,
  replaceFile,
  tempDir,
  type Json,
} from "./bundle-fixtures.js";
import { logSink } from "../helpers/log.js";

const CPU: LoadModelOptions = {
  executionProviders: ["cpu"],
  requireGpu: false,
  logger: silentLogger(),
};

async function loadError(dir: string, opts: LoadModelOptions = CPU): Promise<RadzError> {
  try {
    const model = await loadModel(dir, opts);
    await model.close();
  } catch (err) {
    expect(err).to.be.instanceOf(RadzError);
    return err as RadzError;
  }
  throw new Error("expected loadModel to fail");
}

function expectError(err: RadzError, code: ErrorCode, ...mentions: string[]): void {
  expect(err.code, err.message).to.equal(code);
  for (const m of mentions) expect(err.message).to.contain(m);
}

/** An image encoder whose embedding is 0/0 = NaN for every input. */
function nanImageEncoder(): Uint8Array {
  const g = new GraphBuilder("nan_encoder");
  const x = g.input("image", "float32", ["batch", 1, 224, 224]);
  const pooled = g.op("Flatten", [g.op("GlobalAveragePool", [x])]);
  const zero = g.op("Mul", [pooled, g.scalar(0)]);
  const wide = g.op("MatMul", [zero, g.floats(new Float32Array(32).fill(1), [1, 32])]);
  g.output(g.op("Div", [wide, wide]), "embedding", "float32", ["batch", 32]);
  return g.toBytes({
    producerName: "radz-test",
    producerVersion: "1",
    docString: "NaN on purpose",
  });
}

describe("loadModel", () => {
  let demo: string;
  let removeDemo: () => void;
  const dirs: string[] = [];
  const copy = (): string => {
    const d = copyBundle(demo);
    dirs.push(d);
    return d;
  };

  before(async () => {
    const b = await demoBundleDir();
    demo = b.dir;
    removeDemo = b.remove;
  });
  after(() => {
    removeDemo();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it("loads the demo bundle on the CPU with its identity, and logs the execution provider", async () => {
    const log = logSink();
    const model = await loadModel(demo, {
      ...CPU,
      logger: log.logger,
    });
    try {
      expect(model.identity.id).to.equal("radz-demo-synthetic");
      expect(model.identity.synthetic).to.equal(true);
      expect(model.identity.executionProvider).to.equal("cpu");
      expect(model.identity.labelSetHash).to.match(/^[0-9a-f]{16}$/);
      expect(model.labels).to.have.length(5);
      expect(model.inputShape).to.deep.equal([1, 224, 224]);
      expect(model.embeddingSize).to.equal(32);
      const text = log.text();
      expect(text).to.contain('"executionProvider":"cpu"');
      expect(text).to.contain("model bundle loaded");
    } finally {
      await model.close();
    }
  });

  it("fails with BUNDLE_FILE_MISSING naming a missing file", async () => {
    const dir = copy();
    unlinkSync(path.join(dir, "tokenizer.json"));
    expectError(await loadError(dir), "BUNDLE_FILE_MISSING", "tokenizer.json");
    unlinkSync(path.join(dir, "bundle.json"));
    expectError(await loadError(dir), "BUNDLE_FILE_MISSING", "bundle.json");
  });

  it("fails with BUNDLE_HASH_MISMATCH naming a modified file", async () => {
    const dir = copy();
    const file = path.join(dir, "image-encoder.onnx");
    writeFileSync(file, Buffer.concat([readFileSync(file), Buffer.from([0])]));
    expectError(await loadError(dir), "BUNDLE_HASH_MISMATCH", "image-encoder.onnx");
  });

  it("fails with BUNDLE_INVALID listing the problems of a bad bundle.json", async () => {
    const dir = copy();
    editManifest(dir, (m) => {
      (m.scoring as Json).logitScale = -1;
      (m.identity as Json).synthetic = "yes";
    });
    const err = await loadError(dir);
    expectError(err, "BUNDLE_INVALID", "scoring.logitScale", "identity.synthetic");
    writeFileSync(path.join(dir, "bundle.json"), "{ not json");
    expectError(await loadError(dir), "BUNDLE_INVALID", "not valid JSON");
  });

  it("fails with BUNDLE_MODEL_MISMATCH when the input shape or names disagree with bundle.json", async () => {
    const sized = copy();
    editManifest(sized, (m) => ((m.preprocess as Json).size = 256));
    expectError(
      await loadError(sized),
      "BUNDLE_MODEL_MISMATCH",
      "image-encoder.onnx",
      '"image"',
      "[batch, 1, 256, 256]",
    );
    const channels = copy();
    editManifest(channels, (m) => ((m.preprocess as Json).channels = 3));
    expectError(await loadError(channels), "BUNDLE_MODEL_MISMATCH", "[batch, 3, 224, 224]");
    const named = copy();
    editManifest(named, (m) => ((m.imageEncoder as Json).outputName = "pixels"));
    expectError(
      await loadError(named),
      "BUNDLE_MODEL_MISMATCH",
      'no output named "pixels"',
      "embedding",
    );
    const dim = copy();
    editManifest(dim, (m) => ((m.imageEncoder as Json).embeddingSize = 64));
    expectError(await loadError(dim), "BUNDLE_MODEL_MISMATCH", "[batch, 64]");
    const text = copy();
    editManifest(text, (m) => ((m.textEncoder as Json).inputIdsName = "ids"));
    expectError(
      await loadError(text),
      "BUNDLE_MODEL_MISMATCH",
      "text-encoder.onnx",
      'no input named "ids"',
    );
  });

  it("fails with INFERENCE_BAD_OUTPUT when the warm-up run gives NaN", async () => {
    const dir = copy();
    replaceFile(dir, "image-encoder.onnx", nanImageEncoder());
    // The stand-in has no spatial output, so the manifest declares none (schemaVersion 1).
    editManifest(dir, (m) => {
      m.schemaVersion = 1;
      delete (m.imageEncoder as Json).spatialOutputName;
    });
    expectError(await loadError(dir), "INFERENCE_BAD_OUTPUT", "NaN");
  });

  it("fails with BUNDLE_LABEL_EMBEDDING_MISSING listing labels without an embedding", async () => {
    const noText = copy();
    editManifest(noText, (m) => delete m.textEncoder);
    const err = await loadError(noText);
    expectError(
      err,
      "BUNDLE_LABEL_EMBEDDING_MISSING",
      "pleural_effusion",
      "pneumothorax",
      "cardiomegaly",
      "consolidation",
      "nodule",
    );
    expect(err.details?.labels).to.have.length(5);

    const blank = copy();
    editManifest(blank, (m) => {
      const l = (m.labels as Json[])[4]!;
      l.prompts = { positive: [], negative: ["no nodule"] };
      l.knowledge = [];
    });
    const err2 = await loadError(blank);
    expectError(err2, "BUNDLE_LABEL_EMBEDDING_MISSING", "nodule");
    expect(err2.details?.labels).to.deep.equal(["nodule"]);

    const noNegative = copy();
    editManifest(noNegative, (m) => (((m.labels as Json[])[1]!.prompts as Json).negative = []));
    expectError(
      await loadError(noNegative),
      "BUNDLE_LABEL_EMBEDDING_MISSING",
      "pneumothorax (negative)",
    );
  });

  it("uses precomputed label embeddings (little-endian Float32 rows) when there is no text encoder", async () => {
    const dir = copy();
    const ids = ["pleural_effusion", "pneumothorax", "cardiomegaly", "consolidation", "nodule"];
    const D = 32;
    // Positive rows: unit axes 1..5; negative rows: axis 0 ("normal" in this toy file).
    const rows = new Float32Array(10 * D);
    ids.forEach((_, k) => (rows[k * D + k + 1] = 2));
    ids.forEach((_, k) => (rows[(5 + k) * D] = 1));
    const bytes = Buffer.alloc(rows.length * 4);
    rows.forEach((v, i) => bytes.writeFloatLE(v, i * 4));
    writeFileSync(path.join(dir, "label-embeddings.bin"), bytes);
    editManifest(dir, (m) => {
      delete m.textEncoder;
      m.labelEmbeddings = {
        file: "label-embeddings.bin",
        sha256: "0".repeat(64),
        shape: [10, D],
        labelIds: ids,
        negativeLabelIds: ids,
      };
    });
    replaceFile(dir, "label-embeddings.bin", bytes);
    const model = await loadModel(dir, CPU);
    try {
      const e = new Float32Array(D);
      e[3 + 1] = 1; // along consolidation's positive row
      const [scores] = model.scoreEmbeddings([e]);
      const byId = Object.fromEntries(scores!.map((s) => [s.labelId, s.logit]));
      // cos(e, pos) = 1, cos(e, neg) = 0 for consolidation; 0 and 0 for the others.
      expect(byId.consolidation).to.be.closeTo(model.manifest.scoring.logitScale, 1e-5);
      for (const id of ids.filter((i) => i !== "consolidation"))
        expect(byId[id]).to.be.closeTo(0, 1e-6);
    } finally {
      await model.close();
    }
    // A label missing from the file is reported.
    editManifest(dir, (m) => {
      const le = m.labelEmbeddings as Json;
      le.labelIds = ids.slice(0, 4);
      le.negativeLabelIds = ids.slice(0, 4);
      le.shape = [8, D];
    });
    const short = Buffer.alloc(8 * D * 4);
    bytes.copy(short, 0, 0, 4 * D * 4);
    bytes.copy(short, 4 * D * 4, 5 * D * 4, 9 * D * 4);
    replaceFile(dir, "label-embeddings.bin", short);
    expectError(await loadError(dir), "BUNDLE_LABEL_EMBEDDING_MISSING", "nodule");
  });

  it("refuses requireGpu without a usable CUDA provider, and falls back to CPU when CUDA is only preferred", async () => {
    expectError(await loadError(demo, { ...CPU, requireGpu: true }), "GPU_UNAVAILABLE", "cuda");
    let model: ZeroShotModel | undefined;
    try {
      model = await loadModel(demo, {
        ...CPU,
        executionProviders: ["cuda", "cpu"],
        requireGpu: true,
      });
      // Only on a machine whose onnxruntime-node has the CUDA provider.
      expect(model.identity.executionProvider).to.equal("cuda");
    } catch (err) {
      expectError(err as RadzError, "GPU_UNAVAILABLE", "CUDA");
    } finally {
      await model?.close();
    }
    const fallback = await loadModel(demo, { ...CPU, executionProviders: ["cuda", "cpu"] });
    try {
      expect(["cuda", "cpu"]).to.include(fallback.identity.executionProvider);
    } finally {
      await fallback.close();
    }
  });

  it("caches computed label embeddings and gives the same scores from the cache", async () => {
    const cache = tempDir("radz-embcache-");
    dirs.push(cache);
    const input = new Float32Array(224 * 224).map((_, i) => (i % 224) / 224);
    const first = await loadModel(demo, { ...CPU, embeddingCacheDir: cache });
    const a = await first.scoreImages([input]);
    await first.close();
    expect(readdirSync(cache).filter((f) => f.startsWith("label-embeddings-"))).to.have.length(1);
    const log = logSink();
    const second = await loadModel(demo, {
      ...CPU,
      embeddingCacheDir: cache,
      logger: log.logger,
    });
    const b = await second.scoreImages([input]);
    await second.close();
    expect(log.text()).to.contain("label embeddings read from cache");
    expect(b).to.deep.equal(a);
  });

  it("rejects use after close", async () => {
    const model = await loadModel(demo, CPU);
    await model.close();
    try {
      await model.scoreImages([new Float32Array(224 * 224)]);
      expect.fail("expected a rejection");
    } catch (err) {
      expect((err as RadzError).code).to.equal("INFERENCE_FAILED");
    }
  });
});
