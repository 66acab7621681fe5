/**
 * A pool of worker threads for the CPU-side image work (parse → decode →
 * preprocess → thumbnail; prepare-image.ts), so decoding scales with cores and
 * runs off the event loop (beside inference, or in turns with it).
 *
 * - `threads` workers (config imaging.decodeThreads; default
 *   defaultDecodeThreads below); each holds at most one image at a time, so at most `threads`
 *   decodes are in flight and memory stays flat. Further requests wait in a
 *   FIFO queue (callers are bounded by jobs.concurrency × images per study).
 * - The Part-10 bytes are transferred to the worker (not copied when the
 *   Uint8Array spans its whole ArrayBuffer, or lies in a buffer of the pool's
 *   BufferPool); the Float32 tensor and thumbnail come back transferred, and
 *   so does a pooled buffer, which goes back to the pool for the next image
 *   (`allocate`: retrieve into it; buffer-pool.ts says why).
 * - `nice` (config imaging.decodeNice): the workers run at a lower priority
 *   than the rest of the process (the event loop, the model's threads).
 * - `turns` (config imaging.yieldToInference; core-turns.ts): no worker starts
 *   an image while the image encoder runs on this machine's CPU.
 * - `threads: 0`, or no worker able to start (e.g. a runtime without worker
 *   threads), runs prepareImage() on the calling thread instead: same result.
 * - Runs from src (tsx; see workerEntry) and from dist (the compiled
 *   decode-worker.js beside this file).
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { exactArrayBuffer } from "../bytes.js";
import { RadzError, toRadzError, type ErrorCode } from "../errors.js";
import { WORKER_RESOURCE_LIMITS, workerEntry, type WorkerEntry } from "../worker-entry.js";
import type { Logger } from "../observability/index.js";
import { BufferPool } from "./buffer-pool.js";
import type { CoreTurns } from "./core-turns.js";
import { prepareImage, type PrepareImageRequest, type PreparedImage } from "./prepare-image.js";

/** Main → worker. */
export interface WorkerTask {
  readonly id: number;
  readonly request: PrepareImageRequest;
}

/**
 * Worker → main (after `{ ready: boolean }` once the codecs are loaded).
 * `input`: the request's buffer, transferred back, success or not.
 */
export type WorkerReply = (
  | { readonly id: number; readonly ok: true; readonly result: PreparedImage }
  | {
      readonly id: number;
      readonly ok: false;
      readonly error: { readonly code: ErrorCode; readonly message: string };
    }
) & { readonly input?: ArrayBuffer };

export interface DecodePoolOptions {
  /** Worker threads; 0 = decode on the calling thread. Default: defaultDecodeThreads(). */
  readonly threads?: number;
  readonly logger?: Logger;
  /**
   * Largest buffer kept for reuse (config dicomweb.maxInstanceBytes; default
   * 256 MiB). Idle buffers kept: twice the threads, at least 2.
   */
  readonly maxBufferBytes?: number;
  /**
   * The workers' scheduling priority as a nice value (0–19, Linux; default 0:
   * the process's). Above 0 they give way to the rest of the process —
   * onnxruntime's threads above all, whose parallel sections wait, busy, for a
   * thread a decode worker pushed off its core (docs/benchmarks.md, "End to end").
   */
  readonly nice?: number;
  /** Taking turns with the image encoder (core-turns.ts): absent, workers start images whenever free. */
  readonly turns?: Pick<CoreTurns, "decodeMayStart" | "whenDecodeMayStart">;
}

/** What a worker is started with. */
export interface DecodeWorkerData {
  readonly nice: number;
}

/**
 * The default imaging.decodeThreads. Taking turns with an encoder on this
 * CPU (core-turns.ts): one per core, as decoding has every core between runs.
 * Otherwise (a GPU, a remote backend) cores − 1, one left for the event loop
 * and Orthanc I/O; at least 1.
 */
export function defaultDecodeThreads(turns: boolean): number {
  const cores = availableParallelism();
  return Math.max(1, turns ? cores : cores - 1);
}

interface Pending {
  readonly task: WorkerTask;
  readonly transfer: ArrayBuffer[];
  resolve(r: PreparedImage): void;
  reject(e: unknown): void;
}

interface Slot {
  readonly worker: Worker;
  current: Pending | null;
}

/**
 * The bytes in an ArrayBuffer the worker may own: a pooled buffer as it is
 * (the view keeps its offset and length), a view spanning its whole buffer as
 * it is, anything else (a view of a larger or shared buffer) copied.
 */
function transferable(
  bytes: Uint8Array,
  pool: BufferPool,
): { bytes: Uint8Array; buffer: ArrayBuffer } {
  if (pool.owns(bytes.buffer)) return { bytes, buffer: bytes.buffer as ArrayBuffer };
  const buffer = exactArrayBuffer(bytes);
  return { bytes: buffer === bytes.buffer ? bytes : new Uint8Array(buffer), buffer };
}

export class DecodePool {
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private nextId = 1;
  private closed = false;
  /** Waiting for the encoder's turn to end (dispatch() resumes then). */
  private waitingForTurn = false;
  /** The buffers instances are received into and decoded from (buffer-pool.ts). */
  readonly buffers: BufferPool;

