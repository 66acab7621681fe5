import { expect } from "chai";
import type { BundleLabel, BundleScoring } from "../../src/model/index.js";
import {
  applyCalibration,
  canonicalJson,
  combineLabelEmbedding,
  cosine,
  fitPlatt,
  l2Normalize,
  labelSetHash,
  logit,
  patchLogits,
  rawLogits,
  scoreEmbedding,
  sigmoid,
} from "../../src/model/index.js";
import type { RadzError } from "../../src/errors.js";

function label(id: string, extra: Partial<BundleLabel> = {}): BundleLabel {
  return {
    id,
    display: id,
    concept: { value: "1", scheme: "99T", meaning: id },
    prompts: { positive: [`${id}`], negative: [`no ${id}`] },
    knowledge: [],
    combine: { promptWeight: 1, knowledgeWeight: 0 },
    calibration: { method: "none" },
    threshold: 0.5,
    triageWeight: 1,
    ...extra,
  };
}

describe("zero-shot math", () => {
  it("normalises and takes cosines", () => {
    expect(Array.from(l2Normalize([3, 4]))).to.deep.equal([Math.fround(0.6), Math.fround(0.8)]);
    expect(cosine([1, 0], [1, 1])).to.be.closeTo(Math.SQRT1_2, 1e-12);
    expect(cosine([1, 2, 3], [-1, -2, -3])).to.be.closeTo(-1, 1e-12);
    expect(() => l2Normalize([0, 0])).to.throw(RangeError);
  });

  it("posneg-softmax: the logit is s*(cos_pos - cos_neg) and the probability the 2-way softmax", () => {
    const scoring: BundleScoring = {
      similarity: "cosine",
      logitScale: 10,
      mode: "posneg-softmax",
      bias: 0,
    };
    const pos = l2Normalize([1, 0, 0]);
    const neg = l2Normalize([0, 1, 0]);
    const img = [3, 4, 0]; // unit: (0.6, 0.8, 0)
    const [z] = rawLogits(
      l2Normalize(img),
      [{ label: label("a"), positive: pos, negative: neg }],
      scoring,
    );
    expect(z).to.be.closeTo(10 * (0.6 - 0.8), 1e-6);
    const [s] = scoreEmbedding(img, [{ label: label("a"), positive: pos, negative: neg }], scoring);
    const byHand = Math.exp(6) / (Math.exp(6) + Math.exp(8));
    expect(s!.probability).to.be.closeTo(byHand, 1e-7);
    expect(s!.positive).to.equal(false);
    expect(s!.labelId).to.equal("a");
  });

  it("softmax across labels: probability of each label is its softmax share, logit its log-odds", () => {
    const scoring: BundleScoring = {
      similarity: "cosine",
      logitScale: 2,
      mode: "softmax",
      bias: 0,
    };
    const labels = [
      { label: label("a"), positive: l2Normalize([1, 0]) },
      { label: label("b"), positive: l2Normalize([0, 1]) },
      { label: label("c"), positive: l2Normalize([1, 1]) },
    ];
    const img = [1, 0];
    const x = [2 * 1, 2 * 0, 2 * Math.SQRT1_2];
    const total = x.reduce((acc, v) => acc + Math.exp(v), 0);
    const scores = scoreEmbedding(img, labels, scoring);
    scores.forEach((s, k) => {
      const q = Math.exp(x[k]!) / total;
      // Label embeddings are stored as Float32, hence 1e-6.
      expect(s.probability).to.be.closeTo(q, 1e-6);
      expect(s.logit).to.be.closeTo(Math.log(q / (1 - q)), 1e-6);
    });
    expect(scores.reduce((acc, s) => acc + s.probability, 0)).to.be.closeTo(1, 1e-6);
  });

  it("sigmoid mode adds the bias to the scaled cosine", () => {
    const scoring: BundleScoring = {
      similarity: "cosine",
      logitScale: 5,
      mode: "sigmoid",
      bias: -2,
    };
    const [s] = scoreEmbedding(
      [1, 1],
      [{ label: label("a", { threshold: 0.7 }), positive: l2Normalize([1, 0]) }],
      scoring,
    );
    expect(s!.logit).to.be.closeTo(5 * Math.SQRT1_2 - 2, 1e-6);
    expect(s!.probability).to.be.closeTo(1 / (1 + Math.exp(-(5 * Math.SQRT1_2 - 2))), 1e-7);
    expect(s!.threshold).to.equal(0.7);
    expect(s!.positive).to.equal(s!.probability >= 0.7);
  });

  it("rejects NaN/Inf and all-zero embeddings with INFERENCE_BAD_OUTPUT", () => {
    const scoring: BundleScoring = {
      similarity: "cosine",
      logitScale: 5,
      mode: "sigmoid",
      bias: 0,
    };
    const labels = [{ label: label("a"), positive: l2Normalize([1, 0]) }];
    for (const bad of [
      [Number.NaN, 1],
      [Number.POSITIVE_INFINITY, 0],
      [0, 0],
    ]) {
      try {
        scoreEmbedding(bad, labels, scoring);
        expect.fail("expected INFERENCE_BAD_OUTPUT");
      } catch (err) {
        expect((err as RadzError).code).to.equal("INFERENCE_BAD_OUTPUT");
      }
    }
  });

  it("calibrates: none, Platt, isotonic (interpolated and clamped)", () => {
    expect(applyCalibration({ method: "none" }, 0)).to.equal(0.5);
    expect(applyCalibration({ method: "platt", a: 2, b: -1 }, 1.5)).to.be.closeTo(
      1 / (1 + Math.exp(-2)),
      1e-12,
    );
    const iso = { method: "isotonic" as const, x: [0.2, 0.6, 0.8], y: [0.1, 0.3, 0.9] };
    expect(applyCalibration(iso, logit(0.4))).to.be.closeTo(0.2, 1e-12);
    expect(applyCalibration(iso, logit(0.7))).to.be.closeTo(0.6, 1e-12);
    expect(applyCalibration(iso, logit(0.05))).to.equal(0.1);
    expect(applyCalibration(iso, logit(0.99))).to.equal(0.9);
    expect(sigmoid(-800)).to.equal(0);
    expect(sigmoid(800)).to.equal(1);
  });

  it("fits Platt scaling that orders and separates a separable set", () => {
    const z = [-3, -2, -1.5, -1, 1, 1.2, 2, 3];
    const truth = z.map((v) => v > 0);
    const { a, b } = fitPlatt(z, truth);
    expect(a).to.be.above(0);
    expect(Number.isFinite(a) && Number.isFinite(b)).to.equal(true);
    for (let i = 0; i < z.length; i++) expect(sigmoid(a * z[i]! + b) > 0.5).to.equal(truth[i]);
  });

  it("combines prompt and knowledge embeddings as a normalised weighted mean of normalised parts", () => {
    const p = combineLabelEmbedding(
      [
        [2, 0],
        [0, 2],
      ],
      [[0, 5]],
      { promptWeight: 0.5, knowledgeWeight: 0.5 },
    )!;
    // prompts -> (1,1)/sqrt2; knowledge -> (0,1); mean of the two, normalised:
    const expected = l2Normalize([0.5 * Math.SQRT1_2, 0.5 * Math.SQRT1_2 + 0.5]);
    expect(p[0]).to.be.closeTo(expected[0]!, 1e-6);
    expect(p[1]).to.be.closeTo(expected[1]!, 1e-6);
    expect(
      Array.from(combineLabelEmbedding([[3, 4]], [], { promptWeight: 1, knowledgeWeight: 1 })!),
    ).to.deep.equal(Array.from(l2Normalize([3, 4])));
    expect(combineLabelEmbedding([], [], { promptWeight: 1, knowledgeWeight: 1 })).to.equal(
      undefined,
    );
    expect(combineLabelEmbedding([[1, 0]], [], { promptWeight: 0, knowledgeWeight: 1 })).to.equal(
      undefined,
    );
  });

  it("hashes the label set canonically and changes the hash when a prompt or threshold changes", () => {
    const identity = { id: "b", version: "1" } as never;
    const base = { identity, labels: [label("a"), label("b")] };
    const h = labelSetHash(base);
    expect(h).to.match(/^[0-9a-f]{16}$/);
    expect(labelSetHash({ identity, labels: [label("a"), label("b")] })).to.equal(h);
    expect(
      labelSetHash({
        identity,
        labels: [label("a", { prompts: { positive: ["A!"], negative: ["no a"] } }), label("b")],
      }),
    ).to.not.equal(h);
    expect(
      labelSetHash({ identity, labels: [label("a", { threshold: 0.6 }), label("b")] }),
    ).to.not.equal(h);
    expect(
      labelSetHash({ identity: { id: "b", version: "2" } as never, labels: base.labels }),
    ).to.not.equal(h);
    // Display text and triage weight are not part of the label set.
    expect(
      labelSetHash({
        identity,
        labels: [label("a", { display: "A" }), label("b", { triageWeight: 3 })],
      }),
    ).to.equal(h);
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: 1 }] })).to.equal('{"a":[{"c":1,"d":2}],"b":1}');
  });
});

