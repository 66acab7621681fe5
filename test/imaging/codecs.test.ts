/**
 * Acceptance: every compressed transfer syntax RadZ reads, against real peers.
 *
 * Lossless: a synthetic image (8/12/16-bit, signed/unsigned, mono/RGB, odd
 * sizes, several frames) is encoded by DCMTK (dcmcrle, dcmcjpeg, dcmcjpls) or
 * GDCM (gdcmconv --rle/--jpeg/--jpegls/--j2k), decoded by RadZ
 * (readStoredValues), and must equal — to the bit — both what the peer decodes
 * (dcmdrle, dcmdjpeg, dcmdjpls, gdcmconv --raw) and the source.
 * HTJ2K: no local tool writes or reads it (GDCM 3.0.21 has no --htj2k), so
 * OpenJPH's own encoder writes the codestream and OpenJPEG, an independent
 * decoder, is the peer.
 * Lossy: PSNR against the source above a stated bound, and (where the peer
 * decodes the same codestream) equal to the peer's decode.
 * Combinations a codec or a peer cannot handle are tested for their typed
 * refusal or are listed as pending with the reason — nothing is skipped silently.
 */
import { expect } from "chai";
import { RadzError } from "../../src/errors.js";
import { parseInstance, readStoredValues, type DicomInstance } from "../../src/imaging/index.js";
import type { OpenJphModule } from "../../src/imaging/codec-modules.js";
import {
  HAS_DCMTK,
  HAS_GDCM,
  encapsulatedFile,
  encodeHtj2k,
  maxAbsDiff,
  nativeFrame,
  openJphEncoderModule,
  psnr,
  runTool,
  sourceImage,
  type SourceImage,
  type SourceSpec,
  codecSuiteFolder,
} from "./codec-fixtures.js";

const UID = {
  rle: "1.2.840.10008.1.2.5",
  baseline: "1.2.840.10008.1.2.4.50",
  extended: "1.2.840.10008.1.2.4.51",
  p14: "1.2.840.10008.1.2.4.57",
  sv1: "1.2.840.10008.1.2.4.70",
  jls: "1.2.840.10008.1.2.4.80",
  jlsNear: "1.2.840.10008.1.2.4.81",
  j2kLossless: "1.2.840.10008.1.2.4.90",
  j2k: "1.2.840.10008.1.2.4.91",
  htj2kLossless: "1.2.840.10008.1.2.4.201",
  htj2kRpcl: "1.2.840.10008.1.2.4.202",
  htj2k: "1.2.840.10008.1.2.4.203",
  encapsulatedUncompressed: "1.2.840.10008.1.2.1.98",
} as const;

const SIZE = { rows: 37, columns: 29 };
const mono = (
  name: string,
  bitsAllocated: 8 | 16,
  bitsStored: number,
  signed: boolean,
): SourceSpec => ({ name, ...SIZE, bitsAllocated, bitsStored, signed, samplesPerPixel: 1 });

const SOURCES: readonly SourceSpec[] = [
  mono("8-bit unsigned", 8, 8, false),
  mono("8-bit signed", 8, 8, true),
  mono("12-bit unsigned", 16, 12, false),
  mono("12-bit signed", 16, 12, true),
  mono("16-bit unsigned", 16, 16, false),
  mono("16-bit signed", 16, 16, true),
  { ...mono("RGB 8-bit", 8, 8, false), samplesPerPixel: 3 },
  { ...mono("RGB 8-bit colour-by-plane", 8, 8, false), samplesPerPixel: 3, planarConfiguration: 1 },
  { ...mono("RGB 16-bit", 16, 16, false), samplesPerPixel: 3 },
  { ...mono("12-bit unsigned, 3 frames", 16, 12, false), frames: 3 },
];

function bySource(name: string): SourceSpec {
  const s = SOURCES.find((x) => x.name === name);
  if (s === undefined) throw new Error(`no source ${name}`);
  return s;
}

