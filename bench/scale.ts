/**
 * Issue 9 benchmarks: inference over the Open Inference Protocol.
 *
 *   npm run bench:scale [-- --quick] [-- --bundle <dir>] [-- --window-ms 3000]
 *
 * 1. Worker round trip vs in-process for the same batch: a `radz worker`
 *    child process serving the bundle; median latency of one embedImages
 *    call in process, and through the remote backend with binary and with
 *    JSON tensors; overhead per image and request size.
 * 2. Scale-out on paper: this process is the listener (remote backend +
 *    scoring); K mock GPU nodes run in one child process, each a minimal OIP
 *    server that takes a fixed 100 ms per request, one at a time. Studies/s vs
 *    K = 1..64, node busy fraction, the listener's CPU time per study (its
 *    own process, so the measure holds on a loaded machine) and event-loop
 *    utilisation, and where a study's listener time goes (dispatch vs.
 *    decode/preprocess/SR measured on synthetic studies).
 * 3. CUDA vs CPU images/s, where the CUDA execution provider loads.
 *
 * Prints markdown tables; writes bench-output/scale.json.
 */
import {
  fork,
  spawn,
  type ChildProcess,
  type ChildProcessWithoutNullStreams,
} from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadConfig } from "../src/config/index.js";
import { parseInstance } from "../src/imaging/index.js";
import { createBatchedModel } from "../src/inference/batcher.js";
import {
  RemoteBackend,
  bindBackend,
  decodeInferenceResponse,
  encodeInferenceRequest,
  encodeInferenceResponse,
  imageModelName,
  type InferenceBackend,
} from "../src/inference/index.js";
import { loadModel, writeDemoBundle, type ZeroShotModel } from "../src/model/index.js";
import { silentLogger } from "../src/observability/index.js";
import { aggregateScores } from "../src/pipeline/aggregate.js";
import { analyzeImages, buildReport } from "../src/pipeline/analyze.js";
import { Stopwatch } from "../src/pipeline/stopwatch.js";
import { generateSyntheticStudies } from "../src/synthetic/index.js";
import { RADZ_VERSION } from "../src/version.js";
import { startFakeOipServer } from "../test/inference/fake-oip-server.js";

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(name);
const option = (name: string, fallback: string) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1]! : fallback;
};
const QUICK = flag("--quick");
const WINDOW_MS = Number(option("--window-ms", QUICK ? "1500" : "3000"));
const WARM_MS = QUICK ? 400 : 800;
const KS = [1, 2, 4, 8, 16, 32, 64];
const NODE_LATENCY_MS = 100;
const IMAGES_PER_STUDY = 2;

const root = mkdtempSync(path.join(os.tmpdir(), "radz-bench-scale-"));
const bundleDir = option("--bundle", path.join(root, "bundle"));
if (!flag("--bundle")) await writeDemoBundle(bundleDir);
const cacheDir = path.join(root, "embeddings");
const logger = silentLogger();
const config = loadConfig({ env: {} });
const model = await loadModel(bundleDir, {
  executionProviders: ["cpu"],
  requireGpu: false,
  logger,
  embeddingCacheDir: cacheDir,
});
const [C, H, W] = model.inputShape;
const PER = C * H * W;
const ie = model.manifest.imageEncoder;
const results: Record<string, unknown> = {
  machine: {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? "unknown",
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
  },
  bundle: {
    id: model.identity.id,
    inputShape: model.inputShape,
    embeddingSize: model.embeddingSize,
  },
};

function image(seed: number): Float32Array {
  const x = new Float32Array(PER);
  let s = seed * 2654435761;
  for (let i = 0; i < PER; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    x[i] = (s >>> 8) / 2 ** 24;
  }
  return x;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}

