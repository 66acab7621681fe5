import { expect } from "chai";
import {
  binCounts,
  expectedNoisePsi,
  PSI_SMOOTHING,
  populationStabilityIndex,
  quantileEdges,
} from "../../src/drift/psi.js";
import { Prng } from "../../src/synthetic/index.js";

/** n draws from a Beta-like bump: mean of k uniforms, shifted by `shift` and clamped to [0, 1]. */
function draws(rng: Prng, n: number, shift = 0): number[] {
  return Array.from({ length: n }, () =>
    Math.min(1, Math.max(0, (rng.next() + rng.next() + rng.next()) / 3 + shift)),
  );
}

describe("drift/psi", () => {
  it("bins at the reference's deciles; ties merged; a value on an edge goes to the upper bin", () => {
    const ref = Array.from({ length: 100 }, (_, i) => i / 100);
    const edges = quantileEdges(ref, 10);
    expect(edges).to.deep.equal([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]);
    expect(binCounts(ref, edges)).to.deep.equal(new Array(10).fill(10));
    expect(binCounts([0.1, 0.0999, 0.95, 1], edges)).to.deep.equal([1, 1, 0, 0, 0, 0, 0, 0, 0, 2]);
    // Mostly one value: the quantiles collapse to the distinct ones above the minimum.
    expect(
      quantileEdges([0.01, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01, 0.9, 0.95], 10),
    ).to.deep.equal([0.9, 0.95]);
    expect(quantileEdges([0.2, 0.2, 0.2], 10)).to.deep.equal([]);
  });

  it("is Σ (q − p) ln(q / p) over smoothed shares, checked by hand", () => {
    // Reference [0.1, 0.9]: one edge at 0.9. Current [0.9, 0.9, 0.9]: all in the upper bin.
    const r = populationStabilityIndex([0.1, 0.9], [0.9, 0.9, 0.9], 2);
    const e = PSI_SMOOTHING;
    const p = [(1 + e) / (2 + 2 * e), (1 + e) / (2 + 2 * e)];
    const q = [(0 + e) / (3 + 2 * e), (3 + e) / (3 + 2 * e)];
    const want =
      (q[0]! - p[0]!) * Math.log(q[0]! / p[0]!) + (q[1]! - p[1]!) * Math.log(q[1]! / p[1]!);
    expect(r.edges).to.deep.equal([0.9]);
    expect(r.psi).to.be.closeTo(want, 1e-12);
    expect(r.reference).to.deep.equal(p);
    expect(r.current).to.deep.equal(q);
  });

  it("is 0 for identical samples, small without drift, large with it; noise as expected", () => {
    const rng = new Prng(7, 0, 0);
    const ref = draws(rng, 500);
    expect(populationStabilityIndex(ref, ref, 10).psi).to.equal(0);
    const same: number[] = [];
    for (let i = 0; i < 40; i++) same.push(populationStabilityIndex(ref, draws(rng, 500), 10).psi);
    const mean = same.reduce((a, b) => a + b, 0) / same.length;
    // (bins − 1)(1/N + 1/M) = 0.036 for 10 bins and 500 + 500 studies.
    expect(expectedNoisePsi(10, 500, 500)).to.be.closeTo(0.036, 1e-9);
    expect(mean).to.be.within(0.5 * 0.036, 1.5 * 0.036);
    expect(Math.max(...same)).to.be.below(0.1);
    expect(populationStabilityIndex(ref, draws(rng, 500, 0.1), 10).psi).to.be.above(0.25);
  });
});
