/**
 * writeDemoBundle: generates, deterministically from code, a small
 * demonstration model bundle for the synthetic phantom studies
 * (src/synthetic/): real ONNX image and text encoders, a word-level
 * tokenizer, prompts and knowledge descriptions for the five synthetic
 * findings, Platt calibration and thresholds. Every output it drives says
 * `synthetic: true`. It is NOT a medical device and knows nothing about real
 * radiographs.
 *
 * How the pieces fit: the image encoder measures one feature per finding and
 * places the image at  b * normal + sum_k f_k * finding_k  in the embedding
 * space; the text encoder places "pleural effusion" near finding_1 and "no
 * pleural effusion" between finding_1 and normal. Each feature's gain is set
 * here, from the actual text embeddings, so that cos(image, positive) =
 * cos(image, negative) exactly where the feature crosses the midpoint between
 * the synthetic negatives and positives; above it the positive prompt wins.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { Tokenizer } from "@huggingface/tokenizers";
import { SYNTHETIC_LABELS, type SyntheticLabel } from "../synthetic/index.js";
import type { BundleLabel, BundleManifest, BundleManifestInput } from "./bundle-schema.js";
import { parseBundleManifest } from "./bundle-schema.js";
import { sha256Bytes } from "./bundle-files.js";
import { FINDING_CONCEPTS, RADZ_CODING_SCHEME } from "./concepts.js";
import {
  DEMO_FEATURE_COUNT,
  DEMO_GRADED_COUNT,
  DEMO_GRADED_FEATURES,
  DEMO_IMAGE_SIZE,
  buildDemoImageEncoder,
} from "./demo-image-encoder.js";
import {
  AXIS,
  DEMO_EMBEDDING_SIZE,
  buildDemoTextEncoder,
  demoEmbeddingTable,
  demoRotation,
  demoTokenizerConfig,
  demoTokenizerJson,
  demoVocabulary,
  embedTokenIds,
  rotate,
} from "./demo-text.js";
import { computeLabelEmbeddings } from "./label-embeddings.js";
import { dot } from "./zero-shot.js";

export const DEMO_BUNDLE_ID = "radz-demo-synthetic";
export const DEMO_BUNDLE_VERSION = "1.0.0";
const MAX_TEXT_LENGTH = 48;
/** Length of the constant "normal study" component of every image embedding. */
const NORMAL_BIAS = 1;
/** A feature saturates at this multiple of its decision boundary. */
const FEATURE_CAP = 2.5;

interface DemoLabelText {
  readonly display: string;
  readonly positive: readonly string[];
  readonly negative: readonly string[];
  readonly knowledge: readonly string[];
  readonly triageWeight: number;
}

/** Prompts (CheXzero-style positive/negative) and knowledge descriptions (LLaVA-RadZ-style anchors). */
export const DEMO_LABEL_TEXT: Record<SyntheticLabel, DemoLabelText> = {
  pleural_effusion: {
    display: "Pleural effusion",
    positive: [
      "pleural effusion",
      "there is a pleural effusion",
      "fluid in the pleural space",
      "blunting of the costophrenic angle",
    ],
    negative: [
      "no pleural effusion",
      "there is no pleural effusion",
      "the costophrenic angles are clear",
    ],
    knowledge: [
      "pleural effusion is fluid collecting in the pleural space, seen as a homogeneous opacity at the lung base",
      "a pleural effusion blunts the costophrenic angle and forms a meniscus that rises along the lateral chest wall",
    ],
    triageWeight: 0.6,
  },
  pneumothorax: {
    display: "Pneumothorax",
    positive: [
      "pneumothorax",
      "there is a pneumothorax",
      "air in the pleural space with a collapsed lung",
    ],
    negative: ["no pneumothorax", "there is no pneumothorax", "the lungs are fully expanded"],
    knowledge: [
      "pneumothorax is air in the pleural space; a thin visceral pleural line is seen with a lucent rim lacking vessels beyond it",
      "a pneumothorax appears as a hyperlucent apical or lateral rim along the chest wall",
    ],
    triageWeight: 1,
  },
  cardiomegaly: {
    display: "Cardiomegaly",
    positive: ["cardiomegaly", "the heart is enlarged", "enlarged cardiac silhouette"],
    negative: ["no cardiomegaly", "the heart size is normal", "normal cardiac silhouette"],
    knowledge: [
      "cardiomegaly is enlargement of the heart, with a cardiothoracic ratio above one half on a frontal radiograph",
      "an enlarged cardiac silhouette widens the mediastinal shadow toward both lung fields",
    ],
    triageWeight: 0.4,
  },
  consolidation: {
    display: "Consolidation",
    positive: ["consolidation", "there is a focal consolidation", "airspace opacity in the lung"],
    negative: ["no consolidation", "there is no focal consolidation", "the lungs are clear"],
    knowledge: [
      "consolidation is alveolar air replaced by fluid or cells, seen as a dense airspace opacity, often with air bronchograms",
      "pneumonia can cause a confluent lobar consolidation that obscures vessels",
    ],
    triageWeight: 0.7,
  },
  nodule: {
    display: "Lung nodule",
    positive: ["lung nodule", "there is a pulmonary nodule", "a small round nodular opacity"],
    negative: ["no lung nodule", "there is no pulmonary nodule", "no focal nodular opacity"],
    knowledge: [
      "a pulmonary nodule is a small round well circumscribed opacity up to three centimetres in the lung",
      "a solitary nodule appears as a focal rounded density surrounded by aerated lung",
    ],
    triageWeight: 0.5,
  },
};

