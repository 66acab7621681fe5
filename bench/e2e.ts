/**
 * End-to-end throughput benchmark (issue 11; docs/benchmarks.md "End to end").
 *
 *   npm run bench:e2e                       (= npx tsx bench/e2e.ts)
 *   npx tsx bench/e2e.ts [--count 200] [--bundle DIR] [--markdown out.md] [--chart out.png] [--json]
 *                        [--no-floor]   (end to end only: throughput, latency, peak RSS)
 *   npx tsx bench/e2e.ts --chart-only out.json out.png   (redraw the chart of a run saved with --markdown)
 *
 * 1. Setup: a local Orthanc (startLocalOrthanc). Template studies of 1–3
 *    DX images, 2048 x 2500, 12-bit stored / 16-bit allocated, each image in
 *    one of the mixed transfer syntaxes below (encoded with dcmtk / gdcm), are
 *    uploaded; `--count` studies are cloned from them inside Orthanc
 *    (POST /studies/{id}/modify: new UIDs, same compressed pixel data), and
 *    the templates deleted.
 * 2. End to end: a child process runs the service (createService — the same
 *    composition as `radz serve`, default jobs.concurrency and decode pool)
 *    with intake polling off; all studies are enqueued at once (as a burst of
 *    StableStudy changes would) and the wall time to the last SR is measured.
 *    Latency per study = job finishedAt - createdAt (enqueue; StableAge is
 *    not part of it). Stage breakdown = the jobs' recorded timings. Peak RSS =
 *    the child's maxRSS.
 * 3. Floor, in the same run with nothing else working, for the same images:
 *    transfer (WADO-RS retrieve of every instance, `concurrency` at a time),
 *    decode + preprocess (the same decode pool over the same bytes),
 *    inference (the same tensors, one run per study's images, scored as the
 *    service scores them), write-back (the same SR and summary image built
 *    by the service's own functions, one STOW-RS per study, the study's
 *    flags; `concurrency` studies at a time, after the service's results were
 *    deleted so that the same objects are stored again), and the CPU-seconds
 *    of all four (this process + Orthanc, from /proc) divided by the cores.
 *    Floor = the largest; ratio = end-to-end wall / floor.
 *    cpuOverhead = (service + Orthanc CPU-s end to end) / (this process +
 *    Orthanc CPU-s of all bare stages); coresBusy = (service + Orthanc CPU-s
 *    end to end) / (cores x wall). `--json`: those three (and the run's
 *    size) as one JSON object on the last line of stdout.
 * 4. Localisation cost (issue 19; bundles with a spatial output): the same
 *    studies' tensors scored and reported with and without the spatial
 *    output (bench/e2e-localisation.ts); the CPU it adds per study, and as a
 *    share of a study's end-to-end CPU without it (`localisationPct` in the
 *    --json object).
 */
import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import sharp from "sharp";
import { createService } from "../src/app.js";
import { loadConfig, type Config } from "../src/config/index.js";
import { DicomWebClient } from "../src/dicomweb/index.js";
import { studyFlaggerFromConfig } from "../src/flags/index.js";
import {
  initCodecs,
  parseInstance,
  type DicomInstance,
  type GreyImage,
} from "../src/imaging/index.js";
import type { Job } from "../src/jobs/index.js";
import { loadModel, writeDemoBundle } from "../src/model/index.js";
import { silentLogger } from "../src/observability/index.js";
import { OrthancClient, startLocalOrthanc } from "../src/orthanc/index.js";
import { takesTurns } from "../src/pipeline/core-turns.js";
import { DecodePool, defaultDecodeThreads } from "../src/pipeline/decode-pool.js";
import { buildReport, scorePreparedImages, type StudyAnalysis } from "../src/pipeline/analyze.js";
import { headerOnly, type PreparedImage } from "../src/pipeline/prepare-image.js";
import { Stopwatch } from "../src/pipeline/stopwatch.js";
import { storeResultObjects } from "../src/pipeline/write-back.js";
import { RADZ_VERSION } from "../src/version.js";
import { makeTestInstance } from "../test/helpers/orthanc.js";
import { measureLocalisationCost, type LocalisationCost } from "./e2e-localisation.js";

const ROWS = 2500;
const COLUMNS = 2048;

