import { expect } from "chai";
import sharp from "sharp";
import type { RadzError } from "../../src/errors.js";
import {
  auroc,
  bootstrapAurocCi,
  brierScore,
  calibrationBins,
  chooseThreshold,
  confusionAt,
  evaluateLabel,
  evaluationCsv,
  expectedCalibrationError,
  f1,
  fitIsotonic,
  formatEvaluation,
  parseTruthCsv,
  predictIsotonic,
  quantileSorted,
  rocCurve,
  rocPng,
  type EvaluationReport,
} from "../../src/eval/index.js";

const T = true;
const F = false;

describe("eval/metrics", () => {
  it("AUROC by hand: perfect, inverted, ties count one half, NaN without a class", () => {
    expect(auroc([0.1, 0.2, 0.8, 0.9], [F, F, T, T])).to.equal(1);
    expect(auroc([0.9, 0.8, 0.2, 0.1], [F, F, T, T])).to.equal(0);
    // pos {0.5, 0.7}, neg {0.5, 0.2}: pairs (0.5,0.5)=0.5, (0.5,0.2)=1, (0.7,0.5)=1, (0.7,0.2)=1 -> 3.5/4
    expect(auroc([0.5, 0.7, 0.5, 0.2], [T, T, F, F])).to.equal(0.875);
    expect(auroc([0.3, 0.3, 0.3], [T, F, T])).to.equal(0.5);
    expect(auroc([0.1, 0.2], [T, T])).to.be.NaN;
    expect(() => auroc([0.1, Number.NaN], [T, F])).to.throw(RangeError);
    expect(() => auroc([0.1], [T, F])).to.throw(RangeError);
  });

  it("ROC curve: one point per distinct score from (0,0) to (1,1)", () => {
    const roc = rocCurve([0.9, 0.8, 0.8, 0.1], [T, F, T, F]);
    expect(roc.map((p) => [p.fpr, p.tpr, p.threshold])).to.deep.equal([
      [0, 0, Number.POSITIVE_INFINITY],
      [0, 0.5, 0.9],
      [0.5, 1, 0.8],
      [1, 1, 0.1],
    ]);
  });

  it("confusion at a threshold (>= is positive), F1 with zero division 0", () => {
    const c = confusionAt([0.2, 0.5, 0.7, 0.4], [F, T, T, T], 0.5);
    expect(c).to.deep.equal({ tp: 2, fp: 0, tn: 1, fn: 1 });
    expect(f1(c)).to.be.closeTo(0.8, 1e-15);
    expect(f1({ tp: 0, fp: 0, tn: 3, fn: 0 })).to.equal(0);
  });

  it("Brier score and ECE by hand, with a probability on a bin edge falling in the lower bin", () => {
    expect(brierScore([1, 0, 0.5], [T, F, T])).to.be.closeTo(0.25 / 3, 1e-15);
    // 0.1 is the edge between bins 0 and 1: it belongs to bin 0 ([0, 0.1]).
    const bins = calibrationBins([0.1, 0.05, 0.15, 0.95], [T, F, F, T], 10);
    expect(bins.map((b) => [b.lo, b.count])).to.deep.equal([
      [0, 2],
      [0.1, 1],
      [0.9, 1],
    ]);
    // bin0: mean p 0.075, frac 0.5 -> |0.425| * 2/4; bin1: 0.15 vs 0 -> 0.15/4; bin9: 0.95 vs 1 -> 0.05/4
    expect(expectedCalibrationError([0.1, 0.05, 0.15, 0.95], [T, F, F, T], 10)).to.be.closeTo(
      0.425 / 2 + 0.15 / 4 + 0.05 / 4,
      1e-12,
    );
  });

  it("bootstrap CI is seeded, contains the AUROC and narrows with more data", () => {
    const make = (n: number) => {
      const s: number[] = [];
      const t: boolean[] = [];
      for (let i = 0; i < n; i++) {
        t.push(i % 3 === 0);
        s.push(((i * 7919) % 101) / 101 + (i % 3 === 0 ? 0.3 : 0));
      }
      return { s, t };
    };
    const small = make(60);
    const a = bootstrapAurocCi(small.s, small.t, { seed: 5, samples: 400 });
    const b = bootstrapAurocCi(small.s, small.t, { seed: 5, samples: 400 });
    const c = bootstrapAurocCi(small.s, small.t, { seed: 6, samples: 400 });
    expect(a).to.deep.equal(b);
    expect(a).not.to.deep.equal(c);
    const value = auroc(small.s, small.t);
    expect(a[0]).to.be.below(value);
    expect(a[1]).to.be.above(value);
    const large = make(600);
    const w = bootstrapAurocCi(large.s, large.t, { seed: 5, samples: 400 });
    expect(w[1] - w[0]).to.be.below(a[1] - a[0]);
    expect(bootstrapAurocCi([0.1, 0.2], [T, T])).to.deep.equal([Number.NaN, Number.NaN]);
    expect(quantileSorted([1, 2, 3, 4], 0.5)).to.equal(2.5);
  });

  it("isotonic fit: non-decreasing, pools violators, clamps outside the data", () => {
    const table = fitIsotonic([0.1, 0.2, 0.3, 0.4, 0.5], [F, T, F, T, T]);
    // (0.2: 1, 0.3: 0) violate -> pooled to 0.5.
    expect(predictIsotonic(table, 0.1)).to.equal(0);
    expect(predictIsotonic(table, 0.2)).to.equal(0.5);
    expect(predictIsotonic(table, 0.3)).to.equal(0.5);
    expect(predictIsotonic(table, 0.5)).to.equal(1);
    expect(predictIsotonic(table, 0.0)).to.equal(0);
    expect(predictIsotonic(table, 0.9)).to.equal(1);
    for (let i = 1; i < table.x.length; i++) {
      expect(table.x[i]).to.be.above(table.x[i - 1]!);
      expect(table.y[i]).to.be.at.least(table.y[i - 1]!);
    }
    expect(fitIsotonic([0.3, 0.3], [T, F])).to.deep.equal({ x: [0, 1], y: [0.5, 0.5] });
  });

  it("chooses thresholds for a target sensitivity or specificity, or Youden's J", () => {
    const s = [0.1, 0.2, 0.3, 0.4, 0.6, 0.7, 0.8, 0.9];
    const t = [F, F, T, F, T, F, T, T];
    // Sensitivity >= 0.75 needs 3 of 4 positives: >= 0.6 gives sens 0.75, spec 0.75.
    const sens = chooseThreshold(s, t, { metric: "sensitivity", value: 0.75 });
    expect(sens.threshold).to.be.closeTo(0.5, 1e-12);
    expect([sens.sensitivity, sens.specificity]).to.deep.equal([0.75, 0.75]);
    expect(confusionAt(s, t, sens.threshold)).to.deep.equal({ tp: 3, fp: 1, tn: 3, fn: 1 });
    // Sensitivity 1 needs >= 0.3.
    expect(chooseThreshold(s, t, { metric: "sensitivity", value: 1 }).threshold).to.be.closeTo(
      0.25,
      1e-12,
    );
    // Specificity 1: nothing above 0.7 is negative -> >= 0.8.
    const spec = chooseThreshold(s, t, { metric: "specificity", value: 1 });
    expect(spec.threshold).to.be.closeTo(0.75, 1e-12);
    expect(spec.sensitivity).to.equal(0.5);
    // Separable data: a sensitivity target takes the gap, not a threshold that drops positives.
    const sep = chooseThreshold([0.1, 0.2, 0.8, 0.9], [F, F, T, T], {
      metric: "sensitivity",
      value: 0.5,
    });
    expect(sep.threshold).to.be.closeTo(0.5, 1e-12);
    expect([sep.sensitivity, sep.specificity]).to.deep.equal([1, 1]);
    const j = chooseThreshold(s, t, { metric: "youden" });
    expect(j.sensitivity + j.specificity).to.equal(1.5);
    expect(() => chooseThreshold([0.1], [T], { metric: "youden" })).to.throw(RangeError);
  });
});