/**
 * Image-feature operating points (measured on synthetic sets, seeds 1, 2, 7):
 * `floor` sits just above the negatives' maximum (the ReLU threshold),
 * `midpoint` halfway between the negatives' maximum and the positives' minimum.
 */
export const DEMO_FEATURE_POINTS: Record<SyntheticLabel, { floor: number; midpoint: number }> = {
  pleural_effusion: { floor: 0.2, midpoint: 0.38 },
  pneumothorax: { floor: 0.02, midpoint: 0.14 },
  cardiomegaly: { floor: 0.55, midpoint: 0.63 },
  consolidation: { floor: 0.05, midpoint: 0.095 },
  nodule: { floor: 0.075, midpoint: 0.115 },
};

/**
 * The graded image statistics beyond the finding measurements (DEMO_GRADED_FEATURES after the
 * five findings), each recorded as (value - offset) * gain: offset about the `default` site's
 * median, gain about one unit across its range (measured on `default`, seed 8001).
 */
const DEMO_IMAGE_STATISTICS: Record<
  Exclude<(typeof DEMO_GRADED_FEATURES)[number], SyntheticLabel>,
  { offset: number; gain: number }
> = {
  chest_mean: { offset: 0.3, gain: 10 },
  chest_mean_square: { offset: 0.12, gain: 10 },
  pneumothorax_soft: { offset: 0.3, gain: 3 },
  nodule_ungated: { offset: 0.2, gain: 5 },
  cardiac_band_mean: { offset: 0.5, gain: 5 },
};
/**
 * Length of the graded part relative to the finding part (a graded finding measurement at its
 * midpoint is GRADED_SCALE times the decision boundary long). Kept moderate: the loader
 * L2-normalises the embedding, so the graded part lengthens every cosine's denominator (zero-shot
 * macro AUROC on `shifted` 0.811 -> 0.807; `default` 1.000 as before).
 */
const GRADED_SCALE = 0.5;

/**
 * Per label: Platt calibration on the raw logit (fitted by test/model/fit-demo-calibration.ts on
 * synthetic seed 1001, 300 studies; raw logits do not depend on this table) and the operating threshold.
 */
export const DEMO_CALIBRATION: Record<SyntheticLabel, { a: number; b: number; threshold: number }> =
  {
    pleural_effusion: { a: 2.7642, b: -0.7364, threshold: 0.5 },
    pneumothorax: { a: 2.3797, b: -1.7216, threshold: 0.5 },
    cardiomegaly: { a: 2.8309, b: -0.7229, threshold: 0.5 },
    consolidation: { a: 2.3045, b: -2.1347, threshold: 0.5 },
    nodule: { a: 2.5228, b: -0.3128, threshold: 0.5 },
  };

export const DEMO_LOGIT_SCALE = 20;

const FILES = {
  imageEncoder: "image-encoder.onnx",
  textEncoder: "text-encoder.onnx",
  tokenizer: "tokenizer.json",
  tokenizerConfig: "tokenizer_config.json",
} as const;

