/**
 * The WebAssembly codec packages, typed and loaded once.
 *
 *  - @cornerstonejs/codec-openjpeg       OpenJPEG  (JPEG 2000 Part 1, and HTJ2K)
 *  - @cornerstonejs/codec-openjph        OpenJPH   (HTJ2K; also an encoder, used by tests)
 *  - @cornerstonejs/codec-charls         CharLS    (JPEG-LS)
 *  - @cornerstonejs/codec-libjpeg-turbo-8bit  libjpeg-turbo (8-bit DCT JPEG)
 *
 * The packages ship no TypeScript declarations; as with dcmjs
 * (dcmjs-binding.ts) they are loaded through createRequire and given the
 * narrow types below. Each is an Emscripten factory: calling it compiles and
 * instantiates the module asynchronously, which is why codecs need an
 * `await initCodecs()` once at start while frame decoding stays synchronous.
 *
 * Process-wide state, on purpose: the loaded modules are cached here (one
 * instance per codec per process or worker thread), like a loaded shared
 * library. They hold no per-image state between calls — each decode creates
 * its own decoder object and deletes it — so sharing them is safe. The only
 * mutable state is "loaded or not".
 *
 * Console output: OpenJPEG prints "[INFO] ..." lines through the module's
 * print hooks; every module gets its own silent print/printErr (the factory
 * object becomes the module, so it must not be shared between factories).
 */
import { createRequire } from "node:module";

/** What the Cornerstone decoders report after decode(). */
export interface WasmFrameInfo {
  readonly width: number;
  readonly height: number;
  readonly bitsPerSample: number;
  readonly componentCount: number;
  readonly isSigned?: boolean;
}

/** The decoder classes share this shape: copy the codestream in, decode, copy the pixels out, delete. */
export interface WasmDecoder {
  /** A view into WASM memory of `length` bytes, to copy the codestream into. */
  getEncodedBuffer(length: number): Uint8Array;
  decode(): void;
  getFrameInfo(): WasmFrameInfo;
  /** A view into WASM memory; copy before delete(). */
  getDecodedBuffer(): Uint8Array;
  delete(): void;
}

export interface CharlsDecoder extends WasmDecoder {
  /** 0 = none (by plane), 1 = line, 2 = sample. */
  getInterleaveMode(): number;
  getNearLossless(): number;
}

export interface HtJ2kEncoderFrameInfo extends WasmFrameInfo {
  readonly isUsingColorTransform: boolean;
}

/** OpenJPH's encoder (tests and benchmarks encode HTJ2K with it; no local tool does). */
export interface HtJ2kEncoder {
  getDecodedBuffer(frameInfo: HtJ2kEncoderFrameInfo): Uint8Array;
  setQuality(reversible: boolean, quantizationStep: number): void;
  setDecompositions(levels: number): void;
  encode(): void;
  getEncodedBuffer(): Uint8Array;
  delete(): void;
}

export interface OpenJpegModule {
  J2KDecoder: new () => WasmDecoder;
}
export interface OpenJphModule {
  HTJ2KDecoder: new () => WasmDecoder;
  HTJ2KEncoder: new () => HtJ2kEncoder;
}
export interface CharlsModule {
  JpegLSDecoder: new () => CharlsDecoder;
}
export interface LibJpegTurboModule {
  JPEGDecoder: new () => WasmDecoder;
}

export interface WasmCodecs {
  readonly openjpeg: OpenJpegModule;
  readonly openjph: OpenJphModule;
  readonly charls: CharlsModule;
  readonly libjpegTurbo: LibJpegTurboModule;
}

/** Package entry points: the decode-only builds where the package has one (smaller, faster to load). */
export const WASM_CODEC_ENTRY_POINTS = {
  openjpeg: "@cornerstonejs/codec-openjpeg/decodewasmjs",
  openjph: "@cornerstonejs/codec-openjph/wasmjs",
  charls: "@cornerstonejs/codec-charls/decodewasmjs",
  libjpegTurbo: "@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs",
} as const;

