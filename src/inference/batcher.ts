/**
 * Micro-batching across concurrent studies in the listener: the images that
 * concurrent jobs submit are gathered into one image-encoder run of at most
 * `maxBatch` images. A run starts as soon as a batch is full, or when the
 * oldest waiting image has waited `maxWaitMs`; while a run is in flight the
 * next batch gathers (at most `maxInFlight` runs at once, default 1: one
 * session runs one batch at a time anyway). A study's images may be split
 * over several runs; its promise settles when all of them have.
 *
 * Scores do not depend on batching: each image's row of a batched run equals
 * its row when run alone (within float rounding, test/inference/batcher.test.ts
 * checks <= 1e-5), and scoring happens per image after the run.
 *
 * When a run of several images fails, each image is run again on its own, so
 * one bad image (NaN output, say) fails only its own study.
 *
 * MicroBatcher is the one "full or timed out" queue of the project: `radz
 * worker`'s dynamic batcher (worker/dynamic-batcher.ts) is the same queue with
 * items of several rows (`size`), a compatibility key (`key`: only requests of
 * the same tensor shapes share a run) and a bound on waiting items
 * (`maxQueued`).
 */
import { RadzError } from "../errors.js";
import type { ImageEncoding, LabelScore, ZeroShotModel } from "../model/index.js";

export interface BatchInfo {
  /** Rows in the run (items, when each item is one row). */
  readonly size: number;
  /** Items in the run. */
  readonly items: number;
  /** How long the oldest item waited before the run started (ms). */
  readonly waitedMs: number;
  /** How long each item waited before the run started (ms), in run order. */
  readonly waits: readonly number[];
  /** Duration of the run (ms). */
  readonly runMs: number;
  readonly ok: boolean;
}

export interface MicroBatcherOptions<I, O> {
  /** Rows in one run at most. */
  readonly maxBatch: number;
  readonly maxWaitMs: number;
  /** Runs at once (default 1). */
  readonly maxInFlight?: number;
  /** Rows of an item (default 1); an item is never split over runs. */
  readonly size?: (item: I) => number;
  /** Only items with the key of the oldest waiting item share its run (default: all share). */
  readonly key?: (item: I) => string;
  /** Items waiting at most; a submit beyond it fails with INFERENCE_QUEUE_FULL (default: no bound). */
  readonly maxQueued?: number;
  /** Runs one batch; returns one output per item, in order. */
  readonly run: (items: I[]) => Promise<O[]>;
  /** Called after every run (metrics, logs). */
  readonly onBatch?: (info: BatchInfo) => void;
}

interface Waiting<I, O> {
  readonly item: I;
  readonly size: number;
  readonly key: string;
  readonly enqueued: number;
  readonly resolve: (o: O) => void;
  readonly reject: (err: unknown) => void;
}

export interface BatcherStats {
  readonly batches: number;
  readonly items: number;
  readonly largestBatch: number;
  /** Runs by size: sizes[n] = number of runs of n items. */
  readonly sizes: Readonly<Record<number, number>>;
}

export class MicroBatcher<I, O> {
  private readonly queue: Waiting<I, O>[] = [];
  private inFlight = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly idleWaiters: (() => void)[] = [];
  private batches = 0;
  private items = 0;
  private largest = 0;
  private readonly sizes: Record<number, number> = {};
  private readonly maxInFlight: number;

  constructor(private readonly opts: MicroBatcherOptions<I, O>) {
    if (!Number.isInteger(opts.maxBatch) || opts.maxBatch < 1)
      throw new RangeError("maxBatch must be a positive integer");
    if (!(opts.maxWaitMs >= 0)) throw new RangeError("maxWaitMs must be >= 0");
    this.maxInFlight = opts.maxInFlight ?? 1;
    if (!Number.isInteger(this.maxInFlight) || this.maxInFlight < 1)
      throw new RangeError("maxInFlight must be a positive integer");
  }

