/**
 * The adaptation maths (src/eval/adapt.ts) on hand-made embeddings: the
 * shrinkage discriminant, the blend weight chosen by leave-one-out AUROC
 * (zero-shot kept when it cannot be improved), recalibrated thresholds.
 */
import { expect } from "chai";
import { auroc, fitAdaptation, linearDiscriminant } from "../../src/eval/index.js";
import { solveSpd, type AdaptationExample } from "../../src/eval/adapt.js";
import { applyCalibration } from "../../src/model/index.js";
import { Prng } from "../../src/synthetic/index.js";

/** Box-Muller normal from the seeded generator. */
function normal(rng: Prng): number {
  return Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
}

describe("eval: site adaptation maths", () => {
  it("solveSpd solves a symmetric positive definite system", () => {
    const a = [
      [4, 1, 0],
      [1, 3, 1],
      [0, 1, 2],
    ];
    const x = solveSpd(a, [1, 2, 3]);
    const back = a.map((row) => row.reduce((s, v, j) => s + v * x[j]!, 0));
    back.forEach((v, i) => expect(v).to.be.closeTo([1, 2, 3][i]!, 1e-12));
    expect(() => solveSpd([[0]], [1])).to.throw(RangeError);
  });

  it("the discriminant cancels a nuisance shared by two dimensions (what a mean difference cannot)", () => {
    // x0 = signal + nuisance, x1 = nuisance: the right direction is x0 - x1.
    const rng = new Prng(3);
    const xs: number[][] = [];
    const ys: boolean[] = [];
    for (let i = 0; i < 200; i++) {
      const y = i % 2 === 0;
      const nuisance = 3 * normal(rng);
      xs.push([(y ? 1 : 0) + nuisance + 0.1 * normal(rng), nuisance + 0.1 * normal(rng)]);
      ys.push(y);
    }
    const { w, c } = linearDiscriminant(xs, ys, 0);
    expect(w[0]).to.be.greaterThan(0);
    expect(w[1]! / w[0]!).to.be.closeTo(-1, 0.1);
    const score = (x: number[]) => w[0]! * x[0]! + w[1]! * x[1]! + c;
    expect(auroc(xs.map(score), ys)).to.be.greaterThan(0.99);
    // The class-mean difference alone points along x0 and stays confounded.
    expect(
      auroc(
        xs.map((x) => x[0]!),
        ys,
      ),
    ).to.be.lessThan(0.7);
    // Full shrinkage is the (scaled) mean difference, which does not cancel the nuisance.
    const shrunk = linearDiscriminant(xs, ys, 1);
    expect(shrunk.w[1]! / shrunk.w[0]!).to.be.greaterThan(-0.5);
    expect(
      auroc(
        xs.map((x) => shrunk.w[0]! * x[0]! + shrunk.w[1]! * x[1]!),
        ys,
      ),
    ).to.be.lessThan(0.8);
  });

  const examples = (
    n: number,
    zeroShot: (y: boolean, x: number[]) => number,
    seed: number,
  ): AdaptationExample[] => {
    const rng = new Prng(seed);
    return Array.from({ length: n }, (_, i) => {
      const y = i % 3 === 0;
      const nuisance = 2 * normal(rng);
      const x = [(y ? 1 : 0) + nuisance + 0.2 * normal(rng), nuisance, 0.3 * normal(rng)];
      return {
        embedding: x,
        logits: new Map([["finding", zeroShot(y, x)]]),
        truth: new Map([["finding", y]]),
      };
    });
  };

  it("blends in the few-shot term when it helps, and recalibrates for the target", () => {
    // Zero-shot sees x0 only: confounded by the nuisance.
    const ex = examples(90, (_y, x) => x[0]!, 5);
    const fitted = fitAdaptation(ex, {
      labels: [
        {
          id: "finding",
          target: { metric: "sensitivity", value: 0.9 },
          calibration: { method: "none" },
        },
      ],
      shrinkage: 0.1,
      alphaGrid: [0, 0.5, 1, 5],
    });
    expect(fitted.alpha).to.be.greaterThan(0);
    const l = fitted.labels.get("finding")!;
    expect(l.fit.looAuroc[1]).to.be.greaterThan(l.fit.looAuroc[0] + 0.2);
    expect(l.weights).to.have.length(3);
    expect(l.fit).to.include({ n: 90, positives: 30 });
    // Held-out studies: the adapted logit ranks far better, and the threshold keeps the sensitivity.
    const held = examples(300, (_y, x) => x[0]!, 6);
    const adapted = held.map(
      (e) =>
        e.logits.get("finding")! +
        l.weights.reduce((s, w, j) => s + w * Number(e.embedding[j]), 0) +
        l.bias,
    );
    const truth = held.map((e) => e.truth.get("finding")!);
    expect(auroc(adapted, truth)).to.be.greaterThan(
      auroc(
        held.map((e) => e.logits.get("finding")!),
        truth,
      ) + 0.2,
    );
    expect(l.calibration.method).to.equal("platt");
    const p = adapted.map((z) => applyCalibration(l.calibration, z));
    const found = p.filter((v, i) => truth[i] && v >= l.threshold).length;
    expect(found / truth.filter(Boolean).length).to.be.at.least(0.8);
  });

  it("keeps the zero-shot scores (alpha 0) and a calibration that already fits when they are perfect", () => {
    const ex = examples(60, (y) => (y ? 3 : -3), 7);
    const sharp = { method: "platt" as const, a: 5, b: 0 };
    const fitted = fitAdaptation(ex, {
      labels: [{ id: "finding", target: { metric: "youden" }, calibration: sharp }],
      shrinkage: 0.1,
      alphaGrid: [2, 0, 1],
    });
    expect(fitted.alpha).to.equal(0);
    const l = fitted.labels.get("finding")!;
    expect(l.weights.every((w) => w === 0)).to.equal(true);
    expect(l.bias).to.equal(0);
    expect(l.calibration).to.deep.equal(sharp);
    // A calibration that does not fit is replaced.
    const soft = fitAdaptation(ex, {
      labels: [
        {
          id: "finding",
          target: { metric: "youden" },
          calibration: { method: "platt", a: 0.01, b: 2 },
        },
      ],
      shrinkage: 0.1,
      alphaGrid: [0],
    });
    expect(soft.labels.get("finding")!.calibration).to.not.deep.equal({
      method: "platt",
      a: 0.01,
      b: 2,
    });
  });

  it("skips a label without enough present and absent studies", () => {
    const ex = examples(12, (_y, x) => x[0]!, 8).map((e) => ({
      ...e,
      truth: new Map([["finding", false]]),
    }));
    const fitted = fitAdaptation(ex, {
      labels: [{ id: "finding", target: { metric: "youden" }, calibration: { method: "none" } }],
      shrinkage: 0.1,
      alphaGrid: [0, 1],
    });
    expect(fitted.labels.size).to.equal(0);
    expect(fitted.skipped.get("finding")).to.match(/at least 2/);
  });
});
