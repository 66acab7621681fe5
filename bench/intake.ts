/**
 * Intake latency benchmark (issue 11; docs/benchmarks.md "Intake latency"):
 * how soon after Orthanc declares a study stable does RadZ start processing it,
 * with the push hook (Lua, Python) and with polling of /changes.
 *
 *   npm run bench:intake                    (= npx tsx bench/intake.ts)
 *   npx tsx bench/intake.ts [--count 20] [--modes lua,python,poll,poll1]
 *                           [--bundle DIR] [--markdown out.md] [--json out.json]
 *
 * Per mode: a Debian-like Orthanc configuration directory (StableAge 1 s),
 * `radz orthanc install --hook <lua|python>` applied to it for the push modes
 * (applyInstall(orthancInstallPlan(...)), as test/orthanc/install does), a
 * real Orthanc started on it, and the service (createService, the `radz serve`
 * composition) in this process: push modes with polling off, polling modes
 * with the webhook off and intake.pollCron at its default ("poll") or every
 * second ("poll1"). Studies (one 256 x 256 synthetic DX image each) are
 * uploaded one at a time; the next upload waits until the job has finished
 * and Orthanc has settled the study again (the SR write-back makes it unstable
 * once more), then a random pause (PHASE_MS) so that the stable instants fall
 * uniformly over the polling schedule's phase.
 *
 * Stable instant: GET /studies/{id} every POLL_MS from the upload on; the
 * send time of the first answer with "IsStable": true. Orthanc sets the flag
 * where it raises StableStudy, so this instant is late by at most one poll
 * period (+ one loopback request), which makes the latencies look up to that
 * much smaller. The StableStudy entry of /changes (second resolution) is
 * recorded as a cross-check.
 *
 * Latency per study: start = job.startedAt − stable instant; enqueue =
 * job.createdAt − stable instant (epoch ms, same clock).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import getPort from "get-port";
import { createService, type Service } from "../src/app.js";
import { orthancInstallPlan } from "../src/cli/orthanc.js";
import { loadConfig, type Config } from "../src/config/index.js";
import { parseOrthancNow } from "../src/doctor/checks/orthanc.js";
import { isTerminal, type Job } from "../src/jobs/index.js";
import { writeDemoBundle } from "../src/model/index.js";
import { silentLogger } from "../src/observability/index.js";
import { OrthancClient } from "../src/orthanc/index.js";
import { applyInstall, type HookKind } from "../src/orthanc/install/index.js";
import { generateSyntheticStudies, type SyntheticStudy } from "../src/synthetic/index.js";
import {
  findDicomWebPlugin,
  freePorts,
  startOrthancOnDir,
  writeDebianLikeConfigDir,
  type DirOrthanc,
} from "../test/orthanc/install/fixtures.js";

/** Period of the GET /studies/{id} watch for "IsStable". */
const POLL_MS = 20;
const STABLE_AGE_S = 1;
const PUSH_TARGET_MS = 1000;
const PYTHON_PLUGIN = "/usr/share/orthanc/plugins/libOrthancPython.so";
const SECRET = "bench-intake-secret-0123456789abcdef0123";
/**
 * Before each upload, a pause drawn uniformly from [0, PHASE_MS) (seeded): one
 * study at a time would otherwise lock the uploads to the polling schedule's
 * phase and sample one point of it. A multiple of every polling interval here.
 */
const PHASE_MS = 2000;
/** Longest wait for one study's job to finish. */
const JOB_TIMEOUT_MS = 120_000;

interface Mode {
  readonly key: string;
  readonly label: string;
  readonly hook: HookKind | null;
  /** node-cron schedule when polling. */
  readonly pollCron: string | null;
  /** Target for the start latency's p95, ms. */
  readonly targetMs: number;
}

function defaultPollCron(): string {
  return loadConfig({ env: {}, overrides: {} }).intake.pollCron;
}

/** Interval of a "*\/N * * * * *" or "* * * * * *" schedule, ms (null: not of that form). */
function cronIntervalMs(schedule: string): number | null {
  const fields = schedule.trim().split(/\s+/);
  if (fields.length !== 6 || fields.slice(1).some((f) => f !== "*")) return null;
  if (fields[0] === "*") return 1000;
  const m = /^\*\/(\d+)$/.exec(fields[0]!);
  return m ? Number(m[1]) * 1000 : null;
}