function demoLabels(): BundleLabel[] {
  return SYNTHETIC_LABELS.map((id) => {
    const t = DEMO_LABEL_TEXT[id];
    const c = DEMO_CALIBRATION[id];
    return {
      id,
      display: t.display,
      concept: FINDING_CONCEPTS[id],
      prompts: { positive: [...t.positive], negative: [...t.negative] },
      knowledge: [...t.knowledge],
      combine: { promptWeight: 0.6, knowledgeWeight: 0.4 },
      calibration: { method: "platt", a: c.a, b: c.b },
      threshold: c.threshold,
      triageWeight: t.triageWeight,
    };
  });
}

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/** `start` with its components along `basis` removed (modified Gram-Schmidt, float64), unit length. */
function orthogonalComplementVector(
  start: ArrayLike<number>,
  basis: readonly ArrayLike<number>[],
): Float32Array {
  const ortho: Float64Array[] = [];
  for (const b of basis) {
    const v = Float64Array.from(b);
    for (const o of ortho) {
      const d = dot(v, o);
      for (let i = 0; i < v.length; i++) v[i]! -= d * o[i]!;
    }
    const n = Math.sqrt(dot(v, v));
    if (n > 1e-9) ortho.push(v.map((x) => x / n));
  }
  const u = Float64Array.from(start);
  for (let pass = 0; pass < 2; pass++)
    for (const o of ortho) {
      const d = dot(u, o);
      for (let i = 0; i < u.length; i++) u[i]! -= d * o[i]!;
    }
  const n = Math.sqrt(dot(u, u));
  if (!(n > 1e-6)) throw new Error("demo bundle: no free direction for the patch fill");
  return Float32Array.from(u, (x) => x / n);
}

