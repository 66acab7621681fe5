/**
 * Fixtures for codec tests: synthetic source images (dcmjs, in memory),
 * real peers (DCMTK and GDCM command-line tools) to encode and decode them,
 * OpenJPH's encoder for HTJ2K (no local tool writes HTJ2K), and a writer for
 * hand-made encapsulated Pixel Data (fragments, offset tables) to test
 * framing and broken input.
 */
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import type { HtJ2kEncoder, OpenJphModule } from "../../src/imaging/codec-modules.js";
import { WASM_CODEC_ENTRY_POINTS } from "../../src/imaging/codec-modules.js";
import { initCodecs } from "../../src/imaging/index.js";
import { part10 } from "./fixtures.js";

export const HAS_DCMTK = spawnSync("dcmcjpeg", ["--version"]).status === 0;
export const HAS_GDCM = spawnSync("gdcmconv", ["--version"]).status === 0;

export interface SourceSpec {
  readonly name: string;
  readonly rows: number;
  readonly columns: number;
  readonly bitsAllocated: 8 | 16;
  readonly bitsStored: number;
  readonly signed: boolean;
  readonly samplesPerPixel: 1 | 3;
  readonly planarConfiguration?: 0 | 1;
  readonly frames?: number;
  /** "texture": gradient + noise (the default); "smooth": gradient only (for lossy PSNR). */
  readonly content?: "texture" | "smooth";
}

export interface SourceImage {
  readonly spec: SourceSpec;
  /** Explicit VR Little Endian Part-10 bytes. */
  readonly file: Uint8Array;
  /** Stored values per frame, samples interleaved per pixel (what readStoredValues returns). */
  readonly stored: Int32Array[];
}

/** A small 12-bit grey image, odd-sized (37 rows x 29 columns), one frame. */
export const GREY12: SourceSpec = {
  name: "12-bit",
  rows: 37,
  columns: 29,
  bitsAllocated: 16,
  bitsStored: 12,
  signed: false,
  samplesPerPixel: 1,
};

/** Deterministic pixels: a diagonal gradient over the whole stored range, plus noise; extremes in the corners. */
export function sourceImage(spec: SourceSpec): SourceImage {
  const frames = spec.frames ?? 1;
  const { rows, columns, bitsStored } = spec;
  const spp = spec.samplesPerPixel;
  const min = spec.signed ? -(2 ** (bitsStored - 1)) : 0;
  const max = spec.signed ? 2 ** (bitsStored - 1) - 1 : 2 ** bitsStored - 1;
  const span = max - min;
  const n = rows * columns;
  let seed = 12345;
  const rand = (): number => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  const stored: Int32Array[] = [];
  for (let f = 0; f < frames; f++) {
    const values = new Int32Array(n * spp);
    for (let y = 0; y < rows; y++) {
      for (let x = 0; x < columns; x++) {
        for (let s = 0; s < spp; s++) {
          const t = (x / Math.max(1, columns - 1) + y / Math.max(1, rows - 1)) / 2;
          // Colour samples differ by an offset and a slope; frames by an offset; no wrap-around.
          const shade = Math.min(1, 0.1 * s + 0.05 * f + t * (0.85 - 0.1 * s));
          const noise = spec.content === "smooth" ? 0 : (rand() - 0.5) * span * 0.05;
          let v = Math.round(min + shade * span + noise);
          v = Math.max(min, Math.min(max, v));
          values[(y * columns + x) * spp + s] = v;
        }
      }
    }
    // Extremes: top-left min, bottom-right max (every sample).
    for (let s = 0; s < spp; s++) {
      values[s] = min;
      values[(n - 1) * spp + s] = max;
    }
    stored.push(values);
  }
  const planar = spp === 3 ? (spec.planarConfiguration ?? 0) : 0;
  const words =
    spec.bitsAllocated === 8 ? new Uint8Array(n * spp * frames) : new Uint16Array(n * spp * frames);
  const mask = spec.bitsAllocated === 8 ? 0xff : 0xffff;
  stored.forEach((values, f) => {
    const base = f * n * spp;
    for (let i = 0; i < n; i++) {
      for (let s = 0; s < spp; s++) {
        const at = planar === 1 ? base + s * n + i : base + i * spp + s;
        words[at] = (values[i * spp + s] as number) & mask; // two's complement, sign-extended to the word
      }
    }
  });
  const file = part10({
    dataset: {
      Rows: rows,
      Columns: columns,
      BitsAllocated: spec.bitsAllocated,
      BitsStored: bitsStored,
      HighBit: bitsStored - 1,
      PixelRepresentation: spec.signed ? 1 : 0,
      SamplesPerPixel: spp,
      PhotometricInterpretation: spp === 3 ? "RGB" : "MONOCHROME2",
      ...(spp === 3 ? { PlanarConfiguration: planar } : {}),
      ...(frames > 1 ? { NumberOfFrames: frames } : {}),
    },
    pixels: words,
  });
  return { spec, file, stored };
}

