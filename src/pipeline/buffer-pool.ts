/**
 * BufferPool: the memory instances are received into, reused from one image
 * to the next.
 *
 * Each retrieved instance used to arrive in a new buffer of its size (10 MB
 * for a 2048 x 2500 radiograph) that a decode worker received, used once and
 * dropped. V8 counts such buffers as external memory and, every few images,
 * runs a full collection to reclaim them ("external memory pressure"); the
 * collector's own threads then spent about as much CPU as the decode itself
 * (bench:imaging, docs/benchmarks.md "Imaging"). With the pool, WADO-RS
 * writes each instance into a pooled buffer (DicomWebClient.retrieveInstance's
 * `allocate`), the decode pool transfers it to a worker, the worker transfers
 * it back with its result, and the buffer goes back here for the next image.
 *
 * Bounded: at most `maxBuffers` idle buffers are kept (the largest ones;
 * enough for every image in flight: decode threads plus those waiting), each
 * at most `maxBufferBytes` (config dicomweb.maxInstanceBytes); anything else is
 * left to the garbage collector as before. A buffer that never comes back (a
 * retrieval that failed after allocating, a worker that died) is simply not
 * reused.
 */

/** Capacity of new buffers is rounded up to this, so that the next, slightly larger image still fits. */
const GRANULE = 1 << 20;

export interface BufferPoolOptions {
  /** Idle buffers kept at most. */
  readonly maxBuffers: number;
  /** Buffers larger than this are not kept. */
  readonly maxBufferBytes: number;
}

export class BufferPool {
  readonly #free: ArrayBuffer[] = [];
  readonly #made = new WeakSet<ArrayBuffer>();
  #reused = 0;
  #allocated = 0;

  constructor(private readonly o: BufferPoolOptions) {}

  /**
   * `n` bytes (contents undefined) over a buffer of this pool: the smallest
   * idle one that fits, else a new one. The view starts at offset 0; its
   * buffer may be larger.
   */
  acquire(n: number): Uint8Array {
    let best = -1;
    for (let i = 0; i < this.#free.length; i++) {
      const b = this.#free[i] as ArrayBuffer;
      if (
        b.byteLength >= n &&
        (best < 0 || b.byteLength < (this.#free[best] as ArrayBuffer).byteLength)
      )
        best = i;
    }
    if (best >= 0) {
      const [buffer] = this.#free.splice(best, 1);
      this.#reused++;
      return new Uint8Array(buffer as ArrayBuffer, 0, n);
    }
    const capacity =
      n <= this.o.maxBufferBytes
        ? Math.min(this.o.maxBufferBytes, Math.ceil(n / GRANULE) * GRANULE)
        : n;
    const buffer = new ArrayBuffer(Math.max(n, capacity));
    this.#made.add(buffer);
    this.#allocated++;
    return new Uint8Array(buffer, 0, n);
  }

  /** True for a buffer acquire() made (whole buffers of the pool may be transferred to a worker). */
  owns(buffer: ArrayBufferLike): boolean {
    return buffer instanceof ArrayBuffer && this.#made.has(buffer);
  }

  /**
   * Takes a buffer back for reuse. Only the pool's own buffers, not detached
   * (transferred away), not over maxBufferBytes; when maxBuffers are idle
   * already, the smallest is let go.
   */
  release(buffer: ArrayBufferLike): void {
    if (
      !(buffer instanceof ArrayBuffer) ||
      !this.#made.has(buffer) ||
      buffer.byteLength === 0 ||
      buffer.byteLength > this.o.maxBufferBytes
    )
      return;
    if (this.#free.includes(buffer)) return;
    this.#free.push(buffer);
    if (this.#free.length > this.o.maxBuffers) {
      let smallest = 0;
      for (let i = 1; i < this.#free.length; i++)
        if (
          (this.#free[i] as ArrayBuffer).byteLength <
          (this.#free[smallest] as ArrayBuffer).byteLength
        )
          smallest = i;
      this.#free.splice(smallest, 1);
    }
  }

  /**
   * Takes in a buffer this pool may use from now on: one a worker transferred
   * back (a new ArrayBuffer object over the memory that was sent, which the
   * sender gave up when it transferred it).
   */
  adopt(buffer: ArrayBuffer): void {
    this.#made.add(buffer);
    this.release(buffer);
  }

  /** Idle buffers, their bytes, and how many acquisitions were served by reuse vs new buffers. */
  stats(): { idle: number; idleBytes: number; reused: number; allocated: number } {
    return {
      idle: this.#free.length,
      idleBytes: this.#free.reduce((n, b) => n + b.byteLength, 0),
      reused: this.#reused,
      allocated: this.#allocated,
    };
  }
}
