import { expect } from "chai";
import fc from "fast-check";
import { RadzError } from "../../src/errors.js";
import { THUMBNAIL_MAX_SIDE, thumbnailOf } from "../../src/imaging/thumbnail.js";
import { floatPixels } from "../../src/imaging/display-pixels.js";
import { displayImage } from "../report/fixtures.js";

/** A display image held as floats. */
function img(rows: number, columns: number, data: Float32Array) {
  return { rows, columns, pixels: floatPixels(data, columns) };
}

function meanOf(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i] ?? 0;
  return sum / values.length;
}

describe("imaging/thumbnail", () => {
  it("keeps a small image's size and maps [0, 1] to 0..255", () => {
    const t = thumbnailOf(img(1, 3, Float32Array.from([0, 0.5, 1])));
    expect(t).to.deep.include({ rows: 1, columns: 3 });
    expect([...t.data]).to.deep.equal([0, 128, 255]);
  });

  it("averages blocks when downscaling, with the smallest integer factor", () => {
    // 4x4 -> factor 2 -> 2x2; each output pixel is the mean of a 2x2 block.
    const data = Float32Array.from([0, 1, 0, 0, 1, 0, 0, 0, 1, 1, 0.2, 0.2, 1, 1, 0.2, 0.2]);
    const t = thumbnailOf(img(4, 4, data), 2);
    expect(t).to.deep.include({ rows: 2, columns: 2 });
    expect([...t.data]).to.deep.equal([128, 0, 255, 51]);
  });

  it("bounds the long side and keeps the mean (large image)", () => {
    const image = displayImage(2000, 1500);
    const t = thumbnailOf(image);
    expect(Math.max(t.rows, t.columns)).to.be.at.most(THUMBNAIL_MAX_SIDE);
    expect([t.rows, t.columns]).to.deep.equal([500, 375]);
    expect(meanOf(t.data)).to.be.closeTo(meanOf(image.data) * 255, 0.6);
  });

  it("clamps out-of-range values and treats NaN as black", () => {
    const t = thumbnailOf(img(1, 3, Float32Array.from([-2, 7, NaN])));
    expect([...t.data]).to.deep.equal([0, 255, 0]);
  });

  it("refuses empty or short images", () => {
    for (const bad of [img(0, 4, new Float32Array(0)), img(2, 2, new Float32Array(3))]) {
      expect(() => thumbnailOf(bad))
        .to.throw(RadzError)
        .with.property("code", "INPUT_INVALID");
    }
  });

  it("never exceeds maxSide and keeps the mean within rounding (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 90 }),
        fc.integer({ min: 1, max: 90 }),
        fc.integer({ min: 1, max: 40 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (rows, columns, maxSide, level) => {
          const data = new Float32Array(rows * columns).fill(level);
          const t = thumbnailOf(img(rows, columns, data), maxSide);
          expect(Math.max(t.rows, t.columns)).to.be.at.most(maxSide);
          expect(t.data.length).to.equal(t.rows * t.columns);
          for (const v of t.data) expect(Math.abs(v - level * 255)).to.be.at.most(0.5 + 1e-3);
        },
      ),
      { numRuns: 60 },
    );
  });
});