/**
 * Runs `tool [...args] in.dcm out.dcm` in `dir` and returns out.dcm's bytes.
 * Throws with the tool's stderr when it fails.
 */
export function runTool(
  dir: string,
  tool: string,
  args: readonly string[],
  input: Uint8Array,
  tag: string,
): Uint8Array {
  const inFile = path.join(dir, `${tag}.in.dcm`);
  const outFile = path.join(dir, `${tag}.out.dcm`);
  fs.writeFileSync(inFile, input);
  try {
    execFileSync(tool, [...args, inFile, outFile], { stdio: ["ignore", "pipe", "pipe"] });
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString() ?? "";
    throw new Error(`${tool} ${args.join(" ")} failed: ${stderr.trim().slice(0, 300)}`, {
      cause: err,
    });
  }
  return new Uint8Array(fs.readFileSync(outFile));
}

/** gdcmconv takes -i/-o style positional args too; same calling convention as runTool. */
export const gdcmconv = (dir: string, args: readonly string[], input: Uint8Array, tag: string) =>
  runTool(dir, "gdcmconv", args, input, tag);

// ------------------------------------------------------------------ HTJ2K

let openjph: Promise<OpenJphModule> | undefined;

/** OpenJPH's WASM module with its encoder (a separate instance from the decoder RadZ uses). */
export function openJphEncoderModule(): Promise<OpenJphModule> {
  openjph ??= (async () => {
    const factory = createRequire(import.meta.url)(WASM_CODEC_ENTRY_POINTS.openjph) as (
      m: Record<string, unknown>,
    ) => Promise<OpenJphModule>;
    const silent = () => undefined;
    return factory({ print: silent, printErr: silent });
  })();
  return openjph;
}

/** Encodes one frame of native little-endian samples as an HTJ2K codestream. */
export function encodeHtj2k(
  mod: OpenJphModule,
  native: Uint8Array,
  spec: SourceSpec,
  opts: { reversible: boolean; quantizationStep?: number; colorTransform?: boolean },
): Uint8Array {
  const encoder: HtJ2kEncoder = new mod.HTJ2KEncoder();
  try {
    const input = encoder.getDecodedBuffer({
      width: spec.columns,
      height: spec.rows,
      bitsPerSample: spec.bitsStored,
      componentCount: spec.samplesPerPixel,
      isSigned: spec.signed,
      isUsingColorTransform: spec.samplesPerPixel === 3 && (opts.colorTransform ?? true),
    });
    input.set(native);
    encoder.setQuality(opts.reversible, opts.quantizationStep ?? 0);
    encoder.encode();
    return encoder.getEncodedBuffer().slice();
  } finally {
    encoder.delete();
  }
}

// ------------------------------------------------------------------ encapsulation

function u16(v: number): number[] {
  return [v & 0xff, (v >> 8) & 0xff];
}
function u32(v: number): number[] {
  return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
}

function item(bytes: Uint8Array, tag = 0xe000): Uint8Array {
  const out = new Uint8Array(8 + bytes.byteLength);
  out.set([...u16(0xfffe), ...u16(tag), ...u32(bytes.byteLength)]);
  out.set(bytes, 8);
  return out;
}