function table(head: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.join(" | ")} |`;
  return [line(head), line(head.map(() => "---")), ...rows.map(line)].join("\n");
}

const f1 = (n: number) => n.toFixed(1);
const f2 = (n: number) => n.toFixed(2);

function remoteBackend(urls: readonly string[], binary: boolean, maxBatch = 64): RemoteBackend {
  return new RemoteBackend({
    endpoints: urls.map((url) => ({ url })),
    modelName: imageModelName(model.identity.id),
    inputName: ie.inputName,
    outputName: ie.outputName,
    inputShape: model.inputShape,
    embeddingSize: model.embeddingSize,
    timeoutMs: 60_000,
    maxAttempts: 1,
    probeIntervalMs: 60_000,
    maxBatch,
    binary,
    logger,
  });
}

// ------------------------------------------------------------------ 1. round trip

function startChildWorker(): Promise<{ url: string; child: ChildProcessWithoutNullStreams }> {
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      "src/cli/main.ts",
      "worker",
      "--bundle",
      bundleDir,
      "--port",
      "0",
      "--no-text",
    ],
    {
      env: {
        ...process.env,
        RADZ_WORKER__ALLOW_UNAUTHENTICATED: "true",
        RADZ_WORKER__MAX_QUEUE_DELAY_MS: "0",
        RADZ_WORKER__MAX_BATCH: "64",
        RADZ_MODEL__EMBEDDING_CACHE_DIR: cacheDir,
        RADZ_LOG__LEVEL: "warn",
      },
    },
  );
  return new Promise((resolve, reject) => {
    let out = "";
    let err = "";
    child.stderr.on("data", (c: Buffer) => (err += c.toString()));
    child.stdout.on("data", (c: Buffer) => {
      out += c.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve({ url: m[1]!, child });
    });
    child.once("exit", (code) => reject(new Error(`worker exited ${code}: ${err}`)));
  });
}

async function timeCalls(fn: () => Promise<unknown>, reps: number): Promise<number> {
  for (let i = 0; i < 3; i++) await fn();
  const ms: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    await fn();
    ms.push(performance.now() - t);
  }
  return median(ms);
}

async function roundTrip(): Promise<void> {
  const worker = await startChildWorker();
  const binary = remoteBackend([worker.url], true);
  const json = remoteBackend([worker.url], false);
  // Transport and codec alone: a spec-following fake node in this process that does not compute.
  const fakeNode = await startFakeOipServer({
    models: [
      {
        name: imageModelName(model.identity.id),
        inputs: [{ name: ie.inputName, datatype: "FP32", shape: [-1, C, H, W] }],
        outputs: [{ name: ie.outputName, datatype: "FP32", shape: [-1, model.embeddingSize] }],
        compute: (_inputs, batch) =>
          new Map([[ie.outputName, new Array<number>(batch * model.embeddingSize).fill(0.5)]]),
      },
    ],
    validate: false,
    record: false,
  });
  const fakeBinary = remoteBackend([fakeNode.url], true);
  const fakeJson = remoteBackend([fakeNode.url], false);
  await Promise.all([binary.start(), json.start(), fakeBinary.start(), fakeJson.start()]);
  const rows: (string | number)[][] = [];
  const data: unknown[] = [];
  for (const batch of QUICK ? [1, 8] : [1, 4, 16]) {
    const images = Array.from({ length: batch }, (_, i) => image(i + 1));
    const reps = QUICK ? 8 : batch >= 16 ? 12 : 25;
    // Interleaved (local, binary, JSON, local, ...) so that load changes on a
    // shared machine hit all three alike; medians.
    const runs = {
      local: [] as number[],
      bin: [] as number[],
      js: [] as number[],
      fakeBin: [] as number[],
      fakeJs: [] as number[],
    };
    const once = async (into: number[], fn: () => Promise<unknown>) => {
      const t = performance.now();
      await fn();
      into.push(performance.now() - t);
    };
    for (let i = 0; i < 2; i++) {
      await model.embedImages(images);
      await binary.embedImages(images);
      await json.embedImages(images);
    }
    for (let i = 0; i < reps; i++) {
      await once(runs.local, () => model.embedImages(images));
      await once(runs.bin, () => binary.embedImages(images));
      if (i % 2 === 0) await once(runs.js, () => json.embedImages(images));
      await once(runs.fakeBin, () => fakeBinary.embedImages(images));
      if (i % 2 === 0) await once(runs.fakeJs, () => fakeJson.embedImages(images));
    }
    const local = median(runs.local);
    const bin = median(runs.bin);
    const js = median(runs.js);
    const transportBin = median(runs.fakeBin);
    const transportJs = median(runs.fakeJs);
    const size = (b: boolean) =>
      encodeInferenceRequest({
        binaryInputs: b,
        inputs: [{ name: ie.inputName, datatype: "FP32", shape: [batch, C, H, W], parts: images }],
        outputs: [{ name: ie.outputName, binary: b }],
      }).length;
    const row = {
      batch,
      localMs: local,
      binaryMs: bin,
      jsonMs: js,
      binaryOverheadPerImageMs: (bin - local) / batch,
      jsonOverheadPerImageMs: (js - local) / batch,
      transportBinaryMs: transportBin,
      transportJsonMs: transportJs,
      binaryRequestBytes: size(true),
      jsonRequestBytes: size(false),
    };
    data.push(row);
    rows.push([
      batch,
      f1(local),
      f1(bin),
      f1(js),
      f2(row.binaryOverheadPerImageMs),
      f2(row.jsonOverheadPerImageMs),
      `${f1(transportBin)} / ${f1(transportJs)}`,
      `${f2(transportBin / batch)} / ${f2(transportJs / batch)}`,
      `${(row.binaryRequestBytes / 1e6).toFixed(2)} / ${(row.jsonRequestBytes / 1e6).toFixed(2)}`,
    ]);
  }
  await Promise.all([binary.close(), json.close(), fakeBinary.close(), fakeJson.close()]);
  await fakeNode.close();
  worker.child.kill("SIGTERM");
  results.roundTrip = data;
  console.log(
    `\n### 1. Worker round trip vs in process (image ${C}x${H}x${W} FP32, radz worker as a child process, loopback, median)\n`,
  );
  console.log(
    table(
      [
        "batch",
        "in process ms",
        "worker binary ms",
        "worker JSON ms",
        "binary overhead ms/image",
        "JSON overhead ms/image",
        "transport only ms, binary / JSON",
        "transport only ms/image, binary / JSON",
        "request MB binary / JSON",
      ],
      rows,
    ),
  );
}

