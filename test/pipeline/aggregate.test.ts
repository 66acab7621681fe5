import { expect } from "chai";
import type { LabelScore } from "../../src/model/types.js";
import { aggregateScores } from "../../src/pipeline/aggregate.js";

const s = (labelId: string, probability: number, threshold = 0.5): LabelScore => ({
  labelId,
  display: labelId,
  concept: { value: "1", scheme: "SCT", meaning: labelId },
  logit: probability * 10,
  probability,
  threshold,
  positive: probability >= threshold,
  triageWeight: 1,
});

describe("pipeline/aggregate", () => {
  const images = [
    [s("a", 0.2), s("b", 0.9)],
    [s("a", 0.6), s("b", 0.3)],
  ];
  it("takes the per-label maximum", () => {
    const out = aggregateScores(images, "max");
    expect(out.map((x) => x.probability)).to.deep.equal([0.6, 0.9]);
    expect(out.map((x) => x.positive)).to.deep.equal([true, true]);
  });
  it("takes the per-label mean and re-applies the threshold", () => {
    const out = aggregateScores(images, "mean");
    expect(out[0]!.probability).to.be.closeTo(0.4, 1e-12);
    expect(out[0]!.positive).to.equal(false);
    expect(out[1]!.probability).to.be.closeTo(0.6, 1e-12);
    expect(out[1]!.positive).to.equal(true);
  });
  it("returns nothing for no images and refuses mismatched label orders", () => {
    expect(aggregateScores([], "max")).to.deep.equal([]);
    expect(() => aggregateScores([[s("a", 0.1)], [s("b", 0.1)]], "max")).to.throw(/label order/);
  });
});
