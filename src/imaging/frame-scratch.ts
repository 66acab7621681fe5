/**
 * FrameScratch: memory a caller lends to decodeFrame for the decoded samples
 * of compressed frames, reused from one image to the next.
 *
 * Without it every codec's output is copied into a fresh buffer of the
 * frame's size (10 MB for a 2048 x 2500 radiograph, 16-bit). A fresh buffer
 * that size costs page faults to fill and, once garbage, pushes V8 into a
 * collection ("external memory pressure"); with glibc's mmap threshold fixed
 * as deploy/radz.service sets it (docs/deploy.md, "Memory") it is also an
 * mmap and a munmap per image. A scratch holds one buffer, grown to the
 * largest frame it has seen, and hands out views of it.
 *
 * Lifetime: what a decode returned through a scratch (DecodedImage, RawFrame
 * words) is valid until the next decode that uses the same scratch. Callers
 * that finish with one image before decoding the next — prepareImage, one
 * per thread — can share one; anything that keeps a decoded image must not
 * pass one.
 */
export class FrameScratch {
  private buffer = new Uint8Array(0);

  /** `n` bytes (contents undefined), valid until the next call. */
  bytes(n: number): Uint8Array {
    if (this.buffer.byteLength < n) this.buffer = new Uint8Array(n);
    return this.buffer.subarray(0, n);
  }

  /** Bytes held now (the largest frame so far). */
  get capacity(): number {
    return this.buffer.byteLength;
  }
}

/**
 * `n` bytes for a codec's output: from the scratch when there is one, else a
 * fresh buffer.
 */
export function outputBytes(scratch: FrameScratch | undefined, n: number): Uint8Array {
  return scratch === undefined ? new Uint8Array(n) : scratch.bytes(n);
}