/** All files of the demo bundle, bundle.json last, as bytes (deterministic). */
export async function demoBundleFiles(): Promise<Map<string, Uint8Array>> {
  const labels = demoLabels();
  const texts = labels.flatMap((l) => [
    ...l.prompts.positive,
    ...l.prompts.negative,
    ...l.knowledge,
  ]);
  const vocab = demoVocabulary(texts);
  const q = demoRotation();
  const table = demoEmbeddingTable(vocab, q);
  const tokenizerJson = demoTokenizerJson(vocab);
  const tokenizerConfig = demoTokenizerConfig(MAX_TEXT_LENGTH);
  const files = new Map<string, Uint8Array>();
  files.set(FILES.tokenizer, utf8(`${JSON.stringify(tokenizerJson, null, 1)}\n`));
  files.set(FILES.tokenizerConfig, utf8(`${JSON.stringify(tokenizerConfig, null, 2)}\n`));
  files.set(
    FILES.textEncoder,
    buildDemoTextEncoder(
      table,
      vocab.length,
      "RadZ demo text encoder: word vectors, masked mean, L2 normalisation. Synthetic.",
    ),
  );

  // Label embeddings exactly as the loader will compute them (same tokenizer, same pooling).
  const tokenizer = new Tokenizer(tokenizerJson, tokenizerConfig);
  const embeddings = await computeLabelEmbeddings(labels, async (ts) =>
    ts.map((t) => embedTokenIds(tokenizer.encode(t).ids.slice(0, MAX_TEXT_LENGTH), table)),
  );

  // Image side: finding directions, normal bias, and the gain that puts each decision boundary at its midpoint.
  const axisVector = (axis: number): Float32Array => {
    const v = new Float64Array(DEMO_EMBEDDING_SIZE);
    v[axis] = 1;
    return rotate(v, q);
  };
  const normal = axisVector(AXIS.normal);
  const projection = new Float32Array(DEMO_FEATURE_COUNT * DEMO_EMBEDDING_SIZE);
  const thresholds: number[] = [];
  const gains: number[] = [];
  const caps: number[] = [];
  SYNTHETIC_LABELS.forEach((id, k) => {
    const d = axisVector(AXIS[id]);
    projection.set(d, k * DEMO_EMBEDDING_SIZE);
    const pos = embeddings.positive.get(id)!;
    const neg = embeddings.negative.get(id)!;
    const delta = pos.map((v, i) => v - neg[i]!);
    const along = dot(d, delta);
    const normalPart = dot(normal, delta);
    if (!(along > 0 && normalPart < 0))
      throw new Error(`demo label ${id}: prompts do not separate finding from normal`);
    const boundary = (-NORMAL_BIAS * normalPart) / along;
    const { floor, midpoint } = DEMO_FEATURE_POINTS[id];
    thresholds.push(floor);
    gains.push(boundary / (midpoint - floor));
    caps.push(FEATURE_CAP * boundary);
  });
  const bias = Float32Array.from(normal, (v) => v * NORMAL_BIAS);
  // A direction no label text and no image feature uses: Gram-Schmidt of the last axis
  // against the normal, the finding directions and every label embedding.
  const used: Float32Array[] = [
    normal,
    ...SYNTHETIC_LABELS.map((id) => axisVector(AXIS[id])),
    ...SYNTHETIC_LABELS.flatMap((id) => [
      embeddings.positive.get(id)!,
      embeddings.negative.get(id)!,
    ]),
  ];
  const patchFill = orthogonalComplementVector(axisVector(DEMO_EMBEDDING_SIZE - 1), used);
  // The graded features' directions: further free directions, orthogonal to all of the above,
  // to the patch fill and to each other (from the next axes down).
  const gradedProjection = new Float32Array(DEMO_GRADED_COUNT * DEMO_EMBEDDING_SIZE);
  const taken: Float32Array[] = [...used, patchFill];
  for (let k = 0; k < DEMO_GRADED_COUNT; k++) {
    const u = orthogonalComplementVector(axisVector(DEMO_EMBEDDING_SIZE - 2 - k), taken);
    taken.push(u);
    gradedProjection.set(u, k * DEMO_EMBEDDING_SIZE);
  }
  const statistics = DEMO_GRADED_FEATURES.slice(DEMO_FEATURE_COUNT).map(
    (f) => DEMO_IMAGE_STATISTICS[f as keyof typeof DEMO_IMAGE_STATISTICS],
  );
  const graded = {
    offsets: [
      ...SYNTHETIC_LABELS.map((id) => DEMO_FEATURE_POINTS[id].floor),
      ...statistics.map((p) => p.offset),
    ],
    gains: [...gains, ...statistics.map((p) => p.gain)].map((v) => v * GRADED_SCALE),
    projection: gradedProjection,
  };
  files.set(
    FILES.imageEncoder,
    buildDemoImageEncoder(
      {
        embeddingSize: DEMO_EMBEDDING_SIZE,
        thresholds,
        gains,
        caps,
        projection,
        bias,
        patchFill,
        graded,
      },
      "RadZ demo image encoder: fixed filters and region masks for the synthetic phantom's findings. Synthetic; not a medical device.",
    ),
  );

  const ref = (file: string) => ({ file, sha256: sha256Bytes(files.get(file)!) });
  const manifest: BundleManifestInput = {
    schemaVersion: 2,
    identity: {
      id: DEMO_BUNDLE_ID,
      name: "RadZ synthetic demonstration model (not a medical device)",
      version: DEMO_BUNDLE_VERSION,
      license: "Apache-2.0",
      intendedUse:
        "Demonstration and testing of the RadZ pipeline on RadZ synthetic phantom images only. Not a medical device; not for clinical use; meaningless on real radiographs.",
      source:
        "Generated deterministically from code by radz (src/model/demo-bundle.ts); no training data, no learned weights.",
      citation:
        "Scoring follows the CheXzero positive/negative prompt softmax (Tiu et al., Nature Biomedical Engineering 2022); knowledge descriptions follow the LLaVA-RadZ domain-knowledge anchor idea.",
      synthetic: true,
    },
    imageEncoder: {
      ...ref(FILES.imageEncoder),
      inputName: "image",
      outputName: "embedding",
      spatialOutputName: "patch_embeddings",
      embeddingSize: DEMO_EMBEDDING_SIZE,
    },
    textEncoder: {
      ...ref(FILES.textEncoder),
      tokenizer: { ...ref(FILES.tokenizer), config: ref(FILES.tokenizerConfig) },
      inputIdsName: "input_ids",
      attentionMaskName: "attention_mask",
      outputName: "text_embedding",
      maxLength: MAX_TEXT_LENGTH,
    },
    preprocess: {
      size: DEMO_IMAGE_SIZE,
      resize: "area",
      fit: "pad",
      padValue: 0,
      channels: 1,
      scale: "unit",
      quantize8: false,
      mean: [0],
      std: [1],
    },
    scoring: {
      similarity: "cosine",
      logitScale: DEMO_LOGIT_SCALE,
      mode: "posneg-softmax",
      bias: 0,
    },
    codingSchemes: [{ ...RADZ_CODING_SCHEME }],
    labels,
  };
  const checked: BundleManifest = parseBundleManifest(manifest);
  files.set("bundle.json", utf8(`${JSON.stringify(checked, null, 2)}\n`));
  return files;
}

/** Writes the demonstration bundle into `dir` (created if needed). Same bytes on every run. */
export async function writeDemoBundle(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const [name, bytes] of await demoBundleFiles()) await writeFile(path.join(dir, name), bytes);
}
