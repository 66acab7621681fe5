/**
 * How to start a worker thread whose code lives beside the caller: from dist,
 * the compiled `<name>.js`; from src (tsx), a small bootstrap that registers
 * tsx inside the worker before importing `<name>.ts` (Node checks a worker's
 * entry file extension before `--import tsx` hooks apply, so a .ts entry
 * cannot be started directly). Used by the decode pool
 * (pipeline/decode-pool.ts) and the image encoder's session thread
 * (model/session-thread.ts).
 */
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

/**
 * V8 heap limits for both kinds of worker: their data lives in typed arrays
 * and WebAssembly or onnxruntime memory outside the V8 heap, and their few JS
 * objects (a parsed header, a message) die young, so a small young generation
 * does. V8's default lets it grow to 48 MB, committed in every worker; capped,
 * peak RSS fell ~35–60 MB with two decode workers and the session thread
 * (docs/benchmarks.md, End to end), at no measurable CPU.
 */
export const WORKER_RESOURCE_LIMITS = { maxYoungGenerationSizeMb: 4 } as const;

export interface WorkerEntry {
  readonly script: URL | string;
  readonly eval: boolean;
}

/** `caller`: the calling module's import.meta.url; `name`: the worker module beside it, without extension. */
export function workerEntry(caller: string, name: string): WorkerEntry {
  if (!caller.endsWith(".ts")) return { script: new URL(`./${name}.js`, caller), eval: false };
  // createRequire, not import.meta.resolve: tsx may run the caller as CommonJS
  // (mocha). The package's "import" entry of tsx/esm/api is wanted, so it is
  // read from tsx's package.json rather than require.resolve'd (the "require" one).
  const require = createRequire(caller);
  const pkgPath = require.resolve("tsx/package.json");
  const pkg = require(pkgPath) as {
    exports: Record<string, { import: { default: string } }>;
  };
  const entry = pkg.exports["./esm/api"]?.import.default ?? "./dist/esm/api/index.mjs";
  const tsx = new URL(entry, pathToFileURL(pkgPath)).href;
  const worker = new URL(`./${name}.ts`, caller).href;
  return {
    script: `import(${JSON.stringify(tsx)}).then((t) => { t.register(); return import(${JSON.stringify(worker)}); });`,
    eval: true,
  };
}