  constructor(private readonly o: DecodePoolOptions = {}) {
    const n = o.threads ?? defaultDecodeThreads(o.turns !== undefined);
    this.buffers = new BufferPool({
      maxBuffers: Math.max(2, 2 * n),
      maxBufferBytes: o.maxBufferBytes ?? 256 * 2 ** 20,
    });
    if (n > 0) {
      try {
        const entry = workerEntry(import.meta.url, "decode-worker");
        for (let i = 0; i < n; i++) this.slots.push(this.spawn(entry));
      } catch (err) {
        this.fallBack(err);
      }
    }
  }

  /** Worker threads now running (0: decoding on the calling thread). */
  get threads(): number {
    return this.slots.length;
  }

  /** Images waiting for a free worker. */
  get queued(): number {
    return this.queue.length;
  }

  /** n bytes of a pooled buffer to receive an instance into (then pass them to prepare()). */
  readonly allocate = (n: number): Uint8Array => this.buffers.acquire(n);

  /**
   * Parses, decodes and preprocesses one instance. The request's bytes are
   * transferred to a worker (or, pooled, reused): do not use them afterwards.
   */
  prepare(request: PrepareImageRequest): Promise<PreparedImage> {
    if (this.closed) return Promise.reject(new RadzError("INTERNAL", "decode pool is closed"));
    if (this.slots.length === 0) return Promise.resolve().then(() => this.prepareHere(request));
    const { bytes, buffer } = transferable(request.bytes, this.buffers);
    return new Promise<PreparedImage>((resolve, reject) => {
      this.queue.push({
        task: { id: this.nextId++, request: { ...request, bytes } },
        transfer: [buffer],
        resolve,
        reject,
      });
      this.dispatch();
    });
  }

  /** Stops the workers; queued requests are refused. */
  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.queue.splice(0))
      p.reject(new RadzError("INTERNAL", "decode pool closed before the image was decoded"));
    const slots = this.slots.splice(0);
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }

  private spawn(entry: WorkerEntry): Slot {
    const worker = new Worker(entry.script, {
      eval: entry.eval,
      workerData: { nice: this.o.nice ?? 0 } satisfies DecodeWorkerData,
      resourceLimits: WORKER_RESOURCE_LIMITS,
    });
    const slot: Slot = { worker, current: null };
    worker.unref(); // an idle pool never keeps the process alive
    worker.on("message", (msg: WorkerReply | { ready: boolean }) => {
      if (!("id" in msg)) {
        if (!msg.ready) this.lose(slot, new Error("the worker could not load the image codecs"));
        return;
      }
      const p = slot.current;
      slot.current = null;
      worker.unref();
      // The request's buffer, transferred back: the pool's from now on, whoever made it.
      if (msg.input !== undefined) this.buffers.adopt(msg.input);
      if (p && p.task.id === msg.id) {
        if (msg.ok) p.resolve(msg.result);
        else p.reject(new RadzError(msg.error.code, msg.error.message));
      }
      this.dispatch();
    });
    worker.on("error", (err) => this.lose(slot, err));
    worker.on("exit", (code) => {
      if (!this.closed) this.lose(slot, new Error(`worker exited with code ${code}`));
    });
    return slot;
  }

  /** A worker died: its image fails (INTERNAL), the rest of the pool carries on. */
  private lose(slot: Slot, err: unknown): void {
    const i = this.slots.indexOf(slot);
    if (i < 0) return;
    this.slots.splice(i, 1);
    void slot.worker.terminate();
    const p = slot.current;
    slot.current = null;
    p?.reject(
      new RadzError(
        "INTERNAL",
        `decode worker failed: ${err instanceof Error ? err.message : String(err)}`,
      ),
    );
    if (this.slots.length === 0) this.fallBack(err);
    this.dispatch();
  }

  /** prepareImage on this thread; a pooled buffer goes back to the pool afterwards. */
  private prepareHere(request: PrepareImageRequest): PreparedImage {
    try {
      return prepareImage(request);
    } catch (err) {
      throw toRadzError(err);
    } finally {
      this.buffers.release(request.bytes.buffer);
    }
  }

  private fallBack(err: unknown): void {
    this.o.logger?.warn(
      { err: err instanceof Error ? err.message : String(err) },
      "decode worker threads unavailable; decoding on the main thread",
    );
  }

  private dispatch(): void {
    if (this.slots.length === 0) {
      // No workers left: finish the queue on this thread.
      for (const p of this.queue.splice(0)) {
        try {
          p.resolve(this.prepareHere(p.task.request));
        } catch (e) {
          p.reject(toRadzError(e));
        }
      }
      return;
    }
    const turns = this.o.turns;
    if (turns && this.queue.length > 0 && !turns.decodeMayStart) {
      if (!this.waitingForTurn) {
        this.waitingForTurn = true;
        turns.whenDecodeMayStart(() => {
          this.waitingForTurn = false;
          this.dispatch();
        });
      }
      return;
    }
    for (const slot of this.slots) {
      if (slot.current) continue;
      const p = this.queue.shift();
      if (!p) return;
      slot.current = p;
      slot.worker.ref();
      slot.worker.postMessage(p.task, p.transfer);
    }
  }
}
