/**
 * The demonstration text side: a word-level vocabulary whose word vectors
 * live in the same embedding space as the demo image encoder's output, a
 * tokenizer.json that @huggingface/tokenizers loads (WordLevel model,
 * Lowercase normaliser, Whitespace pre-tokenizer), and an ONNX text encoder
 * (Gather -> masked mean -> L2 normalise).
 *
 * Embedding axes before a fixed random rotation: 0 "normal study", 1..5 the
 * five findings (SYNTHETIC_LABELS order), 6 function words, 7 unknown words,
 * 8.. small per-word "texture" so that no two words are identical. Finding
 * words point along their finding's axis (some are shared, e.g. "opacity"),
 * negation and normality words ("no", "without", "normal", "clear") along the
 * normal axis, function words weakly along axis 6, which images never use.
 */
import { Prng } from "../synthetic/index.js";
import { GraphBuilder } from "./onnx-graph.js";

export const DEMO_EMBEDDING_SIZE = 32;
export const AXIS = {
  normal: 0,
  pleural_effusion: 1,
  pneumothorax: 2,
  cardiomegaly: 3,
  consolidation: 4,
  nodule: 5,
  filler: 6,
  unknown: 7,
} as const;
type Axis = keyof typeof AXIS;
const TEXTURE_FROM = 8;

export const PAD_TOKEN = "[PAD]";
export const UNK_TOKEN = "[UNK]";

/** Word -> weights on named axes. Words not listed are function words. */
const WORD_AXES: Record<string, Partial<Record<Axis, number>>> = {
  // negation and normality
  no: { normal: 1.8 },
  not: { normal: 1.5 },
  without: { normal: 1.5 },
  normal: { normal: 1.2 },
  clear: { normal: 1.2 },
  unremarkable: { normal: 1.0 },
  negative: { normal: 0.8 },
  expanded: { normal: 0.6 },
  fully: { normal: 0.3 },
  // pleural effusion
  effusion: { pleural_effusion: 1 },
  effusions: { pleural_effusion: 1 },
  fluid: { pleural_effusion: 0.8, consolidation: 0.05 },
  costophrenic: { pleural_effusion: 1 },
  blunting: { pleural_effusion: 0.9 },
  blunts: { pleural_effusion: 0.9 },
  meniscus: { pleural_effusion: 1 },
  base: { pleural_effusion: 0.5 },
  basal: { pleural_effusion: 0.5 },
  homogeneous: { pleural_effusion: 0.3 },
  pleural: { pleural_effusion: 0.3, pneumothorax: 0.2, filler: 0.2 },
  // pneumothorax
  pneumothorax: { pneumothorax: 1 },
  collapsed: { pneumothorax: 0.9 },
  collapse: { pneumothorax: 0.9 },
  visceral: { pneumothorax: 0.8 },
  line: { pneumothorax: 0.3 },
  hyperlucent: { pneumothorax: 1 },
  lucent: { pneumothorax: 1 },
  rim: { pneumothorax: 0.5 },
  apical: { pneumothorax: 0.4 },
  air: { pneumothorax: 0.6, consolidation: 0.05 },
  // cardiomegaly
  cardiomegaly: { cardiomegaly: 1 },
  enlarged: { cardiomegaly: 0.8 },
  enlargement: { cardiomegaly: 0.8 },
  widens: { cardiomegaly: 0.6 },
  heart: { cardiomegaly: 0.9 },
  cardiac: { cardiomegaly: 0.9 },
  silhouette: { cardiomegaly: 0.8 },
  cardiothoracic: { cardiomegaly: 1 },
  ratio: { cardiomegaly: 0.3 },
  mediastinal: { cardiomegaly: 0.4 },
  // consolidation
  consolidation: { consolidation: 1 },
  airspace: { consolidation: 0.9 },
  alveolar: { consolidation: 0.7 },
  bronchograms: { consolidation: 1 },
  pneumonia: { consolidation: 0.9 },
  lobar: { consolidation: 0.8 },
  confluent: { consolidation: 0.8 },
  dense: { consolidation: 0.6, nodule: 0.05 },
  opacity: { consolidation: 0.25, pleural_effusion: 0.08, nodule: 0.12, filler: 0.2 },
  // nodule
  nodule: { nodule: 1 },
  nodular: { nodule: 1 },
  pulmonary: { nodule: 0.3 },
  round: { nodule: 0.9 },
  rounded: { nodule: 0.9 },
  circumscribed: { nodule: 0.9 },
  solitary: { nodule: 0.8 },
  focal: { nodule: 0.4, consolidation: 0.1 },
  small: { nodule: 0.4 },
  density: { nodule: 0.5, consolidation: 0.1 },
};

