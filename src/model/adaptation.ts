/**
 * Site adaptations: training-free, few-shot corrections of a bundle's
 * zero-shot scores, fitted by `radz adapt` from radiologist-confirmed studies
 * (src/eval/adapt.ts) and activated only through config `model.adaptation`.
 *
 * Per label, an adaptation adds a linear term of the unit image embedding e
 * to the zero-shot raw logit, z' = z + w·e + c (a shrinkage Gaussian
 * discriminant between the site's confirmed present and absent studies,
 * already scaled by the blend weight), and replaces the label's calibration
 * and threshold with ones fitted on z'. It is bound to what it was fitted on:
 * the bundle (id, version, sha256 of its manifest), each label's logit hash
 * (texts, scoring rule, encoders) and the embedding size. Anything else is
 * refused with ADAPTATION_INVALID, so an adaptation never applies to scores
 * it was not fitted for. Rollback: remove `model.adaptation`.
 */
import { readFile } from "node:fs/promises";
import { z } from "zod";
import { RadzError } from "../errors.js";
import { CalibrationSchema, type BundleManifest } from "./bundle-schema.js";
import { sha256Bytes } from "./bundle-files.js";
import { labelLogitHash, ThresholdTargetSchema } from "./calibration-overlay.js";
import { canonicalJson } from "./label-set.js";

export const ADAPTATION_KIND = "radz-adaptation";
export const ADAPTATION_METHOD = "gda-blend";

const LabelAdaptationSchema = z
  .object({
    logitHash: z.string().regex(/^[0-9a-f]{16}$/),
    /** Blend weight of the few-shot term (0: zero-shot logit unchanged, only recalibrated). */
    alpha: z.number().min(0),
    /** w (already multiplied by alpha), one per embedding dimension. */
    weights: z.array(z.number()),
    /** c (already multiplied by alpha). */
    bias: z.number(),
    calibration: CalibrationSchema,
    threshold: z.number().min(0).max(1),
    target: ThresholdTargetSchema,
    fit: z
      .object({
        n: z.number().int().min(0),
        positives: z.number().int().min(0),
        /** Leave-one-out AUROC on the confirmed studies: zero-shot, adapted. */
        looAuroc: z.tuple([z.number(), z.number()]),
      })
      .strict(),
  })
  .strict();

export const AdaptationSchema = z
  .object({
    kind: z.literal(ADAPTATION_KIND),
    schemaVersion: z.literal(1),
    /** sha256 (16 hex) of the file's canonical JSON without this field. */
    id: z.string().regex(/^[0-9a-f]{16}$/),
    bundle: z
      .object({
        id: z.string().min(1),
        version: z.string().min(1),
        sha256: z.string().regex(/^[0-9a-f]{64}$/),
      })
      .strict(),
    embeddingSize: z.number().int().positive(),
    method: z
      .object({
        name: z.literal(ADAPTATION_METHOD),
        shrinkage: z.number().min(0).max(1),
        alphaGrid: z.array(z.number().min(0)).min(1),
        aggregation: z.enum(["max", "mean"]),
      })
      .strict(),
    feedback: z
      .object({
        source: z.enum(["truth", "store"]),
        /** sha256 of the (study key, label, verdict) rows the fit used, sorted. */
        sha256: z.string().regex(/^[0-9a-f]{64}$/),
        studies: z.number().int().min(0),
      })
      .strict(),
    createdAt: z.string(),
    createdBy: z.string(),
    labels: z.record(z.string().regex(/^[a-z][a-z0-9_]{0,63}$/), LabelAdaptationSchema),
  })
  .strict();

export type Adaptation = z.output<typeof AdaptationSchema>;

/** sha256 of the bundle's own manifest (canonical JSON), before configuration labels are merged. */
export function bundleManifestSha256(manifest: BundleManifest): string {
  return sha256Bytes(canonicalJson(manifest));
}

