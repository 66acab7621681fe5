/**
 * Grayscale pipeline against values worked out by hand from PS3.3 C.11
 * formulas (the arithmetic is in the comments; nothing here calls the
 * implementation to compute an expectation).
 */
import { expect } from "chai";
import { decodeFrame, parseInstance, readStoredValues } from "../../src/imaging/index.js";
import { TS, gray16, part10 } from "./fixtures.js";

const MAX = { maxPixels: 1_000_000 };

function display(file: Uint8Array, opts: { frame?: number; windowIndex?: number } = {}): number[] {
  return Array.from(decodeFrame(parseInstance(file), { ...MAX, ...opts }).data);
}

function expectClose(actual: number[], expected: number[], tol = 1e-6): void {
  expect(actual).to.have.length(expected.length);
  expected.forEach((e, i) => expect(actual[i], `pixel ${i}`).to.be.closeTo(e, tol));
}

describe("imaging/decodeFrame grayscale", () => {
  it("LINEAR window (default function)", () => {
    // c=200 w=201: lower edge c-0.5-(w-1)/2 = 99.5, upper edge c-0.5+(w-1)/2 = 299.5
    // y = (x - 199.5)/200 + 0.5
    const f = gray16(1, 6, [0, 99, 100, 200, 299, 300], { WindowCenter: 200, WindowWidth: 201 });
    // 0 -> 0 (<=99.5); 99 -> 0; 100 -> -99.5/200+.5 = 0.0025; 200 -> 0.5025;
    // 299 -> 99.5/200+.5 = 0.9975; 300 -> 1 (>299.5)
    expectClose(display(f), [0, 0, 0.0025, 0.5025, 0.9975, 1]);
    const img = decodeFrame(parseInstance(f), MAX);
    expect(img.window).to.deep.equal({ center: 200, width: 201, fn: "LINEAR" });
    expect(img.voi).to.equal("window");
    expect(img.photometric).to.equal("MONOCHROME2");
  });

  it("LINEAR_EXACT window", () => {
    // c=200 w=200: x <= 100 -> 0; x > 300 -> 1; else (x-200)/200 + 0.5
    const f = gray16(1, 6, [99, 100, 150, 200, 300, 301], {
      WindowCenter: 200,
      WindowWidth: 200,
      VOILUTFunction: "LINEAR_EXACT",
    });
    expectClose(display(f), [0, 0, 0.25, 0.5, 1, 1]);
  });

  it("SIGMOID window", () => {
    // y = 1 / (1 + exp(-4 (x - 200) / 100))
    // x=0: 1/(1+e^8) = 0.000335350130466478; 150: 1/(1+e^2) = 0.119202922022118;
    // 200: 0.5; 250: 1/(1+e^-2) = 0.880797077977882
    const f = gray16(1, 4, [0, 150, 200, 250], {
      WindowCenter: 200,
      WindowWidth: 100,
      VOILUTFunction: "SIGMOID",
    });
    expectClose(display(f), [0.000335350130466478, 0.119202922022118, 0.5, 0.880797077977882]);
  });

  it("Rescale Slope/Intercept feeds the window", () => {
    // slope 2, intercept -1000: stored 500,400,750,0 -> 0,-200,500,-1000
    // LINEAR c=0 w=1001: edges -500.5 .. 499.5, y = (x + 0.5)/1000 + 0.5
    const f = gray16(1, 4, [500, 400, 750, 0], {
      RescaleSlope: 2,
      RescaleIntercept: -1000,
      WindowCenter: 0,
      WindowWidth: 1001,
    });
    // 0 -> 0.5005; -200 -> 0.3005; 500 -> 1 (>499.5); -1000 -> 0
    expectClose(display(f), [0.5005, 0.3005, 1, 0]);
  });

  it("signed 12-bit stored in 16 bits: masking and sign extension", () => {
    const stored = [-2048, -1, 0, 2047, -100, 5];
    // Put junk in the 4 unused high bits; they must be ignored.
    const raw = stored.map((v, i) => (v & 0x0fff) | (i % 2 === 0 ? 0xa000 : 0x5000));
    const f = gray16(1, 6, raw, {
      BitsStored: 12,
      HighBit: 11,
      PixelRepresentation: 1,
      WindowCenter: 0,
      WindowWidth: 4096,
      VOILUTFunction: "LINEAR_EXACT",
    });
    expect(Array.from(readStoredValues(parseInstance(f)).data)).to.deep.equal(stored);
    // y = x/4096 + 0.5
    expectClose(display(f), [0, 0.499755859375, 0.5, 0.999755859375, 0.4755859375, 0.501220703125]);
  });

  it("High Bit above Bits Stored - 1 shifts the stored bits down", () => {
    // Bits Stored 8 at bits 4..11 (High Bit 11): raw = v << 4 | junk
    const stored = [0, 1, 128, 255];
    const raw = stored.map((v) => (v << 4) | 0x000f | 0xf000);
    const f = gray16(1, 4, raw, { BitsStored: 8, HighBit: 11 });
    expect(Array.from(readStoredValues(parseInstance(f)).data)).to.deep.equal(stored);
  });

  it("MONOCHROME1 and Presentation LUT Shape INVERSE invert once", () => {
    // 8-bit, LINEAR_EXACT c=128 w=256: y = (x-128)/256 + 0.5 -> 0:0, 64:0.25, 255:0.99609375
    const words = new Uint8Array([0, 64, 255, 128]);
    const ds = {
      Rows: 1,
      Columns: 4,
      BitsAllocated: 8,
      BitsStored: 8,
      HighBit: 7,
      WindowCenter: 128,
      WindowWidth: 256,
      VOILUTFunction: "LINEAR_EXACT",
    };
    const plain = [0, 0.25, 0.99609375, 0.5];
    const inverted = [1, 0.75, 0.00390625, 0.5];
    expectClose(display(part10({ dataset: ds, pixels: words })), plain);
    const m1 = part10({
      dataset: { ...ds, PhotometricInterpretation: "MONOCHROME1" },
      pixels: words,
    });
    expectClose(display(m1), inverted);
    const inv = part10({ dataset: { ...ds, PresentationLUTShape: "INVERSE" }, pixels: words });
    expectClose(display(inv), inverted);
    const both = part10({
      dataset: { ...ds, PhotometricInterpretation: "MONOCHROME1", PresentationLUTShape: "INVERSE" },
      pixels: words,
    });
    expectClose(display(both), inverted);
    const identity = part10({
      dataset: { ...ds, PresentationLUTShape: "IDENTITY" },
      pixels: words,
    });
    expectClose(display(identity), plain);
  });

  for (const ts of [TS.explicitLE, TS.implicitLE, TS.explicitBE]) {
    it(`Modality LUT Sequence replaces rescale (${ts})`, () => {
      // LUT: 4 entries from stored 10: [100, 200, 300, 400]; inputs outside clamp.
      // stored 9,10,11,13,14 -> 100,100,200,400,400
      // LINEAR_EXACT c=250 w=300: y = (x-250)/300 + 0.5 -> 100:0, 200:1/3, 400:1
      const f = gray16(
        1,
        5,
        [9, 10, 11, 13, 14],
        {
          RescaleSlope: 5,
          RescaleIntercept: 7,
          ModalityLUTSequence: [
            {
              LUTDescriptor: [4, 10, 16],
              ModalityLUTType: "US",
              LUTData: [100, 200, 300, 400],
              _vrMap: { LUTData: "US" },
            },
          ],
          WindowCenter: 250,
          WindowWidth: 300,
          VOILUTFunction: "LINEAR_EXACT",
        },
        ts,
      );
      expectClose(display(f), [0, 0, 1 / 3, 1, 1]);
    });
  }

  for (const ts of [TS.explicitLE, TS.implicitLE]) {
    it(`Modality LUT with a signed first-mapped value (${ts})`, () => {
      // descriptor [3, -2, 16], data [1000, 2000, 3000]; stored -3..1 -> 1000,1000,2000,3000,3000
      // LINEAR_EXACT c=2000 w=2000: y = (x-2000)/2000 + 0.5 -> 1000:0, 2000:0.5, 3000:1
      const f = gray16(
        1,
        5,
        [-3, -2, -1, 0, 1],
        {
          PixelRepresentation: 1,
          ModalityLUTSequence: [
            {
              LUTDescriptor: [3, -2, 16],
              ModalityLUTType: "US",
              LUTData: [1000, 2000, 3000],
              _vrMap: { LUTDescriptor: "SS", LUTData: "US" },
            },
          ],
          WindowCenter: 2000,
          WindowWidth: 2000,
          VOILUTFunction: "LINEAR_EXACT",
        },
        ts,
      );
      expectClose(display(f), [0, 0, 0.5, 1, 1]);
    });
  }

  it("VOI LUT Sequence (and windowIndex picks the item)", () => {
    // item 0: 4 entries from 0, 8 bits: [0, 51, 102, 255] -> /255: 0, 0.2, 0.4, 1
    // item 1: 4 entries from 0, 8 bits: [255, 204, 153, 0] -> 1, 0.8, 0.6, 0
    // stored 0,1,2,3,7 (7 clamps to the last entry)
    const f = gray16(1, 5, [0, 1, 2, 3, 7], {
      VOILUTSequence: [
        { LUTDescriptor: [4, 0, 8], LUTData: [0, 51, 102, 255], _vrMap: { LUTData: "US" } },
        { LUTDescriptor: [4, 0, 8], LUTData: [255, 204, 153, 0], _vrMap: { LUTData: "US" } },
      ],
    });
    expectClose(display(f), [0, 0.2, 0.4, 1, 1]);
    expectClose(display(f, { windowIndex: 1 }), [1, 0.8, 0.6, 0, 0]);
    const img = decodeFrame(parseInstance(f), MAX);
    expect(img.voi).to.equal("voi-lut-sequence");
    expect(img.window).to.equal(null);
  });

  it("multi-valued Window Center/Width: windowIndex, falling back to the first", () => {
    // windows (c=100,w=200) and (c=300,w=400), LINEAR_EXACT, x = 200
    // #0: (200-100)/200+.5 = 1 ; #1: (200-300)/400+.5 = 0.25
    const f = gray16(1, 1, [200], {
      WindowCenter: [100, 300],
      WindowWidth: [200, 400],
      VOILUTFunction: "LINEAR_EXACT",
    });
    expectClose(display(f), [1]);
    expectClose(display(f, { windowIndex: 1 }), [0.25]);
    expectClose(display(f, { windowIndex: 7 }), [1]);
  });

  it("no window: the image's own range after the modality LUT", () => {
    // stored 100,200,300,500, intercept 10: 110..510 -> (x-110)/400
    const f = gray16(2, 2, [100, 200, 300, 500], { RescaleIntercept: 10 });
    expectClose(display(f), [0, 0.25, 0.5, 1]);
    const img = decodeFrame(parseInstance(f), MAX);
    expect(img.voi).to.equal("auto-range");
    expect(img.window).to.deep.equal({ center: 310, width: 400, fn: "LINEAR_EXACT" });
  });

  it("an invalid window (LINEAR width < 1) is ignored in favour of the auto range", () => {
    const f = gray16(1, 3, [0, 50, 100], { WindowCenter: 50, WindowWidth: 0 });
    expectClose(display(f), [0, 0.5, 1]);
  });

  it("Pixel Padding Value is left out of the auto range", () => {
    // padding 0 excluded: range 100..300 -> 0 -> 0 (clamped), 100 -> 0, 200 -> 0.5, 300 -> 1
    // (were padding included: 0..300 -> 0, 1/3, 2/3, 1)
    const f = gray16(1, 4, [0, 100, 200, 300], { PixelPaddingValue: 0 });
    expectClose(display(f), [0, 0, 0.5, 1]);
  });

  it("Pixel Padding Range Limit excludes the whole padding range", () => {
    // padding 4000..4095 excluded: range 100..200
    const f = gray16(1, 5, [4000, 4095, 4050, 100, 200], {
      PixelPaddingValue: 4000,
      PixelPaddingRangeLimit: 4095,
    });
    expectClose(display(f), [1, 1, 1, 0, 1]);
  });

  it("signed Pixel Padding Value in Implicit VR (read as US by the parser)", () => {
    // padding -2000 excluded: range -100..100 -> -2000 -> 0, -100 -> 0, 100 -> 1, 0 -> 0.5
    const f = gray16(
      1,
      4,
      [-2000, -100, 100, 0],
      { PixelRepresentation: 1, PixelPaddingValue: -2000, _vrMap: { PixelPaddingValue: "SS" } },
      TS.implicitLE,
    );
    expectClose(display(f), [0, 0, 1, 0.5]);
  });

  it("multi-frame: picks the requested frame", () => {
    // 3 frames of 1x2: [0,100] [200,300] [400,500]; LINEAR_EXACT c=250 w=500: y = x/500
    const f = gray16(1, 2, [0, 100, 200, 300, 400, 500], {
      NumberOfFrames: 3,
      WindowCenter: 250,
      WindowWidth: 500,
      VOILUTFunction: "LINEAR_EXACT",
    });
    expectClose(display(f), [0, 0.2]);
    expectClose(display(f, { frame: 1 }), [0.4, 0.6]);
    expectClose(display(f, { frame: 2 }), [0.8, 1]);
    expect(Array.from(readStoredValues(parseInstance(f), 2).data)).to.deep.equal([400, 500]);
  });

  it("8-bit grayscale", () => {
    const f = part10({
      dataset: { Rows: 1, Columns: 3, BitsAllocated: 8, BitsStored: 8, HighBit: 7 },
      pixels: new Uint8Array([10, 20, 30]),
    });
    // auto range 10..30
    expectClose(display(f), [0, 0.5, 1]);
  });

  for (const ts of Object.values(TS).filter((t) => t !== TS.jpegBaseline)) {
    it(`same stored and display values in ${ts}`, () => {
      const words = [0, 1, 255, 256, 4095, 65535, 32768, 1234];
      const f = gray16(2, 4, words, {}, ts);
      const inst = parseInstance(f);
      expect(inst.transferSyntaxUid).to.equal(ts);
      expect(Array.from(readStoredValues(inst).data)).to.deep.equal(words);
      expectClose(
        display(f),
        words.map((w) => w / 65535),
      );
    });
  }
});