interface Syntax {
  readonly name: string;
  /** Encodes in -> out; null: keep as written (Explicit VR Little Endian). */
  readonly encode: ((input: string, output: string) => void) | null;
}

const SYNTAXES: readonly Syntax[] = [
  { name: "Explicit VR Little Endian", encode: null },
  { name: "RLE Lossless", encode: (i, o) => execFileSync("dcmcrle", [i, o]) },
  { name: "JPEG-LS Lossless", encode: (i, o) => execFileSync("dcmcjpls", [i, o]) },
  { name: "JPEG 2000 Lossless", encode: (i, o) => execFileSync("gdcmconv", ["--j2k", i, o]) },
  { name: "Deflated Explicit VR LE", encode: (i, o) => execFileSync("dcmconv", ["+td", i, o]) },
];

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** A chest-like 12-bit image: smooth body, two lung fields, noise (compresses like a real one, roughly). */
function pixels(seed: number): Uint16Array {
  const out = new Uint16Array(ROWS * COLUMNS);
  let s = seed * 2654435761 + 1;
  const rand = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;
  for (let y = 0; y < ROWS; y++) {
    for (let x = 0; x < COLUMNS; x++) {
      const dx = (x - COLUMNS / 2) / (COLUMNS / 2);
      const dy = (y - ROWS / 2) / (ROWS / 2);
      const body = Math.max(0, 1 - dx * dx * 0.8 - dy * dy * 0.5);
      const lung =
        Math.exp(-(((dx + 0.35) / 0.22) ** 2) - ((dy + 0.05) / 0.45) ** 2) +
        Math.exp(-(((dx - 0.35) / 0.22) ** 2) - ((dy + 0.05) / 0.45) ** 2);
      const v = 600 + 2600 * body - 1500 * lung + 40 * rand();
      out[y * COLUMNS + x] = Math.max(0, Math.min(4095, Math.round(v)));
    }
  }
  return out;
}

/** Three decimals, for the --json line. */
function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** user+system CPU seconds of a process from /proc (Orthanc). */
function procCpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]);
  return ticks / 100; // USER_HZ
}

/**
 * CPU seconds of this process's threads now alive (/proc/self/task), the
 * busiest first; "main" is the event loop's thread. Worker threads, the
 * session's and the decode pool's, and onnxruntime's pool threads all read
 * "node" in /proc, so they are told apart by their share.
 */
function threadCpuSeconds(): { name: string; cpuS: number }[] {
  const out: { name: string; cpuS: number }[] = [];
  for (const tid of fs.readdirSync("/proc/self/task")) {
    try {
      const name = fs.readFileSync(`/proc/self/task/${tid}/comm`, "utf8").trim();
      const stat = fs.readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      out.push({
        name: Number(tid) === process.pid ? "main" : name,
        cpuS: (Number(fields[11]) + Number(fields[12])) / 100,
      });
    } catch {
      // The thread ended meanwhile.
    }
  }
  return out.sort((a, b) => b.cpuS - a.cpuS);
}

function selfCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

interface StageCost {
  readonly wallMs: number;
  /** This process's CPU seconds (all threads) + Orthanc's over the stage. */
  readonly cpuS: number;
}

/** Wall time and CPU seconds (this process + Orthanc) of one bare stage. */
async function measureStage(orthancPid: number, fn: () => Promise<void>): Promise<StageCost> {
  const cpu0 = selfCpuSeconds() + procCpuSeconds(orthancPid);
  const t0 = performance.now();
  await fn();
  return {
    wallMs: performance.now() - t0,
    cpuS: selfCpuSeconds() + procCpuSeconds(orthancPid) - cpu0,
  };
}

