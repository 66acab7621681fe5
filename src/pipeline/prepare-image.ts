/**
 * One image's CPU-side work, Part-10 bytes → model input: parse → decode the
 * first frame → preprocess (+ an 8-bit thumbnail for the summary image). The
 * same function runs on a decode-pool worker thread (decode-worker.ts) and,
 * without a pool, on the calling thread, so both give identical tensors.
 */
import {
  decodeFrame,
  FrameScratch,
  parseInstance,
  preprocess,
  type DicomInstance,
  type PreprocessSpec,
} from "../imaging/index.js";
import { thumbnailOf, type GreyImage } from "../imaging/index.js";

export interface PrepareImageRequest {
  /** The instance's Part-10 bytes (a worker receives them transferred). */
  readonly bytes: Uint8Array;
  /** ParseLimits.maxBytes (config dicomweb.maxInstanceBytes). */
  readonly maxBytes?: number;
  readonly windowIndex: number;
  readonly maxPixels: number;
  readonly preprocess: PreprocessSpec;
  /** Also return an 8-bit thumbnail (the summary image's first image). */
  readonly thumbnail: boolean;
}

export interface PreparedImage {
  /** The instance's header: its dataset without Pixel Data. */
  readonly instance: DicomInstance;
  /** The model input, [channels, size, size] as the preprocess spec describes. */
  readonly tensor: Float32Array;
  readonly thumbnail: GreyImage | null;
  /** Milliseconds spent per stage (parse, decode, preprocess, thumbnail). */
  readonly timings: Readonly<Record<string, number>>;
}

function timed<T>(timings: Record<string, number>, stage: string, fn: () => T): T {
  const t0 = performance.now();
  try {
    return fn();
  } finally {
    timings[stage] = (timings[stage] ?? 0) + performance.now() - t0;
  }
}

/**
 * A structured-clone-safe copy: plain arrays and objects (own enumerable
 * properties), binary values and primitives; functions and accessors dcmjs
 * attaches (e.g. to person-name arrays) are dropped.
 */
function plain(value: unknown): unknown {
  if (value === null || typeof value !== "object")
    return typeof value === "function" ? undefined : value;
  // Copies: the header must not refer to the bytes it was parsed from, which
  // go back to the decode pool's BufferPool for the next image.
  if (value instanceof ArrayBuffer) return value.slice(0);
  if (value instanceof DataView)
    return new DataView(value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength));
  // A Buffer's slice() is a view of the same memory: copy it as a plain Uint8Array.
  if (Buffer.isBuffer(value)) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return (value as Uint8Array).slice();
  if (Array.isArray(value)) return value.map(plain);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== "function") out[k] = plain(v);
  }
  return out;
}

/** The instance without its pixel data (what outlives decoding), as plain data a worker can post. */
export function headerOnly(instance: DicomInstance): DicomInstance {
  const dataset = { ...instance.dataset };
  delete dataset.PixelData;
  return { ...instance, dataset: plain(dataset) as DicomInstance["dataset"] };
}

/**
 * The decoded samples of compressed frames go here, one image after the
 * other (frame-scratch.ts): prepareImage is synchronous and nothing it
 * returns refers to them, so one scratch per thread (per module instance:
 * each decode worker has its own) is safe.
 */
const scratch = new FrameScratch();

export function prepareImage(req: PrepareImageRequest): PreparedImage {
  const timings: Record<string, number> = {};
  const instance = timed(timings, "parse", () =>
    parseInstance(req.bytes, req.maxBytes === undefined ? {} : { maxBytes: req.maxBytes }),
  );
  const decoded = timed(timings, "decode", () =>
    decodeFrame(instance, {
      frame: 0,
      windowIndex: req.windowIndex,
      maxPixels: req.maxPixels,
      scratch,
    }),
  );
  const thumbnail = req.thumbnail ? timed(timings, "thumbnail", () => thumbnailOf(decoded)) : null;
  const tensor = timed(timings, "preprocess", () => preprocess(decoded, req.preprocess));
  return { instance: headerOnly(instance), tensor, thumbnail, timings };
}
