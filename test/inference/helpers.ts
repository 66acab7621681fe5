/** Shared set-up for inference tests: a demo bundle in a temp dir, tokens, a worker. */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  startWorker,
  type RunningWorker,
  type StartWorkerOptions,
} from "../../src/inference/index.js";
import { writeDemoBundle } from "../../src/model/index.js";
import { silentLogger } from "../../src/observability/index.js";

export const TEST_TOKEN = "radz_test-worker-token-0123456789abcdef";
export const TEST_TOKEN_SHA256 = createHash("sha256").update(TEST_TOKEN).digest("hex");

export interface TempBundle {
  readonly root: string;
  readonly bundleDir: string;
  readonly cacheDir: string;
  cleanup(): void;
}

export async function tempDemoBundle(prefix = "radz-inference-"): Promise<TempBundle> {
  const root = mkdtempSync(path.join(os.tmpdir(), prefix));
  const bundleDir = path.join(root, "bundle");
  await writeDemoBundle(bundleDir);
  return {
    root,
    bundleDir,
    cacheDir: path.join(root, "embeddings"),
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

export function startTestWorker(
  bundle: TempBundle,
  overrides: Partial<StartWorkerOptions> = {},
): Promise<RunningWorker> {
  return startWorker({
    bundleDir: bundle.bundleDir,
    host: "127.0.0.1",
    port: 0,
    executionProviders: ["cpu"],
    requireGpu: false,
    maxBatch: 8,
    maxQueueDelayMs: 2,
    maxQueueSize: 64,
    maxRequestBytes: 64 * 1024 * 1024,
    tokens: [{ name: "test", sha256: TEST_TOKEN_SHA256 }],
    allowUnauthenticated: false,
    limits: {
      maxConnections: 1024,
      idleTimeoutMs: 120_000,
      headersTimeoutMs: 20_000,
      requestTimeoutMs: 300_000,
      keepAliveTimeoutMs: 65_000,
    },
    embeddingCacheDir: bundle.cacheDir,
    logger: silentLogger(),
    ...overrides,
  });
}

export interface ChildWorker {
  readonly url: string;
  readonly child: ChildProcessWithoutNullStreams;
}

/** Starts `radz worker` as a child process and waits for its "listening on" line. */
export function startChildWorker(bundle: TempBundle): Promise<ChildWorker> {
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      path.join("src", "cli", "main.ts"),
      "worker",
      "--bundle",
      bundle.bundleDir,
      "--port",
      "0",
      "--no-text",
      "--max-queue-delay-ms",
      "2",
    ],
    {
      env: {
        ...process.env,
        RADZ_WORKER__TOKENS: JSON.stringify([{ name: "listener", sha256: TEST_TOKEN_SHA256 }]),
        RADZ_MODEL__EMBEDDING_CACHE_DIR: bundle.cacheDir,
        RADZ_LOG__LEVEL: "warn",
      },
    },
  );
  return new Promise((resolve, reject) => {
    let out = "";
    let err = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`worker did not start: ${err}`));
    }, 45_000);
    child.stderr.on("data", (c: Buffer) => (err += c.toString()));
    child.stdout.on("data", (c: Buffer) => {
      out += c.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ url: m[1]!, child });
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`worker exited with ${code}: ${err}`));
    });
  });
}
