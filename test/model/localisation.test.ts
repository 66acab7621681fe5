import { expect } from "chai";
import { fitGeometry } from "../../src/imaging/preprocess.js";
import {
  inputToSource,
  regionsFromMap,
  sampleMap,
  simplifyRing,
  sourceToInput,
  traceContour,
  type SimilarityMap,
  type SourcePlacement,
} from "../../src/model/localisation.js";

/** A size x size map (one cell per model-input pixel): `fill` rectangles [x0, y0, x1, y1) with values. */
function blocks(
  size: number,
  rects: readonly (readonly [number, number, number, number, number])[],
): SimilarityMap {
  const values = new Float32Array(size * size);
  for (const [x0, y0, x1, y1, v] of rects)
    for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) values[y * size + x] = v;
  return { gridHeight: size, gridWidth: size, values };
}

function placement(columns: number, rows: number, size: number, fit: "pad" | "crop" | "stretch") {
  return { columns, rows, size, geometry: fitGeometry(columns, rows, size, fit) };
}

describe("model/localisation: similarity maps to regions in source pixels", () => {
  it("a block on a square image: its box, its four corners clockwise, its first pixel as the peak", () => {
    const p = placement(224, 224, 224, "pad");
    const regions = regionsFromMap(blocks(224, [[50, 100, 80, 120, 1]]), p);
    expect(regions).to.have.length(1);
    expect(regions[0]!.box).to.deep.equal([50, 100, 80, 120]);
    expect(regions[0]!.polygon).to.deep.equal([
      [50, 100],
      [80, 100],
      [80, 120],
      [50, 120],
    ]);
    expect(regions[0]!.peak).to.deep.equal([50.5, 100.5]);
    expect(regions[0]!.peakValue).to.equal(1);
  });

  it("undoes pad-to-square on a wide image (letterbox rows left out, scale 4)", () => {
    // 400 x 200 into 100: resized 100 x 50, placed at rows 25..75.
    const p = placement(400, 200, 100, "pad");
    expect(p.geometry.dest).to.deep.equal({ x0: 0, y0: 25 });
    const map = blocks(100, [
      [10, 30, 20, 40, 1],
      // something in the padding must not count
      [60, 0, 90, 20, 5],
    ]);
    const regions = regionsFromMap(map, p);
    expect(regions).to.have.length(1);
    expect(regions[0]!.box).to.deep.equal([40, 20, 80, 60]);
    expect(regions[0]!.peak).to.deep.equal([42, 22]);
  });

  it("undoes pad-to-square on a tall image (pillarbox columns, non-integer scale)", () => {
    // 300 x 600 into 224: resized 112 x 224 at columns 56..168; scale 600 / 224.
    const p = placement(300, 600, 224, "pad");
    expect(p.geometry.dest).to.deep.equal({ x0: 56, y0: 0 });
    const regions = regionsFromMap(blocks(224, [[56, 0, 70, 10, 1]]), p);
    const s = 600 / 224;
    expect(regions[0]!.box[0]).to.equal(0);
    expect(regions[0]!.box[1]).to.equal(0);
    expect(regions[0]!.box[2]).to.be.closeTo(14 * s, 0.01);
    expect(regions[0]!.box[3]).to.be.closeTo(10 * s, 0.01);
  });

  it("undoes a centre crop (offset into the resized image, then the scale)", () => {
    // 200 x 400 into 100 with crop: resized 100 x 200, rows 50..150 kept.
    const p = placement(200, 400, 100, "crop");
    expect(p.geometry.region).to.deep.equal({ x0: 0, y0: 50, width: 100, height: 100 });
    const regions = regionsFromMap(blocks(100, [[0, 10, 5, 20, 1]]), p);
    expect(regions[0]!.box).to.deep.equal([0, 120, 10, 140]);
  });

  it("undoes a stretch (different scales on the two axes)", () => {
    const p = placement(300, 150, 100, "stretch");
    const regions = regionsFromMap(blocks(100, [[10, 10, 20, 30, 1]]), p);
    expect(regions[0]!.box).to.deep.equal([30, 15, 60, 45]);
  });

  it("inputToSource and sourceToInput are inverses for every fit", () => {
    for (const fit of ["pad", "crop", "stretch"] as const) {
      for (const [c, r] of [
        [512, 512],
        [2048, 2500],
        [1000, 700],
      ] as const) {
        const p: SourcePlacement = placement(c, r, 224, fit);
        const [ix, iy] = sourceToInput(p, c / 3, r / 5);
        const [sx, sy] = inputToSource(p, ix, iy);
        expect(sx).to.be.closeTo(c / 3, 0.01);
        expect(sy).to.be.closeTo(r / 5, 0.01);
      }
    }
  });

  it("samples a coarse grid bilinearly between cell centres", () => {
    const map: SimilarityMap = { gridHeight: 2, gridWidth: 2, values: [0, 1, 2, 3] };
    // size 8: cell centres at 2 and 6.
    expect(sampleMap(map, 8, 2, 2)).to.equal(0);
    expect(sampleMap(map, 8, 6, 6)).to.equal(3);
    expect(sampleMap(map, 8, 4, 2)).to.equal(0.5);
    expect(sampleMap(map, 8, 4, 4)).to.equal(1.5);
    expect(sampleMap(map, 8, 0, 0)).to.equal(0); // clamped at the edge
  });

  it("a coarse peak becomes a region around its cell, half way to the median", () => {
    const values = new Float32Array(16);
    values[1 * 4 + 2] = 1; // cell (row 1, col 2) of a 4 x 4 grid over 64 px: centre (40, 24)
    const regions = regionsFromMap(
      { gridHeight: 4, gridWidth: 4, values },
      placement(64, 64, 64, "pad"),
    );
    expect(regions).to.have.length(1);
    // Bilinear falls to 0.5 at 8 px from the centre (cell spacing 16).
    expect(regions[0]!.box).to.deep.equal([32, 16, 48, 32]);
    expect(regions[0]!.peak).to.deep.equal([39.5, 23.5]);
  });

  it("orders regions by peak value, keeps at most three, and drops specks", () => {
    const map = blocks(100, [
      [0, 0, 10, 10, 0.6],
      [20, 0, 30, 10, 0.9],
      [40, 0, 50, 10, 0.8],
      [60, 0, 70, 10, 0.7],
      [90, 90, 91, 92, 1], // 2 pixels: a speck, though the highest
    ]);
    const regions = regionsFromMap(map, placement(100, 100, 100, "pad"));
    expect(regions.map((r) => r.box[0])).to.deep.equal([20, 40, 60]);
    expect(regions.map((r) => r.peakValue)).to.deep.equal([
      Math.fround(0.9),
      Math.fround(0.8),
      Math.fround(0.7),
    ]);
  });

  it("no region on a flat map", () => {
    expect(regionsFromMap(blocks(50, []), placement(50, 50, 50, "pad"))).to.deep.equal([]);
  });

  it("traces a concave (L-shaped) outline and joins diagonal neighbours into one region", () => {
    const map = blocks(40, [
      [10, 10, 14, 30, 1],
      [14, 26, 30, 30, 1],
      [30, 30, 32, 32, 1], // touches the L only at a corner
    ]);
    const regions = regionsFromMap(map, placement(40, 40, 40, "pad"));
    expect(regions).to.have.length(1);
    expect(regions[0]!.box).to.deep.equal([10, 10, 32, 32]);
    expect(regions[0]!.polygon).to.deep.equal([
      [10, 10],
      [14, 10],
      [14, 26],
      [30, 26],
      [30, 30],
      [32, 30],
      [32, 32],
      [30, 32],
      [30, 30],
      [10, 30],
    ]);
  });

  it("traceContour follows a single pixel and a staircase; simplifyRing keeps the shape within tolerance", () => {
    const one = traceContour((x, y) => x === 3 && y === 4, 3, 4);
    expect(one).to.deep.equal([
      [3, 4],
      [4, 4],
      [4, 5],
      [3, 5],
    ]);
    // A disc traced on pixels, then simplified: fewer points, every original corner within 1 px.
    const inside = (x: number, y: number) => (x - 20) ** 2 + (y - 20) ** 2 < 100;
    const ring = traceContour(inside, 16, 11);
    expect(ring[0]).to.deep.equal([16, 11]);
    const simple = simplifyRing(ring, 0.75);
    expect(simple.length).to.be.lessThan(ring.length);
    expect(simple.length).to.be.at.least(8);
  });

  it("is deterministic", () => {
    const values = Float32Array.from({ length: 28 * 28 }, (_, k) => Math.sin(k * 0.37) + (k % 7));
    const map = { gridHeight: 28, gridWidth: 28, values };
    const p = placement(700, 900, 224, "pad");
    expect(regionsFromMap(map, p)).to.deep.equal(regionsFromMap(map, p));
  });
});