// ------------------------------------------------------------------ 2. scale-out

interface NodeStats {
  busyMs: number[];
  inferred: number[];
}

class Nodes {
  private pending: ((s: NodeStats) => void)[] = [];
  private constructor(
    private readonly child: ChildProcess,
    readonly urls: string[],
  ) {
    child.on("message", (m: { type: string } & NodeStats) => {
      if (m.type === "stats") this.pending.shift()?.(m);
    });
  }
  static async start(count: number): Promise<Nodes> {
    const child = fork(new URL("./scale-nodes.ts", import.meta.url).pathname, [], {
      execArgv: ["--import", "tsx"],
      env: {
        ...process.env,
        RADZ_BENCH_NODES: JSON.stringify({
          count,
          latencyMs: NODE_LATENCY_MS,
          modelName: imageModelName(model.identity.id),
          inputName: ie.inputName,
          outputName: ie.outputName,
          inputShape: [C, H, W],
          embeddingSize: model.embeddingSize,
        }),
      },
    });
    const urls = await new Promise<string[]>((resolve, reject) => {
      child.once("message", (m: { type: string; urls: string[] }) => resolve(m.urls));
      child.once("exit", (code) => reject(new Error(`mock nodes exited with ${code}`)));
    });
    return new Nodes(child, urls);
  }
  stats(): Promise<NodeStats> {
    return new Promise((resolve) => {
      this.pending.push(resolve);
      this.child.send({ type: "stats" });
    });
  }
  async close(): Promise<void> {
    const exited = new Promise((r) => this.child.once("exit", r));
    this.child.send({ type: "close" });
    await exited;
  }
}

interface ScaleRow {
  mode: string;
  k: number;
  studiesPerSec: number;
  idealStudiesPerSec: number;
  imagesPerSec: number;
  nodeBusyPct: number;
  listenerElu: number;
  /** CPU time (user + system) of the listener process per study. */
  listenerCpuMsPerStudy: number;
  p50Ms: number;
  p95Ms: number;
}

