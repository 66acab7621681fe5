/**
 * Label embeddings: computed from each label's prompts and knowledge
 * descriptions with the bundle's text encoder, or read from the bundle's
 * precomputed Float32 file, optionally cached on disk.
 *
 * With a text encoder, labels that have text are embedded from it (the text
 * is the source of truth); precomputed rows fill labels without text. Without
 * a text encoder, precomputed rows are the only source. A label left without
 * a positive embedding (or, in posneg-softmax mode, a negative one) fails the
 * load with BUNDLE_LABEL_EMBEDDING_MISSING.
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

/** Pairs each label with its embeddings; throws BUNDLE_LABEL_EMBEDDING_MISSING listing every label without one. */
export function assembleScoringLabels(
  manifest: BundleManifest,
  sources: readonly LabelEmbeddingSet[],
): ScoringLabel[] {
  const needsNegative = manifest.scoring.mode === "posneg-softmax";
  const missing: string[] = [];
  const out: ScoringLabel[] = [];
  for (const label of manifest.labels) {
    const positive = sources.map((s) => s.positive.get(label.id)).find((v) => v !== undefined);
    const negative = sources.map((s) => s.negative.get(label.id)).find((v) => v !== undefined);
    if (!positive || (needsNegative && !negative)) {
      missing.push(!positive ? label.id : `${label.id} (negative)`);
      continue;
    }
    out.push(needsNegative ? { label, positive, negative } : { label, positive });
  }
  if (missing.length > 0) {
    const how = manifest.textEncoder
      ? "give them prompts (positive and, for posneg-softmax, negative) or knowledge descriptions, or precomputed rows"
      : "the bundle has no text encoder, so give them rows in labelEmbeddings";
    throw new RadzError(
      "BUNDLE_LABEL_EMBEDDING_MISSING",
      `no label embedding for: ${missing.join(", ")} (${how})`,
      { details: { labels: missing } },
    );
  }
  return out;
}

/** Cache key: everything that determines the computed embeddings. */
export function embeddingCacheKey(manifest: BundleManifest): string {
  const te = manifest.textEncoder;
  return sha256Bytes(
    canonicalJson({
      v: 1,
      textEncoder: te
        ? {
            sha256: te.sha256,
            tokenizer: te.tokenizer,
            maxLength: te.maxLength,
            padTokenId: te.padTokenId,
          }
        : null,
      labels: manifest.labels.map((l) => ({
        id: l.id,
        prompts: l.prompts,
        knowledge: l.knowledge,
        combine: l.combine,
      })),
    }),
  );
}

interface CacheFile {
  readonly key: string;
  readonly positive: Record<string, number[]>;
  readonly negative: Record<string, number[]>;
}

export async function readEmbeddingCache(
  dir: string,
  key: string,
  dim: number,
): Promise<LabelEmbeddingSet | undefined> {
  try {
    const parsed = JSON.parse(
      await readFile(path.join(dir, `label-embeddings-${key}.json`), "utf8"),
    ) as CacheFile;
    if (parsed.key !== key) return undefined;
    const toMap = (rec: Record<string, number[]>): Map<string, Float32Array> => {
      const m = new Map<string, Float32Array>();
      for (const [id, v] of Object.entries(rec)) {
        if (!Array.isArray(v) || v.length !== dim) throw new Error("bad row");
        m.set(id, Float32Array.from(v));
      }
      return m;
    };
    return { positive: toMap(parsed.positive), negative: toMap(parsed.negative) };
  } catch {
    return undefined;
  }
}

export async function writeEmbeddingCache(
  dir: string,
  key: string,
  set: LabelEmbeddingSet,
): Promise<void> {
  await mkdir(dir, { recursive: true });
  const body: CacheFile = {
    key,
    positive: Object.fromEntries([...set.positive].map(([k, v]) => [k, Array.from(v)])),
    negative: Object.fromEntries([...set.negative].map(([k, v]) => [k, Array.from(v)])),
  };
  const file = path.join(dir, `label-embeddings-${key}.json`);
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(body));
  await rename(tmp, file);
}
