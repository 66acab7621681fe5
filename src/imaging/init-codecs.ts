/**
 * initCodecs(): load the WebAssembly codecs once, at start.
 *
 * WebAssembly modules compile and instantiate asynchronously, while frame
 * decoding (decodeFrame, readStoredValues) is synchronous. So whoever decodes
 * compressed images — the composition root (src/app.ts), `radz infer`,
 * `radz image`, tests, benchmarks — awaits initCodecs() once before the
 * first decode. It is idempotent and cheap after the first call. Without it,
 * the native syntaxes and Encapsulated Uncompressed still decode; a frame
 * that needs a WebAssembly codec (every other compressed syntax, RLE and JPEG
 * Lossless included) fails with INTERNAL ("call initCodecs()").
 */
import { ensureWasmCodecs } from "./codec-modules.js";
import { DEFAULT_FRAME_DECODERS, type FrameDecoderRegistry } from "./frame-decoder.js";

/** Loads the codecs (once per process or worker thread); returns the default registry. */
export async function initCodecs(): Promise<FrameDecoderRegistry> {
  await ensureWasmCodecs();
  return DEFAULT_FRAME_DECODERS;
}
