/**
 * Model engine overhead: images/s of a bare onnxruntime-node `session.run` on
 * a realistic-size image encoder (ViT-B/16 at 224, random weights) against
 * the same encoder through RadZ's engine — loadModel (bundle checks, warm-up)
 * + the micro-batcher + zero-shot scoring — with tensors in and scores out,
 * in the same process and run. Target: engine >= 0.95 x bare.
 *
 *   npm run bench:model [-- --batch 8 --images 48 --rounds 2 --ep cpu]
 *
 * The encoder is generated, not committed: on first use this runs
 * `/usr/bin/python3 tools/bench/export_vit_b16.py` (Debian python3-torch,
 * python3-torchvision, python3-onnx) into bench-output/vit-b16.
 *
 * Bare: one session (same options RadZ uses), `batch` images per run, back to
 * back. Engine: `2 x batch` concurrent "studies", each submitting one image at
 * a time through createBatchedModel(...).scoreImages, so the batcher forms
 * full batches from concurrent callers. Rounds alternate bare and engine so
 * drift in machine load hits both.
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
const images = Number(arg("images", String(batch * 6)));
const rounds = Number(arg("rounds", "2"));
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

async function bare(): Promise<number> {
  const session = await ort.InferenceSession.create(
    path.join(bundleDir, manifest.imageEncoder.file),
    { executionProviders: [ep], graphOptimizationLevel: "all" },
  );
  const name = manifest.imageEncoder.inputName;
  const run = async (from: number, n: number): Promise<void> => {
    const data = new Float32Array(per * n);
    for (let i = 0; i < n; i++) data.set(inputs[(from + i) % images]!, i * per);
    await session.run({ [name]: new ort.Tensor("float32", data, [n, channels, size, size]) });
  };
  await run(0, batch); // warm-up
  const t0 = performance.now();
  for (let done = 0; done < images; done += batch) await run(done, Math.min(batch, images - done));
  const seconds = (performance.now() - t0) / 1000;
  await session.release();
  return images / seconds;
}

async function engine(): Promise<number> {
  const model = await loadModel(bundleDir, {
    executionProviders: [ep],
    requireGpu: ep === "cuda",
    logger: silentLogger(),
    graphOptimization: "all",
  });
  const batched = createBatchedModel(model, { maxBatch: batch, maxWaitMs: 5 });
  await batched.scoreImages(inputs.slice(0, batch)); // warm-up, like the bare path
  let next = 0;
  let scored = 0;
  const t0 = performance.now();
  const studies = Array.from({ length: 2 * batch }, async () => {
    for (;;) {
      const i = next++;
      if (i >= images) return;
      const [scores] = await batched.scoreImages([inputs[i]!]);
      if (!scores || scores.length !== manifest.labels.length) throw new Error("no scores");
      scored++;
    }
  });
  await Promise.all(studies);
  const seconds = (performance.now() - t0) / 1000;
  const stats = batched.batcher.stats;
  await batched.close();
  if (scored !== images) throw new Error(`scored ${scored} of ${images}`);
  if (stats.largestBatch !== batch) console.warn(`largest batch ${stats.largestBatch} < ${batch}`);
  return images / seconds;
}

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
const bareRates: number[] = [];
const engineRates: number[] = [];
for (let r = 0; r < rounds; r++) {
  const b = await bare();
  const e = await engine();
  bareRates.push(b);
  engineRates.push(e);
  console.log(
    `round ${r + 1}: bare ${b.toFixed(2)} img/s, engine ${e.toFixed(2)} img/s, ratio ${(e / b).toFixed(3)}`,
  );
}
const sum = (xs: number[]) => xs.reduce((a, x) => a + x, 0);
const bareMean = sum(bareRates) / rounds;
const engineMean = sum(engineRates) / rounds;
const ratio = engineMean / bareMean;
console.log(
  `mean: bare ${bareMean.toFixed(2)} img/s, engine ${engineMean.toFixed(2)} img/s, engine/bare ${ratio.toFixed(3)} (target >= 0.95: ${ratio >= 0.95 ? "met" : "NOT met"})`,
);
console.log(
  JSON.stringify({
    bench: "model",
    ep,
    batch,
    images,
    rounds,
    bare: bareRates,
    engine: engineRates,
    ratio,
  }),
);
