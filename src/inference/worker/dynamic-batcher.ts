/**
 * Dynamic batching across concurrent inference requests, in the manner of
 * Triton's dynamic batcher: requests whose inputs agree on every non-batch
 * dimension are concatenated along dimension 0 into one run of at most
 * `maxBatch` rows. A batch runs as soon as it is full, or when its oldest
 * request has waited `maxQueueDelayMs`; while one batch runs the next one
 * gathers. One run at a time per model (a GPU serialises them anyway).
 */
import { RadzError } from "../../errors.js";
import { allocateTensorData, type OipTensor } from "../oip/datatypes.js";

export interface BatchObservation {
  /** Rows in the batch. */
  readonly batchSize: number;
  /** Requests merged into it. */
  readonly requests: number;
  /** Per request: ms from arrival to the start of its batch. */
  readonly queueMs: readonly number[];
  readonly computeMs: number;
  readonly ok: boolean;
}

export interface DynamicBatcherOptions {
  readonly maxBatch: number;
  readonly maxQueueDelayMs: number;
  /** Requests waiting at most; more get INFERENCE_QUEUE_FULL (HTTP 503). */
  readonly maxQueueSize: number;
  readonly execute: (
    inputs: ReadonlyMap<string, OipTensor>,
    batch: number,
  ) => Promise<Map<string, OipTensor>>;
  readonly observe?: (o: BatchObservation) => void;
}

interface Pending {
  readonly inputs: ReadonlyMap<string, OipTensor>;
  readonly rows: number;
  readonly signature: string;
  readonly arrived: number;
  readonly resolve: (out: Map<string, OipTensor>) => void;
  readonly reject: (err: unknown) => void;
}

function signature(inputs: ReadonlyMap<string, OipTensor>): string {
  return [...inputs.values()]
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .map((t) => `${t.name}:${t.datatype}:${t.shape.slice(1).join("x")}`)
    .join("|");
}

function concat(parts: readonly OipTensor[], rows: number): OipTensor {
  const first = parts[0]!;
  if (parts.length === 1) return first;
  let length = 0;
  for (const p of parts) length += p.data.length;
  const data = allocateTensorData(first.datatype, length);
  let offset = 0;
  for (const p of parts) {
    (data as Float32Array).set(p.data as Float32Array, offset);
    offset += p.data.length;
  }
  return { ...first, shape: [rows, ...first.shape.slice(1)], data };
}

function sliceRows(t: OipTensor, start: number, rows: number, batch: number): OipTensor {
  if (start === 0 && rows === batch) return t;
  const per = t.data.length / batch;
  const data = t.data.subarray(start * per, (start + rows) * per);
  return { ...t, shape: [rows, ...t.shape.slice(1)], data };
}

export class DynamicBatcher {
  private readonly queue: Pending[] = [];
  private running = false;
  private timer: NodeJS.Timeout | undefined;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly opts: DynamicBatcherOptions) {
    if (opts.maxBatch < 1) throw new RadzError("CONFIG_INVALID", "maxBatch must be at least 1");
  }

  /** Requests waiting (not yet running). */
  get depth(): number {
    return this.queue.length;
  }

  /** Queues one request of `rows` rows (dimension 0 of every input). */
  submit(inputs: ReadonlyMap<string, OipTensor>, rows: number): Promise<Map<string, OipTensor>> {
    if (rows > this.opts.maxBatch)
      return Promise.reject(
        new RadzError(
          "INPUT_INVALID",
          `the request's batch size ${rows} exceeds the model's max batch size ${this.opts.maxBatch}`,
        ),
      );
    if (this.queue.length >= this.opts.maxQueueSize)
      return Promise.reject(
        new RadzError(
          "INFERENCE_QUEUE_FULL",
          `the worker's queue is full (${this.opts.maxQueueSize} requests); retry later or elsewhere`,
        ),
      );
    return new Promise((resolve, reject) => {
      this.queue.push({
        inputs,
        rows,
        signature: signature(inputs),
        arrived: performance.now(),
        resolve,
        reject,
      });
      this.pump();
    });
  }

  /** Resolves once nothing is queued or running. */
  async drain(): Promise<void> {
    if (!this.running && this.queue.length === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(): void {
    if (this.running) return;
    const head = this.queue[0];
    if (!head) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
      return;
    }
    let rows = 0;
    for (const p of this.queue) {
      if (p.signature === head.signature && rows + p.rows <= this.opts.maxBatch) rows += p.rows;
    }
    const waited = performance.now() - head.arrived;
    if (rows >= this.opts.maxBatch || waited >= this.opts.maxQueueDelayMs) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
      this.runBatch(head.signature);
    } else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.pump();
      }, this.opts.maxQueueDelayMs - waited);
    }
  }

  private runBatch(sig: string): void {
    const taken: Pending[] = [];
    let rows = 0;
    for (let i = 0; i < this.queue.length;) {
      const p = this.queue[i]!;
      if (p.signature === sig && rows + p.rows <= this.opts.maxBatch) {
        taken.push(p);
        rows += p.rows;
        this.queue.splice(i, 1);
      } else {
        i++;
      }
    }
    this.running = true;
    const started = performance.now();
    const queueMs = taken.map((p) => started - p.arrived);
    const inputs = new Map<string, OipTensor>();
    for (const name of taken[0]!.inputs.keys()) {
      inputs.set(
        name,
        concat(
          taken.map((p) => p.inputs.get(name)!),
          rows,
        ),
      );
    }
    const finish = (ok: boolean) => {
      this.opts.observe?.({
        batchSize: rows,
        requests: taken.length,
        queueMs,
        computeMs: performance.now() - started,
        ok,
      });
      this.running = false;
      this.pump();
    };
    Promise.resolve()
      .then(() => this.opts.execute(inputs, rows))
      .then(
        (outputs) => {
          let start = 0;
          for (const p of taken) {
            const mine = new Map<string, OipTensor>();
            for (const [name, t] of outputs) mine.set(name, sliceRows(t, start, p.rows, rows));
            start += p.rows;
            p.resolve(mine);
          }
          finish(true);
        },
        (err: unknown) => {
          for (const p of taken) p.reject(err);
          finish(false);
        },
      );
  }
}