async function pooled<T>(
  items: readonly T[],
  n: number,
  fn: (t: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.max(1, n) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

// ---------------------------------------------------------------- child: the service

interface ServicePhaseInput {
  readonly config: Config;
  readonly studies: readonly string[];
}

interface ServicePhaseOutput {
  readonly wallMs: number;
  readonly latenciesMs: number[];
  readonly stages: Record<string, number>;
  readonly failed: number;
  readonly maxRssMb: number;
  /** CPU seconds the service process used (all threads, incl. the decode pool) from enqueue to the last SR. */
  readonly cpuS: number;
  /** The same by thread, from /proc (since the process started: incl. the model's load and warm-up). */
  readonly threads: { name: string; cpuS: number }[];
}

async function servicePhase(inputFile: string, outputFile: string): Promise<void> {
  const input = JSON.parse(fs.readFileSync(inputFile, "utf8")) as ServicePhaseInput;
  const service = await createService(input.config, silentLogger());
  await service.start();
  const t0 = Date.now();
  const cpu0 = process.cpuUsage();
  service.store.enqueueBatch([...input.studies], "changes");
  service.runner.wake();
  for (;;) {
    const c = service.store.countByState();
    if ((c.done ?? 0) + (c.failed ?? 0) + (c.skipped ?? 0) >= input.studies.length) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const jobs: Job[] = service.store.list({ limit: input.studies.length + 10 });
  const finished = jobs.filter((j) => j.finishedAt !== null);
  const wallMs = Math.max(...finished.map((j) => j.finishedAt!)) - t0;
  const stages: Record<string, number> = {};
  for (const j of jobs)
    for (const [k, v] of Object.entries(j.result?.timings ?? {})) stages[k] = (stages[k] ?? 0) + v;
  const out: ServicePhaseOutput = {
    wallMs,
    latenciesMs: finished.map((j) => j.finishedAt! - j.createdAt).sort((a, b) => a - b),
    stages,
    failed: jobs.filter((j) => j.state !== "done").length,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    cpuS: ((c) => (c.user + c.system) / 1e6)(process.cpuUsage(cpu0)),
    threads: threadCpuSeconds(),
  };
  await service.stop();
  fs.writeFileSync(outputFile, JSON.stringify(out));
}

// ---------------------------------------------------------------- parent

interface StudyImages {
  /** Orthanc study ID of the clone. */
  readonly orthancId: string;
  /** Template image files, in order (same pixel data and syntax as the clone's). */
  readonly files: readonly string[];
}

async function main(): Promise<void> {
  const count = Number(arg("count") ?? 200);
  const json = process.argv.includes("--json");
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "radz-bench-e2e-"));
  const bundle = arg("bundle") ?? path.join(work, "bundle");
  if (!arg("bundle")) await writeDemoBundle(bundle);
  const cores = os.availableParallelism();
  const log = (m: string) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${m}`);

  const orthanc = await startLocalOrthanc({ stableAgeSeconds: 3600 });
  try {
    const client = new OrthancClient({ url: orthanc.url, timeoutMs: 120_000 });
    // Templates: 3 image counts x the syntaxes; image j of template t uses syntax (t + j) mod S.
    log(`encoding templates (${SYNTAXES.length * 3} studies, 2048 x 2500 x 16 bit)`);
    const templates: { orthancId: string; files: string[] }[] = [];
    const basePixels = [0, 1, 2].map((k) => pixels(k + 1));
    for (let t = 0; t < SYNTAXES.length * 3; t++) {
      const images = (t % 3) + 1;
      const files: string[] = [];
      const study = makeTestInstance({ rows: 8, columns: 8 }).studyInstanceUid;
      const series = makeTestInstance({ rows: 8, columns: 8 }).seriesInstanceUid;
      let orthancId = "";
      for (let j = 0; j < images; j++) {
        const inst = makeTestInstance({
          studyInstanceUid: study,
          seriesInstanceUid: series,
          rows: ROWS,
          columns: COLUMNS,
          instanceNumber: j + 1,
          viewPosition: j === 1 ? "LL" : "PA",
          extra: { PixelData: [basePixels[(t + j) % 3]!.slice().buffer] },
        });
        const raw = path.join(work, `t${t}-${j}-raw.dcm`);
        fs.writeFileSync(raw, inst.bytes);
        const syntax = SYNTAXES[(t + j) % SYNTAXES.length]!;
        const file = syntax.encode ? path.join(work, `t${t}-${j}.dcm`) : raw;
        syntax.encode?.(raw, file);
        files.push(file);
        orthancId = (await client.uploadInstance(new Uint8Array(fs.readFileSync(file))))
          .parentStudy;
      }
      templates.push({ orthancId, files });
    }

    log(`cloning ${count} studies inside Orthanc`);
    const studies: StudyImages[] = [];
    for (let i = 0; i < count; i++) {
      const t = templates[i % templates.length]!;
      const res = await fetch(`${orthanc.url}/studies/${t.orthancId}/modify`, {
        method: "POST",
        body: JSON.stringify({ Replace: { StudyID: String(i + 1) } }),
      });
      if (!res.ok) throw new Error(`modify failed: HTTP ${res.status}`);
      const body = (await res.json()) as { ID: string };
      studies.push({ orthancId: body.ID, files: t.files });
    }
    for (const t of templates)
      await fetch(`${orthanc.url}/studies/${t.orthancId}`, { method: "DELETE" });
    const imageCount = studies.reduce((n, s) => n + s.files.length, 0);

    // The instances' UIDs, for the bare transfer below (read before results are added).
    const instances: { study: string; series: string; sop: string }[] = [];
    for (const s of studies) {
      const r = await fetch(`${orthanc.url}/studies/${s.orthancId}`);
      const st = (await r.json()) as { MainDicomTags: Record<string, string>; Series: string[] };
      const studyUid = st.MainDicomTags["StudyInstanceUID"]!;
      for (const seriesId of st.Series) {
        const sr = (await (await fetch(`${orthanc.url}/series/${seriesId}`)).json()) as {
          MainDicomTags: Record<string, string>;
          Instances: string[];
        };
        for (const id of sr.Instances) {
          const ir = (await (await fetch(`${orthanc.url}/instances/${id}`)).json()) as {
            MainDicomTags: Record<string, string>;
          };
          instances.push({
            study: studyUid,
            series: sr.MainDicomTags["SeriesInstanceUID"]!,
            sop: ir.MainDicomTags["SOPInstanceUID"]!,
          });
        }
      }
    }
    // ------------------------------------------------------------ end to end (child process)
    // RADZ_SECTION__KEY variables tune the service as they tune `radz serve`
    // (e.g. RADZ_MODEL__INTRA_OP_THREADS=1); nothing else from the environment.
    const config = loadConfig({
      env: Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith("RADZ_"))),
      overrides: {
        orthanc: { url: orthanc.url },
        jobs: { dbPath: path.join(work, "radz.sqlite") },
        model: { bundle },
        intake: { poll: false, sweep: false },
        http: { port: 0, host: "127.0.0.1" },
        log: { level: "silent" },
      },
    });
    const inFile = path.join(work, "in.json");
    const outFile = path.join(work, "out.json");
    fs.writeFileSync(
      inFile,
      JSON.stringify({
        config,
        studies: studies.map((s) => s.orthancId),
      } satisfies ServicePhaseInput),
    );
    log(`end to end: ${count} studies, ${imageCount} images`);
    const orthancCpu0 = procCpuSeconds(orthanc.process.pid!);
    await new Promise<void>((resolve, reject) => {
      const child = spawn(
        process.execPath,
        [
          ...process.execArgv,
          fileURLToPath(import.meta.url),
          "--phase",
          "service",
          inFile,
          outFile,
        ],
        {
          stdio: ["ignore", "inherit", "inherit"],
          // glibc as deploy/radz.service sets it for the service (docs/deploy.md, "Memory"),
          // unless the environment says otherwise; Orthanc and the bare stages keep the default.
          env: {
            ...process.env,
            MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? "2",
            MALLOC_MMAP_THRESHOLD_: process.env.MALLOC_MMAP_THRESHOLD_ ?? "131072",
          },
        },
      );
      child.on("exit", (code) =>
        code === 0 ? resolve() : reject(new Error(`service phase exited ${code}`)),
      );
    });
    const e2e = JSON.parse(fs.readFileSync(outFile, "utf8")) as ServicePhaseOutput;
    const orthancCpuE2e = procCpuSeconds(orthanc.process.pid!) - orthancCpu0;
    // How busy the machine was end to end: CPU seconds of the service and Orthanc
    // over (cores x wall). Below ~0.9 on a CPU-bound run, cores sat idle.
    const busy = (e2e.cpuS + orthancCpuE2e) / (cores * (e2e.wallMs / 1000));
    const cpuLine =
      `CPU end to end: service ${e2e.cpuS.toFixed(1)} s + Orthanc ${orthancCpuE2e.toFixed(1)} s ` +
      `= ${(busy * 100).toFixed(0)} % of ${cores} cores over the wall time.`;

    if (process.argv.includes("--no-floor")) {
      // Throughput, latency and peak RSS only (e.g. the RSS check at a larger --count).
      const lat = e2e.latenciesMs;
      console.log(
        `studies ${count}, images ${imageCount}, failed ${e2e.failed}, wall ${(e2e.wallMs / 1000).toFixed(1)} s, ` +
          `${((count / e2e.wallMs) * 60000).toFixed(1)} studies/min, p50 ${(percentile(lat, 50) / 1000).toFixed(1)} s, ` +
          `p95 ${(percentile(lat, 95) / 1000).toFixed(1)} s, peak RSS ${e2e.maxRssMb.toFixed(0)} MB`,
      );
      console.log(cpuLine);
      if (json)
        console.log(
          JSON.stringify({
            studies: count,
            images: imageCount,
            wallS: round(e2e.wallMs / 1000),
            coresBusy: round(busy),
          }),
        );
      return;
    }
    // ------------------------------------------------------------ floor: bare stages
    const dicomweb = new DicomWebClient({
      url: orthanc.dicomwebUrl,
      timeoutMs: 120_000,
      maxInstanceBytes: config.dicomweb.maxInstanceBytes,
    });
    const concurrency = config.jobs.concurrency;
    const orthancPid = orthanc.process.pid!;
    log(`floor: transfer (${instances.length} WADO-RS retrieves, ${concurrency} at a time)`);
    const transfer = await measureStage(orthancPid, () =>
      pooled(instances, concurrency, async (i) => {
        await dicomweb.retrieveInstance(i.study, i.series, i.sop);
      }),
    );

    // Not measured: each clone's instance headers (what the SR describes), by
    // Instance Number = the template file's position + 1.
    const headers = new Map<string, DicomInstance[]>();
    for (const i of instances) {
      const instance = headerOnly(
        parseInstance(await dicomweb.retrieveInstance(i.study, i.series, i.sop), {
          maxBytes: config.dicomweb.maxInstanceBytes,
        }),
      );
      const list = headers.get(i.study) ?? [];
      list.push(instance);
      headers.set(i.study, list);
    }
    const studyUids = [...new Set(instances.map((i) => i.study))];
    const headersOf = (k: number): DicomInstance[] =>
      [...headers.get(studyUids[k]!)!].sort(
        (a, b) => Number(a.dataset["InstanceNumber"]) - Number(b.dataset["InstanceNumber"]),
      );

    log("floor: decode + preprocess (the same decode pool)");
    await initCodecs();
    // The same providers as the service (RADZ_MODEL__EXECUTION_PROVIDERS='["cuda","cpu"]' on a GPU node).
    const model = await loadModel(bundle, {
      executionProviders: config.model.executionProviders,
      requireGpu: config.model.requireGpu,
      logger: silentLogger(),
    });
    // As many workers as the service had (its default depends on whether decoding took turns).
    const threads =
      config.imaging.decodeThreads ??
      defaultDecodeThreads(
        takesTurns(config.imaging.yieldToInference, {
          remote: config.inference.backend !== "local",
          executionProvider: model.identity.executionProvider,
        }),
      );
    const pool = new DecodePool({ threads });
    const fileBytes = new Map<string, Buffer>();
    for (const s of studies)
      for (const f of s.files) if (!fileBytes.has(f)) fileBytes.set(f, fs.readFileSync(f));
    const tensorOf = new Map<string, Float32Array>();
    const thumbnailOf = new Map<string, GreyImage>();
    const jobsList = studies.flatMap((s) => s.files.map((f, j) => ({ f, thumb: j === 0 })));
    const decode = await measureStage(orthancPid, () =>
      pooled(jobsList, threads * 2, async ({ f, thumb }) => {
        const p: PreparedImage = await pool.prepare({
          bytes: new Uint8Array(fileBytes.get(f)!),
          maxBytes: config.dicomweb.maxInstanceBytes,
          windowIndex: config.imaging.windowIndex,
          maxPixels: config.imaging.maxPixels,
          preprocess: model.preprocess,
          thumbnail: thumb,
        });
        tensorOf.set(f, p.tensor);
        if (p.thumbnail) thumbnailOf.set(f, p.thumbnail);
      }),
    );
    await pool.close();

    log("floor: inference (one run per study's images, scored as the service scores them)");
    const analyses: StudyAnalysis[] = [];
    const inference = await measureStage(orthancPid, async () => {
      for (const [k, s] of studies.entries()) {
        const hs = headersOf(k);
        analyses.push(
          await scorePreparedImages(
            s.files.map((f, j) => ({ instance: hs[j]!, tensor: tensorOf.get(f)! })),
            thumbnailOf.get(s.files[0]!)!,
            model,
            config,
            new Stopwatch(),
          ),
        );
      }
    });

    // Not measured: the service's results are deleted, so that the bare
    // write-back stores the same objects (same UIDs) as new instances.
    for (const s of studies) {
      const series = (await (
        await fetch(`${orthanc.url}/studies/${s.orthancId}/series?expand`)
      ).json()) as { ID: string; MainDicomTags: Record<string, string> }[];
      for (const se of series)
        if (["SR", "OT"].includes(se.MainDicomTags["Modality"] ?? ""))
          await fetch(`${orthanc.url}/series/${se.ID}`, { method: "DELETE" });
    }
    const flagger = studyFlaggerFromConfig(config, client, silentLogger());
    await flagger.method();
    log(`floor: write-back (SR + summary image, STOW-RS, flags; ${concurrency} studies at a time)`);
    const writeBack = await measureStage(orthancPid, () =>
      pooled([...studies.keys()], concurrency, async (k) => {
        const analysis = analyses[k]!;
        const clock = new Stopwatch();
        const { sr, summary } = await buildReport(
          analysis,
          headersOf(k)[0]!,
          model,
          config,
          RADZ_VERSION,
          clock,
        );
        await storeResultObjects(
          dicomweb,
          analysis.studyInstanceUid,
          summary ? [sr, summary] : [sr],
          clock,
        );
        await flagger.apply(studies[k]!.orthancId, {
          priority: analysis.triage.priority,
          findings: analysis.findings,
          sr: { sopInstanceUid: sr.sopInstanceUid },
        });
      }),
    );
    // Localisation's cost (issue 19): the same tensors with and without the spatial output.
    let localisation: LocalisationCost | null = null;
    if (model.patchGrid !== null) {
      log("localisation cost: every study scored and reported with and without the spatial output");
      localisation = await measureLocalisationCost(
        studies.map((s, k) => {
          const hs = headersOf(k);
          return {
            images: s.files.map((f, j) => ({ instance: hs[j]!, tensor: tensorOf.get(f)! })),
            thumbnail: thumbnailOf.get(s.files[0]!)!,
            source: hs[0]!,
          };
        }),
        model,
        config,
      );
    }
    await model.close();

    const bareCpuS = transfer.cpuS + decode.cpuS + inference.cpuS + writeBack.cpuS;
    const cpuFloorMs = (bareCpuS / cores) * 1000;
    const floors = {
      inference: inference.wallMs,
      transfer: transfer.wallMs,
      decode: decode.wallMs,
      "write-back": writeBack.wallMs,
      "cpu/cores": cpuFloorMs,
    };
    const [floorName, floorMs] = Object.entries(floors).sort((a, b) => b[1] - a[1])[0]!;
    const ratio = e2e.wallMs / floorMs;
    const cpuOverhead = (e2e.cpuS + orthancCpuE2e) / bareCpuS;

    // Per study: end-to-end CPU (service + Orthanc) with localisation, the CPU it adds, and that
    // as a share of the study's CPU without it.
    const e2eCpuPerStudyMs = ((e2e.cpuS + orthancCpuE2e) / count) * 1000;
    const loc = localisation && {
      inferenceMs: ((localisation.inferenceWith - localisation.inferenceWithout) / count) * 1000,
      reportMs: ((localisation.reportWith - localisation.reportWithout) / count) * 1000,
    };
    const locAddedMs = loc ? loc.inferenceMs + loc.reportMs : 0;
    const locPct = (100 * locAddedMs) / (e2eCpuPerStudyMs - locAddedMs);

    const lat = e2e.latenciesMs;
    const lines: string[] = [];
    const cpuModel = os.cpus()[0]?.model ?? "unknown CPU";
    lines.push(
      `Machine: ${cores} cores (${cpuModel}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, Orthanc 1.10.1 on loopback; model bundle: ${arg("bundle") ?? "demo bundle (radz-demo-synthetic)"}.`,
      `Command: \`npx tsx bench/e2e.ts --count ${count}\` (${new Date().toISOString().slice(0, 16)}Z).`,
      "",
      `| studies | images | failed | wall s | studies/min | images/s | images/s/core | p50 latency s | p95 latency s | peak RSS MB |`,
      `|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|`,
      `| ${count} | ${imageCount} | ${e2e.failed} | ${(e2e.wallMs / 1000).toFixed(1)} | ${((count / e2e.wallMs) * 60000).toFixed(1)} | ${((imageCount / e2e.wallMs) * 1000).toFixed(2)} | ${(((imageCount / e2e.wallMs) * 1000) / cores).toFixed(2)} | ${(percentile(lat, 50) / 1000).toFixed(1)} | ${(percentile(lat, 95) / 1000).toFixed(1)} | ${e2e.maxRssMb.toFixed(0)} |`,
      "",
      "Floor (bare stages, same images, nothing else running):",
      "",
      "| stage | wall s | CPU s |",
      "|---|---:|---:|",
      `| transfer (WADO-RS, ${concurrency} at a time; CPU incl. Orthanc) | ${(transfer.wallMs / 1000).toFixed(1)} | ${transfer.cpuS.toFixed(1)} |`,
      `| decode + preprocess (${threads} worker threads) | ${(decode.wallMs / 1000).toFixed(1)} | ${decode.cpuS.toFixed(1)} |`,
      `| inference (one run per study, scored) | ${(inference.wallMs / 1000).toFixed(1)} | ${inference.cpuS.toFixed(1)} |`,
      `| write-back (SR + summary image, STOW-RS, flags; ${concurrency} at a time; CPU incl. Orthanc) | ${(writeBack.wallMs / 1000).toFixed(1)} | ${writeBack.cpuS.toFixed(1)} |`,
      `| CPU-seconds of all bare stages / ${cores} cores | ${(cpuFloorMs / 1000).toFixed(1)} | ${bareCpuS.toFixed(1)} |`,
      "",
      `**Floor = ${(floorMs / 1000).toFixed(1)} s (${floorName}); end-to-end wall ${(e2e.wallMs / 1000).toFixed(1)} s; ratio = ${ratio.toFixed(2)}** (target ≤ 1.15). ${cpuLine}`,
      "",
      `cpuOverhead = ${cpuOverhead.toFixed(2)}, coresBusy = ${busy.toFixed(2)}, ratio = ${ratio.toFixed(2)}`,
      "",
      "Service CPU by thread, busiest first (/proc/PID/task; since the process started, so incl. the model's load and warm-up; threads above 0.5 s): " +
        e2e.threads
          .filter((t) => t.cpuS >= 0.5)
          .map((t) => `${t.name} ${t.cpuS.toFixed(1)} s`)
          .join(", ") +
        ".",
      "",
      ...(localisation && loc
        ? [
            `Localisation cost (the same ${count} studies with and without the spatial output, CPU ms per study):`,
            "",
            "| per study | with | without | added |",
            "|---|---:|---:|---:|",
            `| inference (encoder run, scoring; maps and regions) | ${((localisation.inferenceWith / count) * 1000).toFixed(1)} | ${((localisation.inferenceWithout / count) * 1000).toFixed(1)} | ${loc.inferenceMs.toFixed(1)} |`,
            `| report (SR + summary image) | ${((localisation.reportWith / count) * 1000).toFixed(1)} | ${((localisation.reportWithout / count) * 1000).toFixed(1)} | ${loc.reportMs.toFixed(1)} |`,
            `| end to end (service + Orthanc; without = with − added) | ${e2eCpuPerStudyMs.toFixed(0)} | ${(e2eCpuPerStudyMs - locAddedMs).toFixed(0)} | ${locAddedMs.toFixed(1)} |`,
            "",
            `localisation adds ${locAddedMs.toFixed(1)} ms CPU per study = ${locPct.toFixed(1)} % (${(localisation.regions / count).toFixed(1)} regions per study)`,
            "",
          ]
        : []),
      "Stage breakdown (sum over all jobs of the per-job timings, seconds; stages overlap across concurrent jobs, so the sum exceeds the wall time):",
      "",
      "| stage | total s | per study ms |",
      "|---|---:|---:|",
      ...Object.entries(e2e.stages)
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => `| ${k} | ${(v / 1000).toFixed(1)} | ${(v / count).toFixed(0)} |`),
    );
    const md = lines.join("\n");
    console.log(md);
    console.log(`\nratio (end-to-end wall / floor) = ${ratio.toFixed(2)}`);
    if (json) {
      const summary = {
        studies: count,
        images: imageCount,
        wallS: round(e2e.wallMs / 1000),
        cpuOverhead: round(cpuOverhead),
        coresBusy: round(busy),
        ratio: round(ratio),
        ...(localisation ? { localisationPct: round(locPct) } : {}),
      };
      console.log(JSON.stringify(summary));
    }
    const mdOut = arg("markdown");
    if (mdOut) {
      fs.writeFileSync(mdOut, md + "\n");
      // The chart's data, for `--chart-only <this.json> <out.png>`.
      fs.writeFileSync(
        mdOut.replace(/\.md$/, "") + ".json",
        JSON.stringify(
          {
            count,
            stages: e2e.stages,
            wallMs: e2e.wallMs,
            floors,
            ratio,
            cpuOverhead,
            coresBusy: busy,
          },
          null,
          1,
        ),
      );
    }
    const chartOut = arg("chart");
    if (chartOut) await writeChart(chartOut, e2e.stages, count, floors, e2e.wallMs);
  } finally {
    await orthanc.stop();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** Horizontal bar chart (SVG rendered by sharp): per-study ms per stage, and floor vs. wall. */
async function writeChart(
  file: string,
  stages: Record<string, number>,
  count: number,
  floors: Record<string, number>,
  wallMs: number,
): Promise<void> {
  // Waits (queueWait: the burst's backlog; decodeWait) are in the table; the
  // chart shows where work went, which a 100-s queue wait would flatten.
  const rows: [string, number, string][] = [
    ...Object.entries(stages)
      .filter(([k]) => k !== "queueWait" && k !== "decodeWait")
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]): [string, number, string] => [k, v / count, "#4a7ebb"]),
  ];
  const wallRows: [string, number, string][] = [
    ["end-to-end wall", wallMs / 1000, "#c0504d"],
    ...Object.entries(floors).map(([k, v]): [string, number, string] => [
      `floor: ${k}`,
      v / 1000,
      "#9bbb59",
    ]),
  ];
  const W = 900;
  const barH = 22;
  const left = 190;
  const h1 = 40 + rows.length * barH;
  const H = h1 + 60 + wallRows.length * barH + 20;
  const max1 = Math.max(...rows.map((r) => r[1]), 1);
  const max2 = Math.max(...wallRows.map((r) => r[1]), 1);
  const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;");
  const bars = (list: [string, number, string][], y0: number, max: number, unit: string) =>
    list
      .map(([label, v, colour], i) => {
        const y = y0 + i * barH;
        const w = Math.max(1, ((W - left - 90) * v) / max);
        return `<text x="${left - 8}" y="${y + 15}" text-anchor="end" font-size="13">${esc(label)}</text><rect x="${left}" y="${y + 3}" width="${w.toFixed(1)}" height="${barH - 6}" fill="${colour}"/><text x="${left + w + 6}" y="${y + 15}" font-size="12">${v.toFixed(v < 10 ? 1 : 0)} ${unit}</text>`;
      })
      .join("");
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="DejaVu Sans, sans-serif"><rect width="100%" height="100%" fill="white"/><text x="10" y="24" font-size="15" font-weight="bold">Work per study by stage (ms, summed over its images; waits in the table), ${count} studies</text>${bars(rows, 34, max1, "ms")}<text x="10" y="${h1 + 34}" font-size="15" font-weight="bold">End-to-end wall time vs. floor (s)</text>${bars(wallRows, h1 + 44, max2, "s")}</svg>`;
  await sharp(Buffer.from(svg)).png().toFile(file);
}

if (process.argv[2] === "--phase" && process.argv[3] === "service") {
  await servicePhase(process.argv[4]!, process.argv[5]!);
} else if (process.argv[2] === "--chart-only") {
  // Redraw a chart from a saved run: --chart-only <run.json> <out.png>.
  const saved = JSON.parse(fs.readFileSync(process.argv[3]!, "utf8")) as {
    count: number;
    stages: Record<string, number>;
    wallMs: number;
    floors: Record<string, number>;
  };
  await writeChart(process.argv[4]!, saved.stages, saved.count, saved.floors, saved.wallMs);
} else {
  await main();
}
