/**
 * `radz doctor`: each check has a stable id (a heading in
 * docs/troubleshooting.md explains every failure it reports), a status and a
 * one-line summary. Details carry numbers and names, never secrets or PHI.
 */

export const CHECK_IDS = [
  "config",
  "orthanc-reachable",
  "orthanc-credentials",
  "orthanc-version",
  "dicomweb",
  "stow-allowed",
  "clock-skew",
  "hook",
  "webhook",
  "bundle",
  "execution-provider",
  "job-store",
  "radz-service",
] as const;
export type CheckId = (typeof CHECK_IDS)[number];

/** ok; warn (works, but look at it); fail (RadZ will not work); skip (could not check: an earlier check failed). */
export type CheckStatus = "ok" | "warn" | "fail" | "skip";

export interface CheckResult {
  readonly id: CheckId;
  readonly title: string;
  readonly status: CheckStatus;
  /** One line: what was found. */
  readonly summary: string;
  /** What to do, for warn/fail (the troubleshooting section has more). */
  readonly fix?: string;
  /** Measured values (versions, ms, bytes, codes). */
  readonly details?: Readonly<Record<string, unknown>>;
}

export interface DoctorReport {
  /** No check failed. */
  readonly ok: boolean;
  readonly radzVersion: string;
  readonly checkedAt: string;
  readonly checks: readonly CheckResult[];
  /** The effective configuration, secrets redacted (null when it did not load). */
  readonly config: unknown;
}

export const CHECK_TITLES: Readonly<Record<CheckId, string>> = {
  config: "configuration",
  "orthanc-reachable": "Orthanc reachable",
  "orthanc-credentials": "Orthanc credentials",
  "orthanc-version": "Orthanc version and features",
  dicomweb: "DICOMweb plugin (QIDO-RS)",
  "stow-allowed": "STOW-RS allowed",
  "clock-skew": "clock skew with Orthanc",
  hook: "Orthanc push hook",
  webhook: "webhook credentials",
  bundle: "model bundle",
  "execution-provider": "execution provider",
  "job-store": "job store",
  "radz-service": "RadZ service",
};

/** Where docs/troubleshooting.md explains a check. */
export function troubleshootingLink(id: CheckId): string {
  return `docs/troubleshooting.md#${id}`;
}

export function result(
  id: CheckId,
  status: CheckStatus,
  summary: string,
  extra: { fix?: string; details?: Record<string, unknown> } = {},
): CheckResult {
  return { id, title: CHECK_TITLES[id], status, summary, ...extra };
}
