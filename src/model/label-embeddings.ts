/**
 * Label embeddings: computed from each label's prompts and knowledge
 * descriptions with the bundle's text encoder, or read from the bundle's
 * precomputed Float32 file; raw text embeddings are cached on disk per text
 * (keyed by bundle id, version, text encoder, tokenizer and sha256 of the text).
 *
 * With a text encoder, labels that have text are embedded from it (the text
 * is the source of truth); precomputed rows fill labels without text. Without
 * a text encoder, precomputed rows are the only source, and a label whose text
 * the configuration changed or added cannot use them. A label left without a
 * positive embedding (or, in posneg-softmax mode, a negative one) fails the
 * load with BUNDLE_LABEL_EMBEDDING_MISSING, listing every such label and how
 * to add them.
 */
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { RadzError } from "../errors.js";
import type { BundleLabel, BundleManifest } from "./bundle-schema.js";
import { sha256Bytes } from "./bundle-files.js";
import { canonicalJson } from "./label-set.js";
import {
  combineLabelEmbedding,
  l2Normalize,
  weightedMeanDirection,
  type ScoringLabel,
} from "./zero-shot.js";

export interface LabelEmbeddingSet {
  readonly positive: ReadonlyMap<string, Float32Array>;
  readonly negative: ReadonlyMap<string, Float32Array>;
}