describe("patchLogits: similarity maps over a patch grid", () => {
  const dim = 6;
  const unit = (seed: number) =>
    l2Normalize(Float32Array.from({ length: dim }, (_, i) => Math.sin(seed * 7.3 + i * 1.7)));
  const labels = [0, 1, 2].map((k) => ({
    label: label(`l${k}`),
    positive: unit(k + 1),
    negative: unit(k + 11),
  }));
  // A 3 x 4 grid of arbitrary patch embeddings, one of them all zero.
  const data = Float32Array.from(
    { length: 12 * dim },
    (_, i) => Math.cos(i * 0.91) * (1 + (i % 5)),
  );
  data.fill(0, 5 * dim, 6 * dim);
  const grid = { height: 3, width: 4, dim, data };

  for (const mode of ["posneg-softmax", "sigmoid", "softmax"] as const) {
    it(`${mode}: each patch's value is rawLogits of that patch as an image (zero patch: the map's minimum)`, () => {
      const scoring: BundleScoring = { similarity: "cosine", logitScale: 20, mode, bias: -3 };
      const maps = patchLogits(grid, labels, scoring, [2, 0]);
      expect(maps).to.have.length(2);
      for (let p = 0; p < 12; p++) {
        if (p === 5) continue;
        const z = rawLogits(l2Normalize(data.subarray(p * dim, (p + 1) * dim)), labels, scoring);
        expect(maps[0]![p]).to.be.closeTo(z[2]!, 1e-4);
        expect(maps[1]![p]).to.be.closeTo(z[0]!, 1e-4);
      }
      for (const map of maps) {
        const others = Array.from(map).filter((_, p) => p !== 5);
        expect(map[5]).to.equal(Math.min(...others));
      }
    });
  }

  it("refuses a grid whose data does not match its shape", () => {
    expect(() =>
      patchLogits(
        { height: 2, width: 2, dim, data: new Float32Array(3) },
        labels,
        {
          similarity: "cosine",
          logitScale: 1,
          mode: "sigmoid",
          bias: 0,
        },
        [0],
      ),
    ).to.throw(/patch grid/);
  });
});