function modes(): Mode[] {
  const cron = defaultPollCron();
  const every = cronIntervalMs(cron);
  if (every === null) throw new Error(`cannot read an interval from intake.pollCron "${cron}"`);
  return [
    { key: "lua", label: "push: Lua hook", hook: "lua", pollCron: null, targetMs: PUSH_TARGET_MS },
    {
      key: "python",
      label: "push: Python hook",
      hook: "python",
      pollCron: null,
      targetMs: PUSH_TARGET_MS,
    },
    {
      key: "poll",
      label: `polling \`${cron}\` (default)`,
      hook: null,
      pollCron: cron,
      targetMs: every,
    },
    {
      key: "poll1",
      label: "polling `* * * * * *`",
      hook: null,
      pollCron: "* * * * * *",
      targetMs: 1000,
    },
  ];
}

interface Sample {
  readonly orthancId: string;
  readonly uploadedAt: number;
  /** Send time of the first GET /studies/{id} answering IsStable: true. */
  readonly stableAt: number;
  /** Time of the StableStudy entry in /changes (second resolution, UTC), or null. */
  readonly changeDateMs: number | null;
  readonly job: Job;
}

interface ModeResult {
  readonly mode: Mode;
  readonly samples: readonly Sample[];
  /** Jobs that did not end "done" or were not enqueued by the expected source. */
  readonly problems: readonly string[];
  readonly wallS: number;
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1]!;
}

function stats(values: readonly number[]): { p50: number; p95: number; max: number } {
  const s = [...values].sort((a, b) => a - b);
  return { p50: percentile(s, 50), p95: percentile(s, 95), max: s[s.length - 1] ?? NaN };
}

async function isStable(url: string, id: string): Promise<boolean> {
  const res = await fetch(`${url}/studies/${id}`, { signal: AbortSignal.timeout(5_000) });
  if (!res.ok) {
    await res.arrayBuffer();
    return false;
  }
  const body = (await res.json()) as { IsStable?: unknown };
  if (typeof body.IsStable !== "boolean")
    throw new Error('GET /studies/{id} has no "IsStable" field (Orthanc too old?)');
  return body.IsStable;
}

interface ChangesPage {
  Changes: { ChangeType: string; ID: string; Date: string; Seq: number }[];
  Last: number;
  Done: boolean;
}

async function lastChangeSeq(url: string): Promise<number> {
  const page = (await (await fetch(`${url}/changes?last`)).json()) as ChangesPage;
  return page.Last;
}

/** The first StableStudy entry for `id` after `since`, as epoch ms. */
async function stableChangeMs(url: string, since: number, id: string): Promise<number | null> {
  let cursor = since;
  for (;;) {
    const page = (await (
      await fetch(`${url}/changes?since=${cursor}&limit=1000`)
    ).json()) as ChangesPage;
    const hit = page.Changes.find((c) => c.ChangeType === "StableStudy" && c.ID === id);
    if (hit) return parseOrthancNow(hit.Date); // same "YYYYMMDDTHHMMSS" (UTC) form
    if (page.Done || page.Changes.length === 0) return null;
    cursor = page.Last;
  }
}

/**
 * Watches GET /studies/{id} every POLL_MS until the study is stable AND its
 * job is terminal; returns the send time of the first stable answer.
 */
async function watch(url: string, service: Service, id: string): Promise<{ stableAt: number }> {
  let stableAt: number | null = null;
  const end = Date.now() + JOB_TIMEOUT_MS;
  for (;;) {
    const sent = Date.now();
    if (stableAt === null && (await isStable(url, id))) stableAt = sent;
    const job = service.store.getByStudy(id);
    if (stableAt !== null && job && isTerminal(job.state)) return { stableAt };
    if (Date.now() > end)
      throw new Error(
        `study ${id}: no stable flag or finished job within ${JOB_TIMEOUT_MS} ms (job ${job?.state ?? "none"})`,
      );
    const next = sent + POLL_MS - Date.now();
    if (next > 0) await sleep(next);
  }
}

/** After the SR write-back the study is unstable again: wait until Orthanc settles it. */
async function settle(url: string, id: string): Promise<void> {
  const end = Date.now() + 30_000;
  await sleep(50);
  while (!(await isStable(url, id))) {
    if (Date.now() > end) throw new Error(`study ${id} did not become stable again`);
    await sleep(100);
  }
  await sleep(200); // let the push / next poll and the re-processing check pass
}

interface Started {
  readonly orthanc: DirOrthanc;
  readonly config: Config;
}