async function runScale(
  nodes: Nodes,
  k: number,
  mode: "per-study" | "micro-batched",
): Promise<ScaleRow> {
  const backend = remoteBackend(nodes.urls.slice(0, k), true);
  await backend.start();
  const studiesPerRequest = mode === "per-study" ? 1 : 8;
  const bound = bindBackend(model, backend);
  const embedder: Pick<InferenceBackend, "embedImages"> & { close?: () => Promise<void> } =
    mode === "per-study"
      ? backend
      : createBatchedModel(
          { ...bound, close: async () => undefined },
          { maxBatch: studiesPerRequest * IMAGES_PER_STUDY, maxWaitMs: 2, maxInFlight: 2 * k },
        );
  const study = Array.from({ length: IMAGES_PER_STUDY }, (_, i) => image(100 + i));
  // Enough studies in flight for every node to have one request running and one queued.
  const concurrency = 2 * k * studiesPerRequest;
  const start = performance.now();
  const windowStart = start + WARM_MS;
  const end = windowStart + WINDOW_MS;
  const latencies: number[] = [];
  let inWindow = 0;
  let s0: NodeStats | undefined;
  let elu0: ReturnType<typeof performance.eventLoopUtilization> | undefined;
  let cpu0: NodeJS.CpuUsage | undefined;
  const marker = setTimeout(() => {
    elu0 = performance.eventLoopUtilization();
    cpu0 = process.cpuUsage();
    void nodes.stats().then((s) => (s0 = s));
  }, WARM_MS);
  let elu: ReturnType<typeof performance.eventLoopUtilization> | undefined;
  let cpu: NodeJS.CpuUsage | undefined;
  let s1: Promise<NodeStats> | undefined;
  const closer = setTimeout(() => {
    elu = performance.eventLoopUtilization(elu0);
    cpu = process.cpuUsage(cpu0);
    s1 = nodes.stats();
  }, WARM_MS + WINDOW_MS);
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const t = performance.now();
        const rows = await embedder.embedImages(study);
        aggregateScores(model.scoreEmbeddings(rows), "max");
        const done = performance.now();
        // Throughput: studies completed inside the window, whenever they started.
        if (done >= windowStart && done <= end) {
          inWindow++;
          latencies.push(done - t);
        }
      }
    }),
  );
  clearTimeout(marker);
  clearTimeout(closer);
  const after = await (s1 ?? nodes.stats());
  const busy = after.busyMs.slice(0, k).reduce((a, b, i) => a + b - (s0?.busyMs[i] ?? 0), 0);
  await embedder.close?.();
  await backend.close();
  const utilisation = (elu ?? performance.eventLoopUtilization(elu0)).utilization;
  const usage = cpu ?? process.cpuUsage(cpu0);
  const cpuMs = (usage.user + usage.system) / 1000;
  const studiesPerSec = inWindow / (WINDOW_MS / 1000);
  return {
    mode,
    k,
    studiesPerSec,
    idealStudiesPerSec: (k * 1000 * studiesPerRequest) / NODE_LATENCY_MS,
    imagesPerSec: studiesPerSec * IMAGES_PER_STUDY,
    nodeBusyPct: Math.min(100, (100 * busy) / (k * WINDOW_MS)),
    listenerElu: utilisation,
    listenerCpuMsPerStudy: cpuMs / Math.max(1, inWindow),
    p50Ms: median(latencies),
    p95Ms: percentile(latencies, 95),
  };
}

/** Per-study listener work outside the network path, measured on synthetic studies. */
async function listenerWork(side: number): Promise<Record<string, number>> {
  const studies = generateSyntheticStudies({
    count: QUICK ? 2 : 4,
    seed: 7,
    rows: side,
    columns: side,
    imagesPerStudy: IMAGES_PER_STUDY,
  });
  const instant = {
    encodeImages: async (x: readonly Float32Array[]) =>
      x.map(() => ({ embedding: new Float32Array(model.embeddingSize).fill(0.1) })),
  };
  const totals: Record<string, number> = {};
  let n = 0;
  for (const [i, s] of studies.entries()) {
    const clock = new Stopwatch();
    const instances = s.instances.map((b) =>
      clock.time("parse", () => parseInstance(b, { maxBytes: 256 * 1024 * 1024 })),
    );
    const analysis = await analyzeImages(instances, model, config, clock, instant);
    await buildReport(analysis, instances[0]!, model, config, RADZ_VERSION, clock);
    if (i === 0) continue; // warm-up
    n++;
    for (const [k, v] of Object.entries(clock.toJSON())) totals[k] = (totals[k] ?? 0) + v;
  }
  return Object.fromEntries(Object.entries(totals).map(([k, v]) => [k, v / n]));
}

