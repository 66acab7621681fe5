/**
 * tools/bundles/export_*.py against randomly initialised models of the same
 * architectures (Debian's python3-torch/torchvision/onnx, /usr/bin/python3):
 * each script exports ONNX encoders, a tokenizer.json and bundle.json with
 * hashes; the bundle then loads in RadZ (hash checks, tokenizer, text encoder,
 * label embeddings, warm-up), reproduces PyTorch's outputs, and scores
 * synthetic radiographs through the real imaging path, the same for any batch size.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import * as ort from "onnxruntime-node";
import { decodeFrame, parseInstance, preprocess } from "../../src/imaging/index.js";
import { loadModel, readBundleManifest, type ZeroShotModel } from "../../src/model/index.js";
import { BundleTextEncoder } from "../../src/model/text-encoder.js";
import { silentLogger } from "../../src/observability/logger.js";
import { generateSyntheticStudies } from "../../src/synthetic/index.js";

const PYTHON = "/usr/bin/python3";

interface Parity {
  image: { shape: number[]; data: number[]; embedding: number[][]; patches?: number[][] };
  text: { ids: number[][]; mask?: number[][]; embedding: number[][] };
}

const SCRIPTS = [
  {
    script: "export_chexzero.py",
    id: "chexzero-random-init",
    textInputs: ["input_ids"],
    // MaskCLIP-style patch embeddings: 7 x 7 patches of 32 px at the test's 224 px.
    spatial: true,
  },
  {
    script: "export_biomedclip.py",
    id: "biomedclip-random-init",
    textInputs: ["input_ids", "attention_mask"],
  },
  {
    script: "export_cxrclip.py",
    id: "cxr-clip-random-init",
    textInputs: ["input_ids", "attention_mask"],
    // The projection head at every position of the last ResNet stage: 2 x 2 at 64 px.
    spatial: true,
  },
  {
    script: "export_mllm_embed.py",
    id: "mllm-embed-random-init",
    textInputs: ["input_ids", "attention_mask"],
  },
] as const;

const LABELS = [
  "pleural_effusion",
  "pneumothorax",
  "cardiomegaly",
  "consolidation",
  "nodule",
  "pulmonary_edema",
  "atelectasis",
];

function closeTo(actual: ArrayLike<number>, expected: readonly number[], what: string): void {
  expect(actual.length, what).to.equal(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const tol = 1e-4 * Math.max(1, Math.abs(expected[i]!));
    expect(Math.abs(actual[i]! - expected[i]!), `${what}[${i}]`).to.be.at.most(tol);
  }
}

const i64 = (rows: number[][]) =>
  new ort.Tensor("int64", BigInt64Array.from(rows.flat().map((v) => BigInt(v))), [
    rows.length,
    rows[0]!.length,
  ]);

describe("tools/bundles: export scripts on randomly initialised models", function () {
  this.timeout(300_000);
  let work: string;
  let instances: ReturnType<typeof parseInstance>[];
  before(function () {
    const probe = spawnSync(PYTHON, ["-c", "import torch, torchvision, onnx"], {
      encoding: "utf8",
    });
    if (probe.status !== 0) {
      console.warn(
        `    skipped: ${PYTHON} cannot import torch, torchvision and onnx (apt-get install python3-torch python3-torchvision python3-onnx): ${probe.stderr.trim().split("\n").at(-1)}`,
      );
      this.skip();
    }
    work = mkdtempSync(path.join(os.tmpdir(), "radz-export-"));
    instances = generateSyntheticStudies({
      count: 4,
      seed: 61,
      rows: 160,
      columns: 128,
      findingRate: 0.5,
    }).map((s) => parseInstance(s.instances[0]!));
  });
  after(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  for (const { script, id, textInputs, ...rest } of SCRIPTS) {
    const spatial = "spatial" in rest && rest.spatial;
    it(`${script} --random-init: a bundle that loads, matches PyTorch, and scores in RadZ`, async () => {
      const out = path.join(work, id);
      const parityFile = path.join(work, `${id}.parity.json`);
      const r = spawnSync(
        PYTHON,
        [
          path.resolve("tools/bundles", script),
          "--random-init",
          "--out",
          out,
          "--parity",
          parityFile,
        ],
        {
          encoding: "utf8",
          timeout: 240_000,
          env: { ...process.env, PYTHONWARNINGS: "ignore", PYTHONDONTWRITEBYTECODE: "1" },
        },
      );
      expect(r.status, `${r.stdout}\n${r.stderr}`).to.equal(0);

      const manifest = await readBundleManifest(out);
      expect(manifest.identity.id).to.equal(id);
      expect(manifest.identity.synthetic).to.equal(true);
      expect(manifest.labels.map((l) => l.id)).to.deep.equal(LABELS);
      expect(manifest.textEncoder).to.not.equal(undefined);

      let model: ZeroShotModel | undefined;
      try {
        model = await loadModel(out, {
          executionProviders: ["cpu"],
          requireGpu: false,
          logger: silentLogger(),
        });
        // PyTorch parity: image encoder through RadZ, text encoder straight from its ONNX file.
        const parity = JSON.parse(readFileSync(parityFile, "utf8")) as Parity;
        const per = parity.image.shape.slice(1).reduce((a, b) => a * b, 1);
        const images = parity.image.embedding.map((_, i) =>
          Float32Array.from(parity.image.data.slice(i * per, (i + 1) * per)),
        );
        const embedded = await model.embedImages(images);
        embedded.forEach((e, i) => closeTo(e, parity.image.embedding[i]!, `${id} image ${i}`));
        // The spatial output (schemaVersion 2) matches PyTorch's patch embeddings too.
        expect(manifest.schemaVersion, `${id} schemaVersion`).to.equal(spatial ? 2 : 1);
        expect(model.patchGrid !== null, `${id} spatial output`).to.equal(spatial);
        if (spatial) {
          const encoded = await model.encodeImages(images);
          encoded.forEach((e, i) =>
            closeTo(e.patches!.data, parity.image.patches![i]!, `${id} patches ${i}`),
          );
        }
        const session = await ort.InferenceSession.create(
          path.join(out, manifest.textEncoder!.file),
        );
        const feeds: Record<string, ort.Tensor> = { input_ids: i64(parity.text.ids) };
        if (textInputs.length > 1) feeds.attention_mask = i64(parity.text.mask!);
        const text = (await session.run(feeds)).text_embedding!;
        const dim = parity.text.embedding[0]!.length;
        parity.text.embedding.forEach((row, i) =>
          closeTo(
            (text.data as Float32Array).slice(i * dim, (i + 1) * dim),
            row,
            `${id} text ${i}`,
          ),
        );
        // A text's embedding does not depend on the padding its batch needs.
        const row0 = parity.text.ids[0]!;
        const valid = parity.text.mask
          ? parity.text.mask[0]!.reduce((a, b) => a + b, 0)
          : row0.indexOf(Math.max(...row0)) + 1;
        const aloneFeeds: Record<string, ort.Tensor> = { input_ids: i64([row0.slice(0, valid)]) };
        if (textInputs.length > 1) aloneFeeds.attention_mask = i64([Array<number>(valid).fill(1)]);
        const alone = (await session.run(aloneFeeds)).text_embedding!.data as Float32Array;
        const padded = (text.data as Float32Array).slice(0, dim);
        alone.forEach((v, j) =>
          expect(v, `${id} unpadded text [${j}]`).to.be.closeTo(padded[j]!, 1e-5),
        );
        await session.release();

        // The tokenizer knows the label words (not everything is [UNK]).
        const encoder = await BundleTextEncoder.open(
          out,
          manifest.textEncoder!,
          model.embeddingSize,
          {
            executionProviders: ["cpu"],
            requireGpu: false,
            logger: silentLogger(),
          },
        );
        const ids = encoder.tokenize("no pleural effusion");
        await encoder.close();
        expect(new Set(ids).size, `${id} token ids ${ids.join(",")}`).to.be.at.least(3);

        // Synthetic radiographs through the real decode/preprocess path.
        const tensors = instances.map((inst) =>
          preprocess(
            decodeFrame(inst, { frame: 0, windowIndex: 0, maxPixels: 1e8 }),
            model!.preprocess,
          ),
        );
        const batch = await model.scoreImages(tensors);
        expect(batch).to.have.length(4);
        for (const row of batch) {
          expect(row.map((s) => s.labelId)).to.deep.equal(LABELS);
          for (const s of row) {
            expect(Number.isFinite(s.logit), `${id} ${s.labelId}`).to.equal(true);
            expect(s.probability).to.be.within(0, 1);
          }
        }
        for (let i = 0; i < tensors.length; i++) {
          const [single] = await model.scoreImages([tensors[i]!]);
          single!.forEach((s, k) => expect(s.logit).to.be.closeTo(batch[i]![k]!.logit, 1e-5));
        }
      } finally {
        await model?.close();
      }
    });
  }
});