/** Function words and punctuation the vocabulary always has. */
const FUNCTION_WORDS = [
  ".",
  ",",
  ";",
  ":",
  "-",
  "a",
  "an",
  "the",
  "is",
  "are",
  "of",
  "in",
  "on",
  "at",
  "to",
  "with",
  "and",
  "or",
  "as",
  "by",
  "be",
  "there",
  "seen",
  "visible",
  "appears",
  "shows",
  "lung",
  "lungs",
  "chest",
  "radiograph",
  "frontal",
  "space",
  "angle",
  "angles",
  "wall",
  "lateral",
  "size",
  "field",
  "fields",
  "both",
  "one",
  "half",
  "above",
  "up",
  "three",
  "centimetres",
  "often",
  "can",
  "cause",
  "that",
  "which",
  "into",
  "toward",
  "beyond",
  "along",
  "rises",
  "forms",
  "collecting",
  "replaced",
  "cells",
  "vessels",
  "lacking",
  "surrounded",
  "aerated",
  "well",
  "shadow",
  "obscures",
  "thin",
  "finding",
  "evidence",
];

/** Splits like the Whitespace pre-tokenizer (\w+|[^\w\s]+) after lowercasing. */
export function demoWords(text: string): string[] {
  return text.toLowerCase().match(/\w+|[^\w\s]+/gu) ?? [];
}

/** The vocabulary: [PAD]=0, [UNK]=1, then every known and listed word, sorted. */
export function demoVocabulary(extraTexts: readonly string[]): string[] {
  const words = new Set<string>([...Object.keys(WORD_AXES), ...FUNCTION_WORDS]);
  for (const t of extraTexts) for (const w of demoWords(t)) words.add(w);
  words.delete(PAD_TOKEN);
  words.delete(UNK_TOKEN);
  return [PAD_TOKEN, UNK_TOKEN, ...[...words].sort()];
}

/** A deterministic orthonormal D x D matrix (Gram-Schmidt on seeded uniform entries). */
export function demoRotation(seed = 20240601): Float64Array {
  const D = DEMO_EMBEDDING_SIZE;
  const rng = new Prng(seed, 77);
  const q = new Float64Array(D * D);
  for (let i = 0; i < D; i++) {
    const row = new Float64Array(D);
    for (let j = 0; j < D; j++) row[j] = rng.uniform(-1, 1);
    for (let k = 0; k < i; k++) {
      let d = 0;
      for (let j = 0; j < D; j++) d += row[j]! * q[k * D + j]!;
      for (let j = 0; j < D; j++) row[j]! -= d * q[k * D + j]!;
    }
    let n = 0;
    for (let j = 0; j < D; j++) n += row[j]! * row[j]!;
    n = Math.sqrt(n);
    for (let j = 0; j < D; j++) q[i * D + j] = row[j]! / n;
  }
  return q;
}

/** Rotates a basis-coordinate vector into the published embedding space: v Q (Q's rows are the basis directions). */
export function rotate(v: ArrayLike<number>, q: Float64Array): Float32Array {
  const D = DEMO_EMBEDDING_SIZE;
  const out = new Float32Array(D);
  for (let j = 0; j < D; j++) {
    let s = 0;
    for (let i = 0; i < D; i++) s += v[i]! * q[i * D + j]!;
    out[j] = s;
  }
  return out;
}