/** Fails with the first differing index rather than a 3000-element diff. */
function expectSameValues(got: Int32Array, want: Int32Array, what: string): void {
  expect(got.length, `${what}: length`).to.equal(want.length);
  for (let i = 0; i < want.length; i++) {
    if (got[i] !== want[i]) {
      expect.fail(`${what}: first difference at sample ${i}: ${got[i]} != ${want[i]}`);
    }
  }
}

function frames(inst: DicomInstance): number {
  const n = Number(inst.dataset["NumberOfFrames"] ?? 1);
  return Number.isInteger(n) && n > 0 ? n : 1;
}

function expectRadzCode(fn: () => unknown, code: string): RadzError {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(RadzError);
    expect((err as RadzError).code, (err as RadzError).message).to.equal(code);
    return err as RadzError;
  }
  return expect.fail(`expected ${code}`);
}

interface PeerCase {
  readonly name: string;
  readonly uid: string;
  readonly needs: "dcmtk" | "gdcm";
  readonly encode: readonly [string, readonly string[]];
  readonly decode: readonly [string, readonly string[]];
  /** Sources this case runs on (default: all). */
  readonly sources?: readonly string[];
  /** Sources on which RadZ refuses with a typed error instead (codec limits, documented). */
  readonly refused?: Readonly<Record<string, string>>;
  /** Sources the peer cannot encode: pending, with the reason. */
  readonly peerCannot?: Readonly<Record<string, string>>;
  /** Size override (GDCM's RLE encoder asserts on an odd pixel count with 8-bit samples). */
  readonly size?: { rows: number; columns: number };
  /** Per-source decode override (a peer whose decoder is wrong for that source). */
  readonly decodeOverride?: Readonly<Record<string, readonly [string, readonly string[]]>>;
}

const DCMDRLE = ["dcmdrle", []] as const;
const GDCM_RAW = ["gdcmconv", ["--raw"]] as const;

const LOSSLESS: readonly PeerCase[] = [
  {
    name: "RLE Lossless (DCMTK)",
    uid: UID.rle,
    needs: "dcmtk",
    encode: ["dcmcrle", []],
    decode: DCMDRLE,
  },
  {
    name: "RLE Lossless (GDCM)",
    uid: UID.rle,
    needs: "gdcm",
    encode: ["gdcmconv", ["--rle"]],
    decode: GDCM_RAW,
    size: { rows: 37, columns: 30 },
    // GDCM 3.0.21 writes 16-bit RGB RLE correctly (DCMTK decodes it to the source) but its own
    // decoder swaps the byte planes; DCMTK is the peer for that one.
    decodeOverride: { "RGB 16-bit": DCMDRLE },
  },
  {
    name: "JPEG Lossless SV1 (DCMTK)",
    uid: UID.sv1,
    needs: "dcmtk",
    encode: ["dcmcjpeg", ["+e1"]],
    decode: ["dcmdjpeg", []],
  },
  {
    name: "JPEG Lossless Process 14, predictor 6 (DCMTK)",
    uid: UID.p14,
    needs: "dcmtk",
    encode: ["dcmcjpeg", ["+el", "+sv", "6"]],
    decode: ["dcmdjpeg", []],
  },
  ...[2, 3, 4, 5, 7].map((sv): PeerCase => ({
    name: `JPEG Lossless Process 14, predictor ${sv} (DCMTK)`,
    uid: UID.p14,
    needs: "dcmtk",
    encode: ["dcmcjpeg", ["+el", "+sv", String(sv)]],
    decode: ["dcmdjpeg", []],
    sources: ["12-bit signed", "16-bit unsigned", "RGB 8-bit"],
  })),
  {
    name: "JPEG Lossless SV1 (GDCM)",
    uid: UID.sv1,
    needs: "gdcm",
    encode: ["gdcmconv", ["--jpeg"]],
    decode: GDCM_RAW,
  },
  {
    name: "JPEG-LS lossless (DCMTK)",
    uid: UID.jls,
    needs: "dcmtk",
    encode: ["dcmcjpls", []],
    decode: ["dcmdjpls", []],
  },
  ...(["+in", "+is"] as const).map((mode): PeerCase => ({
    name: `JPEG-LS lossless, interleave ${mode === "+in" ? "none" : "sample"} (DCMTK)`,
    uid: UID.jls,
    needs: "dcmtk",
    encode: ["dcmcjpls", [mode]],
    decode: ["dcmdjpls", []],
    sources: ["RGB 8-bit", "RGB 8-bit colour-by-plane", "RGB 16-bit"],
    // DCMTK 3.6.7's dcmdjpls cannot decode its own uninterleaved 16-bit RGB; GDCM can.
    ...(mode === "+in" ? { decodeOverride: { "RGB 16-bit": GDCM_RAW } } : {}),
  })),
  {
    name: "JPEG-LS lossless (GDCM)",
    uid: UID.jls,
    needs: "gdcm",
    encode: ["gdcmconv", ["--jpegls"]],
    decode: GDCM_RAW,
  },
  {
    name: "JPEG 2000 lossless (GDCM)",
    uid: UID.j2kLossless,
    needs: "gdcm",
    encode: ["gdcmconv", ["--j2k"]],
    decode: GDCM_RAW,
    refused: { "8-bit signed": "DICOM_UNSUPPORTED_PIXEL_FORMAT" },
    peerCannot: { "RGB 16-bit": "gdcmconv --j2k refuses 16-bit RGB" },
  },
];

