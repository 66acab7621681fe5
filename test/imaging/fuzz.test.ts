/**
 * Property: random byte mutations (and truncations) of valid files — native
 * syntaxes and one file per codec (RLE, JPEG Lossless, JPEG Baseline,
 * JPEG-LS, JPEG 2000, HTJ2K) — through parseInstance + decodeFrame +
 * readStoredValues, never throw anything but a RadzError and never hang. The property runs in a worker thread that is
 * terminated after a time limit, so a hang fails the test instead of
 * freezing the run.
 */
import { expect } from "chai";
import { Worker } from "node:worker_threads";

interface Outcome {
  ok: boolean;
  runs?: number;
  error?: string;
}

function runWorker(numRuns: number, limitMs: number): Promise<Outcome | "timeout"> {
  return new Promise((resolve, reject) => {
    // The worker registers the same TypeScript loader (tsx) before loading the property module.
    const entry = new URL("./fuzz-worker.ts", import.meta.url).href;
    const bootstrap = `import("tsx/esm/api").then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`;
    const worker = new Worker(bootstrap, { eval: true, workerData: { numRuns } });
    const timer = setTimeout(() => {
      void worker.terminate();
      resolve("timeout");
    }, limitMs);
    worker.once("message", (m: Outcome) => {
      clearTimeout(timer);
      void worker.terminate();
      resolve(m);
    });
    worker.once("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

describe("imaging fuzz: mutated files", () => {
  it("400 mutations of native and compressed files (every codec): only RadzError, no hang", async function () {
    this.timeout(120_000);
    const outcome = await runWorker(Number(process.env["RADZ_FUZZ_RUNS"] ?? 400), 90_000);
    expect(outcome, "the property run did not finish in time (hang?)").not.to.equal("timeout");
    const o = outcome as Outcome;
    expect(o.error, o.error).to.equal(undefined);
    expect(o.ok).to.equal(true);
  });
});