/** The basis-coordinate vector of one word (before rotation). */
export function demoWordVector(word: string): Float64Array {
  const D = DEMO_EMBEDDING_SIZE;
  const v = new Float64Array(D);
  if (word === PAD_TOKEN) return v;
  // Per-word texture: a seeded hash of the word.
  let h = 2166136261;
  for (let i = 0; i < word.length; i++) h = Math.imul(h ^ word.charCodeAt(i), 16777619);
  const rng = new Prng(h >>> 0, 5);
  for (let j = TEXTURE_FROM; j < D; j++) v[j] = rng.uniform(-0.03, 0.03);
  if (word === UNK_TOKEN) {
    v[AXIS.unknown] = 0.25;
    return v;
  }
  const axes = WORD_AXES[word];
  if (axes) {
    for (const [axis, w] of Object.entries(axes) as [Axis, number][]) v[AXIS[axis]] = w;
  } else {
    v[AXIS.filler] = /^\w/.test(word) ? 0.25 : 0.1;
  }
  return v;
}

/** Word-embedding table [vocab, D] in the rotated space. */
export function demoEmbeddingTable(vocab: readonly string[], q: Float64Array): Float32Array {
  const D = DEMO_EMBEDDING_SIZE;
  const table = new Float32Array(vocab.length * D);
  vocab.forEach((w, i) => table.set(rotate(demoWordVector(w), q), i * D));
  return table;
}

/** tokenizer.json (Hugging Face tokenizers format, WordLevel model). */
export function demoTokenizerJson(vocab: readonly string[]): object {
  const special = (id: number, content: string) => ({
    id,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  });
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: [special(0, PAD_TOKEN), special(1, UNK_TOKEN)],
    normalizer: { type: "Lowercase" },
    pre_tokenizer: { type: "Whitespace" },
    post_processor: null,
    decoder: null,
    model: {
      type: "WordLevel",
      vocab: Object.fromEntries(vocab.map((w, i) => [w, i])),
      unk_token: UNK_TOKEN,
    },
  };
}

export function demoTokenizerConfig(maxLength: number): object {
  return {
    tokenizer_class: "PreTrainedTokenizerFast",
    unk_token: UNK_TOKEN,
    pad_token: PAD_TOKEN,
    model_max_length: maxLength,
  };
}

/**
 * Text encoder: input_ids int64 [batch, seq], attention_mask int64 [batch, seq]
 * -> text_embedding float [batch, D] = L2-normalised masked mean of word vectors.
 */
export function buildDemoTextEncoder(
  table: Float32Array,
  vocabSize: number,
  docString: string,
): Uint8Array {
  const D = DEMO_EMBEDDING_SIZE;
  const g = new GraphBuilder("radz_demo_text_encoder");
  const ids = g.input("input_ids", "int64", ["batch", "sequence"]);
  const mask = g.input("attention_mask", "int64", ["batch", "sequence"]);
  const words = g.op("Gather", [g.floats(table, [vocabSize, D], "word_embeddings"), ids], {
    axis: 0,
  });
  const m = g.op("Unsqueeze", [g.op("Cast", [mask], { to: 1 }), g.ints([2])]);
  const sum = g.op("ReduceSum", [g.op("Mul", [words, m]), g.ints([1])], { keepdims: 0 });
  const count = g.op("Max", [g.op("ReduceSum", [m, g.ints([1])], { keepdims: 0 }), g.scalar(1)]);
  const mean = g.op("Div", [sum, count]);
  const norm = g.op("Max", [g.op("ReduceL2", [mean], { axes: [1], keepdims: 1 }), g.scalar(1e-12)]);
  g.output(g.op("Div", [mean, norm]), "text_embedding", "float32", ["batch", D]);
  return g.toBytes({ producerName: "radz", producerVersion: "1", docString });
}

/** The same computation in JavaScript, for build-time reasoning about the demo bundle. */
export function embedTokenIds(ids: readonly number[], table: Float32Array): Float32Array {
  const D = DEMO_EMBEDDING_SIZE;
  const acc = new Float64Array(D);
  for (const id of ids) for (let j = 0; j < D; j++) acc[j]! += table[id * D + j]!;
  const n = Math.max(1, ids.length);
  let norm = 0;
  for (let j = 0; j < D; j++) norm += (acc[j]! / n) ** 2;
  norm = Math.max(Math.sqrt(norm), 1e-12);
  return Float32Array.from(acc, (v) => v / n / norm);
}