function dispatchComponents(): Record<string, number> {
  const study = Array.from({ length: IMAGES_PER_STUDY }, (_, i) => image(200 + i));
  const response = encodeInferenceResponse({
    model_name: "m",
    outputs: [
      {
        tensor: {
          name: ie.outputName,
          datatype: "FP32",
          shape: [IMAGES_PER_STUDY, model.embeddingSize],
          data: new Float32Array(IMAGES_PER_STUDY * model.embeddingSize).fill(0.5),
        },
        binary: true,
      },
    ],
  });
  const responseBytes = Buffer.concat(response.chunks.map((c) => Buffer.from(c)));
  const reps = 2_000;
  const time = (fn: () => void) => {
    for (let i = 0; i < 200; i++) fn();
    const t = performance.now();
    for (let i = 0; i < reps; i++) fn();
    return (performance.now() - t) / reps;
  };
  const embeddings = Array.from({ length: IMAGES_PER_STUDY }, () =>
    new Float32Array(model.embeddingSize).fill(0.3),
  );
  return {
    encodeRequestMs: time(() =>
      encodeInferenceRequest({
        binaryInputs: true,
        inputs: [
          {
            name: ie.inputName,
            datatype: "FP32",
            shape: [IMAGES_PER_STUDY, C, H, W],
            parts: study,
          },
        ],
        outputs: [{ name: ie.outputName, binary: true }],
      }),
    ),
    decodeResponseMs: time(() =>
      decodeInferenceResponse(responseBytes, String(response.headerLength)),
    ),
    scoreAndAggregateMs: time(() => aggregateScores(model.scoreEmbeddings(embeddings), "max")),
  };
}

async function scaleOut(): Promise<void> {
  const nodes = await Nodes.start(Math.max(...KS));
  const rows: ScaleRow[] = [];
  try {
    for (const mode of ["per-study", "micro-batched"] as const) {
      for (const k of KS) rows.push(await runScale(nodes, k, mode));
    }
  } finally {
    await nodes.close();
  }
  results.scale = rows;
  for (const mode of ["per-study", "micro-batched"] as const) {
    const mine = rows.filter((r) => r.mode === mode);
    const below = mine.find((r) => r.studiesPerSec < 0.9 * r.idealStudiesPerSec);
    // The listener is the limit when it falls short of the nodes AND its event loop is (nearly) always busy.
    const saturated = mine.find(
      (r) => r.studiesPerSec < 0.9 * r.idealStudiesPerSec && r.listenerElu > 0.8,
    );
    console.log(
      `\n### 2${mode === "per-study" ? "a" : "b"}. Scale-out, ${mode === "per-study" ? "one study (2 images) per request" : "micro-batched: up to 8 studies (16 images) per request"}; nodes take ${NODE_LATENCY_MS} ms per request, one at a time; ${WINDOW_MS} ms window\n`,
    );
    console.log(
      table(
        [
          "K nodes",
          "studies/s",
          "ideal studies/s",
          "images/s",
          "node busy %",
          "nodes kept busy",
          "listener event loop busy",
          "listener CPU ms/study",
          "p50 ms",
          "p95 ms",
        ],
        mine.map((r) => [
          r.k,
          f1(r.studiesPerSec),
          r.idealStudiesPerSec,
          f1(r.imagesPerSec),
          f1(r.nodeBusyPct),
          f1((r.k * r.nodeBusyPct) / 100),
          `${(r.listenerElu * 100).toFixed(0)} %`,
          f2(r.listenerCpuMsPerStudy),
          f1(r.p50Ms),
          f1(r.p95Ms),
        ]),
      ),
    );
    const best = mine.reduce((a, r) => (r.studiesPerSec > a.studiesPerSec ? r : a));
    const busiest = Math.max(...mine.map((r) => (r.k * r.nodeBusyPct) / 100));
    const cpu = best.listenerCpuMsPerStudy;
    console.log(
      `\nFirst K below 90 % of ideal: ${below ? `K = ${below.k}` : "none"}. ` +
        `Listener saturated (below 90 % of ideal with its event loop > 80 % busy): ${saturated ? `K = ${saturated.k} (${f1(saturated.studiesPerSec)} of ${saturated.idealStudiesPerSec} studies/s)` : "not up to K = 64"}. ` +
        `Most nodes kept busy: ${f1(busiest)}. Peak ${f1(best.studiesPerSec)} studies/s at K = ${best.k}, ` +
        `${f2(cpu)} ms listener CPU per study: one listener core sustains about ${f1(1000 / cpu)} studies/s ` +
        `(= ${f1(1000 / cpu / ((1000 / NODE_LATENCY_MS) * (mode === "per-study" ? 1 : 8)))} such nodes).`,
    );
  }
  const components = dispatchComponents();
  const work512 = await listenerWork(512);
  const work2048 = await listenerWork(QUICK ? 1024 : 2048);
  results.listenerComponents = { dispatch: components, work512, work2048 };
  console.log("\n### 2c. Where a study's listener time goes (2 images, one thread)\n");
  const fmt = (o: Record<string, number>) =>
    Object.entries(o)
      .map(([k, v]) => `${k} ${v < 0.1 ? v.toFixed(3) : v.toFixed(1)}`)
      .join(", ");
  console.log(`- dispatch path, in isolation (ms): ${fmt(components)}`);
  console.log(`- pipeline work at 512x512 (ms): ${fmt(work512)}`);
  console.log(
    `- pipeline work at ${QUICK ? 1024 : 2048}x${QUICK ? 1024 : 2048} (ms): ${fmt(work2048)}`,
  );
}