describe("imaging codecs: lossless syntaxes are bit-identical to DCMTK / GDCM", function () {
  this.timeout(120_000);
  const folder = codecSuiteFolder("radz-codecs-");

  for (const c of LOSSLESS) {
    describe(c.name, () => {
      const sources = c.sources === undefined ? SOURCES : c.sources.map(bySource);
      for (const spec of sources) {
        it(spec.name, function () {
          if (c.needs === "dcmtk" && !HAS_DCMTK) this.skip();
          if (c.needs === "gdcm" && !HAS_GDCM) this.skip();
          const reason = c.peerCannot?.[spec.name];
          if (reason !== undefined) {
            // Shown as pending in the report, with the reason in the title of the next test.
            this.test!.title += ` (pending: ${reason})`;
            this.skip();
          }
          const src = sourceImage({ ...spec, ...(c.size ?? {}) });
          const tag = `${c.name}-${spec.name}`.replace(/[^A-Za-z0-9]+/g, "_");
          const compressed = runTool(folder(), c.encode[0], c.encode[1], src.file, `${tag}-enc`);
          const inst = parseInstance(compressed);
          expect(inst.transferSyntaxUid, "the peer wrote the syntax under test").to.equal(c.uid);
          const refusal = c.refused?.[spec.name];
          if (refusal !== undefined) {
            expectRadzCode(() => readStoredValues(inst), refusal);
            return;
          }
          const [tool, args] = c.decodeOverride?.[spec.name] ?? c.decode;
          const peer = parseInstance(runTool(folder(), tool, args, compressed, `${tag}-dec`));
          expect(frames(inst)).to.equal(spec.frames ?? 1);
          for (let f = 0; f < frames(inst); f++) {
            const ours = readStoredValues(inst, f).data;
            expectSameValues(ours, readStoredValues(peer, f).data, `frame ${f} vs ${tool}`);
            expectSameValues(ours, src.stored[f] as Int32Array, `frame ${f} vs the source`);
          }
        });
      }
    });
  }

  describe("HTJ2K lossless (OpenJPH encoder; OpenJPEG as the independent peer decoder)", () => {
    let openjph: OpenJphModule;
    before(async () => {
      openjph = await openJphEncoderModule();
    });
    const refused: Record<string, string> = {
      "8-bit signed": "DICOM_UNSUPPORTED_PIXEL_FORMAT",
      "RGB 16-bit": "DICOM_UNSUPPORTED_PIXEL_FORMAT",
    };
    for (const spec of SOURCES) {
      for (const uid of [UID.htj2kLossless, UID.htj2kRpcl]) {
        it(`${spec.name} (${uid})`, () => {
          const src = sourceImage(spec);
          const fragments = src.stored.map((_, f) =>
            encodeHtj2k(openjph, nativeFrame(src, f), spec, { reversible: true }),
          );
          const ds = htj2kDataset(spec, "YBR_RCT");
          const inst = parseInstance(encapsulatedFile(uid, ds, fragments.map(even)));
          const peerInst = parseInstance(
            encapsulatedFile(UID.j2kLossless, ds, fragments.map(even)),
          );
          const code = refused[spec.name];
          if (code !== undefined) {
            expectRadzCode(() => readStoredValues(inst), code);
            return;
          }
          for (let f = 0; f < src.stored.length; f++) {
            const ours = readStoredValues(inst, f).data;
            expectSameValues(ours, readStoredValues(peerInst, f).data, `frame ${f} vs OpenJPEG`);
            expectSameValues(ours, src.stored[f] as Int32Array, `frame ${f} vs the source`);
          }
        });
      }
    }
  });

  it("Encapsulated Uncompressed Explicit VR Little Endian: each frame's fragment is its native bytes", () => {
    for (const spec of SOURCES) {
      const src = sourceImage(spec);
      const fragments = src.stored.map((_, f) => even(nativeFrame(src, f)));
      const ds = {
        ...datasetOf(spec),
        ...(spec.samplesPerPixel === 3 ? { PlanarConfiguration: 0 } : {}),
      };
      const inst = parseInstance(encapsulatedFile(UID.encapsulatedUncompressed, ds, fragments));
      for (let f = 0; f < src.stored.length; f++) {
        expectSameValues(readStoredValues(inst, f).data, src.stored[f] as Int32Array, spec.name);
      }
    }
  });
});

