/**
 * preprocess against hand-computed values on tiny images. Filter arithmetic
 * (PIL conventions: centre of output pixel j at (j+0.5)*scale, kernel
 * stretched by the scale when downscaling, weights renormalised at edges) is
 * written out in the comments.
 */
import { expect } from "chai";
import { RadzError } from "../../src/errors.js";
import {
  PreprocessSpecSchema,
  decodeFrame,
  fitGeometry,
  floatPixels,
  parseInstance,
  preprocess,
  type DecodedImage,
  type PreprocessSpec,
} from "../../src/imaging/index.js";
import { gray16 } from "./fixtures.js";

function image(rows: number, columns: number, values: ArrayLike<number>): DecodedImage {
  const data = Float32Array.from(values);
  return {
    rows,
    columns,
    data,
    pixels: floatPixels(data, columns),
    window: null,
    voi: "none",
    photometric: "MONOCHROME2",
  };
}

/** Image whose every row is `row`. */
function rowsOf(row: number[], rows: number): DecodedImage {
  return image(rows, row.length, Array.from({ length: rows }, () => row).flat());
}

/** A full spec with defaults; the tiny sizes used here are below the schema's minimum of 8. */
function specOf(overrides: Partial<PreprocessSpec>): PreprocessSpec {
  return { ...PreprocessSpecSchema.parse({ size: 8 }), channels: 1, ...overrides };
}

function run(img: DecodedImage, spec: Partial<PreprocessSpec>): number[] {
  return Array.from(preprocess(img, specOf(spec)));
}

function expectClose(actual: number[], expected: number[], tol = 1e-6): void {
  expect(actual).to.have.length(expected.length);
  expected.forEach((e, i) => expect(actual[i], `value ${i}`).to.be.closeTo(e, tol));
}

describe("imaging/preprocess geometry", () => {
  it("pad: longer side to size, centred, padValue elsewhere", () => {
    // 8 wide x 4 tall, size 4 -> resized 4 x 2 placed at rows 1..2; area 2x2 block means.
    // pixel (x,y) = x/10 + y/100 -> block (bx,by) mean = (2bx+0.5)/10 + (2by+0.5)/100
    const v: number[] = [];
    for (let y = 0; y < 4; y++) for (let x = 0; x < 8; x++) v.push(x / 10 + y / 100);
    const out = run(image(4, 8, v), { size: 4, fit: "pad", resize: "area", padValue: 0.9 });
    const pad = [0.9, 0.9, 0.9, 0.9];
    expectClose(out, [...pad, 0.055, 0.255, 0.455, 0.655, 0.075, 0.275, 0.475, 0.675, ...pad]);
  });

  it("crop: shorter side to size, centre crop", () => {
    // 8 wide x 4 tall, size 2 -> resized 4 x 2, crop columns 1..2 (offset round((4-2)/2) = 1)
    // pixel = x/10: column-pair means 0.05 0.25 0.45 0.65 -> keep 0.25 0.45
    const out = run(rowsOf([0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7], 4), {
      size: 2,
      fit: "crop",
      resize: "area",
    });
    expectClose(out, [0.25, 0.45, 0.25, 0.45]);
  });

  it("stretch: both axes to size", () => {
    // 4 wide x 2 tall -> 2 x 2: horizontal pairs averaged, rows kept
    const out = run(image(2, 4, [0, 0.2, 0.4, 0.6, 1, 1, 0, 0]), {
      size: 2,
      fit: "stretch",
      resize: "area",
    });
    expectClose(out, [0.1, 0.5, 1, 0]);
  });

  it("fitGeometry follows the documented rounding", () => {
    // pad 2048 x 2500 -> 224: width round(2048*224/2500) = round(183.5) = 184, x0 = floor(40/2) = 20
    expect(fitGeometry(2048, 2500, 224, "pad")).to.deep.equal({
      resizedWidth: 184,
      resizedHeight: 224,
      region: { x0: 0, y0: 0, width: 184, height: 224 },
      dest: { x0: 20, y0: 0 },
    });
    // crop 2500 x 2048 -> 224: width floor(2500*224/2048) = 273, x0 = round-half-even(24.5) = 24
    expect(fitGeometry(2500, 2048, 224, "crop").region).to.deep.equal({
      x0: 24,
      y0: 0,
      width: 224,
      height: 224,
    });
    expect(fitGeometry(10, 8, 8, "crop").region.x0).to.equal(1); // floor(10*8/8)=10, (10-8)/2 = 1
    expect(fitGeometry(11, 8, 8, "crop").region.x0).to.equal(2); // 11 -> (11-8)/2 = 1.5 -> 2
    expect(fitGeometry(13, 8, 8, "crop").region.x0).to.equal(2); // 13 -> 2.5 -> 2
  });
});

