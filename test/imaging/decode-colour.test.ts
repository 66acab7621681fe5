/**
 * Colour -> luminance, expected values from Y = 0.299 R + 0.587 G + 0.114 B
 * worked out by hand.
 */
import { expect } from "chai";
import { decodeFrame, parseInstance, readStoredValues } from "../../src/imaging/index.js";
import { TS, part10 } from "./fixtures.js";

const MAX = { maxPixels: 1_000_000 };

function expectClose(actual: ArrayLike<number>, expected: number[], tol = 1e-6): void {
  expect(actual.length).to.equal(expected.length);
  expected.forEach((e, i) => expect(actual[i], `pixel ${i}`).to.be.closeTo(e, tol));
}

const rgb8 = {
  SamplesPerPixel: 3,
  BitsAllocated: 8,
  BitsStored: 8,
  HighBit: 7,
  Rows: 2,
  Columns: 2,
};
// Pixels: red, green, blue, (10,20,30)
const PIXELS = [
  [255, 0, 0],
  [0, 255, 0],
  [0, 0, 255],
  [10, 20, 30],
] as const;
// (0.299*10 + 0.587*20 + 0.114*30)/255 = (2.99 + 11.74 + 3.42)/255 = 18.15/255
const EXPECTED = [0.299, 0.587, 0.114, 18.15 / 255];

/**
 * A 1 x 4 PALETTE COLOR image with 4-entry, 16-bit palettes (black, red,
 * green, blue) whose first entry is mapped from index `first`.
 */
function paletteImage(
  bits: 8 | 16,
  first: number,
  indices: Uint8Array | Uint16Array,
  transferSyntax?: string,
): Uint8Array {
  const descriptor = [4, first, 16];
  return part10({
    ...(transferSyntax === undefined ? {} : { transferSyntax }),
    dataset: {
      Rows: 1,
      Columns: 4,
      SamplesPerPixel: 1,
      BitsAllocated: bits,
      BitsStored: bits,
      HighBit: bits - 1,
      PhotometricInterpretation: "PALETTE COLOR",
      RedPaletteColorLookupTableDescriptor: descriptor,
      GreenPaletteColorLookupTableDescriptor: descriptor,
      BluePaletteColorLookupTableDescriptor: descriptor,
      RedPaletteColorLookupTableData: new Uint16Array([0, 65535, 0, 0]).buffer,
      GreenPaletteColorLookupTableData: new Uint16Array([0, 0, 65535, 0]).buffer,
      BluePaletteColorLookupTableData: new Uint16Array([0, 0, 0, 65535]).buffer,
      _vrMap: {
        RedPaletteColorLookupTableDescriptor: "US",
        GreenPaletteColorLookupTableDescriptor: "US",
        BluePaletteColorLookupTableDescriptor: "US",
      },
    },
    pixels: indices,
  });
}

