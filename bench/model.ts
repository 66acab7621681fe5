/**
 * Model engine overhead: images/s of a bare onnxruntime-node `session.run` on
 * a realistic-size image encoder (ViT-B/16 at 224, random weights) against
 * the same encoder through RadZ's engine — loadModel (bundle checks, warm-up)
 * + the micro-batcher + zero-shot scoring — with tensors in and scores out,
 * in the same process and run. Target: engine >= 0.95 x bare.
 *
 *   npm run bench:model [-- --batch 8 --images 8 --rounds 20 --ep cpu]
 *
 * The encoder is generated, not committed: on first use this runs
 * `/usr/bin/python3 tools/bench/export_vit_b16.py` (Debian python3-torch,
 * python3-torchvision, python3-onnx) into bench-output/vit-b16.
 *
 * Bare: one session (same options RadZ uses), `batch` images per run, back to
 * back. Engine: `2 x batch` concurrent "studies", each submitting one image at
 * a time through createBatchedModel(...).scoreImages, so the batcher forms
 * full batches from concurrent callers. Both are set up and warmed first;
 * then each round times one bare and one engine measurement back to back (in
 * alternating order). Reported: total images/s of each and their ratio, the
 * median of the per-round ratios (robust to other load on a shared machine;
 * the target is judged on it), the ratio of the best rounds, and CPU seconds
 * per image (all threads, process.cpuUsage).
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import * as ort from "onnxruntime-node";
import { createBatchedModel } from "../src/inference/batcher.js";
import { loadModel, readBundleManifest, type ExecutionProviderName } from "../src/model/index.js";
import { silentLogger } from "../src/observability/logger.js";
import { Prng } from "../src/synthetic/prng.js";

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

const batch = Number(arg("batch", "8"));
const images = Number(arg("images", String(batch)));
const rounds = Number(arg("rounds", "20"));
const ep = arg("ep", "cpu") as ExecutionProviderName;
const bundleDir = path.resolve(arg("bundle", "bench-output/vit-b16"));

if (!existsSync(path.join(bundleDir, "bundle.json"))) {
  console.log(
    `generating the benchmark encoder into ${bundleDir} (tools/bench/export_vit_b16.py)…`,
  );
  const r = spawnSync("/usr/bin/python3", ["tools/bench/export_vit_b16.py", "--out", bundleDir], {
    stdio: "inherit",
    env: { ...process.env, PYTHONWARNINGS: "ignore" },
  });
  if (r.status !== 0) {
    console.error(
      "could not generate the encoder: needs /usr/bin/python3 with torch, torchvision, onnx",
    );
    process.exit(1);
  }
}

const manifest = await readBundleManifest(bundleDir);
const { channels, size } = manifest.preprocess;
const per = channels * size * size;
const rng = new Prng(2024);
const inputs = Array.from({ length: images }, () =>
  Float32Array.from({ length: per }, () => rng.uniform(-2, 2)),
);

/** A timed measurement: wall seconds and process CPU seconds (all threads) for `n` images. */
interface Timing {
  wall: number;
  cpu: number;
  n: number;
}

async function timed(n: number, fn: () => Promise<void>): Promise<Timing> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await fn();
  const wall = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  return { wall, cpu: (c.user + c.system) / 1e6, n };
}

// Bare: one session with the options RadZ uses, `batch` images per run, back to back.
const session = await ort.InferenceSession.create(
  path.join(bundleDir, manifest.imageEncoder.file),
  {
    executionProviders: [ep],
    graphOptimizationLevel: "all",
  },
);
const inputName = manifest.imageEncoder.inputName;
async function bareRun(from: number, n: number): Promise<void> {
  const data = new Float32Array(per * n);
  for (let i = 0; i < n; i++) data.set(inputs[(from + i) % images]!, i * per);
  await session.run({ [inputName]: new ort.Tensor("float32", data, [n, channels, size, size]) });
}
async function bare(count: number): Promise<void> {
  for (let done = 0; done < count; done += batch)
    await bareRun(done, Math.min(batch, count - done));
}