type EmscriptenFactory = (module: Record<string, unknown>) => Promise<unknown>;

const requireCodec = createRequire(import.meta.url);

async function instantiate<T>(entry: string): Promise<T> {
  const factory = requireCodec(entry) as EmscriptenFactory;
  const silent = () => undefined;
  return (await factory({ print: silent, printErr: silent })) as T;
}

/** Instantiates all four modules (fresh instances; no caching). */
export async function loadWasmCodecs(): Promise<WasmCodecs> {
  const [openjpeg, openjph, charls, libjpegTurbo] = await Promise.all([
    instantiate<OpenJpegModule>(WASM_CODEC_ENTRY_POINTS.openjpeg),
    instantiate<OpenJphModule>(WASM_CODEC_ENTRY_POINTS.openjph),
    instantiate<CharlsModule>(WASM_CODEC_ENTRY_POINTS.charls),
    instantiate<LibJpegTurboModule>(WASM_CODEC_ENTRY_POINTS.libjpegTurbo),
  ]);
  return { openjpeg, openjph, charls, libjpegTurbo };
}

let loaded: WasmCodecs | undefined;
let loading: Promise<WasmCodecs> | undefined;

/** Loads the WASM codecs once per process (idempotent; concurrent calls share one load). */
export async function ensureWasmCodecs(): Promise<WasmCodecs> {
  if (loaded !== undefined) return loaded;
  loading ??= loadWasmCodecs().then(
    (m) => {
      loaded = m;
      return m;
    },
    (err: unknown) => {
      loading = undefined;
      throw err;
    },
  );
  return loading;
}

/** The loaded codecs, or undefined before ensureWasmCodecs() has finished. */
export function wasmCodecs(): WasmCodecs | undefined {
  return loaded;
}

/** jpeg-lossless-decoder-js (pure JavaScript; its package points at a declaration file it does not ship). */
export interface JpegLosslessDecoder {
  /** numBytes: bytes per output sample (1 or 2). Returns the samples, colour-by-pixel. */
  decode(
    buffer: ArrayBuffer,
    offset: number,
    length: number,
    numBytes: number,
  ): Uint8Array | Uint16Array;
  /** The byte stream decode() read; index past the end means the codestream ran out. */
  readonly stream: { readonly index: number; readonly buffer: Uint8Array } | null;
  /** Rows decoded so far and in all: yLoc < yDim after decode() means an incomplete image. */
  readonly yLoc: number;
  readonly yDim: number;
  /** The frame header read by decode(). */
  readonly frame: {
    readonly dimX: number;
    readonly dimY: number;
    readonly numComp: number;
    readonly precision: number;
  };
}

interface JpegLosslessPackage {
  Decoder: new () => JpegLosslessDecoder;
}

interface JpegLosslessInternals {
  getPreviousX(component?: number): number;
  getPreviousY(component?: number): number;
  select7?: (component?: number) => number;
}

/**
 * A fresh JPEG lossless decoder (one per frame: the decoder keeps the last image).
 *
 * One correction to jpeg-lossless-decoder-js 2.1.2: its predictor 7
 * (ISO 10918-1 H.1.2.1, Px = (Ra + Rb) / 2, integer division) returns
 * (Ra + Rb) / 2 unrounded; when the reconstructed sample wraps below zero
 * (modulo 2^P, as with signed images that DCMTK stores as 16-bit words) the
 * fraction is truncated toward zero instead of down, and the sample is one
 * too high. test/imaging/codecs.test.ts found it against DCMTK; the
 * replacement is the standard's integer division (a right shift: Ra, Rb >= 0).
 */
export function jpegLosslessDecoder(): JpegLosslessDecoder {
  const pkg = requireCodec("jpeg-lossless-decoder-js") as JpegLosslessPackage;
  const decoder = new pkg.Decoder();
  const internals = decoder as unknown as JpegLosslessInternals;
  internals.select7 = function select7(this: JpegLosslessInternals, component?: number): number {
    return (this.getPreviousX(component) + this.getPreviousY(component)) >> 1;
  };
  return decoder;
}