async function startMode(mode: Mode, work: string, bundle: string): Promise<Started> {
  const base = path.join(work, mode.key);
  const etc = path.join(base, "etc");
  const storage = path.join(base, "storage");
  fs.mkdirSync(storage, { recursive: true });
  const { httpPort, dicomPort } = await freePorts();
  const radzPort = await getPort({ exclude: [httpPort, dicomPort] });
  writeDebianLikeConfigDir(etc, {
    httpPort,
    dicomPort,
    storageDir: storage,
    dicomWebPlugin: findDicomWebPlugin(),
    python: mode.hook === "python",
    stableAge: STABLE_AGE_S,
  });
  const push = mode.hook !== null;
  const config = loadConfig({
    env: {},
    overrides: {
      orthanc: { url: `http://127.0.0.1:${httpPort}` },
      jobs: { dbPath: path.join(base, "radz.sqlite") },
      intake: push
        ? { poll: false, webhookSecret: SECRET }
        : { poll: true, pollCron: mode.pollCron ?? undefined },
      model: { bundle },
      http: { port: radzPort },
      log: { level: "silent" },
    },
  });
  if (mode.hook !== null)
    applyInstall(orthancInstallPlan({ orthancConfigDir: etc, hook: mode.hook }, config));
  const orthanc = await startOrthancOnDir(etc, httpPort);
  return { orthanc, config };
}

async function runMode(
  mode: Mode,
  studies: readonly SyntheticStudy[],
  work: string,
  bundle: string,
  log: (m: string) => void,
): Promise<ModeResult> {
  const { orthanc, config } = await startMode(mode, work, bundle);
  const problems: string[] = [];
  const samples: Sample[] = [];
  const t0 = Date.now();
  let service: Service | null = null;
  try {
    service = await createService(config, silentLogger());
    await service.start();
    const client = new OrthancClient({ url: orthanc.url, timeoutMs: 30_000 });
    const expectedSource = mode.hook !== null ? "webhook" : "changes";
    let seed = 20261128;
    const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    for (const [i, study] of studies.entries()) {
      await sleep(Math.floor(random() * PHASE_MS));
      const since = await lastChangeSeq(orthanc.url);
      let orthancId = "";
      for (const bytes of study.instances)
        orthancId = (await client.uploadInstance(bytes)).parentStudy;
      const uploadedAt = Date.now();
      const { stableAt } = await watch(orthanc.url, service, orthancId);
      const job = service.store.getByStudy(orthancId)!;
      const changeDateMs = await stableChangeMs(orthanc.url, since, orthancId);
      if (job.state !== "done")
        problems.push(`study ${i + 1}: job ${job.state} (${job.lastError?.code ?? "-"})`);
      if (job.source !== expectedSource)
        problems.push(`study ${i + 1}: enqueued by ${job.source}, not ${expectedSource}`);
      if (job.attempts !== 1) problems.push(`study ${i + 1}: ${job.attempts} attempts`);
      samples.push({ orthancId, uploadedAt, stableAt, changeDateMs, job });
      log(
        `${mode.key} ${i + 1}/${studies.length}: start ${job.startedAt! - stableAt} ms, enqueue ${job.createdAt - stableAt} ms after stable`,
      );
      await settle(orthanc.url, orthancId);
    }
  } catch (err) {
    problems.push(`aborted: ${(err as Error).message}`);
    log(`${mode.key}: ${(err as Error).message}\nOrthanc log tail:\n${orthanc.log().slice(-2000)}`);
  } finally {
    await service?.stop();
    await orthanc.stop();
  }
  return { mode, samples, problems, wallS: (Date.now() - t0) / 1000 };
}

function ms(v: number): string {
  return Number.isFinite(v) ? String(Math.round(v)) : "–";
}

function tableMarkdown(results: readonly ModeResult[]): string {
  const lines = [
    "| mode | studies | enqueue p50 / p95 / max ms | start p50 / p95 / max ms | start − enqueue p95 ms | processing p50 ms | target: start p95 < | met |",
    "| ---- | ------: | -------------------------: | -----------------------: | ---------------------: | ----------------: | ------------------: | --- |",
  ];
  for (const r of results) {
    const ok = r.samples.filter((s) => s.job.startedAt !== null);
    const enq = stats(ok.map((s) => s.job.createdAt - s.stableAt));
    const start = stats(ok.map((s) => s.job.startedAt! - s.stableAt));
    const pickup = stats(ok.map((s) => s.job.startedAt! - s.job.createdAt));
    const proc = stats(
      ok.filter((s) => s.job.finishedAt !== null).map((s) => s.job.finishedAt! - s.job.startedAt!),
    );
    const met = ok.length > 0 && start.p95 < r.mode.targetMs && r.problems.length === 0;
    lines.push(
      `| ${r.mode.label} | ${ok.length} | ${ms(enq.p50)} / ${ms(enq.p95)} / ${ms(enq.max)} | ${ms(start.p50)} / ${ms(start.p95)} / ${ms(start.max)} | ${ms(pickup.p95)} | ${ms(proc.p50)} | ${r.mode.targetMs} ms | ${met ? "yes" : "**no**"} |`,
    );
  }
  return lines.join("\n");
}