/** The adaptation's id: sha256 (16 hex) over its canonical JSON without `id`. */
export function adaptationId(a: Omit<Adaptation, "id">): string {
  const { id: _drop, ...rest } = a as Adaptation;
  return sha256Bytes(canonicalJson(rest)).slice(0, 16);
}

function invalid(message: string, details?: Record<string, unknown>): RadzError {
  return new RadzError("ADAPTATION_INVALID", message, details ? { details } : {});
}

export function parseAdaptation(json: unknown, source = "adaptation"): Adaptation {
  const result = AdaptationSchema.safeParse(json);
  if (!result.success) {
    const problems = result.error.issues.map(
      (i) => `${i.path.map(String).join(".") || "(root)"}: ${i.message}`,
    );
    throw invalid(`${source} is invalid: ${problems.join("; ")}`, { problems });
  }
  const a = result.data;
  if (adaptationId(a) !== a.id)
    throw invalid(`${source} was changed after radz adapt wrote it (its id does not match)`);
  for (const [label, l] of Object.entries(a.labels)) {
    if (l.weights.length !== a.embeddingSize)
      throw invalid(
        `${source}: label "${label}" has ${l.weights.length} weights, not ${a.embeddingSize}`,
      );
  }
  return a;
}

export async function readAdaptation(file: string): Promise<Adaptation> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, "utf8"));
  } catch (err) {
    throw new RadzError(
      "ADAPTATION_INVALID",
      `adaptation "${file}" could not be read as JSON: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }
  return parseAdaptation(json, `adaptation "${file}"`);
}

/** The per-label term an adaptation adds to a raw logit: w·e + c. */
export interface LogitAdapter {
  readonly weights: Float32Array;
  readonly bias: number;
}

/**
 * Checks an adaptation against the bundle (its own manifest) and the
 * effective manifest (configuration labels merged), and applies it: labels it
 * names get its calibration and threshold; returns their logit adapters.
 */
export function applyAdaptation(
  bundle: BundleManifest,
  manifest: BundleManifest,
  adaptation: Adaptation,
): { manifest: BundleManifest; adapters: ReadonlyMap<string, LogitAdapter> } {
  const problems: string[] = [];
  const b = adaptation.bundle;
  if (b.id !== bundle.identity.id || b.version !== bundle.identity.version)
    problems.push(
      `it was fitted for bundle ${b.id} ${b.version}, not ${bundle.identity.id} ${bundle.identity.version}`,
    );
  else if (b.sha256 !== bundleManifestSha256(bundle))
    problems.push(`bundle ${b.id} ${b.version} has changed since it was fitted (manifest sha256)`);
  if (adaptation.embeddingSize !== manifest.imageEncoder.embeddingSize)
    problems.push(
      `it has ${adaptation.embeddingSize}-dimensional weights; the bundle's embeddings have ${manifest.imageEncoder.embeddingSize}`,
    );
  const known = new Map(manifest.labels.map((l) => [l.id, l]));
  const stale: string[] = [];
  for (const [id, entry] of Object.entries(adaptation.labels)) {
    const label = known.get(id);
    if (!label) problems.push(`label "${id}" is not in the model's label set`);
    else if (labelLogitHash(manifest, label) !== entry.logitHash) stale.push(id);
  }
  if (stale.length > 0)
    problems.push(
      `the prompts, knowledge or encoders of ${stale.map((s) => `"${s}"`).join(", ")} changed since it was fitted; run radz adapt again`,
    );
  if (problems.length > 0)
    throw invalid(`adaptation ${adaptation.id} does not fit this model: ${problems.join("; ")}`, {
      problems,
      labels: stale,
    });
  const adapters = new Map<string, LogitAdapter>();
  for (const [id, entry] of Object.entries(adaptation.labels))
    adapters.set(id, { weights: Float32Array.from(entry.weights), bias: entry.bias });
  return {
    manifest: {
      ...manifest,
      labels: manifest.labels.map((l) => {
        const entry = adaptation.labels[l.id];
        return entry ? { ...l, calibration: entry.calibration, threshold: entry.threshold } : l;
      }),
    },
    adapters,
  };
}
