/**
 * Dynamic batching across concurrent inference requests, in the manner of
 * Triton's dynamic batcher: requests whose inputs agree on every non-batch
 * dimension are concatenated along dimension 0 into one run of at most
 * `maxBatch` rows. A batch runs as soon as it is full, or when its oldest
 * request has waited `maxQueueDelayMs`; while one batch runs the next one
 * gathers. One run at a time per model (a GPU serialises them anyway).
 *
 * The queue is the listener's MicroBatcher (../batcher.ts) with requests of
 * several rows, keyed by their tensor shapes; this file only merges the
 * requests' tensors into one run and gives each its rows back.
 */
import { MicroBatcher, type BatchInfo } from "../batcher.js";
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

interface Request {
  readonly inputs: ReadonlyMap<string, OipTensor>;
  readonly rows: number;
}

export class DynamicBatcher {
  private readonly batcher: MicroBatcher<Request, Map<string, OipTensor>>;

  constructor(opts: DynamicBatcherOptions) {
    this.batcher = new MicroBatcher<Request, Map<string, OipTensor>>({
      maxBatch: opts.maxBatch,
      maxWaitMs: opts.maxQueueDelayMs,
      maxQueued: opts.maxQueueSize,
      size: (r) => r.rows,
      key: (r) => signature(r.inputs),
      run: (requests) => runMerged(requests, opts.execute),
      ...(opts.observe
        ? {
            onBatch: (b: BatchInfo) =>
              opts.observe!({
                batchSize: b.size,
                requests: b.items,
                queueMs: b.waits,
                computeMs: b.runMs,
                ok: b.ok,
              }),
          }
        : {}),
    });
  }

  /** Requests waiting (not yet running). */
  get depth(): number {
    return this.batcher.pending;
  }

  /** Queues one request of `rows` rows (dimension 0 of every input). */
  async submit(
    inputs: ReadonlyMap<string, OipTensor>,
    rows: number,
  ): Promise<Map<string, OipTensor>> {
    const [out] = await this.batcher.submit([{ inputs, rows }]);
    return out!;
  }

  /** Resolves once nothing is queued or running. */
  drain(): Promise<void> {
    return this.batcher.idle();
  }
}

/** Concatenates the requests' inputs along dimension 0, runs them once, and gives each its rows. */
async function runMerged(
  requests: readonly Request[],
  execute: DynamicBatcherOptions["execute"],
): Promise<Map<string, OipTensor>[]> {
  let rows = 0;
  for (const r of requests) rows += r.rows;
  const inputs = new Map<string, OipTensor>();
  for (const name of requests[0]!.inputs.keys()) {
    inputs.set(
      name,
      concat(
        requests.map((r) => r.inputs.get(name)!),
        rows,
      ),
    );
  }
  const outputs = await execute(inputs, rows);
  let start = 0;
  return requests.map((r) => {
    const mine = new Map<string, OipTensor>();
    for (const [name, t] of outputs) mine.set(name, sliceRows(t, start, r.rows, rows));
    start += r.rows;
    return mine;
  });
}