/** Fragments have even length (PS3.5 A.4): pad one zero byte. */
function even(b: Uint8Array): Uint8Array {
  if (b.byteLength % 2 === 0) return b;
  const out = new Uint8Array(b.byteLength + 1);
  out.set(b);
  return out;
}

function datasetOf(spec: SourceSpec): Record<string, unknown> {
  return {
    Rows: spec.rows,
    Columns: spec.columns,
    BitsAllocated: spec.bitsAllocated,
    BitsStored: spec.bitsStored,
    HighBit: spec.bitsStored - 1,
    PixelRepresentation: spec.signed ? 1 : 0,
    SamplesPerPixel: spec.samplesPerPixel,
    PhotometricInterpretation: spec.samplesPerPixel === 3 ? "RGB" : "MONOCHROME2",
    ...((spec.frames ?? 1) > 1 ? { NumberOfFrames: spec.frames } : {}),
  };
}

function htj2kDataset(spec: SourceSpec, colour: "YBR_RCT" | "YBR_ICT"): Record<string, unknown> {
  return {
    ...datasetOf(spec),
    ...(spec.samplesPerPixel === 3
      ? { PhotometricInterpretation: colour, PlanarConfiguration: 0 }
      : {}),
  };
}

// ---------------------------------------------------------------------- lossy

interface LossyCase {
  readonly name: string;
  readonly uid: string;
  readonly needs: "dcmtk" | "gdcm";
  readonly encode: readonly [string, readonly string[]];
  /** The peer's decoder; its output must equal ours bit for bit. */
  readonly decode?: readonly [string, readonly string[]];
  readonly sources: readonly string[];
  /** PSNR bound in dB (over 2^Bits Stored levels). */
  readonly minPsnr: number;
  /** JPEG-LS near-lossless: the NEAR bound on every sample's error. */
  readonly maxError?: number;
  /**
   * Sources the encoder rewrites before compressing: what it stores instead of
   * the source's values, with the Pixel Representation it writes.
   */
  readonly rewrites?: Readonly<
    Record<string, { pixelRepresentation: 0 | 1; values: (src: SourceImage) => Int32Array }>
  >;
}

/**
 * DCMTK's lossy JPEG encoder does not compress signed samples: it renders the
 * image through its min-max pixel scaling (dcmcjpeg +sp, the default) to
 * unsigned values and writes Pixel Representation 0. The synthetic sources
 * reach both ends of the range (corners), so the scaling is v - min.
 */
