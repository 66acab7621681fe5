/**
 * Calibration overlays: per-label calibration and operating thresholds fitted
 * by `radz calibrate` on local data, loaded by the service through config
 * `model.calibrationOverlay` and applied over the bundle's own.
 *
 * An overlay is only valid for the logits it was fitted on: it names the
 * bundle (id, version) and, per label, a hash of everything that determines
 * the label's raw logit (its texts and combine weights, the scoring rule and
 * the encoder files). Loading fails with CALIBRATION_OVERLAY_INVALID, naming
 * the labels, when the bundle or a label's text has changed since.
 */
import { readFile } from "node:fs/promises";
import { z } from "zod";
import { RadzError } from "../errors.js";
import { CalibrationSchema, type BundleLabel, type BundleManifest } from "./bundle-schema.js";
import { sha256Bytes } from "./bundle-files.js";
import { canonicalJson } from "./label-set.js";

export const CALIBRATION_OVERLAY_KIND = "radz-calibration-overlay";

export const ThresholdTargetSchema = z.discriminatedUnion("metric", [
  z.object({ metric: z.literal("sensitivity"), value: z.number().gt(0).max(1) }).strict(),
  z.object({ metric: z.literal("specificity"), value: z.number().gt(0).max(1) }).strict(),
  z.object({ metric: z.literal("youden") }).strict(),
]);

export const OverlayLabelSchema = z
  .object({
    /** Hash of what determines the label's raw logit when the overlay was fitted (labelLogitHash). */
    logitHash: z.string().regex(/^[0-9a-f]{16}$/),
    calibration: CalibrationSchema,
    threshold: z.number().min(0).max(1),
    /** How the threshold was chosen. */
    target: ThresholdTargetSchema.optional(),
    /** Data the fit saw. */
    fit: z
      .object({
        n: z.number().int().min(0),
        positives: z.number().int().min(0),
        sensitivity: z.number().min(0).max(1).optional(),
        specificity: z.number().min(0).max(1).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export const CalibrationOverlaySchema = z
  .object({
    kind: z.literal(CALIBRATION_OVERLAY_KIND),
    schemaVersion: z.literal(1),
    bundle: z.object({ id: z.string().min(1), version: z.string().min(1) }).strict(),
    method: z.enum(["platt", "isotonic"]),
    createdAt: z.string().optional(),
    createdBy: z.string().optional(),
    labels: z.record(z.string().regex(/^[a-z][a-z0-9_]{0,63}$/), OverlayLabelSchema),
  })
  .strict();

export type CalibrationOverlay = z.output<typeof CalibrationOverlaySchema>;

/**
 * Hash (16 hex) of everything that determines a label's raw logit: its texts
 * and combine weights, the scoring rule, and the encoder and embedding files.
 * Calibration and threshold are deliberately left out.
 */
export function labelLogitHash(manifest: BundleManifest, label: BundleLabel): string {
  return sha256Bytes(
    canonicalJson({
      label: {
        id: label.id,
        prompts: label.prompts,
        knowledge: label.knowledge,
        combine: label.combine,
      },
      scoring: manifest.scoring,
      preprocess: manifest.preprocess,
      imageEncoder: manifest.imageEncoder.sha256,
      textEncoder: manifest.textEncoder?.sha256 ?? null,
      labelEmbeddings: manifest.labelEmbeddings?.sha256 ?? null,
    }),
  ).slice(0, 16);
}

export function parseCalibrationOverlay(
  json: unknown,
  source = "calibration overlay",
): CalibrationOverlay {
  const result = CalibrationOverlaySchema.safeParse(json);
  if (result.success) return result.data;
  const problems = result.error.issues.map(
    (i) => `${i.path.map(String).join(".") || "(root)"}: ${i.message}`,
  );
  throw new RadzError(
    "CALIBRATION_OVERLAY_INVALID",
    `${source} is invalid: ${problems.join("; ")}`,
    { details: { problems } },
  );
}

export async function readCalibrationOverlay(file: string): Promise<CalibrationOverlay> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, "utf8"));
  } catch (err) {
    throw new RadzError(
      "CALIBRATION_OVERLAY_INVALID",
      `calibration overlay "${file}" could not be read as JSON: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }
  return parseCalibrationOverlay(json, `calibration overlay "${file}"`);
}

/**
 * Applies an overlay to the (merged) manifest's labels. Labels the overlay
 * does not name keep the bundle's calibration and threshold.
 */
export function applyCalibrationOverlay(
  manifest: BundleManifest,
  overlay: CalibrationOverlay,
): BundleManifest {
  const problems: string[] = [];
  if (
    overlay.bundle.id !== manifest.identity.id ||
    overlay.bundle.version !== manifest.identity.version
  ) {
    problems.push(
      `it was fitted for bundle ${overlay.bundle.id} ${overlay.bundle.version}, not ${manifest.identity.id} ${manifest.identity.version}`,
    );
  }
  const known = new Map(manifest.labels.map((l) => [l.id, l]));
  const stale: string[] = [];
  for (const [id, entry] of Object.entries(overlay.labels)) {
    const label = known.get(id);
    if (!label) problems.push(`label "${id}" is not in the model's label set`);
    else if (labelLogitHash(manifest, label) !== entry.logitHash) stale.push(id);
  }
  if (stale.length > 0)
    problems.push(
      `the prompts, knowledge or encoders of ${stale.map((s) => `"${s}"`).join(", ")} changed since the overlay was fitted; run radz calibrate again`,
    );
  if (problems.length > 0) {
    throw new RadzError(
      "CALIBRATION_OVERLAY_INVALID",
      `calibration overlay does not fit this model: ${problems.join("; ")}`,
      { details: { problems, labels: stale } },
    );
  }
  return {
    ...manifest,
    labels: manifest.labels.map((l) => {
      const entry = overlay.labels[l.id];
      return entry ? { ...l, calibration: entry.calibration, threshold: entry.threshold } : l;
    }),
  };
}