  /** Queues items; resolves with their outputs in order once every one has run. */
  submit(items: readonly I[]): Promise<O[]> {
    if (this.closed)
      return Promise.reject(new RadzError("INFERENCE_FAILED", "the batcher has been closed"));
    if (items.length === 0) return Promise.resolve([]);
    const { maxBatch, maxQueued } = this.opts;
    if (maxQueued !== undefined && this.queue.length + items.length > maxQueued) {
      return Promise.reject(
        new RadzError(
          "INFERENCE_QUEUE_FULL",
          `the queue is full (${maxQueued} waiting); retry later or elsewhere`,
        ),
      );
    }
    const sizes = items.map((item) => this.opts.size?.(item) ?? 1);
    const oversized = sizes.find((n) => n > maxBatch);
    if (oversized !== undefined) {
      return Promise.reject(
        new RadzError(
          "INPUT_INVALID",
          `a batch size of ${oversized} exceeds the max batch size ${maxBatch}`,
        ),
      );
    }
    const now = performance.now();
    const promises = items.map(
      (item, i) =>
        new Promise<O>((resolve, reject) => {
          const key = this.opts.key?.(item) ?? "";
          this.queue.push({ item, size: sizes[i]!, key, enqueued: now, resolve, reject });
        }),
    );
    this.schedule();
    return Promise.all(promises);
  }