describe("imaging/parseInstance native Pixel Data", () => {
  it("is a list of one view of the file's own bytes (no copy), holding the stored samples", () => {
    const f = gray16(2, 3, [0, 1, 2, 300, 4095, 7]);
    const bytes = new Uint8Array(f); // own ArrayBuffer, exactly the file
    const pd = parseInstance(bytes).dataset.PixelData as Uint8Array[];
    expect(pd).to.be.an("array").with.length(1);
    expect(ArrayBuffer.isView(pd[0]), "a view, not a copied ArrayBuffer").to.equal(true);
    expect(pd[0]!.buffer, "a view of the caller's buffer").to.equal(bytes.buffer);
    const samples = new Uint16Array(Uint8Array.from(pd[0]!).buffer);
    expect(Array.from(samples)).to.deep.equal([0, 1, 2, 300, 4095, 7]);
    expect(Array.from(readStoredValues(parseInstance(bytes)).data)).to.deep.equal([
      0, 1, 2, 300, 4095, 7,
    ]);
  });

  for (const [name, ts] of [
    ["Implicit VR Little Endian", TS.implicitLE],
    ["Explicit VR Big Endian", TS.explicitBE],
    ["Deflated Explicit VR Little Endian", TS.deflated],
  ] as const) {
    it(`${name}: the same samples, and decoding leaves the caller's bytes as they were`, () => {
      const f = gray16(2, 2, [1, 0x0102, 4095, 0x0a0b], {}, ts);
      const before = f.slice();
      const inst = parseInstance(f);
      expect((inst.dataset.PixelData as Uint8Array[])[0]!.byteLength).to.equal(8);
      expect(Array.from(readStoredValues(inst).data)).to.deep.equal([1, 0x0102, 4095, 0x0a0b]);
      decodeFrame(inst, { maxPixels: 100 });
      expect(Buffer.compare(f, before)).to.equal(0);
    });
  }

  it("Explicit VR Big Endian, no window (the frame's own range), MONOCHROME1, signed: as Little Endian", () => {
    // Auto-range reads which words occur: with big-endian words read in place,
    // that must still be the stored values -513..600, not their byte-swapped forms.
    const stored = [-5, 0, 7, 600, 300, 0x0102, -513, 12];
    const make = (ts: string) =>
      parseInstance(
        gray16(
          2,
          4,
          stored.map((v) => v & 0xffff),
          { PixelRepresentation: 1, PhotometricInterpretation: "MONOCHROME1" },
          ts,
        ),
      );
    const le = decodeFrame(make(TS.explicitLE), { maxPixels: 100 });
    const be = decodeFrame(make(TS.explicitBE), { maxPixels: 100 });
    expect(be.voi).to.equal("auto-range");
    expect(be.window).to.deep.equal(le.window);
    expect(Array.from(be.data)).to.deep.equal(Array.from(le.data));
    // MONOCHROME1: the largest stored value is black.
    expect(be.data[stored.indexOf(Math.max(...stored))]).to.equal(0);
    expect(Array.from(readStoredValues(make(TS.explicitBE)).data)).to.deep.equal(stored);
  });

  it("keeps the elements that follow Pixel Data", () => {
    // (FFFC,FFFC) Data Set Trailing Padding, OB, 4 bytes, after Pixel Data (Explicit VR LE).
    const trailer = [0xfc, 0xff, 0xfc, 0xff, 0x4f, 0x42, 0, 0, 4, 0, 0, 0, 1, 2, 3, 4];
    const f = new Uint8Array([...gray16(1, 2, [7, 8]), ...trailer]);
    const inst = parseInstance(f);
    expect(Array.from(readStoredValues(inst).data)).to.deep.equal([7, 8]);
    const padding = (inst.dataset as Record<string, unknown>)["DataSetTrailingPadding"];
    expect(Array.from(new Uint8Array((padding as ArrayBuffer[])[0]!))).to.deep.equal([1, 2, 3, 4]);
  });
});