function crossCheck(results: readonly ModeResult[]): string {
  const out: string[] = [];
  for (const r of results) {
    const d = r.samples
      .filter((s) => s.changeDateMs !== null)
      .map((s) => s.stableAt - s.changeDateMs!);
    const inRange = d.filter((x) => x >= 0 && x < 1000 + POLL_MS + 50).length;
    const upload = stats(r.samples.map((s) => s.stableAt - s.uploadedAt));
    out.push(
      `- ${r.mode.label}: observed stable instant within the /changes StableStudy second for ${inRange}/${r.samples.length} studies; upload → stable p50 ${ms(upload.p50)} ms (StableAge ${STABLE_AGE_S} s); wall ${r.wallS.toFixed(0)} s${r.problems.length > 0 ? `; problems: ${r.problems.join("; ")}` : ""}`,
    );
  }
  return out.join("\n");
}

async function main(): Promise<void> {
  const count = Number(arg("count") ?? 20);
  if (!Number.isInteger(count) || count < 1) throw new Error("--count must be a positive integer");
  const all = modes();
  const wanted = (arg("modes") ?? all.map((m) => m.key).join(",")).split(",");
  const selected = all.filter((m) => wanted.includes(m.key));
  const unknown = wanted.filter((k) => !all.some((m) => m.key === k));
  if (unknown.length > 0) throw new Error(`unknown mode(s): ${unknown.join(", ")}`);
  const log = (m: string) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${m}`);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "radz-bench-intake-"));
  const bundle = arg("bundle") ?? path.join(work, "bundle");
  if (!arg("bundle")) await writeDemoBundle(bundle);
  const studies = generateSyntheticStudies({ count, seed: 11, rows: 256, columns: 256 });
  const loadBefore = os.loadavg();
  const startedIso = new Date().toISOString();
  const results: ModeResult[] = [];
  try {
    for (const mode of selected) {
      if (mode.hook === "python" && !fs.existsSync(PYTHON_PLUGIN)) {
        log(`python: skipped (${PYTHON_PLUGIN} missing: apt-get install orthanc-python)`);
        continue;
      }
      log(`${mode.key}: ${mode.label}, ${count} studies`);
      results.push(await runMode(mode, studies, work, bundle, log));
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  const loadAfter = os.loadavg();
  const fmtLoad = (l: number[]) => l.map((x) => x.toFixed(2)).join(", ");
  const markdown = [
    `Run ${startedIso.slice(0, 16)}Z – ${new Date().toISOString().slice(11, 16)}Z: ${count} studies per mode (one 256 × 256 image each, one at a time), StableAge ${STABLE_AGE_S} s, stable watch every ${POLL_MS} ms; ${os.availableParallelism()} cores, Node ${process.version}; load average (1, 5, 15 min) ${fmtLoad(loadBefore)} before, ${fmtLoad(loadAfter)} after.`,
    "",
    tableMarkdown(results),
    "",
    crossCheck(results),
    "",
  ].join("\n");
  process.stdout.write(markdown);
  const mdOut = arg("markdown");
  if (mdOut) fs.writeFileSync(mdOut, markdown);
  const jsonOut = arg("json");
  if (jsonOut)
    fs.writeFileSync(
      jsonOut,
      JSON.stringify(
        results.map((r) => ({
          mode: r.mode,
          problems: r.problems,
          samples: r.samples.map((s) => ({
            orthancId: s.orthancId,
            uploadedAt: s.uploadedAt,
            stableAt: s.stableAt,
            changeDateMs: s.changeDateMs,
            createdAt: s.job.createdAt,
            startedAt: s.job.startedAt,
            finishedAt: s.job.finishedAt,
            source: s.job.source,
            state: s.job.state,
          })),
        })),
        null,
        2,
      ),
    );
  if (results.some((r) => r.problems.length > 0)) process.exitCode = 1;
}

await main();