describe("imaging/decodeFrame colour", () => {
  it("RGB, Planar Configuration 0 (colour-by-pixel)", () => {
    const f = part10({
      dataset: { ...rgb8, PhotometricInterpretation: "RGB", PlanarConfiguration: 0 },
      pixels: new Uint8Array(PIXELS.flat()),
    });
    const img = decodeFrame(parseInstance(f), MAX);
    expectClose(img.data, EXPECTED);
    expect(img.window).to.equal(null);
    expect(img.voi).to.equal("none");
    expect(img.photometric).to.equal("RGB");
  });

  it("RGB, Planar Configuration 1 (colour-by-plane)", () => {
    const planes = [0, 1, 2].flatMap((c) => PIXELS.map((p) => p[c] as number));
    const f = part10({
      dataset: { ...rgb8, PhotometricInterpretation: "RGB", PlanarConfiguration: 1 },
      pixels: new Uint8Array(planes),
    });
    expectClose(decodeFrame(parseInstance(f), MAX).data, EXPECTED);
    // stored values come back interleaved per pixel whatever the planar configuration
    expect(Array.from(readStoredValues(parseInstance(f)).data)).to.deep.equal(PIXELS.flat());
  });

  it("RGB 16-bit", () => {
    const f = part10({
      dataset: {
        ...rgb8,
        Rows: 1,
        Columns: 2,
        BitsAllocated: 16,
        BitsStored: 16,
        HighBit: 15,
        PhotometricInterpretation: "RGB",
      },
      pixels: new Uint16Array([65535, 0, 0, 0, 0, 65535]),
    });
    expectClose(decodeFrame(parseInstance(f), MAX).data, [0.299, 0.114]);
  });

  it("YBR_FULL: the Y sample", () => {
    // Y 0, 51, 255, 102 with arbitrary chroma -> 0, 0.2, 1, 0.4
    const f = part10({
      dataset: { ...rgb8, PhotometricInterpretation: "YBR_FULL" },
      pixels: new Uint8Array([0, 128, 128, 51, 10, 240, 255, 0, 0, 102, 200, 50]),
    });
    expectClose(decodeFrame(parseInstance(f), MAX).data, [0, 0.2, 1, 0.4]);
  });

  it("YBR_FULL_422: Y1 Y2 Cb Cr per pixel pair", () => {
    // 1 x 4: pairs (Y 51, 102 | Cb Cr) (Y 153, 204 | Cb Cr) -> 0.2 0.4 0.6 0.8
    const f = part10({
      dataset: { ...rgb8, Rows: 1, Columns: 4, PhotometricInterpretation: "YBR_FULL_422" },
      pixels: new Uint8Array([51, 102, 90, 140, 153, 204, 100, 160]),
    });
    expectClose(decodeFrame(parseInstance(f), MAX).data, [0.2, 0.4, 0.6, 0.8]);
    expect(Array.from(readStoredValues(parseInstance(f)).data)).to.deep.equal([
      51, 90, 140, 102, 90, 140, 153, 100, 160, 204, 100, 160,
    ]);
  });

  it("PALETTE COLOR: luminance of the palette entries", () => {
    // 4-entry palettes, 16 bits: index 0 black, 1 red, 2 green, 3 blue
    const f = paletteImage(8, 0, new Uint8Array([0, 1, 2, 3]));
    expectClose(decodeFrame(parseInstance(f), MAX).data, [0, 0.299, 0.587, 0.114]);
  });

  describe("Explicit VR Big Endian (16-bit words read in place, byte order in the tables)", () => {
    // 12 bits stored in 16, high bit 11: the masking must act on the swapped-back word.
    const values = [4095, 0, 0, 0, 4095, 0, 0, 0, 4095, 160, 320, 480];
    const rgb12 = {
      SamplesPerPixel: 3,
      BitsAllocated: 16,
      BitsStored: 12,
      HighBit: 11,
      Rows: 2,
      Columns: 2,
      PhotometricInterpretation: "RGB",
    };
    for (const planar of [0, 1] as const) {
      it(`RGB 12-in-16, Planar Configuration ${planar}: the same luminance and stored values as Little Endian`, () => {
        const samples =
          planar === 0
            ? values
            : [0, 1, 2].flatMap((c) => [0, 1, 2, 3].map((p) => values[3 * p + c] as number));
        // High bits set outside Bits Stored must be masked off in both byte orders.
        const words = Uint16Array.from(samples, (v) => v | 0xf000);
        const make = (transferSyntax: string) =>
          parseInstance(
            part10({
              transferSyntax,
              dataset: { ...rgb12, PlanarConfiguration: planar },
              pixels: words,
            }),
          );
        const le = make(TS.explicitLE);
        const be = make(TS.explicitBE);
        // (0.299*160 + 0.587*320 + 0.114*480) / 4095 = 290.4 / 4095
        expectClose(decodeFrame(be, MAX).data, [0.299, 0.587, 0.114, 290.4 / 4095]);
        expect(Array.from(decodeFrame(be, MAX).data)).to.deep.equal(
          Array.from(decodeFrame(le, MAX).data),
        );
        expect(Array.from(readStoredValues(be).data)).to.deep.equal(values);
      });
    }

    it("PALETTE COLOR with 16-bit indices: the same luminance as Little Endian", () => {
      // indices 256..259: the first entry is mapped from 256 (descriptor's second value)
      const palette = (transferSyntax: string) =>
        parseInstance(paletteImage(16, 256, new Uint16Array([256, 257, 258, 259]), transferSyntax));
      const be = decodeFrame(palette(TS.explicitBE), MAX).data;
      expectClose(be, [0, 0.299, 0.587, 0.114]);
      expect(Array.from(be)).to.deep.equal(
        Array.from(decodeFrame(palette(TS.explicitLE), MAX).data),
      );
    });
  });
});