export interface EncapsulationOptions {
  /** Basic Offset Table entries (byte offsets of each frame's first fragment); omitted = empty table. */
  basicOffsets?: readonly number[];
  /** Extended Offset Table (7FE0,0001) entries, written as OV before Pixel Data. */
  extendedOffsets?: readonly number[];
  /** Override the length field of fragment i (to test broken item lengths). */
  lengthOverride?: { fragment: number; length: number };
}

/** Offsets of each fragment's item tag, from the first fragment (for offset tables). */
export function fragmentOffsets(fragments: readonly Uint8Array[]): number[] {
  const out: number[] = [];
  let at = 0;
  for (const f of fragments) {
    out.push(at);
    at += 8 + f.byteLength;
  }
  return out;
}

/**
 * A Part-10 file whose Pixel Data is the given fragments, encapsulated
 * (PS3.5 A.4) by hand: dataset written by dcmjs without Pixel Data, then
 * (optionally) the Extended Offset Table and the encapsulated Pixel Data
 * element appended (both sort after every other attribute).
 */
export function encapsulatedFile(
  transferSyntax: string,
  dataset: Record<string, unknown>,
  fragments: readonly Uint8Array[],
  opts: EncapsulationOptions = {},
): Uint8Array {
  const head = part10({ transferSyntax, dataset });
  const parts: Uint8Array[] = [head];
  if (opts.extendedOffsets !== undefined) {
    const value = new Uint8Array(opts.extendedOffsets.length * 8);
    const view = new DataView(value.buffer);
    opts.extendedOffsets.forEach((o, i) => {
      view.setUint32(8 * i, o % 2 ** 32, true);
      view.setUint32(8 * i + 4, Math.floor(o / 2 ** 32), true);
    });
    parts.push(
      new Uint8Array([
        ...u16(0x7fe0),
        ...u16(0x0001),
        0x4f,
        0x56, // "OV"
        0,
        0,
        ...u32(value.byteLength),
      ]),
      value,
    );
  }
  parts.push(
    new Uint8Array([...u16(0x7fe0), ...u16(0x0010), 0x4f, 0x42, 0, 0, ...u32(0xffffffff)]),
  );
  const bot = new Uint8Array((opts.basicOffsets ?? []).flatMap(u32));
  parts.push(item(bot));
  fragments.forEach((f, i) => {
    const it = item(f);
    if (opts.lengthOverride?.fragment === i) it.set(u32(opts.lengthOverride.length), 4);
    parts.push(it);
  });
  parts.push(item(new Uint8Array(0), 0xe0dd));
  let total = 0;
  for (const p of parts) total += p.byteLength;
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

/** Native little-endian bytes of one frame of a source image (as the encoder input). */
export function nativeFrame(src: SourceImage, frame = 0): Uint8Array {
  const { spec } = src;
  const n = spec.rows * spec.columns * spec.samplesPerPixel;
  const values = src.stored[frame] as Int32Array;
  if (spec.bitsAllocated === 8) return Uint8Array.from(values, (v) => v & 0xff);
  const words = Uint16Array.from(values, (v) => v & 0xffff);
  return new Uint8Array(words.buffer, 0, n * 2);
}

/** Peak signal-to-noise ratio (dB) of `got` against `want` over a range of 2^bits levels. */
export function psnr(want: Int32Array, got: Int32Array, bits: number): number {
  let se = 0;
  for (let i = 0; i < want.length; i++) {
    const d = (want[i] as number) - (got[i] as number);
    se += d * d;
  }
  if (se === 0) return Number.POSITIVE_INFINITY;
  const peak = 2 ** bits - 1;
  return 10 * Math.log10((peak * peak) / (se / want.length));
}

export function maxAbsDiff(a: Int32Array, b: Int32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

/**
 * For a codec suite: loads the codecs before it and gives it a temporary
 * folder for the peers' files, removed after it. Call inside `describe`;
 * the returned function gives the folder once the suite runs.
 */
export function codecSuiteFolder(prefix: string): () => string {
  let dir = "";
  before(async () => {
    await initCodecs();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  });
  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });
  return () => dir;
}