describe("eval/truth", () => {
  it("parses truth.csv with 1/0, unknown cells and comments", () => {
    const t = parseTruthCsv(
      "studyInstanceUID,pneumothorax,nodule\n# comment\n1.2.3,1,0\n1.2.4,0,\n1.2.5,true,-1\n",
    );
    expect(t.labels).to.deep.equal(["pneumothorax", "nodule"]);
    expect([...t.studies.get("1.2.3")!]).to.deep.equal([
      ["pneumothorax", true],
      ["nodule", false],
    ]);
    expect(t.studies.get("1.2.4")!.has("nodule")).to.equal(false);
    expect(t.studies.get("1.2.5")!.get("pneumothorax")).to.equal(true);
  });

  it("reports every problem with line numbers as INPUT_INVALID", () => {
    try {
      parseTruthCsv("studyInstanceUID,a\n1.2.3,2\nnot-a-uid,1\n1.2.3,1\n1.2.4,1,0\n");
      expect.fail("expected an error");
    } catch (err) {
      const e = err as RadzError;
      expect(e.code).to.equal("INPUT_INVALID");
      expect(e.message).to.contain("4 problems");
      expect(e.message).to.contain("line 2, a");
      expect(e.message).to.contain("line 3");
      expect(e.message).to.contain("appears twice");
      expect(e.message).to.contain("line 5: 3 cells");
    }
    expect(() => parseTruthCsv("uid,a\n")).to.throw(/first column/);
  });
});

