/**
 * Shared pieces of the reliability tests: what they add to the service
 * harness's config, small synthetic chest studies, and the one check every
 * test ends with — exactly one RadZ SR per study, counted over QIDO-RS by SOP
 * Class (Comprehensive 3D SR), not by the series' Modality.
 */
import type { ConfigInput } from "../../src/config/index.js";
import { DicomWebClient } from "../../src/dicomweb/index.js";
import { OrthancClient } from "../../src/orthanc/index.js";
import { generateSyntheticStudies, type SyntheticStudy } from "../../src/synthetic/index.js";

/** RadZ writes Comprehensive SR (88.33) since localisation (docs/report.md). */
export const COMPREHENSIVE_SR = "1.2.840.10008.5.1.4.1.1.88.33";
const SOP_CLASS_UID = "00080016";

/**
 * What the reliability tests add to the service harness's base config
 * (useService's `config`): short timeouts and backoff, two jobs at a time, no
 * sweep, no summary image.
 */
export const RELIABILITY_CONFIG: ConfigInput = {
  orthanc: { timeoutMs: 5_000 },
  dicomweb: { timeoutMs: 5_000 },
  jobs: {
    concurrency: 2,
    backoffBaseMs: 200,
    backoffMaxMs: 2_000,
    maxAttempts: 5,
    shutdownDeadlineMs: 5_000,
  },
  intake: { sweep: false },
  report: { summaryImage: false },
};

/** Small synthetic chest studies (rows/columns `size`, one PA image each). */
export function smallStudies(count: number, seed: number, size = 128): SyntheticStudy[] {
  return generateSyntheticStudies({ count, seed, rows: size, columns: size });
}

/** Uploads the studies straight to Orthanc; returns Study UID -> Orthanc study ID. */
export async function upload(
  orthancUrl: string,
  studies: readonly { instances: readonly Uint8Array[]; studyInstanceUid: string }[],
): Promise<Map<string, string>> {
  const client = new OrthancClient({ url: orthancUrl, timeoutMs: 30_000 });
  const ids = new Map<string, string>();
  for (const s of studies) {
    for (const bytes of s.instances)
      ids.set(s.studyInstanceUid, (await client.uploadInstance(bytes)).parentStudy);
  }
  return ids;
}

export function dicomweb(dicomwebUrl: string): DicomWebClient {
  return new DicomWebClient({
    url: dicomwebUrl,
    timeoutMs: 30_000,
    maxInstanceBytes: 1 << 28,
  });
}

/** SOP Instance UIDs of the Comprehensive 3D SR instances in a study (QIDO-RS). */
export async function srInstances(client: DicomWebClient, studyUid: string): Promise<string[]> {
  const found = await client.searchForInstances(studyUid, undefined, [SOP_CLASS_UID]);
  return found
    .filter((i) => i[SOP_CLASS_UID]?.Value?.[0] === COMPREHENSIVE_SR)
    .map((i) => {
      const v = i["00080018"]?.Value?.[0];
      return typeof v === "string" ? v : "";
    });
}

/** Today as a DICOM DA (local time), for studies the sweep's window must see. */
export function today(): string {
  const d = new Date();
  return `${d.getFullYear()}${String(d.getMonth() + 1).padStart(2, "0")}${String(d.getDate()).padStart(2, "0")}`;
}

/** The value of one Prometheus sample, e.g. metric('radz_job_errors_total{code="X"}'), or 0. */
export function metricValue(text: string, sample: string): number {
  for (const line of text.split("\n")) {
    if (line.startsWith(sample + " ")) return Number(line.slice(sample.length + 1));
  }
  return 0;
}
