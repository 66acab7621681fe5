/**
 * The image encoder's onnxruntime session on a worker thread of its own.
 *
 * onnxruntime-node runs a session synchronously on the thread that calls
 * run(): in the service that was the event loop, blocked for the whole batch
 * (about 200 ms per ViT-B/16 image on a CPU node, up to model.maxBatch images).
 * Meanwhile no WADO-RS bytes were read, no decoded image was taken from the
 * decode pool and no next one handed to it, no STOW-RS was sent: the decode
 * workers ran dry and cores idled (docs/benchmarks.md, "End to end"). Here the
 * session lives on a worker thread (session-worker.ts); run() posts the input
 * (its buffer transferred, no copy) and resolves with the outputs, and the
 * event loop carries on meanwhile. One session, opened only there: the model is
 * in memory once.
 *
 * If the thread dies (it should not: onnxruntime errors come back as errors),
 * the runs in flight fail with INFERENCE_FAILED and the next run opens the
 * session again.
 */
import { Worker } from "node:worker_threads";
import type * as ort from "onnxruntime-node";
import { RadzError, type ErrorCode } from "../errors.js";
import { WORKER_RESOURCE_LIMITS, workerEntry } from "../worker-entry.js";
import type { ExecutionProviderName, SessionOptions } from "./onnx-session.js";

/** An output tensor as the model reads it. */
export interface SessionOutput {
  readonly type: string;
  readonly dims: readonly number[];
  readonly data: unknown;
}

/** What the image encoder needs of a session: ort.InferenceSession, or one on a thread. */
export interface EncoderSession {
  readonly inputMetadata: readonly ort.InferenceSession.ValueMetadata[];
  readonly outputMetadata: readonly ort.InferenceSession.ValueMetadata[];
  run(
    feeds: Readonly<Record<string, ort.Tensor>>,
    fetches: readonly string[],
  ): Promise<Readonly<Record<string, SessionOutput>>>;
  release(): Promise<void>;
}

/** The worker's options: SessionOptions without the logger (log lines come back as messages). */
export type ThreadSessionOptions = Omit<SessionOptions, "logger">;

export interface SessionWorkerData {
  readonly modelPath: string;
  readonly options: ThreadSessionOptions;
}

interface WireTensor {
  readonly type: string;
  readonly dims: readonly number[];
  readonly data: Float32Array;
}

interface WireError {
  readonly code: ErrorCode;
  readonly message: string;
  readonly details?: Record<string, unknown>;
}

/** Main → worker. */
export type SessionRequest =
  | {
      readonly type: "run";
      readonly id: number;
      readonly feeds: Readonly<Record<string, WireTensor>>;
      readonly fetches: readonly string[];
    }
  | { readonly type: "release" };

/** Worker → main. */
export type SessionReply =
  | {
      readonly type: "log";
      readonly level: "info" | "warn";
      readonly fields: Record<string, unknown>;
      readonly msg: string;
    }
  | {
      readonly type: "open";
      readonly ok: true;
      readonly executionProvider: ExecutionProviderName;
      readonly inputMetadata: ort.InferenceSession.ValueMetadata[];
      readonly outputMetadata: ort.InferenceSession.ValueMetadata[];
    }
  | { readonly type: "open"; readonly ok: false; readonly error: WireError }
  | {
      readonly type: "run";
      readonly id: number;
      readonly ok: true;
      readonly outputs: Record<string, SessionOutput>;
    }
  | { readonly type: "run"; readonly id: number; readonly ok: false; readonly error: WireError }
  | { readonly type: "released" };

interface PendingRun {
  resolve(outputs: Record<string, SessionOutput>): void;
  reject(err: unknown): void;
}

function fromWire(e: WireError): RadzError {
  return new RadzError(e.code, e.message, e.details ? { details: e.details } : {});
}

/** A Float32Array's buffer to transfer: its own when it spans all of it, else a copy's. */
function ownBuffer(data: Float32Array): Float32Array {
  return data.byteOffset === 0 && data.byteLength === data.buffer.byteLength ? data : data.slice();
}

class ThreadSession implements EncoderSession {
  inputMetadata: ort.InferenceSession.ValueMetadata[] = [];
  outputMetadata: ort.InferenceSession.ValueMetadata[] = [];
  executionProvider: ExecutionProviderName = "cpu";
  private worker: Worker | null = null;
  private opening: Promise<void> | null = null;
  private readonly pending = new Map<number, PendingRun>();
  private nextId = 1;
  private released = false;

