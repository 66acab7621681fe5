/**
 * labelSetHash: identifies exactly which label definitions produced a score,
 * so results from different prompt sets, calibrations or thresholds are never
 * confused. sha256 over a canonical JSON (keys sorted) of the bundle id and
 * version and, per label: id, prompts, knowledge, combine, calibration,
 * threshold, and the id of the site adaptation in use, if any. First 16 hex characters.
 */
import { createHash } from "node:crypto";
import type { BundleManifest } from "./bundle-schema.js";

/** JSON with object keys sorted at every level (arrays keep their order). */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value))
    return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
}

export function labelSetHash(
  manifest: Pick<BundleManifest, "identity" | "labels">,
  adaptationId?: string,
): string {
  const payload = {
    ...(adaptationId !== undefined ? { adaptation: adaptationId } : {}),
    bundle: { id: manifest.identity.id, version: manifest.identity.version },
    labels: manifest.labels.map((l) => ({
      id: l.id,
      prompts: l.prompts,
      knowledge: l.knowledge,
      combine: l.combine,
      calibration: l.calibration,
      threshold: l.threshold,
    })),
  };
  return createHash("sha256").update(canonicalJson(payload)).digest("hex").slice(0, 16);
}