const DCMTK_LOSSY_SIGNED = {
  pixelRepresentation: 0 as const,
  values: (src: SourceImage): Int32Array => {
    const min = -(2 ** (src.spec.bitsStored - 1));
    return (src.stored[0] as Int32Array).map((v) => v - min);
  },
};

const LOSSY: readonly LossyCase[] = [
  {
    name: "JPEG Baseline (DCMTK, quality 90)",
    uid: UID.baseline,
    needs: "dcmtk",
    encode: ["dcmcjpeg", ["+eb"]],
    decode: ["dcmdjpeg", []],
    sources: ["8-bit unsigned", "RGB 8-bit"],
    minPsnr: 40,
  },
  {
    name: "JPEG Baseline (GDCM, quality 90)",
    uid: UID.baseline,
    needs: "gdcm",
    encode: ["gdcmconv", ["--jpeg", "--lossy", "-q", "90"]],
    decode: GDCM_RAW,
    sources: ["8-bit unsigned"],
    minPsnr: 40,
  },
  {
    name: "JPEG Extended, 8-bit (DCMTK)",
    uid: UID.extended,
    needs: "dcmtk",
    encode: ["dcmcjpeg", ["+ee"]],
    decode: ["dcmdjpeg", []],
    sources: ["8-bit unsigned", "RGB 8-bit"],
    minPsnr: 40,
  },
  {
    // 12-bit DCT: DCMTK's IJG 12-bit decoder (dcmjs-codecs) on both sides, so equal to dcmdjpeg.
    name: "JPEG Extended, 12-bit (DCMTK, quality 90)",
    uid: UID.extended,
    needs: "dcmtk",
    encode: ["dcmcjpeg", ["+ee"]],
    decode: ["dcmdjpeg", []],
    sources: ["12-bit unsigned", "12-bit signed"],
    minPsnr: 60,
    rewrites: { "12-bit signed": DCMTK_LOSSY_SIGNED },
  },
  {
    name: "JPEG Extended, 12-bit (GDCM, quality 90)",
    uid: UID.extended,
    needs: "gdcm",
    encode: ["gdcmconv", ["--jpeg", "--lossy", "-q", "90"]],
    decode: GDCM_RAW,
    // Not signed: GDCM 3.0.21 feeds signed 12-bit samples to its encoder as they are and
    // fails ("DCT coefficient out of range").
    sources: ["12-bit unsigned"],
    minPsnr: 60,
  },
  {
    name: "JPEG-LS near-lossless, NEAR 3 (DCMTK)",
    uid: UID.jlsNear,
    needs: "dcmtk",
    encode: ["dcmcjpls", ["+en", "+md", "3"]],
    decode: ["dcmdjpls", []],
    sources: ["8-bit unsigned", "12-bit unsigned", "16-bit unsigned", "RGB 8-bit"],
    minPsnr: 40,
    maxError: 3,
  },
  {
    name: "JPEG-LS near-lossless, NEAR 3 (GDCM)",
    uid: UID.jlsNear,
    needs: "gdcm",
    encode: ["gdcmconv", ["--jpegls", "--lossy", "-e", "3"]],
    decode: GDCM_RAW,
    // Not 12-bit: GDCM 3.0.21's near-lossless encoder wraps 12-bit-in-16 samples (every
    // decoder — RadZ, gdcmconv --raw, dcmdjpls — agrees on the wrapped values).
    sources: ["8-bit unsigned", "16-bit unsigned"],
    minPsnr: 40,
    maxError: 3,
  },
  {
    name: "JPEG 2000 irreversible, rate 10 (GDCM)",
    uid: UID.j2k,
    needs: "gdcm",
    encode: ["gdcmconv", ["--j2k", "--lossy", "--irreversible", "-r", "10"]],
    decode: GDCM_RAW,
    sources: ["8-bit unsigned", "12-bit unsigned", "12-bit signed", "16-bit unsigned", "RGB 8-bit"],
    minPsnr: 40,
  },
  {
    name: "JPEG 2000, quality 40 dB (GDCM)",
    uid: UID.j2k,
    needs: "gdcm",
    encode: ["gdcmconv", ["--j2k", "--lossy", "-q", "40"]],
    decode: GDCM_RAW,
    sources: ["8-bit unsigned", "RGB 8-bit"],
    minPsnr: 30,
  },
];

