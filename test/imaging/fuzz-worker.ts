/**
 * Runs the mutation property in a worker thread so that the test in
 * fuzz.test.ts can kill it if it ever hangs (a synchronous infinite loop
 * would block mocha's own timeout). Posts { ok: true, runs } or { ok: false, error }.
 */
import fc from "fast-check";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parentPort, workerData } from "node:worker_threads";
import { RadzError } from "../../src/errors.js";
import {
  decodeFrame,
  initCodecs,
  parseInstance,
  readStoredValues,
} from "../../src/imaging/index.js";
import {
  HAS_DCMTK,
  HAS_GDCM,
  encapsulatedFile,
  encodeHtj2k,
  nativeFrame,
  openJphEncoderModule,
  runTool,
  sourceImage,
  type SourceSpec,
} from "./codec-fixtures.js";
import { TS, gray16 } from "./fixtures.js";

interface Input {
  numRuns: number;
  seed?: number;
}

const { numRuns, seed } = workerData as Input;

const bases = [
  gray16(
    4,
    4,
    Array.from({ length: 32 }, (_, i) => i * 97),
    {
      NumberOfFrames: 2,
      BitsStored: 12,
      HighBit: 11,
      PixelRepresentation: 1,
      WindowCenter: [100, 200],
      WindowWidth: [400, 800],
      ModalityLUTSequence: [
        {
          LUTDescriptor: [4, 0, 16],
          ModalityLUTType: "US",
          LUTData: [1, 2, 3, 4],
          _vrMap: { LUTData: "US" },
        },
      ],
      PixelPaddingValue: 0,
    },
    TS.explicitLE,
  ),
  gray16(
    3,
    5,
    Array.from({ length: 15 }, (_, i) => i * 1000),
    {},
    TS.implicitLE,
  ),
  gray16(
    3,
    5,
    Array.from({ length: 15 }, (_, i) => i * 3),
    { RescaleSlope: 2 },
    TS.explicitBE,
  ),
  gray16(2, 2, [1, 2, 3, 4], {}, TS.deflated),
];

/**
 * Compressed bases: every codec's decoder sees mutated codestreams too
 * (encoded by DCMTK / GDCM where installed, HTJ2K by OpenJPH's encoder).
 */
async function compressedBases(): Promise<Uint8Array[]> {
  await initCodecs();
  const spec: SourceSpec = {
    name: "fuzz",
    rows: 12,
    columns: 9,
    bitsAllocated: 16,
    bitsStored: 12,
    signed: false,
    samplesPerPixel: 1,
    frames: 2,
  };
  const spec8: SourceSpec = { ...spec, bitsAllocated: 8, bitsStored: 8, frames: 1 };
  const src = sourceImage(spec);
  const out: Uint8Array[] = [];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "radz-fuzz-"));
  try {
    if (HAS_DCMTK) {
      out.push(runTool(dir, "dcmcrle", [], src.file, "rle"));
      out.push(runTool(dir, "dcmcjpls", [], src.file, "jls"));
      out.push(runTool(dir, "dcmcjpeg", ["+e1", "+fs", "1"], src.file, "sv1"));
      out.push(runTool(dir, "dcmcjpeg", ["+eb"], sourceImage(spec8).file, "base"));
    }
    if (HAS_GDCM) out.push(runTool(dir, "gdcmconv", ["--j2k"], src.file, "j2k"));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const one = { ...spec, frames: 1 };
  const cs = encodeHtj2k(await openJphEncoderModule(), nativeFrame(sourceImage(one)), one, {
    reversible: true,
  });
  const even = cs.byteLength % 2 === 0 ? cs : Uint8Array.from([...cs, 0]);
  out.push(
    encapsulatedFile(
      "1.2.840.10008.1.2.4.201",
      {
        Rows: spec.rows,
        Columns: spec.columns,
        BitsAllocated: 16,
        BitsStored: 12,
        HighBit: 11,
        PixelRepresentation: 0,
        SamplesPerPixel: 1,
        PhotometricInterpretation: "MONOCHROME2",
      },
      [even],
    ),
  );
  // Each base must decode cleanly before it is mutated, or the property would test nothing.
  for (const b of out) readStoredValues(parseInstance(b));
  return out;
}

bases.push(...(await compressedBases()));

function exercise(bytes: Uint8Array): void {
  try {
    const inst = parseInstance(bytes, { maxBytes: 1 << 20 });
    for (const frame of [0, 1]) {
      decodeFrame(inst, { frame, maxPixels: 1 << 16 });
      readStoredValues(inst, frame, { maxPixels: 1 << 16 });
    }
  } catch (err) {
    if (!(err instanceof RadzError)) {
      const what = err instanceof Error ? `${err.constructor.name}: ${err.message}` : String(err);
      throw new Error(`non-RadzError thrown: ${what}`, { cause: err });
    }
  }
}

const mutation = fc.record({
  base: fc.nat({ max: bases.length - 1 }),
  // Half the edits land in the first 700 bytes, where the meta and the image attributes live.
  edits: fc.array(fc.tuple(fc.oneof(fc.nat(), fc.nat({ max: 700 })), fc.nat({ max: 255 })), {
    minLength: 1,
    maxLength: 8,
  }),
  cut: fc.option(fc.nat(), { nil: undefined }),
});

try {
  fc.assert(
    fc.property(mutation, ({ base, edits, cut }) => {
      const original = bases[base] as Uint8Array;
      const bytes = original.slice();
      for (const [pos, value] of edits) bytes[pos % bytes.length] = value;
      exercise(cut === undefined ? bytes : bytes.subarray(0, cut % (bytes.length + 1)));
    }),
    { numRuns, ...(seed === undefined ? {} : { seed }) },
  );
  parentPort?.postMessage({ ok: true, runs: numRuns });
} catch (err) {
  parentPort?.postMessage({ ok: false, error: err instanceof Error ? err.message : String(err) });
}