// ------------------------------------------------------------------ 3. CUDA vs CPU

async function cudaVsCpu(): Promise<void> {
  let cuda: ZeroShotModel | undefined;
  try {
    cuda = await loadModel(bundleDir, {
      executionProviders: ["cuda"],
      requireGpu: true,
      logger,
      embeddingCacheDir: cacheDir,
    });
  } catch (err) {
    const why = err instanceof Error ? err.message.split("\n")[0] : String(err);
    results.cuda = { available: false, reason: why };
    console.log(
      `\n### 3. CUDA vs CPU\n\nSkipped: the CUDA execution provider is not available here (${why}).`,
    );
    return;
  }
  const rows: (string | number)[][] = [];
  const data: unknown[] = [];
  for (const batch of [1, 16, 64]) {
    const images = Array.from({ length: batch }, (_, i) => image(i + 1));
    const cpuMs = await timeCalls(() => model.embedImages(images), 10);
    const cudaMs = await timeCalls(() => cuda.embedImages(images), 10);
    data.push({
      batch,
      cpuImagesPerSec: (1000 * batch) / cpuMs,
      cudaImagesPerSec: (1000 * batch) / cudaMs,
    });
    rows.push([batch, f1((1000 * batch) / cpuMs), f1((1000 * batch) / cudaMs)]);
  }
  await cuda.close();
  results.cuda = { available: true, rows: data };
  console.log("\n### 3. CUDA vs CPU (images/s, median of 10)\n");
  console.log(table(["batch", "CPU images/s", "CUDA images/s"], rows));
}

try {
  const m = results.machine as Record<string, unknown>;
  console.log(
    `# bench:scale — ${m.cpuModel as string}, ${m.cpus as number} CPUs, ${m.memoryGiB as number} GiB, Node ${process.version}; bundle ${model.identity.id} (${C}x${H}x${W} -> ${model.embeddingSize})`,
  );
  const only = option("--only", "all");
  results.loadAverage = os.loadavg();
  if (only === "all" || only === "roundtrip") await roundTrip();
  if (only === "all" || only === "scale") await scaleOut();
  if (only === "all" || only === "cuda") await cudaVsCpu();
  results.loadAverageAfter = os.loadavg();
  console.log(`\nload average before / after: ${os.loadavg().map(f2).join(" ")}`);
  mkdirSync("bench-output", { recursive: true });
  writeFileSync("bench-output/scale.json", JSON.stringify(results, null, 2) + "\n");
  console.log("\nwrote bench-output/scale.json");
} finally {
  await model.close();
  rmSync(root, { recursive: true, force: true });
}