  constructor(
    private readonly modelPath: string,
    private readonly opts: SessionOptions,
  ) {}

  /** Starts the thread and opens the session there; rejects as openSession would. */
  open(): Promise<void> {
    const { logger, ...options } = this.opts;
    const entry = workerEntry(import.meta.url, "session-worker");
    const worker = new Worker(entry.script, {
      eval: entry.eval,
      workerData: { modelPath: this.modelPath, options } satisfies SessionWorkerData,
      resourceLimits: WORKER_RESOURCE_LIMITS,
    });
    this.worker = worker;
    const opening = new Promise<void>((resolve, reject) => {
      let opened = false;
      worker.on("message", (msg: SessionReply) => {
        switch (msg.type) {
          case "log":
            logger[msg.level](msg.fields, msg.msg);
            return;
          case "open":
            opened = true;
            if (msg.ok) {
              this.inputMetadata = msg.inputMetadata;
              this.outputMetadata = msg.outputMetadata;
              this.executionProvider = msg.executionProvider;
              worker.unref();
              resolve();
            } else {
              this.worker = null;
              void worker.terminate();
              reject(fromWire(msg.error));
            }
            return;
          case "run": {
            const p = this.pending.get(msg.id);
            this.pending.delete(msg.id);
            if (this.pending.size === 0) worker.unref();
            if (!p) return;
            if (msg.ok) p.resolve(msg.outputs);
            else p.reject(fromWire(msg.error));
            return;
          }
          case "released":
            return;
        }
      });
      const lost = (why: string) => {
        if (this.worker === worker) this.worker = null;
        const err = new RadzError(
          "INFERENCE_FAILED",
          `the ${this.opts.role}'s session thread ${why}`,
        );
        if (!opened) reject(err);
        for (const p of this.pending.values()) p.reject(err);
        this.pending.clear();
        if (!this.released && opened) logger.warn({ role: this.opts.role }, err.message);
      };
      worker.on("error", (err) => lost(`failed: ${err.message}`));
      worker.on("exit", (code) => {
        if (!this.released) lost(`exited with code ${code}`);
      });
    });
    this.opening = opening;
    return opening;
  }

  async run(
    feeds: Readonly<Record<string, ort.Tensor>>,
    fetches: readonly string[],
  ): Promise<Readonly<Record<string, SessionOutput>>> {
    if (this.released) throw new RadzError("INFERENCE_FAILED", "the session has been released");
    // A thread that died is replaced by a new one (with a new session).
    if (!this.worker) await this.open();
    else await this.opening;
    const worker = this.worker;
    if (!worker) throw new RadzError("INFERENCE_FAILED", "the session thread is not running");
    const wire: Record<string, WireTensor> = {};
    const transfer: ArrayBuffer[] = [];
    for (const [name, t] of Object.entries(feeds)) {
      if (!(t.data instanceof Float32Array))
        throw new RadzError("INPUT_INVALID", `input "${name}" is not float32`);
      const data = ownBuffer(t.data);
      wire[name] = { type: t.type, dims: [...t.dims], data };
      transfer.push(data.buffer as ArrayBuffer);
    }
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.ref();
      worker.postMessage(
        { type: "run", id, feeds: wire, fetches: [...fetches] } satisfies SessionRequest,
        transfer,
      );
    });
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    const worker = this.worker;
    this.worker = null;
    if (!worker) return;
    // The session is released by the thread itself, then the thread ends.
    await new Promise<void>((resolve) => {
      worker.on("message", (msg: SessionReply) => {
        if (msg.type === "released") resolve();
      });
      worker.on("exit", () => resolve());
      worker.ref(); // until the thread answers
      worker.postMessage({ type: "release" } satisfies SessionRequest);
    });
    await worker.terminate();
  }
}

/** openSession() on a thread of its own (see the file comment). */
export async function openSessionThread(
  modelPath: string,
  opts: SessionOptions,
): Promise<{ session: EncoderSession; executionProvider: ExecutionProviderName }> {
  const session = new ThreadSession(modelPath, opts);
  await session.open();
  return { session, executionProvider: session.executionProvider };
}