/** Reads a precomputed embeddings file (little-endian Float32, row-major [rows, dim]). */
export async function readPrecomputedEmbeddings(
  file: string,
  spec: NonNullable<BundleManifest["labelEmbeddings"]>,
): Promise<LabelEmbeddingSet> {
  const bytes = await readFile(file);
  const [rows, dim] = spec.shape;
  if (bytes.byteLength !== rows * dim * 4) {
    throw new RadzError(
      "BUNDLE_INVALID",
      `label embeddings file "${spec.file}" has ${bytes.byteLength} bytes; shape [${rows}, ${dim}] needs ${rows * dim * 4}`,
      {
        details: { file: spec.file },
      },
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const row = (r: number): Float32Array => {
    const v = new Float32Array(dim);
    for (let j = 0; j < dim; j++) v[j] = view.getFloat32((r * dim + j) * 4, true);
    try {
      return l2Normalize(v);
    } catch {
      throw new RadzError(
        "BUNDLE_INVALID",
        `label embeddings file "${spec.file}" row ${r} is zero or not finite`,
        { details: { file: spec.file } },
      );
    }
  };
  const positive = new Map<string, Float32Array>();
  const negative = new Map<string, Float32Array>();
  spec.labelIds.forEach((id, i) => positive.set(id, row(i)));
  spec.negativeLabelIds.forEach((id, i) => negative.set(id, row(spec.labelIds.length + i)));
  return { positive, negative };
}

/** Embeds texts (one vector per text, any scale). */
export type EmbedTexts = (texts: readonly string[]) => Promise<Float32Array[]>;

function hasPositiveText(l: BundleLabel): boolean {
  return (
    (l.prompts.positive.length > 0 && l.combine.promptWeight > 0) ||
    (l.knowledge.length > 0 && l.combine.knowledgeWeight > 0)
  );
}

/** Computes positive (and negative) label embeddings from text, in one batch of all texts. */
export async function computeLabelEmbeddings(
  labels: readonly BundleLabel[],
  embed: EmbedTexts,
): Promise<LabelEmbeddingSet> {
  const texts: string[] = [];
  const index = new Map<string, number>();
  const add = (t: string): void => {
    if (!index.has(t)) {
      index.set(t, texts.length);
      texts.push(t);
    }
  };
  for (const l of labels) {
    l.prompts.positive.forEach(add);
    l.prompts.negative.forEach(add);
    l.knowledge.forEach(add);
  }
  const vectors = texts.length > 0 ? await embed(texts) : [];
  const get = (t: string, labelId: string): Float32Array => {
    const v = vectors[index.get(t)!]!;
    try {
      return l2Normalize(v);
    } catch {
      throw new RadzError(
        "BUNDLE_INVALID",
        `label "${labelId}": the text encoder gives a zero embedding for "${t}"`,
      );
    }
  };
  const positive = new Map<string, Float32Array>();
  const negative = new Map<string, Float32Array>();
  for (const l of labels) {
    if (hasPositiveText(l)) {
      const p = combineLabelEmbedding(
        l.prompts.positive.map((t) => get(t, l.id)),
        l.knowledge.map((t) => get(t, l.id)),
        l.combine,
      );
      if (p) positive.set(l.id, p);
    }
    if (l.prompts.negative.length > 0)
      negative.set(l.id, weightedMeanDirection(l.prompts.negative.map((t) => get(t, l.id))));
  }
  return { positive, negative };
}

/** Every distinct text of the labels (prompts and knowledge), in first-seen order. */
export function labelTexts(labels: readonly BundleLabel[]): string[] {
  const seen = new Set<string>();
  for (const l of labels) {
    for (const t of [...l.prompts.positive, ...l.prompts.negative, ...l.knowledge]) seen.add(t);
  }
  return [...seen];
}

/**
 * Pairs each label with its embeddings, taking each from the first source
 * that has it; labels in `textOnly` (text changed by configuration) take it
 * from `sources[0]` only, the text-computed set, never from precomputed rows
 * that describe the old text. Throws BUNDLE_LABEL_EMBEDDING_MISSING listing
 * every label without one and how to add them.
 */
export function assembleScoringLabels(
  manifest: BundleManifest,
  sources: readonly LabelEmbeddingSet[],
  textOnly: ReadonlySet<string> = new Set(),
): ScoringLabel[] {
  const needsNegative = manifest.scoring.mode === "posneg-softmax";
  const missing: string[] = [];
  const missingIds: string[] = [];
  const out: ScoringLabel[] = [];
  for (const label of manifest.labels) {
    const usable = textOnly.has(label.id)
      ? sources.slice(0, manifest.textEncoder ? 1 : 0)
      : sources;
    const positive = usable.map((s) => s.positive.get(label.id)).find((v) => v !== undefined);
    const negative = usable.map((s) => s.negative.get(label.id)).find((v) => v !== undefined);
    if (!positive || (needsNegative && !negative)) {
      missing.push(!positive ? label.id : `${label.id} (negative)`);
      missingIds.push(label.id);
      continue;
    }
    out.push(needsNegative ? { label, positive, negative } : { label, positive });
  }
  if (missing.length > 0) {
    const negativeNote = needsNegative ? " and, for posneg-softmax, negative prompts" : "";
    const how = manifest.textEncoder
      ? `give them positive prompts or knowledge descriptions${negativeNote} (bundle.json labels or config model.labels), or precomputed rows in labelEmbeddings`
      : `the bundle has no text encoder to compute them from text: add their rows to the bundle's labelEmbeddings file (compute them where the model's text tower runs, e.g. tools/bundles/*.py --labels), or use a bundle that includes a text encoder; see docs/models.md "Adding a label"`;
    throw new RadzError(
      "BUNDLE_LABEL_EMBEDDING_MISSING",
      `no label embedding for: ${missing.join(", ")} (${how})`,
      { details: { labels: missing, labelIds: missingIds } },
    );
  }
  return out;
}

/**
 * The text-embedding cache: one JSON file per (bundle id, version, text
 * encoder, tokenizer) holding the raw text-encoder output per text, keyed by
 * sha256 of the text. Adding a label embeds only its new texts.
 */
export function textCacheKey(manifest: BundleManifest): string {
  const te = manifest.textEncoder;
  return sha256Bytes(
    canonicalJson({
      v: 2,
      bundle: { id: manifest.identity.id, version: manifest.identity.version },
      textEncoder: te
        ? {
            sha256: te.sha256,
            tokenizer: te.tokenizer,
            maxLength: te.maxLength,
            padTokenId: te.padTokenId,
            inputIdsName: te.inputIdsName,
            attentionMaskName: te.attentionMaskName,
            outputName: te.outputName,
          }
        : null,
    }),
  );
}

export const textKey = (text: string): string => sha256Bytes(text);

interface CacheFile {
  readonly v: 2;
  readonly key: string;
  readonly bundle: { readonly id: string; readonly version: string };
  readonly dim: number;
  /** sha256(text) -> raw embedding. */
  readonly texts: Record<string, number[]>;
}

function cacheFile(dir: string, key: string): string {
  return path.join(dir, `label-embeddings-${key.slice(0, 32)}.json`);
}

/** Cached raw text embeddings (sha256(text) -> vector); empty when there is no usable cache file. */
export async function readTextEmbeddingCache(
  dir: string,
  key: string,
  dim: number,
): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  try {
    const parsed = JSON.parse(await readFile(cacheFile(dir, key), "utf8")) as CacheFile;
    if (parsed.v !== 2 || parsed.key !== key || parsed.dim !== dim) return out;
    for (const [hash, v] of Object.entries(parsed.texts)) {
      if (!Array.isArray(v) || v.length !== dim || !v.every((x) => Number.isFinite(x))) continue;
      out.set(hash, Float32Array.from(v));
    }
  } catch {
    // No cache yet, or an unreadable one: compute.
  }
  return out;
}

export async function writeTextEmbeddingCache(
  dir: string,
  key: string,
  manifest: BundleManifest,
  dim: number,
  texts: ReadonlyMap<string, Float32Array>,
): Promise<void> {
  await mkdir(dir, { recursive: true });
  const body: CacheFile = {
    v: 2,
    key,
    bundle: { id: manifest.identity.id, version: manifest.identity.version },
    dim,
    texts: Object.fromEntries([...texts].map(([k, v]) => [k, Array.from(v)])),
  };
  const file = cacheFile(dir, key);
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(body));
  await rename(tmp, file);
}
