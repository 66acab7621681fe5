import { readFileSync, readdirSync, rmSync } from "node:fs";
import path from "node:path";
import { Tokenizer } from "@huggingface/tokenizers";
import { expect } from "chai";
import * as ort from "onnxruntime-node";
import {
  computeLabelEmbeddings,
  readBundleManifest,
  writeDemoBundle,
} from "../../src/model/index.js";
import {
  AXIS,
  DEMO_EMBEDDING_SIZE,
  demoEmbeddingTable,
  demoRotation,
  embedTokenIds,
  rotate,
} from "../../src/model/demo-text.js";
import { BundleTextEncoder } from "../../src/model/text-encoder.js";
import { DEMO_IMAGE_SIZE } from "../../src/model/demo-image-encoder.js";
import { cosine, dot } from "../../src/model/zero-shot.js";
import { silentLogger } from "../../src/observability/logger.js";
import { sha256, tempDir } from "./bundle-fixtures.js";

describe("demo bundle", () => {
  let a: string;
  let b: string;
  before(async () => {
    a = tempDir("radz-demo-a-");
    b = tempDir("radz-demo-b-");
    await writeDemoBundle(a);
    await writeDemoBundle(b);
  });
  after(() => {
    rmSync(a, { recursive: true, force: true });
    rmSync(b, { recursive: true, force: true });
  });

  it("is generated deterministically, with every file hashed in bundle.json", async () => {
    const files = readdirSync(a).sort();
    expect(files).to.deep.equal([
      "bundle.json",
      "image-encoder.onnx",
      "text-encoder.onnx",
      "tokenizer.json",
      "tokenizer_config.json",
    ]);
    for (const f of files)
      expect(sha256(readFileSync(path.join(a, f))), f).to.equal(
        sha256(readFileSync(path.join(b, f))),
      );
    const m = await readBundleManifest(a);
    expect(m.imageEncoder.sha256).to.equal(
      sha256(readFileSync(path.join(a, "image-encoder.onnx"))),
    );
    expect(m.textEncoder!.tokenizer.sha256).to.equal(
      sha256(readFileSync(path.join(a, "tokenizer.json"))),
    );
    expect(m.identity.synthetic).to.equal(true);
    expect(m.labels.find((l) => l.id === "cardiomegaly")!.concept.scheme).to.equal("99RADZ");
  });

  it("has a WordLevel tokenizer that @huggingface/tokenizers loads (lowercase, whitespace split, [UNK])", () => {
    const json = JSON.parse(readFileSync(path.join(a, "tokenizer.json"), "utf8")) as object;
    const config = JSON.parse(
      readFileSync(path.join(a, "tokenizer_config.json"), "utf8"),
    ) as object;
    const tok = new Tokenizer(json, config);
    const enc = tok.encode("No PLEURAL effusion, zebra.");
    expect(enc.tokens).to.deep.equal(["no", "pleural", "effusion", ",", "zebra", "."]);
    expect(enc.ids[4]).to.equal(1); // [UNK]
    expect(enc.ids.every((id: number) => id > 0)).to.equal(true);
  });

  it("has an ONNX text encoder equal to the masked mean of word vectors, with negation pointing to 'normal'", async () => {
    const m = await readBundleManifest(a);
    const encoder = await BundleTextEncoder.open(a, m.textEncoder!, DEMO_EMBEDDING_SIZE, {
      executionProviders: ["cpu"],
      requireGpu: false,
      logger: silentLogger(),
    });
    try {
      const texts = [
        "pleural effusion",
        "there is no pleural effusion",
        "the heart is enlarged",
        "unknownword",
      ];
      const onnxOut = await encoder.embed(texts);
      const json = JSON.parse(readFileSync(path.join(a, "tokenizer.json"), "utf8")) as {
        model: { vocab: Record<string, number> };
      };
      const vocab = Object.entries(json.model.vocab)
        .sort((x, y) => x[1] - y[1])
        .map(([w]) => w);
      const q = demoRotation();
      const table = demoEmbeddingTable(vocab, q);
      texts.forEach((t, i) => {
        const js = embedTokenIds(encoder.tokenize(t), table);
        for (let j = 0; j < DEMO_EMBEDDING_SIZE; j++)
          expect(onnxOut[i]![j]).to.be.closeTo(js[j]!, 1e-6);
      });
      const axis = (k: number): Float32Array => {
        const v = new Float64Array(DEMO_EMBEDDING_SIZE);
        v[k] = 1;
        return rotate(v, q);
      };
      const effusion = axis(AXIS.pleural_effusion);
      const normal = axis(AXIS.normal);
      expect(cosine(onnxOut[0]!, effusion)).to.be.above(cosine(onnxOut[1]!, effusion));
      expect(cosine(onnxOut[1]!, normal)).to.be.above(0.5);
      expect(cosine(onnxOut[0]!, normal)).to.be.below(0.05);
      expect(cosine(onnxOut[2]!, axis(AXIS.cardiomegaly))).to.be.above(0.7);
    } finally {
      await encoder.close();
    }
  });

  it("records image content its zero-shot readout ignores, orthogonal to every label text", async () => {
    const m = await readBundleManifest(a);
    const encoder = await BundleTextEncoder.open(a, m.textEncoder!, DEMO_EMBEDDING_SIZE, {
      executionProviders: ["cpu"],
      requireGpu: false,
      logger: silentLogger(),
    });
    const session = await ort.InferenceSession.create(path.join(a, "image-encoder.onnx"));
    try {
      const texts = m.labels.flatMap((l) => [
        ...l.prompts.positive,
        ...l.prompts.negative,
        ...l.knowledge,
      ]);
      const textEmbeddings = await encoder.embed(texts);
      // Two uniform images darker than every finding's floor: the finding part of their
      // embeddings is the same (the normal bias); only the graded exposure statistics differ.
      const n = DEMO_IMAGE_SIZE * DEMO_IMAGE_SIZE;
      const image = new Float32Array(2 * n);
      image.fill(0.22, 0, n);
      image.fill(0.3, n);
      const out = await session.run({
        image: new ort.Tensor("float32", image, [2, 1, DEMO_IMAGE_SIZE, DEMO_IMAGE_SIZE]),
      });
      const e = out.embedding!.data as Float32Array;
      const d = Float32Array.from(
        { length: DEMO_EMBEDDING_SIZE },
        (_, j) => e[j]! - e[DEMO_EMBEDDING_SIZE + j]!,
      );
      const length = Math.sqrt(dot(d, d));
      expect(length).to.be.above(0.3);
      // Orthogonal to every label's positive and negative embedding (what scoring reads)...
      const labels = await computeLabelEmbeddings(m.labels, (ts) => encoder.embed(ts));
      for (const l of m.labels)
        for (const t of [labels.positive.get(l.id)!, labels.negative.get(l.id)!])
          expect(Math.abs(dot(d, t))).to.be.below(1e-5);
      // ...and nearly so to each single prompt and description (their word textures span the space).
      for (const t of textEmbeddings) expect(Math.abs(dot(d, t)) / length).to.be.below(0.05);
    } finally {
      await session.release();
      await encoder.close();
    }
  });
});