describe("imaging/preprocess filters", () => {
  it("area: checkerboard 6x6 -> 2x2 gives the fraction of white cells", () => {
    // 3x3 blocks: (x+y) even cells are 1 -> 5 of 9 in blocks (0,0),(1,1); 4 of 9 in the others
    const v: number[] = [];
    for (let y = 0; y < 6; y++) for (let x = 0; x < 6; x++) v.push((x + y) % 2 === 0 ? 1 : 0);
    expectClose(run(image(6, 6, v), { size: 2, fit: "stretch", resize: "area" }), [
      5 / 9,
      4 / 9,
      4 / 9,
      5 / 9,
    ]);
  });

  it("area: fractional coverage 3 -> 2", () => {
    // output 0 covers [0,1.5): (1*0 + 0.5*0.3)/1.5 = 0.1; output 1 covers [1.5,3): (0.5*0.3 + 1*0.6)/1.5 = 0.5
    expectClose(
      run(rowsOf([0, 0.3, 0.6], 3), { size: 2, fit: "stretch", resize: "area" }),
      [0.1, 0.5, 0.1, 0.5],
    );
  });

  it("bilinear upscale 2 -> 4", () => {
    // centres 0.25, 0.75, 1.25, 1.75; triangle weights, edge taps renormalised:
    // 0.25: only pixel 0 -> 0 ; 0.75: 0.75*0 + 0.25*1 ; 1.25: 0.25*0 + 0.75*1 ; 1.75: only pixel 1 -> 1
    expectClose(
      run(rowsOf([0, 1], 2), { size: 4, fit: "stretch", resize: "bilinear" }).slice(0, 4),
      [0, 0.25, 0.75, 1],
    );
  });

  it("bilinear downscale 4 -> 2 is antialiased (kernel stretched by 2)", () => {
    // centre 1: taps x=0,1,2 with tri((x-1+0.5)/2) = 0.75, 0.75, 0.25 (sum 1.75)
    //   (0*0.75 + 0.2*0.75 + 0.4*0.25)/1.75 = 0.25/1.75 = 0.142857142857
    // centre 3: taps x=1,2,3: 0.25, 0.75, 0.75 -> (0.05 + 0.3 + 0.45)/1.75 = 0.457142857143
    const out = run(rowsOf([0, 0.2, 0.4, 0.6], 2), { size: 2, fit: "stretch", resize: "bilinear" });
    expectClose(out, [0.142857142857, 0.457142857143, 0.142857142857, 0.457142857143]);
  });

  it("bicubic (Keys a = -0.5) upscale 2 -> 4", () => {
    // k(0.25) = 0.8671875, k(0.75) = 0.2265625, k(1.25) = -0.0703125
    // centre 0.25: taps 0,1 at distances 0.25, 1.25: (0.2*0.8671875 + 0.8*-0.0703125)/0.796875 = 0.147058823529
    // centre 0.75: taps 0,1 at 0.25, 0.75: (0.2*0.8671875 + 0.8*0.2265625)/1.09375 = 0.324285714286
    // and mirrored: 0.675714285714, 0.852941176471
    const out = run(rowsOf([0.2, 0.8], 2), { size: 4, fit: "stretch", resize: "bicubic" });
    expectClose(out.slice(0, 4), [0.147058823529, 0.324285714286, 0.675714285714, 0.852941176471]);
  });

  it("bicubic overshoot is clamped to [0,1]", () => {
    // centre 0.25 of [0,1]: (0*0.8671875 + 1*-0.0703125)/0.796875 < 0 -> 0
    const out = run(rowsOf([0, 1], 2), { size: 4, fit: "stretch", resize: "bicubic" });
    expect(out[0]).to.equal(0);
    expect(out[3]).to.equal(1);
  });

  it("a constant image stays constant through every filter and direction", () => {
    for (const resize of ["area", "bilinear", "bicubic"] as const) {
      for (const [r, c] of [
        [5, 7],
        [37, 23],
      ] as const) {
        const out = run(image(r, c, new Array<number>(r * c).fill(0.3)), {
          size: 16,
          fit: "stretch",
          resize,
        });
        expect(
          out.every((v) => Math.abs(v - 0.3) < 1e-6),
          `${resize} ${r}x${c}`,
        ).to.equal(true);
      }
    }
  });
});

