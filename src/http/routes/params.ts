/** Query and path parameter parsing for the API routes: every bad value is INPUT_INVALID (400). */
import { RadzError } from "../../errors.js";

/** Orthanc resource IDs: five groups of 8 hex digits. */
export const ORTHANC_ID_PATTERN = /^[0-9a-f]{8}(-[0-9a-f]{8}){4}$/;
/** Bundle label ids (lower_snake_case). */
export const LABEL_ID_PATTERN = /^[a-z][a-z0-9_]{0,63}$/;

export function intParam(v: unknown, name: string, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  const n = typeof v === "string" && /^\d{1,15}$/.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new RadzError("INPUT_INVALID", `${name} must be an integer between ${min} and ${max}`);
  }
  return n;
}

export function enumParam<T extends string>(
  v: unknown,
  name: string,
  values: readonly T[],
): T | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== "string" || !(values as readonly string[]).includes(v)) {
    throw new RadzError("INPUT_INVALID", `${name} must be one of ${values.join(", ")}`);
  }
  return v as T;
}

export function labelParam(v: unknown, name: string): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== "string" || !LABEL_ID_PATTERN.test(v)) {
    throw new RadzError("INPUT_INVALID", `${name} must be a label id (lower_snake_case)`);
  }
  return v;
}

/** An ISO 8601 date or date-time ("2024-05-01", "2024-05-01T08:00:00Z"), or epoch milliseconds. */
export function sinceParam(v: unknown): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v === "string" && /^\d{1,15}$/.test(v)) return Number(v);
  if (typeof v === "string" && /^\d{4}-\d{2}-\d{2}([T ][0-9:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(v)) {
    const t = Date.parse(v);
    if (Number.isFinite(t)) return t;
  }
  throw new RadzError(
    "INPUT_INVALID",
    "since must be an ISO 8601 date or date-time (e.g. 2024-05-01T08:00:00Z) or epoch milliseconds",
  );
}

export function orthancIdParam(v: unknown): string {
  if (typeof v !== "string" || !ORTHANC_ID_PATTERN.test(v)) {
    throw new RadzError(
      "INPUT_INVALID",
      "study id must be an Orthanc study ID (five groups of 8 hex digits)",
    );
  }
  return v;
}

export function jobIdParam(v: unknown): number {
  const n = intParam(v, "job id", 1, Number.MAX_SAFE_INTEGER);
  if (n === undefined) throw new RadzError("INPUT_INVALID", "job id is required");
  return n;
}