describe("eval/report", () => {
  const e = evaluateLabel([0.1, 0.4, 0.35, 0.8], [F, F, T, T], 0.5, { samples: 50 });
  const report: EvaluationReport = {
    kind: "radz-evaluation",
    bundle: {
      id: "b",
      name: "B, model",
      version: "1",
      labelSetHash: "0123456789abcdef",
      synthetic: false,
    },
    aggregation: "max",
    studies: { evaluated: 4, notInTruth: 0, missing: 1, failed: 0, skipped: 0 },
    bootstrap: { samples: 50, seed: 1, level: 0.95 },
    labels: { nodule: { display: 'Lung "nodule"', ...e } },
    unknownTruthLabels: ["edema"],
  };

  it("evaluates a label: AUROC, threshold metrics, Brier, ECE, counts", () => {
    expect(e.n).to.equal(4);
    expect(e.positives).to.equal(2);
    expect(e.auroc).to.equal(0.75);
    expect(e.sensitivity).to.equal(0.5);
    expect(e.specificity).to.equal(1);
    expect(e.accuracy).to.equal(0.75);
    expect(e.f1).to.be.closeTo(2 / 3, 1e-15);
    expect(e.brier).to.be.closeTo((0.01 + 0.16 + 0.4225 + 0.04) / 4, 1e-12);
  });

  it("prints a table and writes CSV with quoted text", () => {
    const text = formatEvaluation(report);
    expect(text).to.match(/nodule\s+4\s+2\s+0\.750/);
    expect(text).to.contain("truth rows without a study: 1");
    expect(text).to.contain("does not score: edema");
    const csv = evaluationCsv(report).trim().split("\n");
    expect(csv[0]).to.match(/^label,display,n,positives,auroc,auroc_ci_low/);
    expect(csv[1]).to.match(/^nodule,"Lung ""nodule""",4,2,0\.75,/);
  });

  it("renders the ROC curve to a PNG with sharp", async () => {
    const png = await rocPng(
      [
        {
          label: "Nodule",
          auroc: e.auroc,
          aurocCi: e.aurocCi,
          points: rocCurve([0.1, 0.4, 0.35, 0.8], [F, F, T, T]),
          operatingPoint: { fpr: 0, tpr: 0.5 },
        },
      ],
      { title: "ROC <test> & co", subtitle: "4 studies" },
    );
    const meta = await sharp(png).metadata();
    expect(meta.format).to.equal("png");
    expect(meta.width).to.equal(900);
    // Not blank: the curve's colour is present.
    const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    let blue = 0;
    for (let i = 0; i < data.length; i += info.channels)
      if (data[i]! < 40 && data[i + 2]! > 150) blue++;
    expect(blue).to.be.above(100);
  });
});
