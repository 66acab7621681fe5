/**
 * Encapsulated Pixel Data (PS3.5 A.4) -> frames, and broken compressed input.
 * Fragments per frame with and without a Basic Offset Table (written by
 * DCMTK and GDCM), the Extended Offset Table, and every way the
 * encapsulation or a codestream can be wrong: each ends in a RadzError with
 * its code, never a crash, a hang or silently wrong pixels.
 */
import { expect } from "chai";
import { RadzError, type ErrorCode } from "../../src/errors.js";
import { dcmjs } from "../../src/imaging/dcmjs-binding.js";
import {
  decodeFrame,
  encapsulatedFrame,
  parseInstance,
  readStoredValues,
  type DicomInstance,
} from "../../src/imaging/index.js";
import {
  HAS_DCMTK,
  HAS_GDCM,
  encapsulatedFile,
  encodeHtj2k,
  fragmentOffsets,
  nativeFrame,
  openJphEncoderModule,
  runTool,
  sourceImage,
  type SourceSpec,
  codecSuiteFolder,
  GREY12,
} from "./codec-fixtures.js";

const PHI = ["Secret", "PHI-0001"];

function expectCode(fn: () => unknown, code: ErrorCode): RadzError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught, `expected ${code}`).to.be.instanceOf(RadzError);
  const e = caught as RadzError;
  expect(e.code, e.message).to.equal(code);
  for (const word of PHI) expect(e.message).not.to.include(word);
  return e;
}

/** The fragments of an encapsulated instance as dcmjs read them (one per fragment without a BOT). */
function chunksOf(inst: DicomInstance): Uint8Array[] {
  return (inst.dataset["PixelData"] as ArrayBuffer[]).map((b) => new Uint8Array(b));
}

const U12x3: SourceSpec = { ...GREY12, name: "12-bit, 3 frames", frames: 3 };
const U12: SourceSpec = { ...U12x3, name: "12-bit", frames: 1 };

function datasetOf(spec: SourceSpec): Record<string, unknown> {
  return {
    Rows: spec.rows,
    Columns: spec.columns,
    BitsAllocated: spec.bitsAllocated,
    BitsStored: spec.bitsStored,
    HighBit: spec.bitsStored - 1,
    PixelRepresentation: spec.signed ? 1 : 0,
    SamplesPerPixel: 1,
    PhotometricInterpretation: "MONOCHROME2",
    ...((spec.frames ?? 1) > 1 ? { NumberOfFrames: spec.frames } : {}),
  };
}

function expectFrames(inst: DicomInstance, stored: readonly Int32Array[]): void {
  stored.forEach((want, f) => {
    expect(Array.from(readStoredValues(inst, f).data), `frame ${f}`).to.deep.equal(
      Array.from(want),
    );
  });
}

