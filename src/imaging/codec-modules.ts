/**
 * The WebAssembly codec packages, typed and loaded once.
 *
 *  - @cornerstonejs/codec-openjpeg       OpenJPEG  (JPEG 2000 Part 1, and HTJ2K)
 *  - @cornerstonejs/codec-openjph        OpenJPH   (HTJ2K; also an encoder, used by tests)
 *  - @cornerstonejs/codec-charls         CharLS    (JPEG-LS)
 *  - @cornerstonejs/codec-libjpeg-turbo-8bit  libjpeg-turbo (8-bit DCT JPEG)
 *  - dcmjs-codecs                        DCMTK's codecs in one WASM module: RLE Lossless
 *                                        and DCT / lossless JPEG with the 8-, 12- and
 *                                        16-bit IJG decoders (12-bit JPEG Extended)
 *
 * The Cornerstone packages ship no TypeScript declarations; as with dcmjs
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
import type * as DcmjsCodecs from "dcmjs-codecs";

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
  readonly dcmtk: NativeCodecsModule;
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

/** Instantiates all five modules (fresh instances, except dcmjs-codecs: see loadNativeCodecs). */
export async function loadWasmCodecs(): Promise<WasmCodecs> {
  const [openjpeg, openjph, charls, libjpegTurbo, dcmtk] = await Promise.all([
    instantiate<OpenJpegModule>(WASM_CODEC_ENTRY_POINTS.openjpeg),
    instantiate<OpenJphModule>(WASM_CODEC_ENTRY_POINTS.openjph),
    instantiate<CharlsModule>(WASM_CODEC_ENTRY_POINTS.charls),
    instantiate<LibJpegTurboModule>(WASM_CODEC_ENTRY_POINTS.libjpegTurbo),
    loadNativeCodecs(),
  ]);
  return { openjpeg, openjph, charls, libjpegTurbo, dcmtk };
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

// ------------------------------------------------------------- dcmjs-codecs

/**
 * One frame for dcmjs-codecs, in Image Pixel Module terms (its Context).
 * photometricInterpretation must be one of the package's defined terms.
 */
export interface NativeFrame {
  readonly width: number;
  readonly height: number;
  readonly bitsAllocated: number;
  readonly bitsStored: number;
  readonly samplesPerPixel: number;
  readonly pixelRepresentation: number;
  readonly planarConfiguration: number;
  readonly photometricInterpretation: string;
  readonly encodedBuffer: Uint8Array;
}

/**
 * What a dcmjs-codecs decoder hands back: the image it decoded and its
 * samples, copied out of the WebAssembly memory into the bytes `into` gave.
 */
export interface NativeDecodedFrame {
  readonly width: number;
  readonly height: number;
  readonly bitsAllocated: number;
  readonly bitsStored: number;
  readonly samplesPerPixel: number;
  readonly planarConfiguration: number;
  readonly photometricInterpretation: string | undefined;
  readonly decoded: Uint8Array;
  /**
   * The codec's messages during this call, without the package's prefix
   * (IJG's trace and warning texts, e.g. "Corrupt JPEG data: premature end
   * of data segment": the IJG decoders report a cut-short or corrupt
   * entropy-coded segment as a warning and fill the rest of the image).
   */
  readonly messages: readonly string[];
}

/**
 * DCMTK's decoders, as dcmjs-codecs builds them. Each call throws an Error
 * (the codec's message) or a WebAssembly.RuntimeError on bad input; the
 * module stays usable afterwards (see loadNativeCodecs).
 */
export interface NativeCodecsModule {
  /**
   * RLE Lossless: native little-endian samples, colour-by-pixel. `into(n)`
   * gives the n bytes the samples are copied to (default: a new buffer).
   */
  decodeRle(frame: NativeFrame, into?: (n: number) => Uint8Array): NativeDecodedFrame;
  /**
   * DCT (8/12-bit) and lossless (2..16-bit) JPEG; the IJG decoder is chosen by
   * the codestream's precision. convertColorspaceToRgb: YCbCr comes back RGB.
   */
  decodeJpeg(
    frame: NativeFrame,
    convertColorspaceToRgb: boolean,
    into?: (n: number) => Uint8Array,
  ): NativeDecodedFrame;
}

/**
 * What dcmjs-codecs 0.0.8 keeps of its WebAssembly instance
 * (NativeCodecs.wasmApi, not in its declarations): the exports, named
 * "wasm" + export name. Used to read a decoded frame straight out of the
 * WebAssembly memory (the package's own wrapper copies it into a new buffer
 * first) and to clean up after a failed call.
 */
interface NativeWasmApi {
  /** The instance's memory (a WebAssembly.Memory; only its buffer is read). */
  wasmMemory: { readonly buffer: ArrayBuffer };
  wasmCreateCodecsContext: () => number;
  wasmReleaseCodecsContext: (handle: number) => void;
  wasmCreateDecoderParameters: () => number;
  wasmReleaseDecoderParameters: (handle: number) => void;
  wasmDecodeRle: (context: number, parameters: number) => void;
  wasmDecodeJpeg: (context: number, parameters: number) => void;
  wasmGetDecodedBuffer: (context: number) => number;
  wasmGetDecodedBufferSize: (context: number) => number;
  wasmGetColumns: (context: number) => number;
  wasmGetRows: (context: number) => number;
  wasmGetBitsAllocated: (context: number) => number;
  wasmGetBitsStored: (context: number) => number;
  wasmGetSamplesPerPixel: (context: number) => number;
  wasmGetPlanarConfiguration: (context: number) => number;
  wasmGetPhotometricInterpretation: (context: number) => number;
  wasmemscripten_stack_get_current: () => number;
  wasm_emscripten_stack_restore: (stackPointer: number) => void;
}

/**
 * NativeCodecs' own steps around a decode (0.0.8, not in its declarations):
 * a context holding a copy of the encoded frame, and the decoder parameters.
 */
interface NativeCodecsSteps {
  _createDecoderContext(context: DcmjsCodecs.Context): number;
  _createDecoderParameters(parameters?: { convertColorspaceToRgb?: boolean }): number;
  _releaseDecoderParameters(handle: number): void;
}

type DcmjsCodecsPackage = typeof DcmjsCodecs;

interface LiveHandles {
  readonly contexts: Set<number>;
  readonly parameters: Set<number>;
}

const tracked = new WeakMap<NativeWasmApi, LiveHandles>();

/** Wraps the create/release exports once per instance so that the handles a call leaves live are known. */
function trackHandles(w: NativeWasmApi): LiveHandles {
  const known = tracked.get(w);
  if (known !== undefined) return known;
  const live: LiveHandles = { contexts: new Set(), parameters: new Set() };
  const createContext = w.wasmCreateCodecsContext;
  const releaseContext = w.wasmReleaseCodecsContext;
  const createParameters = w.wasmCreateDecoderParameters;
  const releaseParameters = w.wasmReleaseDecoderParameters;
  w.wasmCreateCodecsContext = () => {
    const h = createContext();
    live.contexts.add(h);
    return h;
  };
  w.wasmReleaseCodecsContext = (h) => {
    live.contexts.delete(h);
    releaseContext(h);
  };
  w.wasmCreateDecoderParameters = () => {
    const h = createParameters();
    live.parameters.add(h);
    return h;
  };
  w.wasmReleaseDecoderParameters = (h) => {
    live.parameters.delete(h);
    releaseParameters(h);
  };
  tracked.set(w, live);
  return live;
}

const CODEC_INFO_PREFIX = "NativeCodecs::onCodecsInfo::";
const MAX_CODEC_MESSAGES = 200;

/** The WebAssembly file, resolved here so that tsx, dist/ and worker threads all find it. */
export const DCMJS_CODECS_WASM = "dcmjs-codecs/build/dcmjs-native-codecs.wasm";

/**
 * Loads dcmjs-codecs' NativeCodecs (once per process or worker thread: the
 * package keeps its instance in a static field) and wraps it.
 *
 * Failure handling, found by feeding it malformed RLE and JPEG: a codec
 * error is thrown (as a JavaScript Error) from inside the WebAssembly call,
 * so the package neither frees the call's context (encoded and decoded
 * buffers) nor its parameters, and the WebAssembly stack pointer is not
 * restored. After some 50 failed frames the 64 KiB stack runs into the heap
 * and every later call fails ("memory access out of bounds"). So the
 * wrapper records the handles each call creates and, when the call throws,
 * frees those still live and restores the stack pointer.
 *
 * Logging: the package logs the codec's stderr output and messages through
 * its own loglevel logger, which is set to "silent"; its info method (the
 * codec's messages) is replaced by a collector, so each call returns the
 * messages it caused (NativeDecodedFrame.messages) and nothing is printed.
 */
export async function loadNativeCodecs(): Promise<NativeCodecsModule> {
  const pkg = requireCodec("dcmjs-codecs") as DcmjsCodecsPackage;
  pkg.log.setLevel("silent");
  const messages: string[] = [];
  pkg.log.info = (...parts: unknown[]) => {
    const text = parts.map(String).join(" ");
    if (messages.length < MAX_CODEC_MESSAGES && text.startsWith(CODEC_INFO_PREFIX)) {
      messages.push(text.slice(text.lastIndexOf("::") + 2));
    }
  };
  const native = pkg.NativeCodecs;
  if (!native.isInitialized()) {
    await native.initializeAsync({
      webAssemblyModulePathOrUrl: requireCodec.resolve(DCMJS_CODECS_WASM),
      logCodecsInfo: true,
      logCodecsTrace: false,
    });
  }
  // Also when another caller initialised the package first: the messages are needed.
  (native as unknown as { logCodecsInfo: boolean }).logCodecsInfo = true;
  const api = (native as unknown as { wasmApi?: Partial<NativeWasmApi> }).wasmApi;
  const needed: ReadonlyArray<Exclude<keyof NativeWasmApi, "wasmMemory">> = [
    "wasmCreateCodecsContext",
    "wasmReleaseCodecsContext",
    "wasmCreateDecoderParameters",
    "wasmReleaseDecoderParameters",
    "wasmDecodeRle",
    "wasmDecodeJpeg",
    "wasmGetDecodedBuffer",
    "wasmGetDecodedBufferSize",
    "wasmGetColumns",
    "wasmGetRows",
    "wasmGetBitsAllocated",
    "wasmGetBitsStored",
    "wasmGetSamplesPerPixel",
    "wasmGetPlanarConfiguration",
    "wasmGetPhotometricInterpretation",
    "wasmemscripten_stack_get_current",
    "wasm_emscripten_stack_restore",
  ];
  const steps = native as unknown as Partial<NativeCodecsSteps>;
  const missing: string[] = needed.filter((k) => typeof api?.[k] !== "function");
  if (!(api?.wasmMemory?.buffer instanceof ArrayBuffer)) missing.push("wasmMemory");
  for (const k of [
    "_createDecoderContext",
    "_createDecoderParameters",
    "_releaseDecoderParameters",
  ] as const) {
    if (typeof steps[k] !== "function") missing.push(`NativeCodecs.${k}`);
  }
  if (api === undefined || missing.length > 0) {
    throw new Error(
      `dcmjs-codecs ${pkg.version}: NativeCodecs.wasmApi lacks ${missing.join(", ")} (written for 0.0.8)`,
    );
  }
  const w = api as NativeWasmApi;
  const step = steps as NativeCodecsSteps;
  const live = trackHandles(w);
  const photometrics = Object.values<string>(pkg.constants.PhotometricInterpretation);
  const fresh = (n: number) => new Uint8Array(n);

  /**
   * NativeCodecs.decodeRle / decodeJpeg step by step, except that the
   * decoded samples are copied from the WebAssembly memory once, into the
   * bytes `into` gives, instead of into a new buffer the package allocates.
   */
  function decode(
    kind: "wasmDecodeRle" | "wasmDecodeJpeg",
    frame: NativeFrame,
    parameters: { convertColorspaceToRgb?: boolean },
    into: (n: number) => Uint8Array,
  ): NativeDecodedFrame {
    return guarded(() => {
      const context = step._createDecoderContext(new pkg.Context(frame));
      const params = step._createDecoderParameters(parameters);
      w[kind](context, params);
      step._releaseDecoderParameters(params);
      const size = w.wasmGetDecodedBufferSize(context);
      const decoded = into(size);
      decoded.set(new Uint8Array(w.wasmMemory.buffer, w.wasmGetDecodedBuffer(context), size));
      const out = {
        width: w.wasmGetColumns(context),
        height: w.wasmGetRows(context),
        bitsAllocated: w.wasmGetBitsAllocated(context),
        bitsStored: w.wasmGetBitsStored(context),
        samplesPerPixel: w.wasmGetSamplesPerPixel(context),
        planarConfiguration: w.wasmGetPlanarConfiguration(context),
        photometricInterpretation: photometrics[w.wasmGetPhotometricInterpretation(context)],
        decoded,
      };
      w.wasmReleaseCodecsContext(context);
      return out;
    });
  }

  function guarded(call: () => Omit<NativeDecodedFrame, "messages">): NativeDecodedFrame {
    const stackPointer = w.wasmemscripten_stack_get_current();
    messages.length = 0;
    live.contexts.clear();
    live.parameters.clear();
    let out: Omit<NativeDecodedFrame, "messages">;
    try {
      out = call();
    } catch (err) {
      w.wasm_emscripten_stack_restore(stackPointer);
      try {
        for (const h of [...live.parameters]) w.wasmReleaseDecoderParameters(h);
        for (const h of [...live.contexts]) w.wasmReleaseCodecsContext(h);
      } catch {
        // The codec's own error is the one to report.
      }
      throw err;
    }
    return { ...out, messages: messages.splice(0) };
  }

  return {
    decodeRle: (frame, into = fresh) => decode("wasmDecodeRle", frame, {}, into),
    decodeJpeg: (frame, convertColorspaceToRgb, into = fresh) =>
      decode("wasmDecodeJpeg", frame, { convertColorspaceToRgb }, into),
  };
}
