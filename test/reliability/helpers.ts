/**
 * Shared pieces of the reliability tests: a service configuration for a test
 * Orthanc, small synthetic chest studies, waiting, and the one check every
 * test ends with — exactly one RadZ SR per study, counted over QIDO-RS by SOP
 * Class (Comprehensive 3D SR), not by the series' Modality.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig, type Config, type ConfigInput } from "../../src/config/index.js";
import { DicomWebClient } from "../../src/dicomweb/index.js";
import { writeDemoBundle } from "../../src/model/index.js";
import { OrthancClient } from "../../src/orthanc/index.js";
import { generateSyntheticStudies, type SyntheticStudy } from "../../src/synthetic/index.js";

export const COMPREHENSIVE_3D_SR = "1.2.840.10008.5.1.4.1.1.88.34";
const SOP_CLASS_UID = "00080016";

export async function waitFor(
  pred: () => boolean | Promise<boolean>,
  ms: number,
  what: string,
  everyMs = 200,
): Promise<void> {
  const end = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A temp dir with the demo bundle written once per dir. */
export async function workDir(prefix: string): Promise<{ dir: string; bundle: string }> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const bundle = join(dir, "bundle");
  await writeDemoBundle(bundle);
  return { dir, bundle };
}

/** Deep-merges plain objects (override wins). */
function merge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const x = out[k];
    out[k] =
      x && v && typeof x === "object" && typeof v === "object" && !Array.isArray(v)
        ? merge(x as Record<string, unknown>, v as Record<string, unknown>)
        : v;
  }
  return out;
}

/** The configuration the reliability tests start from (fast polling, short backoff). */
export function testConfigInput(
  orthancUrl: string,
  dir: string,
  bundle: string,
  overrides: ConfigInput = {},
): ConfigInput {
  const base: ConfigInput = {
    orthanc: { url: orthancUrl, timeoutMs: 5_000 },
    dicomweb: { timeoutMs: 5_000 },
    jobs: {
      dbPath: join(dir, "radz.sqlite"),
      concurrency: 2,
      backoffBaseMs: 200,
      backoffMaxMs: 2_000,
      maxAttempts: 5,
      shutdownDeadlineMs: 5_000,
    },
    intake: { startFrom: "beginning", pollCron: "* * * * * *", sweep: false },
    model: { bundle },
    report: { summaryImage: false },
    http: { port: 0 },
    log: { level: "silent" },
  };
  return merge(base, overrides);
}

export function testConfig(
  orthancUrl: string,
  dir: string,
  bundle: string,
  overrides: ConfigInput = {},
): Config {
  return loadConfig({ env: {}, overrides: testConfigInput(orthancUrl, dir, bundle, overrides) });
}

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
    .filter((i) => i[SOP_CLASS_UID]?.Value?.[0] === COMPREHENSIVE_3D_SR)
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