// Engine: loadModel + micro-batcher + scoring; 2 x batch concurrent studies submit one image each.
const model = await loadModel(bundleDir, {
  executionProviders: [ep],
  requireGpu: ep === "cuda",
  logger: silentLogger(),
  graphOptimization: "all",
});
const batched = createBatchedModel(model, { maxBatch: batch, maxWaitMs: 5 });
async function engine(count: number): Promise<void> {
  let next = 0;
  let scored = 0;
  const studies = Array.from({ length: 2 * batch }, async () => {
    for (;;) {
      const i = next++;
      if (i >= count) return;
      const [scores] = await batched.scoreImages([inputs[i % images]!]);
      if (!scores || scores.length !== manifest.labels.length) throw new Error("no scores");
      scored++;
    }
  });
  await Promise.all(studies);
  if (scored !== count) throw new Error(`scored ${scored} of ${count}`);
}

// Warm-up both.
await bare(batch);
await engine(batch);

const cpu = os.cpus()[0]?.model ?? "unknown CPU";
console.log(
  `ViT-B/16 ${size}x${size} (random weights), ${ep.toUpperCase()} EP, batch ${batch}, ${images} images per measurement, ${rounds} round(s)`,
);
console.log(
  `machine: ${os.cpus().length} x ${cpu}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, load average ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(" ")}`,
);
const bareT: Timing[] = [];
const engineT: Timing[] = [];
// Paired rounds: one bare and one engine measurement back to back, in alternating order, so
// load from other processes hits both paths alike; the median of the paired ratios is robust to it.
for (let r = 0; r < rounds; r++) {
  let b: Timing;
  let e: Timing;
  if (r % 2 === 0) {
    b = await timed(images, () => bare(images));
    e = await timed(images, () => engine(images));
  } else {
    e = await timed(images, () => engine(images));
    b = await timed(images, () => bare(images));
  }
  bareT.push(b);
  engineT.push(e);
  console.log(
    `round ${String(r + 1).padStart(2)}: bare ${(b.n / b.wall).toFixed(2)} img/s (${((b.cpu / b.n) * 1000).toFixed(0)} ms CPU/img), ` +
      `engine ${(e.n / e.wall).toFixed(2)} img/s (${((e.cpu / e.n) * 1000).toFixed(0)} ms CPU/img), engine/bare ${(b.wall / e.wall).toFixed(3)}`,
  );
}
const stats = batched.batcher.stats;
await batched.close();
await session.release();
const total = (ts: Timing[], k: "wall" | "cpu") => ts.reduce((a, t) => a + t[k], 0);
const median = (xs: number[]) => {
  const v = [...xs].sort((x, y) => x - y);
  const m = v.length >> 1;
  return v.length % 2 ? v[m]! : (v[m - 1]! + v[m]!) / 2;
};
const n = images * rounds;
const bareRate = n / total(bareT, "wall");
const engineRate = n / total(engineT, "wall");
const ratio = engineRate / bareRate;
const pairedMedian = median(bareT.map((b, i) => b.wall / engineT[i]!.wall));
const bestRatio = Math.min(...bareT.map((t) => t.wall)) / Math.min(...engineT.map((t) => t.wall));
const cpuRatio = total(bareT, "cpu") / total(engineT, "cpu");
console.log(
  `total: bare ${bareRate.toFixed(2)} img/s, engine ${engineRate.toFixed(2)} img/s, engine/bare ${ratio.toFixed(3)}; ` +
    `median of paired ratios ${pairedMedian.toFixed(3)} (target >= 0.95: ${pairedMedian >= 0.95 ? "met" : "NOT met"}); ` +
    `best round ratio ${bestRatio.toFixed(3)}; CPU per image bare/engine ${cpuRatio.toFixed(3)}; engine batches ${JSON.stringify(stats.sizes)}`,
);
console.log(
  JSON.stringify({
    bench: "model",
    ep,
    batch,
    images,
    rounds,
    bareImagesPerSecond: bareRate,
    engineImagesPerSecond: engineRate,
    ratio,
    pairedMedian,
    bestRatio,
    cpuRatio,
    batchSizes: stats.sizes,
  }),
);