describe("imaging codecs: lossy syntaxes (PSNR against the source, equal to the peer's decode)", function () {
  this.timeout(120_000);
  const folder = codecSuiteFolder("radz-codecs-lossy-");

  const smooth = (name: string): SourceSpec => ({
    ...bySource(name),
    rows: 64,
    columns: 48,
    content: "smooth",
  });

  for (const c of LOSSY) {
    for (const name of c.sources) {
      it(`${c.name}: ${name} — PSNR >= ${c.minPsnr} dB${c.maxError === undefined ? "" : `, |error| <= ${c.maxError}`}`, function () {
        if (c.needs === "dcmtk" && !HAS_DCMTK) this.skip();
        if (c.needs === "gdcm" && !HAS_GDCM) this.skip();
        const src = sourceImage(smooth(name));
        const tag = `${c.name}-${name}`.replace(/[^A-Za-z0-9]+/g, "_");
        const compressed = runTool(folder(), c.encode[0], c.encode[1], src.file, `${tag}-enc`);
        const inst = parseInstance(compressed);
        expect(inst.transferSyntaxUid).to.equal(c.uid);
        const ours = readStoredValues(inst);
        const rewrite = c.rewrites?.[name];
        if (rewrite !== undefined) {
          expect(
            inst.dataset["PixelRepresentation"],
            "the encoder's Pixel Representation",
          ).to.equal(rewrite.pixelRepresentation);
        }
        const want = rewrite === undefined ? (src.stored[0] as Int32Array) : rewrite.values(src);
        const p = psnr(want, ours.data, src.spec.bitsStored);
        expect(p, `PSNR ${p.toFixed(1)} dB`).to.be.at.least(c.minPsnr);
        if (c.maxError !== undefined) expect(maxAbsDiff(want, ours.data)).to.be.at.most(c.maxError);
        if (c.decode !== undefined) {
          const peer = parseInstance(
            runTool(folder(), c.decode[0], c.decode[1], compressed, `${tag}-dec`),
          );
          const peerStored = readStoredValues(peer);
          expect(ours.photometricInterpretation).to.equal(peerStored.photometricInterpretation);
          expectSameValues(ours.data, peerStored.data, `vs ${c.decode[0]}`);
        }
      });
    }
  }

  // The irreversible (9/7) wavelet is computed in floating point; OpenJPH and OpenJPEG round
  // differently, so the two decoders agree to within one level, not to the bit.
  describe("HTJ2K irreversible (OpenJPH encoder, quantization step 0.002; OpenJPEG as the peer decoder, within 1)", () => {
    let openjph: OpenJphModule;
    before(async () => {
      openjph = await openJphEncoderModule();
    });
    for (const name of [
      "8-bit unsigned",
      "12-bit unsigned",
      "12-bit signed",
      "16-bit unsigned",
      "RGB 8-bit",
    ]) {
      it(`${name} — PSNR >= 50 dB`, () => {
        const src: SourceImage = sourceImage(smooth(name));
        const cs = encodeHtj2k(openjph, nativeFrame(src), src.spec, {
          reversible: false,
          quantizationStep: 0.002,
        });
        const ds = htj2kDataset(src.spec, "YBR_ICT");
        const ours = readStoredValues(parseInstance(encapsulatedFile(UID.htj2k, ds, [even(cs)])));
        const peer = readStoredValues(parseInstance(encapsulatedFile(UID.j2k, ds, [even(cs)])));
        const p = psnr(src.stored[0] as Int32Array, ours.data, src.spec.bitsStored);
        expect(p, `PSNR ${p.toFixed(1)} dB`).to.be.at.least(50);
        expect(maxAbsDiff(ours.data, peer.data), "OpenJPH vs OpenJPEG").to.be.at.most(1);
      });
    }
  });
});