describe("imaging codecs: encapsulated Pixel Data -> frames", function () {
  this.timeout(60_000);
  const folder = codecSuiteFolder("radz-encaps-");

  for (const [what, args] of [
    ["with a Basic Offset Table", ["+fs", "1"]],
    ["without a Basic Offset Table (codestream markers)", ["+fs", "1", "-ot"]],
  ] as const) {
    it(`3 frames in 1 KB fragments ${what} (DCMTK JPEG-LS and JPEG Lossless)`, function () {
      if (!HAS_DCMTK) this.skip();
      const src = sourceImage(U12x3);
      for (const [tool, extra] of [
        ["dcmcjpls", []],
        ["dcmcjpeg", ["+e1"]],
      ] as const) {
        const inst = parseInstance(
          runTool(folder(), tool, [...extra, ...args], src.file, `${tool}-fs`),
        );
        if (args.length === 3) {
          expect(chunksOf(inst).length, "one chunk per fragment").to.be.greaterThan(3);
        }
        expectFrames(inst, src.stored);
      }
    });
  }

  it("one frame split over several fragments (GDCM --split, JPEG 2000)", function () {
    if (!HAS_GDCM) this.skip();
    const src = sourceImage(U12);
    const j2k = runTool(folder(), "gdcmconv", ["--j2k"], src.file, "j2k");
    const inst = parseInstance(runTool(folder(), "gdcmconv", ["--split", "256"], j2k, "split"));
    expect(chunksOf(inst).length).to.be.greaterThan(1);
    expectFrames(inst, src.stored);
  });

  it("the Extended Offset Table maps fragments to frames where nothing else can (RLE, 2 fragments per frame)", function () {
    if (!HAS_DCMTK) this.skip();
    const src = sourceImage(U12x3);
    const rle = parseInstance(runTool(folder(), "dcmcrle", [], src.file, "rle3"));
    const frames = chunksOf(rle);
    expect(frames).to.have.length(3);
    // Split each frame after 100 bytes: 6 fragments, none starting with a codestream marker.
    const fragments = frames.flatMap((f) => [f.subarray(0, 100), f.subarray(100)]);
    const offsets = fragmentOffsets(fragments).filter((_, i) => i % 2 === 0);
    const ds = datasetOf(U12x3);
    const withEot = parseInstance(
      encapsulatedFile("1.2.840.10008.1.2.5", ds, fragments, { extendedOffsets: offsets }),
    );
    expectFrames(withEot, src.stored);
    const withoutEot = parseInstance(encapsulatedFile("1.2.840.10008.1.2.5", ds, fragments));
    const e = expectCode(() => readStoredValues(withoutEot, 1), "DICOM_ENCAPSULATION_INVALID");
    expect(e.message).to.include("6 fragments").and.include("3 frames");
  });

  it("an Extended Offset Table entry that misses a fragment start -> DICOM_ENCAPSULATION_INVALID", () => {
    const a = new Uint8Array([0xff, 0xd8, 1, 2]);
    const ds = {
      ExtendedOffsetTable: [new Uint8Array(new BigUint64Array([0n, 5n]).buffer).buffer],
    };
    expectCode(() => encapsulatedFrame([a, a], 2, 1, ds), "DICOM_ENCAPSULATION_INVALID");
    const ok = {
      ExtendedOffsetTable: [new Uint8Array(new BigUint64Array([0n, 12n]).buffer).buffer],
    };
    expect(Array.from(encapsulatedFrame([a, a], 2, 1, ok))).to.deep.equal(Array.from(a));
  });
});