describe("imaging/preprocess scaling and channels", () => {
  const flat = image(2, 2, [0.6, 0.6, 0.6, 0.6]);

  it("per-channel mean/std and 1 -> 3 replication (CHW)", () => {
    // (0.6 - 0.5)/0.5 = 0.2 ; (0.6 - 0.4)/0.25 = 0.8 ; (0.6 - 0.3)/0.1 = 3
    const out = Array.from(
      preprocess(
        flat,
        specOf({ size: 2, channels: 3, mean: [0.5, 0.4, 0.3], std: [0.5, 0.25, 0.1] }),
      ),
    );
    expectClose(out, [0.2, 0.2, 0.2, 0.2, 0.8, 0.8, 0.8, 0.8, 3, 3, 3, 3], 1e-5);
  });

  it("a single mean/std applies to every channel; channels 1 gives size*size values", () => {
    const three = preprocess(flat, specOf({ size: 3, channels: 3, mean: [0.1], std: [0.5] }));
    expect(three).to.have.length(27);
    expect(Array.from(three).every((v) => Math.abs(v - 1) < 1e-6)).to.equal(true); // (0.6-0.1)/0.5
    expect(preprocess(flat, specOf({ size: 3, channels: 1 }))).to.have.length(9);
  });

  it("byte scale", () => {
    // 0.6 * 255 = 153 ; (153 - 100) / 50 = 1.06
    expectClose(
      run(flat, { size: 2, scale: "byte", mean: [100], std: [50] }),
      [1.06, 1.06, 1.06, 1.06],
      1e-5,
    );
  });

  it("quantize8 rounds to 8-bit levels", () => {
    // 0.5 * 255 = 127.5 -> 128 -> 128/255 = 0.50196078...
    const half = image(2, 2, [0.5, 0.5, 0.5, 0.5]);
    expectClose(run(half, { size: 2, quantize8: true }), [
      128 / 255,
      128 / 255,
      128 / 255,
      128 / 255,
    ]);
    expectClose(run(half, { size: 2, quantize8: false }), [0.5, 0.5, 0.5, 0.5]);
  });

  it("mean/std with a length other than 1 or channels is refused", () => {
    expect(
      PreprocessSpecSchema.safeParse({ size: 8, channels: 3, mean: [0.1, 0.2] }).success,
    ).to.equal(false);
    expect(
      PreprocessSpecSchema.safeParse({ size: 8, channels: 1, std: [1, 1, 1] }).success,
    ).to.equal(false);
    const spec = specOf({ channels: 3, mean: [0.1, 0.2] });
    expect(() => preprocess(flat, spec)).to.throw(RadzError, /mean has 2 values/);
  });
});

// Speed is measured by the benchmark (npm run bench:imaging), never asserted in a unit test.
describe("imaging decode + preprocess of a full-size chest image", () => {
  it("2048 x 2500 16-bit: decodes and preprocesses to 224 (pad geometry, finite values)", function () {
    this.timeout(60_000);
    const rows = 2500;
    const columns = 2048;
    const words = new Uint16Array(rows * columns);
    for (let i = 0; i < words.length; i++) words[i] = (i * 7919) % 4096;
    const inst = parseInstance(
      gray16(rows, columns, words, {
        BitsStored: 12,
        HighBit: 11,
        WindowCenter: 2048,
        WindowWidth: 4096,
      }),
    );
    const spec = PreprocessSpecSchema.parse({
      size: 224,
      resize: "bicubic",
      fit: "pad",
      channels: 3,
    });
    const img = decodeFrame(inst, { maxPixels: 1e8 });
    expect([img.rows, img.columns]).to.deep.equal([rows, columns]);
    const out = preprocess(img, spec);
    expect(out).to.have.length(3 * 224 * 224);
    expect(out.every((v) => Number.isFinite(v))).to.equal(true);
    // pad: width round(2048*224/2500) = 184 at x0 = 20; columns 0..19 and 204..223 are padding (0).
    const row = 112 * 224;
    expect(out[row + 19]).to.equal(0);
    expect(out[row + 204]).to.equal(0);
    const inside = out.subarray(row + 20, row + 204);
    expect(Math.max(...inside)).to.be.greaterThan(Math.min(...inside));
  });
});
