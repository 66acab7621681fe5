/**
 * parseInstance and bad input: every failure is a RadzError with the right
 * code, and no message carries an element value (PHI).
 */
import { expect } from "chai";
import type { RadzError } from "../../src/errors.js";
import { type ErrorCode } from "../../src/errors.js";
import {
  DEFAULT_FRAME_DECODERS,
  decodeFrame,
  parseInstance,
  readStoredValues,
  type FrameDecoder,
} from "../../src/imaging/index.js";
import { expectRadzError } from "../helpers/errors.js";
import { TS, gray16, part10 } from "./fixtures.js";

const MAX = { maxPixels: 1_000_000 };
const PHI = ["Secret", "PHI-0001"];

/** expectRadzError, and no element value (PHI) in the message. */
async function expectPhiFreeError(fn: () => unknown, code: ErrorCode): Promise<RadzError> {
  const e = await expectRadzError(fn, code);
  for (const word of PHI) expect(e.message).not.to.include(word);
  return e;
}

describe("imaging/parseInstance", () => {
  it("reads the file meta and the identifying UIDs", () => {
    const inst = parseInstance(gray16(2, 2, [1, 2, 3, 4]));
    expect(inst.transferSyntaxUid).to.equal(TS.explicitLE);
    expect(inst.sopClassUid).to.equal("1.2.840.10008.5.1.4.1.1.1.1");
    expect(inst.sopInstanceUid).to.equal("1.2.826.0.1.3680043.8.498.3");
    expect(inst.seriesInstanceUid).to.equal("1.2.826.0.1.3680043.8.498.2");
    expect(inst.studyInstanceUid).to.equal("1.2.826.0.1.3680043.8.498.1");
    expect(inst.dataset["Modality"]).to.equal("DX");
  });

  it("accepts a Uint8Array that is a view into a larger buffer", () => {
    const f = gray16(2, 2, [1, 2, 3, 4]);
    const big = new Uint8Array(f.length + 10);
    big.set(f, 7);
    const inst = parseInstance(big.subarray(7, 7 + f.length));
    expect(Array.from(readStoredValues(inst).data)).to.deep.equal([1, 2, 3, 4]);
  });

  it("reads a file whose Specific Character Set dcmjs refuses (several code extensions)", () => {
    const f = gray16(1, 2, [5, 6], { SpecificCharacterSet: ["ISO 2022 IR 6", "ISO 2022 IR 87"] });
    const inst = parseInstance(f);
    expect(Array.from(readStoredValues(inst).data)).to.deep.equal([5, 6]);
  });

  it("reads a file with a UN element of undefined length (CP-246), which dcmjs alone refuses", async () => {
    const le16 = (v: number): number[] => [v & 0xff, v >> 8];
    const le32 = (v: number): number[] => [v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >>> 24];
    const tag = (g: number, e: number): number[] => [...le16(g), ...le16(e)];
    const ascii = (t: string): number[] => [...t].map((c) => c.charCodeAt(0));
    // (7FE1,0010) LO creator; (7FE1,1001) UN, undefined length, holding one item with an
    // Implicit VR element, then item and sequence delimiters (PS3.5 6.2.2).
    // prettier-ignore
    const privateSequence = [
      ...tag(0x7fe1, 0x0010), ...ascii("LO"), ...le16(8), ...ascii("RADZTEST"),
      ...tag(0x7fe1, 0x1001), ...ascii("UN"), 0, 0, ...le32(0xffffffff),
      ...tag(0xfffe, 0xe000), ...le32(0xffffffff),
      ...tag(0x7fe1, 0x1002), ...le32(4), ...ascii("ABCD"),
      ...tag(0xfffe, 0xe00d), ...le32(0),
      ...tag(0xfffe, 0xe0dd), ...le32(0),
    ];
    const f = new Uint8Array([...gray16(1, 2, [7, 8]), ...privateSequence]);
    expect(Array.from(readStoredValues(parseInstance(f)).data)).to.deep.equal([7, 8]);
    // ... but a broken one is still a parse error
    await expectPhiFreeError(() => parseInstance(f.subarray(0, f.length - 8)), "DICOM_PARSE_ERROR");
  });

  it("truncated inside Pixel Data -> DICOM_PARSE_ERROR naming the element", async () => {
    const f = gray16(2, 2, [1, 2, 3, 4]);
    const e = await expectPhiFreeError(
      () => parseInstance(f.subarray(0, f.length - 3)),
      "DICOM_PARSE_ERROR",
    );
    expect(e.message).to.include("(7FE0,0010) PixelData");
  });

  it("truncated inside Patient Name -> DICOM_PARSE_ERROR without the value", async () => {
    const f = gray16(2, 2, [1, 2, 3, 4]);
    const at = Buffer.from(f).indexOf("Secret^Patient") + 4;
    expect(at).to.be.greaterThan(4);
    const e = await expectPhiFreeError(() => parseInstance(f.subarray(0, at)), "DICOM_PARSE_ERROR");
    expect(e.message).to.match(/offset \d+/);
  });

  it("garbage / too short / no DICM prefix -> DICOM_PARSE_ERROR", async () => {
    await expectPhiFreeError(() => parseInstance(new Uint8Array(0)), "DICOM_PARSE_ERROR");
    await expectPhiFreeError(() => parseInstance(new Uint8Array(100)), "DICOM_PARSE_ERROR");
    const f = gray16(2, 2, [1, 2, 3, 4]).slice();
    f[129] = 0x58;
    await expectPhiFreeError(() => parseInstance(f), "DICOM_PARSE_ERROR");
  });

  it("missing Study Instance UID -> DICOM_PARSE_ERROR", async () => {
    const f = gray16(1, 1, [1], { StudyInstanceUID: undefined });
    const e = await expectPhiFreeError(() => parseInstance(f), "DICOM_PARSE_ERROR");
    expect(e.message).to.include("(0020,000D) StudyInstanceUID");
  });

  it("over maxBytes -> DICOMWEB_INSTANCE_TOO_LARGE", async () => {
    const f = gray16(2, 2, [1, 2, 3, 4]);
    await expectPhiFreeError(
      () => parseInstance(f, { maxBytes: f.length - 1 }),
      "DICOMWEB_INSTANCE_TOO_LARGE",
    );
    expect(parseInstance(f, { maxBytes: f.length }).sopInstanceUid).to.be.a("string");
  });

  it("a deflated dataset that inflates past maxBytes -> DICOMWEB_INSTANCE_TOO_LARGE", async () => {
    const f = gray16(100, 100, new Uint16Array(10_000), {}, TS.deflated);
    expect(f.length).to.be.lessThan(2000);
    await expectPhiFreeError(
      () => parseInstance(f, { maxBytes: 5000 }),
      "DICOMWEB_INSTANCE_TOO_LARGE",
    );
  });
});

