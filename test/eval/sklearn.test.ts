/**
 * RadZ's metrics against an independent implementation: scikit-learn from
 * Debian's python3-sklearn (/usr/bin/python3), on the same seeded data with
 * tied scores and probabilities on calibration-bin edges.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import {
  accuracy,
  auroc,
  brierScore,
  confusionAt,
  expectedCalibrationError,
  f1,
  fitIsotonic,
  precision,
  predictIsotonic,
  rocCurve,
  sensitivity,
  specificity,
} from "../../src/eval/index.js";
import { fitPlatt, sigmoid } from "../../src/model/index.js";
import { Prng } from "../../src/synthetic/prng.js";

const PYTHON = "/usr/bin/python3";
const SCRIPT = path.resolve("test/eval/sklearn-reference.py");

interface Reference {
  auroc: number;
  f1: number;
  accuracy: number;
  sensitivity: number;
  specificity: number;
  precision: number;
  brier: number;
  ece: number;
  fpr: number[];
  tpr: number[];
  platt: { a: number; b: number };
  plattSklearn: { a: number; b: number };
  isotonicGrid: number[];
  isotonicTrain: number[];
}

function sklearnAvailable(): boolean {
  const r = spawnSync(PYTHON, ["-c", "import sklearn, scipy"], { encoding: "utf8" });
  return r.status === 0;
}

/** Seeded data: scores with ties, truth correlated with them, logits, probabilities incl. bin edges. */
function dataset(seed: number, n: number) {
  const rng = new Prng(seed);
  const truth: boolean[] = [];
  const scores: number[] = [];
  const logits: number[] = [];
  for (let i = 0; i < n; i++) {
    const y = rng.chance(0.35);
    // Box-Muller normal
    const g = Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
    const latent = (y ? 1.1 : 0) + g;
    truth.push(y);
    // Half the scores rounded to 2 decimals so ties occur.
    const sc = sigmoid(latent);
    scores.push(i % 2 === 0 ? Math.round(sc * 100) / 100 : sc);
    logits.push(2.5 * latent - 1);
  }
  const probabilities = logits.map((z) => sigmoid(0.6 * z));
  // Probabilities exactly on numpy.linspace(0, 1, 11) edges (0.30000000000000004 included).
  [0, 0.1, 0.2, 3 * 0.1, 0.5, 1].forEach((edge, k) => (probabilities[k * 7] = edge));
  return { truth, scores, logits, probabilities };
}

describe("eval metrics agree with scikit-learn (python3-sklearn)", function () {
  this.timeout(60_000);
  let work: string;
  before(function () {
    if (!sklearnAvailable()) {
      console.warn(
        `    skipped: ${PYTHON} cannot import sklearn/scipy (apt-get install python3-sklearn)`,
      );
      this.skip();
    }
    work = mkdtempSync(path.join(os.tmpdir(), "radz-sklearn-"));
  });
  after(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  for (const seed of [3, 17]) {
    it(`AUROC, ROC curve, F1/accuracy/sensitivity/specificity/precision, Brier, ECE, Platt and isotonic fits within 1e-6 (seed ${seed})`, () => {
      const d = dataset(seed, 400);
      const threshold = 0.5;
      const grid = Array.from({ length: 101 }, (_, i) => i / 100);
      const input = path.join(work, `data-${seed}.json`);
      writeFileSync(
        input,
        JSON.stringify({
          scores: d.scores,
          truth: d.truth.map((t) => (t ? 1 : 0)),
          threshold,
          logits: d.logits,
          probabilities: d.probabilities,
          grid,
        }),
      );
      const r = spawnSync(PYTHON, [SCRIPT, input], { encoding: "utf8" });
      expect(r.status, r.stderr).to.equal(0);
      const ref = JSON.parse(r.stdout) as Reference;

      expect(auroc(d.scores, d.truth)).to.be.closeTo(ref.auroc, 1e-6);
      const c = confusionAt(d.scores, d.truth, threshold);
      expect(f1(c)).to.be.closeTo(ref.f1, 1e-6);
      expect(accuracy(c)).to.be.closeTo(ref.accuracy, 1e-6);
      expect(sensitivity(c)).to.be.closeTo(ref.sensitivity, 1e-6);
      expect(specificity(c)).to.be.closeTo(ref.specificity, 1e-6);
      expect(precision(c)).to.be.closeTo(ref.precision, 1e-6);

      const roc = rocCurve(d.scores, d.truth);
      expect(roc.map((p) => p.fpr)).to.have.length(ref.fpr.length);
      roc.forEach((p, i) => {
        expect(p.fpr).to.be.closeTo(ref.fpr[i]!, 1e-12);
        expect(p.tpr).to.be.closeTo(ref.tpr[i]!, 1e-12);
      });

      expect(brierScore(d.probabilities, d.truth)).to.be.closeTo(ref.brier, 1e-6);
      expect(expectedCalibrationError(d.probabilities, d.truth, 10)).to.be.closeTo(ref.ece, 1e-6);

      const platt = fitPlatt(d.logits, d.truth);
      expect(platt.a).to.be.closeTo(ref.platt.a, 1e-6);
      expect(platt.b).to.be.closeTo(ref.platt.b, 1e-6);
      // scikit-learn's own fit stops at BFGS gtol 1e-5: same optimum, looser.
      expect(platt.a).to.be.closeTo(ref.plattSklearn.a, 1e-3);
      expect(platt.b).to.be.closeTo(ref.plattSklearn.b, 1e-3);

      const iso = fitIsotonic(d.probabilities, d.truth);
      grid.forEach((q, i) =>
        expect(predictIsotonic(iso, q), `grid ${q}`).to.be.closeTo(ref.isotonicGrid[i]!, 1e-6),
      );
      d.probabilities.forEach((q, i) =>
        expect(predictIsotonic(iso, q)).to.be.closeTo(ref.isotonicTrain[i]!, 1e-6),
      );
    });
  }
});