describe("imaging codecs: broken compressed input -> typed errors", function () {
  this.timeout(60_000);
  const folder = codecSuiteFolder("radz-encaps-bad-");

  const JLS = "1.2.840.10008.1.2.4.80";
  const frameA = new Uint8Array([0xff, 0xd8, 0xff, 0xd9]);

  it("fewer fragments than frames -> DICOM_ENCAPSULATION_INVALID", () => {
    const inst = parseInstance(encapsulatedFile(JLS, datasetOf(U12x3), [frameA, frameA]));
    const e = expectCode(() => readStoredValues(inst, 0), "DICOM_ENCAPSULATION_INVALID");
    expect(e.message).to.include("2 fragment(s) for 3 frames");
  });

  it("a zero-length frame -> DICOM_ENCAPSULATION_INVALID", () => {
    const inst = parseInstance(
      encapsulatedFile(JLS, datasetOf(U12x3), [frameA, new Uint8Array(0), frameA]),
    );
    const e = expectCode(() => readStoredValues(inst, 1), "DICOM_ENCAPSULATION_INVALID");
    expect(e.message).to.include("frame 1 has no bytes");
  });

  it("an item length past the end of the file -> DICOM_PARSE_ERROR", () => {
    const f = encapsulatedFile(JLS, datasetOf(U12), [frameA], {
      lengthOverride: { fragment: 0, length: 1000 },
    });
    expectCode(() => parseInstance(f), "DICOM_PARSE_ERROR");
  });

  it("an item length that cuts a fragment short (next item tag is garbage) -> DICOM_PARSE_ERROR", () => {
    const f = encapsulatedFile(JLS, datasetOf(U12), [new Uint8Array(16), frameA], {
      lengthOverride: { fragment: 0, length: 6 },
    });
    expectCode(() => parseInstance(f), "DICOM_PARSE_ERROR");
  });

  describe("Pixel Data is views of the caller's bytes, as dcmjs itself would read it", () => {
    /** dcmjs' own read of the whole file (it copies Pixel Data), naturalized. */
    function dcmjsRead(file: Uint8Array): Record<string, unknown> {
      const dict = dcmjs.data.DicomMessage.readFile(file.slice().buffer, {
        ignoreErrors: false,
        untilTag: null,
        includeUntilTagValue: false,
        noCopy: false,
        forceStoreRaw: false,
      });
      return dcmjs.data.DicomMetaDictionary.naturalizeDataset(dict.dict);
    }
    const bytesOf = (chunks: readonly (ArrayBuffer | Uint8Array)[]) =>
      chunks.map((c) => Array.from(c instanceof Uint8Array ? c : new Uint8Array(c)));
    const frag = (n: number, seed: number) =>
      Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);
    const cases: Array<[string, Uint8Array[], number[] | undefined]> = [
      ["one fragment, empty Basic Offset Table", [frag(40, 1)], undefined],
      [
        "three fragments, empty Basic Offset Table",
        [frag(10, 2), frag(12, 3), frag(6, 4)],
        undefined,
      ],
      [
        "a Basic Offset Table over 3 frames of 1, 2 and 1 fragments",
        [frag(10, 5), frag(12, 6), frag(6, 7), frag(8, 8)],
        [0, 18, 52],
      ],
    ];
    for (const [what, fragments, basicOffsets] of cases) {
      it(what, () => {
        const file = encapsulatedFile(
          JLS,
          { ...datasetOf(U12x3), PatientName: "Secret" },
          fragments,
          {
            ...(basicOffsets === undefined ? {} : { basicOffsets }),
          },
        );
        const bytes = new Uint8Array(file); // exactly the file
        const inst = parseInstance(bytes);
        const ours = inst.dataset as Record<string, unknown>;
        const theirs = dcmjsRead(file);
        const pd = ours["PixelData"] as Uint8Array[];
        expect(bytesOf(pd)).to.deep.equal(bytesOf(theirs["PixelData"] as ArrayBuffer[]));
        for (const chunk of pd) {
          if (chunk.byteLength === fragments[0]!.byteLength || basicOffsets === undefined)
            expect(chunk.buffer, "a view of the caller's buffer").to.equal(bytes.buffer);
        }
        const rest = (d: Record<string, unknown>) =>
          Object.fromEntries(Object.entries(d).filter(([k]) => k !== "PixelData"));
        expect(rest(ours)).to.deep.equal(rest(theirs));
      });
    }
  });

  it("a Basic Offset Table that does not point at items -> DICOM_PARSE_ERROR", () => {
    const f = encapsulatedFile(JLS, datasetOf(U12x3), [frameA, frameA, frameA], {
      basicOffsets: [0, 3, 12],
    });
    expectCode(() => parseInstance(f), "DICOM_PARSE_ERROR");
    const [a, b] = fragmentOffsets([frameA, frameA, frameA]).slice(1);
    const backwards = encapsulatedFile(JLS, datasetOf(U12x3), [frameA, frameA, frameA], {
      basicOffsets: [0, b!, a!],
    });
    expect(expectCode(() => parseInstance(backwards), "DICOM_PARSE_ERROR").message).to.include(
      "do not increase",
    );
  });

  it("a compressed file cut short -> DICOM_PARSE_ERROR", function () {
    if (!HAS_DCMTK) this.skip();
    const file = runTool(folder(), "dcmcjpls", [], sourceImage(U12).file, "cut");
    expectCode(() => parseInstance(file.subarray(0, file.byteLength - 200)), "DICOM_PARSE_ERROR");
  });

  it("a compressed file without Pixel Data -> DICOM_NO_PIXEL_DATA", () => {
    const inst = parseInstance(encapsulatedFile(JLS, datasetOf(U12), []));
    expectCode(() => readStoredValues(inst), "DICOM_NO_PIXEL_DATA");
  });

  describe("corrupt codestreams: every codec answers DICOM_CODEC_ERROR", () => {
    const encoders: ReadonlyArray<readonly [string, "dcmtk" | "gdcm", string, readonly string[]]> =
      [
        ["RLE Lossless", "dcmtk", "dcmcrle", []],
        ["JPEG Baseline", "dcmtk", "dcmcjpeg", ["+eb"]],
        ["JPEG Lossless", "dcmtk", "dcmcjpeg", ["+e1"]],
        ["JPEG Extended 12-bit", "dcmtk", "dcmcjpeg", ["+ee"]],
        ["JPEG-LS", "dcmtk", "dcmcjpls", []],
        ["JPEG 2000", "gdcm", "gdcmconv", ["--j2k"]],
      ];
    const spec8: SourceSpec = { ...U12, name: "8-bit", bitsAllocated: 8, bitsStored: 8 };

    function corruptions(frame: Uint8Array): Array<[string, Uint8Array]> {
      const flipped = frame.slice();
      for (let i = 24; i < flipped.length; i += 7) flipped[i] = (flipped[i] as number) ^ 0xa5;
      return [
        ["cut to a quarter", frame.slice(0, Math.max(2, (frame.length >> 3) * 2))],
        ["bytes flipped after the header", flipped],
        ["garbage", new Uint8Array(64).fill(0x5a)],
      ];
    }

    for (const [name, needs, tool, args] of encoders) {
      it(`${name}: truncated, bit-flipped, garbage, and a header that disagrees with the codestream`, function () {
        if ((needs === "dcmtk" && !HAS_DCMTK) || (needs === "gdcm" && !HAS_GDCM)) this.skip();
        const spec = name === "JPEG Baseline" ? spec8 : U12;
        const good = parseInstance(
          runTool(folder(), tool, args, sourceImage(spec).file, `bad-${tool}`),
        );
        const ts = good.transferSyntaxUid;
        const frame = chunksOf(good)[0] as Uint8Array;
        for (const [how, bytes] of corruptions(frame)) {
          const inst = parseInstance(encapsulatedFile(ts, datasetOf(spec), [even(bytes)]));
          let err: unknown;
          try {
            readStoredValues(inst);
          } catch (e) {
            err = e;
          }
          // A bit-flipped entropy-coded stream may still decode (to wrong pixels), as with any
          // codec; what must never happen is an untyped error or a crash.
          if (err !== undefined || how !== "bytes flipped after the header") {
            expect(err, `${how}: expected a RadzError`).to.be.instanceOf(RadzError);
            expect((err as RadzError).code, `${how}: ${(err as RadzError).message}`).to.equal(
              "DICOM_CODEC_ERROR",
            );
          }
        }
        const taller = parseInstance(
          encapsulatedFile(ts, { ...datasetOf(spec), Rows: spec.rows + 3 }, [even(frame)]),
        );
        const e = expectCode(() => decodeFrame(taller, { maxPixels: 1e6 }), "DICOM_CODEC_ERROR");
        expect(e.message).to.include("frame 0");
      });
    }

    it("HTJ2K: garbage and a header that disagrees with the codestream", async () => {
      const openjph = await openJphEncoderModule();
      const src = sourceImage(U12);
      const cs = encodeHtj2k(openjph, nativeFrame(src), U12, { reversible: true });
      const htj2k = "1.2.840.10008.1.2.4.201";
      const garbage = parseInstance(
        encapsulatedFile(htj2k, datasetOf(U12), [new Uint8Array(64).fill(0x5a)]),
      );
      const e = expectCode(() => readStoredValues(garbage), "DICOM_CODEC_ERROR");
      expect(e.message).to.include("OpenJPH").and.include("no JPEG 2000 size (SIZ) header");
      // A valid header over a corrupt body: OpenJPH refuses, OpenJPEG is tried, both are named.
      const body = even(cs).slice();
      for (let i = 60; i < body.length; i += 3) body[i] = 0xff;
      const corrupt = parseInstance(encapsulatedFile(htj2k, datasetOf(U12), [body]));
      let caught: unknown;
      try {
        readStoredValues(corrupt);
      } catch (err) {
        caught = err;
      }
      if (caught !== undefined) {
        expect(caught).to.be.instanceOf(RadzError);
        expect((caught as RadzError).code).to.equal("DICOM_CODEC_ERROR");
        expect((caught as RadzError).message).to.include("OpenJPH and OpenJPEG");
      }
      const wide = parseInstance(
        encapsulatedFile(htj2k, { ...datasetOf(U12), Columns: 40 }, [even(cs)]),
      );
      expectCode(() => readStoredValues(wide), "DICOM_CODEC_ERROR");
    });

    it("HTJ2K syntax carrying a Part 1 (non-HT) codestream: OpenJPH refuses, OpenJPEG decodes it", function () {
      if (!HAS_GDCM) this.skip();
      const src = sourceImage(U12);
      const j2k = parseInstance(runTool(folder(), "gdcmconv", ["--j2k"], src.file, "part1"));
      const inst = parseInstance(
        encapsulatedFile("1.2.840.10008.1.2.4.201", datasetOf(U12), [even(chunksOf(j2k)[0]!)]),
      );
      expect(Array.from(readStoredValues(inst).data)).to.deep.equal(Array.from(src.stored[0]!));
    });

    it("RLE: a header whose segment count does not match the pixel format", () => {
      const header = new Uint8Array(64);
      new DataView(header.buffer).setUint32(0, 3, true);
      const inst = parseInstance(encapsulatedFile("1.2.840.10008.1.2.5", datasetOf(U12), [header]));
      const e = expectCode(() => readStoredValues(inst), "DICOM_CODEC_ERROR");
      expect(e.message).to.include("3 segments");
    });

    /** An RLE frame: the 64-byte header, then the segments as given. */
    function rleFrame(segments: readonly number[][], offsets?: readonly number[]): Uint8Array {
      const body = segments.flat();
      const out = new Uint8Array(64 + body.length);
      const view = new DataView(out.buffer);
      view.setUint32(0, segments.length, true);
      let at = 64;
      segments.forEach((seg, i) => {
        view.setUint32(4 + 4 * i, offsets?.[i] ?? at, true);
        at += seg.length;
      });
      out.set(body, 64);
      return out;
    }
    const U8_2x3: SourceSpec = {
      ...U12,
      name: "8-bit 2x3",
      rows: 2,
      columns: 3,
      bitsAllocated: 8,
      bitsStored: 8,
    };
    const rleInstance = (frame: Uint8Array): DicomInstance =>
      parseInstance(encapsulatedFile("1.2.840.10008.1.2.5", datasetOf(U8_2x3), [even(frame)]));

    it("RLE: hand-made segments decode; an offset outside the frame, a short segment and an overlong run are refused", () => {
      // 6 pixels: literal run of 3 (header 2), then 3 x 0x07 (header 257 - 3 = 254).
      const ok = readStoredValues(rleInstance(rleFrame([[2, 10, 20, 30, 254, 7]])));
      expect(Array.from(ok.data)).to.deep.equal([10, 20, 30, 7, 7, 7]);
      // A no-op header byte (128) is skipped.
      const noop = readStoredValues(rleInstance(rleFrame([[128, 2, 10, 20, 30, 254, 7]])));
      expect(Array.from(noop.data)).to.deep.equal([10, 20, 30, 7, 7, 7]);
      const outside = expectCode(
        () => readStoredValues(rleInstance(rleFrame([[2, 10, 20, 30, 254, 7]], [4000]))),
        "DICOM_CODEC_ERROR",
      );
      expect(outside.message).to.include("offset outside the frame");
      // (Segments of even length below, so that no pad byte is added.)
      const short = expectCode(
        () => readStoredValues(rleInstance(rleFrame([[128, 2, 10, 20, 30, 254]]))),
        "DICOM_CODEC_ERROR",
      );
      expect(short.message).to.include("replicate run has no byte to repeat");
      const fewer = expectCode(
        () => readStoredValues(rleInstance(rleFrame([[2, 10, 20, 30, 255, 7]]))),
        "DICOM_CODEC_ERROR",
      );
      expect(fewer.message).to.include("decodes to 5 bytes; 6 are needed");
      const literal = expectCode(
        () => readStoredValues(rleInstance(rleFrame([[9, 10, 20, 30]]))),
        "DICOM_CODEC_ERROR",
      );
      expect(literal.message).to.include("literal run goes past the segment's end");
      // More than Rows x Columns, by a replicate run one byte too long (dcmjs-codecs 0.0.8 would
      // write that byte past its output buffer) and by a longer one.
      for (const [run, bytes] of [
        [253, 7],
        [250, 10],
      ] as const) {
        const over = expectCode(
          () => readStoredValues(rleInstance(rleFrame([[2, 10, 20, 30, run, 7]]))),
          "DICOM_CODEC_ERROR",
        );
        expect(over.message).to.include(`decodes to ${bytes} bytes; 6 are needed`);
      }
    });

    it("the DCMTK JPEG decoder stays usable after 300 frames it rejected (12-bit DCT and lossless)", function () {
      if (!HAS_DCMTK) this.skip();
      this.timeout(60_000);
      // Each rejection is an exception thrown through the WebAssembly call; without the
      // clean-up in codec-modules.ts the module's stack is exhausted after ~50 of them.
      const src = sourceImage({ ...U12, content: "smooth" });
      const cases = (["+ee", "+e1"] as const).map((arg) => {
        const inst = parseInstance(runTool(folder(), "dcmcjpeg", [arg], src.file, `again${arg}`));
        const noTables = even(withoutSegment(chunksOf(inst)[0] as Uint8Array, 0xc4));
        const broken = parseInstance(
          encapsulatedFile(inst.transferSyntaxUid, datasetOf(U12), [noTables]),
        );
        return { inst, broken, before: Array.from(readStoredValues(inst).data) };
      });
      for (let i = 0; i < 150; i++) {
        for (const c of cases) {
          const e = expectCode(() => readStoredValues(c.broken), "DICOM_CODEC_ERROR");
          if (i === 0) expect(e.message).to.include("Huffman table");
        }
      }
      for (const c of cases)
        expect(Array.from(readStoredValues(c.inst).data)).to.deep.equal(c.before);
    });

    it("DCMTK JPEG: sample size against Bits Allocated, and a TEM marker the decoder would loop on", function () {
      if (!HAS_DCMTK) this.skip();
      const spec8: SourceSpec = { ...U12, name: "8-bit", bitsAllocated: 8, bitsStored: 8 };
      const src8 = sourceImage(spec8);
      const lossless8 = chunksOf(
        parseInstance(runTool(folder(), "dcmcjpeg", ["+e1"], src8.file, "ll8")),
      )[0]!;
      // An 8-bit codestream in a 16-bit dataset (Bits Stored 8): decoded as 8-bit and widened.
      const in16 = parseInstance(
        encapsulatedFile("1.2.840.10008.1.2.4.70", { ...datasetOf(spec8), BitsAllocated: 16 }, [
          even(lossless8),
        ]),
      );
      expect(Array.from(readStoredValues(in16).data)).to.deep.equal(Array.from(src8.stored[0]!));
      // A 12-bit codestream in an 8-bit dataset would overrun the decoder's output: refused.
      const ext12 = chunksOf(
        parseInstance(runTool(folder(), "dcmcjpeg", ["+ee"], sourceImage(U12).file, "e12")),
      )[0]!;
      const in8 = parseInstance(
        encapsulatedFile("1.2.840.10008.1.2.4.51", datasetOf(spec8), [even(ext12)]),
      );
      const e = expectCode(() => readStoredValues(in8), "DICOM_CODEC_ERROR");
      expect(e.message).to.include("12-bit samples but Bits Allocated is 8");
      // FF01 (TEM) right after SOI: dcmjs-codecs 0.0.8 never returns from its precision scan.
      const tem = new Uint8Array(ext12.length + 2);
      tem.set(ext12.subarray(0, 2));
      tem.set([0xff, 0x01], 2);
      tem.set(ext12.subarray(2), 4);
      const looped = parseInstance(
        encapsulatedFile("1.2.840.10008.1.2.4.51", datasetOf(U12), [even(tem)]),
      );
      expect(expectCode(() => readStoredValues(looped), "DICOM_CODEC_ERROR").message).to.include(
        "TEM marker",
      );
    });

    it("a JPEG Lossless syntax carrying a DCT (lossy) codestream", function () {
      if (!HAS_DCMTK) this.skip();
      const base = parseInstance(
        runTool(folder(), "dcmcjpeg", ["+eb"], sourceImage(spec8).file, "mis"),
      );
      const inst = parseInstance(
        encapsulatedFile("1.2.840.10008.1.2.4.70", datasetOf(spec8), [even(chunksOf(base)[0]!)]),
      );
      const e = expectCode(() => readStoredValues(inst), "DICOM_CODEC_ERROR");
      expect(e.message).to.include("FFC0").and.include("FFC3");
    });
  });
});

function even(b: Uint8Array): Uint8Array {
  if (b.byteLength % 2 === 0) return b;
  const out = new Uint8Array(b.byteLength + 1);
  out.set(b);
  return out;
}

/** A JPEG codestream without its `marker` segments (e.g. 0xC4: no Huffman tables). */
function withoutSegment(frame: Uint8Array, marker: number): Uint8Array {
  const parts: Uint8Array[] = [frame.subarray(0, 2)];
  let i = 2;
  while (i + 4 <= frame.length) {
    const m = frame[i + 1] as number;
    if (m === 0xda) {
      parts.push(frame.subarray(i));
      break;
    }
    const end = i + 2 + (((frame[i + 2] as number) << 8) | (frame[i + 3] as number));
    if (m !== marker) parts.push(frame.subarray(i, end));
    i = end;
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