describe("imaging/decodeFrame bad input", () => {
  it("missing Pixel Data -> DICOM_NO_PIXEL_DATA", async () => {
    const inst = parseInstance(part10({}));
    await expectPhiFreeError(() => decodeFrame(inst, MAX), "DICOM_NO_PIXEL_DATA");
    await expectPhiFreeError(() => readStoredValues(inst), "DICOM_NO_PIXEL_DATA");
  });

  for (const bits of [1, 32]) {
    it(`Bits Allocated ${bits} -> DICOM_UNSUPPORTED_PIXEL_FORMAT naming the value`, async () => {
      const f = part10({
        dataset: { Rows: 8, Columns: 8, BitsAllocated: bits, BitsStored: bits, HighBit: bits - 1 },
        pixels: new Uint8Array(bits === 1 ? 8 : 256),
        pixelVr: "OB",
      });
      const e = await expectPhiFreeError(
        () => decodeFrame(parseInstance(f), MAX),
        "DICOM_UNSUPPORTED_PIXEL_FORMAT",
      );
      expect(e.message).to.include(`(0028,0100) BitsAllocated ${bits}`);
    });
  }

  it("absurd Rows x Columns -> DICOM_IMAGE_TOO_LARGE (before touching pixel data)", async () => {
    const f = gray16(1, 1, [0], { Rows: 65535, Columns: 65535 });
    const e = await expectPhiFreeError(
      () => decodeFrame(parseInstance(f), { maxPixels: 100_000_000 }),
      "DICOM_IMAGE_TOO_LARGE",
    );
    expect(e.message).to.include("4294836225");
  });

  it("Pixel Data shorter than Rows x Columns needs -> DICOM_PIXEL_DATA_TRUNCATED", async () => {
    const f = gray16(3, 2, [1, 2, 3, 4]);
    await expectPhiFreeError(
      () => decodeFrame(parseInstance(f), MAX),
      "DICOM_PIXEL_DATA_TRUNCATED",
    );
  });

  it("a frame past Number of Frames -> INPUT_INVALID", async () => {
    const f = gray16(1, 1, [1, 2], { NumberOfFrames: 2 });
    await expectPhiFreeError(
      () => decodeFrame(parseInstance(f), { ...MAX, frame: 2 }),
      "INPUT_INVALID",
    );
  });

  for (const [uid, name] of [
    ["1.2.840.10008.1.2.4.100", "MPEG2 Main Profile / Main Level"],
    ["1.2.840.10008.1.2.4.102", "MPEG-4 AVC/H.264 High Profile / Level 4.1"],
    ["1.2.840.10008.1.2.4.108", "HEVC/H.265 Main 10 Profile / Level 5.1"],
    ["1.2.840.10008.1.2.4.94", "JPIP Referenced"],
    ["1.2.840.10008.1.2.4.92", "JPEG 2000 Part 2 Multi-component"],
  ] as const) {
    it(`${name} -> DICOM_UNSUPPORTED_TRANSFER_SYNTAX naming UID and name`, async () => {
      const f = gray16(2, 2, [0, 100, 200, 400], {}, uid);
      const inst = parseInstance(f);
      expect(inst.transferSyntaxUid).to.equal(uid);
      const e = await expectPhiFreeError(
        () => decodeFrame(inst, MAX),
        "DICOM_UNSUPPORTED_TRANSFER_SYNTAX",
      );
      expect(e.message).to.include(uid).and.include(name);
      await expectPhiFreeError(() => readStoredValues(inst), "DICOM_UNSUPPORTED_TRANSFER_SYNTAX");
    });
  }

  it("an unknown transfer syntax -> DICOM_UNSUPPORTED_TRANSFER_SYNTAX", async () => {
    const f = gray16(1, 1, [0], {}, "1.2.3.4.5.6");
    const e = await expectPhiFreeError(
      () => decodeFrame(parseInstance(f), MAX),
      "DICOM_UNSUPPORTED_TRANSFER_SYNTAX",
    );
    expect(e.message).to.include("1.2.3.4.5.6").and.include("unknown transfer syntax");
  });

  it("photometric interpretations that native pixel data cannot carry -> DICOM_UNSUPPORTED_PIXEL_FORMAT", async () => {
    const f = part10({
      dataset: {
        SamplesPerPixel: 3,
        PhotometricInterpretation: "YBR_ICT",
        BitsAllocated: 8,
        BitsStored: 8,
        HighBit: 7,
      },
      pixels: new Uint8Array(12),
    });
    await expectPhiFreeError(
      () => decodeFrame(parseInstance(f), MAX),
      "DICOM_UNSUPPORTED_PIXEL_FORMAT",
    );
  });

  it("a codec plugs in through the frame decoder registry", () => {
    // A stand-in codec for JPEG 2000 Part 2 (not built in) that returns known native bytes.
    const part2 = "1.2.840.10008.1.2.4.92";
    const fake: FrameDecoder = {
      name: "fake-part2",
      decode: (req) => {
        expect(req.transferSyntaxUid).to.equal(part2);
        expect(req.frame).to.equal(0);
        return { bytes: new Uint8Array(new Uint16Array([0, 10, 20, 40]).buffer) };
      },
    };
    const decoders = DEFAULT_FRAME_DECODERS.with(part2, fake);
    expect(DEFAULT_FRAME_DECODERS.has(part2)).to.equal(false);
    expect(decoders.has(part2)).to.equal(true);
    const inst = parseInstance(gray16(2, 2, [9, 9, 9, 9], {}, part2));
    const img = decodeFrame(inst, { ...MAX, decoders });
    expect(Array.from(img.data)).to.deep.equal([0, 0.25, 0.5, 1]);
    expect(Array.from(readStoredValues(inst, 0, { decoders }).data)).to.deep.equal([0, 10, 20, 40]);
  });

  it("a codec may convert a codec-only colour space (YBR_ICT) and must say so", async () => {
    const ds = {
      Rows: 1,
      Columns: 2,
      SamplesPerPixel: 3,
      PhotometricInterpretation: "YBR_ICT",
      BitsAllocated: 8,
      BitsStored: 8,
      HighBit: 7,
    };
    const inst = parseInstance(
      part10({ transferSyntax: "1.2.840.10008.1.2.4.90", dataset: ds, pixels: new Uint8Array(6) }),
    );
    const rgbBytes = new Uint8Array([255, 0, 0, 0, 0, 255]);
    const converting: FrameDecoder = {
      name: "fake-j2k",
      decode: () => ({ bytes: rgbBytes, photometricInterpretation: "RGB", planarConfiguration: 0 }),
    };
    const img = decodeFrame(inst, {
      ...MAX,
      decoders: DEFAULT_FRAME_DECODERS.with("1.2.840.10008.1.2.4.90", converting),
    });
    expect(img.photometric).to.equal("RGB");
    expect(img.data[0]).to.be.closeTo(0.299, 1e-6);
    expect(img.data[1]).to.be.closeTo(0.114, 1e-6);
    const lazy: FrameDecoder = { name: "lazy", decode: () => ({ bytes: rgbBytes }) };
    const e = await expectPhiFreeError(
      () =>
        decodeFrame(inst, {
          ...MAX,
          decoders: DEFAULT_FRAME_DECODERS.with("1.2.840.10008.1.2.4.90", lazy),
        }),
      "DICOM_UNSUPPORTED_PIXEL_FORMAT",
    );
    expect(e.message).to.include("YBR_ICT").and.include("lazy");
  });
});