  /** Resolves once nothing is waiting or running (new items may still come). */
  async idle(): Promise<void> {
    if (this.queue.length === 0 && this.inFlight === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  get stats(): BatcherStats {
    return {
      batches: this.batches,
      items: this.items,
      largestBatch: this.largest,
      sizes: { ...this.sizes },
    };
  }

  /** Items waiting for a run. */
  get pending(): number {
    return this.queue.length;
  }

  /** Runs what is queued without waiting, waits for every run to end, and refuses new items. */
  async close(): Promise<void> {
    this.closed = true;
    this.clearTimer();
    while (this.queue.length > 0 && this.inFlight < this.maxInFlight) this.startRun();
    await this.idle();
  }

  private clearTimer(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  /** The next run: the oldest item and the later ones of its key that fit, in order. */
  private nextRun(): { readonly picked: number[]; readonly rows: number } {
    const head = this.queue[0]!;
    const picked: number[] = [];
    let rows = 0;
    for (let i = 0; i < this.queue.length && rows < this.opts.maxBatch; i++) {
      const w = this.queue[i]!;
      if (w.key === head.key && rows + w.size <= this.opts.maxBatch) {
        picked.push(i);
        rows += w.size;
      }
    }
    return { picked, rows };
  }

  private schedule(): void {
    while (this.queue.length > 0 && this.inFlight < this.maxInFlight) {
      const oldest = this.queue[0]!;
      const waited = performance.now() - oldest.enqueued;
      const full = this.nextRun().rows >= this.opts.maxBatch;
      if (this.closed || full || waited >= this.opts.maxWaitMs) {
        this.startRun();
        continue;
      }
      if (!this.timer) {
        this.timer = setTimeout(
          () => {
            this.timer = undefined;
            this.flushDue();
          },
          Math.max(0, this.opts.maxWaitMs - waited),
        );
      }
      return;
    }
  }

  /** Timer fired: the oldest item has waited long enough; run what is there. */
  private flushDue(): void {
    if (this.queue.length > 0 && this.inFlight < this.maxInFlight) this.startRun();
    this.schedule();
  }

  private startRun(): void {
    this.clearTimer();
    if (this.queue.length === 0) return;
    const { picked, rows } = this.nextRun();
    const batch = picked.map((i) => this.queue[i]!);
    for (let k = picked.length - 1; k >= 0; k--) this.queue.splice(picked[k]!, 1);
    this.inFlight++;
    const started = performance.now();
    const waits = batch.map((w) => started - w.enqueued);
    void this.execute(batch).then((ok) => {
      this.inFlight--;
      this.batches++;
      this.items += batch.length;
      this.largest = Math.max(this.largest, rows);
      this.sizes[rows] = (this.sizes[rows] ?? 0) + 1;
      this.opts.onBatch?.({
        size: rows,
        items: batch.length,
        waitedMs: waits[0]!,
        waits,
        runMs: performance.now() - started,
        ok,
      });
      this.schedule();
      if (this.queue.length === 0 && this.inFlight === 0) {
        for (const resolve of this.idleWaiters.splice(0)) resolve();
      }
    });
  }

  /** Runs one batch and settles its items; never rejects. */
  private async execute(batch: Waiting<I, O>[]): Promise<boolean> {
    try {
      const out = await this.opts.run(batch.map((w) => w.item));
      if (out.length !== batch.length) {
        throw new RadzError(
          "INFERENCE_BAD_OUTPUT",
          `a batched run returned ${out.length} outputs for ${batch.length} inputs`,
        );
      }
      batch.forEach((w, i) => w.resolve(out[i]!));
      return true;
    } catch (err) {
      for (const w of batch) w.reject(err);
      return false;
    }
  }
}

export interface BatchedModelOptions {
  readonly maxBatch: number;
  readonly maxWaitMs: number;
  readonly maxInFlight?: number;
  readonly onBatch?: (info: BatchInfo) => void;
  /**
   * Each encoder run goes through this (default: run as it is): the service
   * passes CoreTurns.inference (pipeline/core-turns.ts) where the encoder runs
   * on this machine's CPU, so that decode workers wait while it runs.
   */
  readonly turn?: <T>(run: () => Promise<T>) => Promise<T>;
}

type EmbedOutcome = { readonly encoding: ImageEncoding } | { readonly error: unknown };

/** A ZeroShotModel whose images go through a MicroBatcher. */
export interface BatchedZeroShotModel extends ZeroShotModel {
  readonly batcher: MicroBatcher<Float32Array, EmbedOutcome>;
}

/**
 * Wraps a model (local, or bound to a remote backend) so that concurrent
 * embedImages/scoreImages calls share image-encoder runs. Identity, labels and
 * scoring are the model's; close() drains the batcher, then closes the model.
 */
export function createBatchedModel(
  model: ZeroShotModel,
  options: BatchedModelOptions,
): BatchedZeroShotModel {
  const [c, h, w] = model.inputShape;
  const per = c * h * w;
  const turn = options.turn ?? (<T>(run: () => Promise<T>) => run());
  const encode = (inputs: Float32Array[]) => turn(() => model.encodeImages(inputs));
  const runAlone = async (x: Float32Array): Promise<EmbedOutcome> => {
    try {
      const [encoding] = await encode([x]);
      return { encoding: encoding! };
    } catch (error) {
      return { error };
    }
  };
  const batcher = new MicroBatcher<Float32Array, EmbedOutcome>({
    maxBatch: options.maxBatch,
    maxWaitMs: options.maxWaitMs,
    ...(options.maxInFlight !== undefined ? { maxInFlight: options.maxInFlight } : {}),
    ...(options.onBatch ? { onBatch: options.onBatch } : {}),
    run: async (inputs) => {
      try {
        const rows = await encode(inputs);
        return rows.map((encoding) => ({ encoding }));
      } catch (error) {
        if (inputs.length === 1) return [{ error }];
        // Isolate the failure: one image's problem must not fail the other studies in the batch.
        const out: EmbedOutcome[] = [];
        for (const x of inputs) out.push(await runAlone(x));
        return out;
      }
    },
  });

  const encodeImages = async (inputs: readonly Float32Array[]): Promise<ImageEncoding[]> => {
    inputs.forEach((x, i) => {
      if (x.length !== per) {
        throw new RadzError(
          "INPUT_INVALID",
          `input ${i} has ${x.length} values; the model needs [${c}, ${h}, ${w}] = ${per}`,
        );
      }
    });
    const outcomes = await batcher.submit(inputs);
    return outcomes.map((o) => {
      if ("error" in o) throw o.error;
      return o.encoding;
    });
  };
  const embedImages = async (inputs: readonly Float32Array[]): Promise<Float32Array[]> =>
    (await encodeImages(inputs)).map((e) => e.embedding);

  return {
    batcher,
    get identity() {
      return model.identity;
    },
    manifest: model.manifest,
    preprocess: model.preprocess,
    labels: model.labels,
    inputShape: model.inputShape,
    embeddingSize: model.embeddingSize,
    patchGrid: model.patchGrid,
    embedImages,
    encodeImages,
    scoreEmbeddings: (embeddings) => model.scoreEmbeddings(embeddings),
    patchLogits: (patches, labelIds) => model.patchLogits(patches, labelIds),
    scoreImages: async (inputs): Promise<LabelScore[][]> =>
      model.scoreEmbeddings(await embedImages(inputs)),
    close: async () => {
      await batcher.close();
      await model.close();
    },
  };
}
