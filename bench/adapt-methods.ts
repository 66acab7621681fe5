/**
 * Site adaptation: the alternatives to `gda-blend`, measured on the same
 * confirmed studies (issue 21; docs/models.md "Site adaptation"):
 *
 *   npm run bench:adapt-methods [-- --work /tmp/radz-bench-adapt-methods]
 *
 * Shifted site, demo bundle, 256 px. Evaluation: 300 studies, seed 8001.
 * Confirmed studies: for each pool seed (8002, 8004, 8005; 100 studies), the
 * prefix `radz adapt --shots 16` takes (every label >= 16 confirmed present).
 * Every method adds a term to the zero-shot raw logit, with its settings
 * chosen by the mean leave-one-out AUROC over the labels on the confirmed
 * studies only (as radz adapt chooses alpha):
 *
 *  - gda-blend       as shipped (fitAdaptation: shrinkage 0.1, one alpha);
 *  - gda, per label  the same discriminant, alpha chosen per label;
 *  - gda, lambda     shrinkage chosen too, from 0.01 to 1 (lambda = 1: the
 *                    class-mean difference, i.e. prototypes blended in);
 *  - tip-adapter     a key/value cache of the confirmed studies' unit
 *                    embeddings, term gamma * mean_j exp(-beta (1 - x.k_j)) (2 y_j - 1)
 *                    (Zhang et al., ECCV 2022), beta and gamma searched;
 *  - tip + gda       both terms, all three weights searched.
 *
 * And two references that no site has: the same discriminant fitted on 300
 * *labelled* studies (seed 8003, shrinkage 0.1) with the alpha that is best
 * on the evaluation set itself — what the embedding holds for a linear term
 * when labels are plentiful.
 *
 * The studies are generated once into --work and reused on later runs
 * (delete the folder after changing src/synthetic). Prints macro AUROC
 * zero-shot and the gain per method and pool seed; it measures, it checks
 * nothing (bench:adapt holds the acceptance checks).
 */
import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { evalConfig, scoreFolder } from "../src/cli/eval.js";
import { loggerFor } from "../src/cli/common.js";
import { shotsPrefix } from "../src/cli/adapt.js";
import { auroc, fitAdaptation, linearDiscriminant, readTruthCsv } from "../src/eval/index.js";
import { logit, writeDemoBundle } from "../src/model/index.js";
import { writeSyntheticStudies } from "../src/synthetic/index.js";

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}
const work = arg("work", path.join(os.tmpdir(), "radz-bench-adapt-methods"));
const SIZE = 256;
const ALPHAS = [0, 0.1, 0.25, 0.5, 1, 2, 5, 10];
const LAMBDAS = [0.01, 0.1, 0.3, 0.6, 0.9, 1];
const BETAS = [1, 3, 5.5, 10, 20, 50];
const GAMMAS = [0, 0.5, 1, 2, 5, 10, 20];

interface Study {
  x: Float64Array;
  z: number[];
  y: boolean[];
}
interface StudySet {
  labels: string[];
  studies: Study[];
}

async function studySet(bundle: string, seed: number, count: number): Promise<StudySet> {
  const dir = path.join(work, `shifted-${seed}`);
  if (!existsSync(path.join(dir, "truth.csv"))) {
    process.stderr.write(`generating ${count} shifted studies, seed ${seed}…\n`);
    await writeSyntheticStudies(dir, { count, seed, rows: SIZE, columns: SIZE, site: "shifted" });
  }
  const config = evalConfig({ bundle, logLevel: "warn" });
  const { run, model } = await scoreFolder(
    [dir],
    config,
    loggerFor(config),
    count,
    `seed ${seed}`,
    { rawScores: true },
    { keepEmbeddings: true },
  );
  const labels = model.labels.map((l) => l.id);
  const truth = await readTruthCsv(path.join(dir, "truth.csv"));
  const byUid = new Map(run.studies.map((s) => [s.studyInstanceUid, s]));
  // truth.csv order = generation order (the order --shots takes them in).
  const studies = [...truth.studies].map(([uid, t]) => {
    const s = byUid.get(uid)!;
    const x = new Float64Array(model.embeddingSize);
    for (const row of s.embeddings ?? []) {
      const n = Math.hypot(...Array.from(row));
      for (let j = 0; j < x.length; j++) x[j]! += row[j]! / n;
    }
    const n = Math.hypot(...x);
    return {
      x: x.map((v) => v / n),
      z: labels.map((l) => Math.max(-50, Math.min(50, logit(s.scores.get(l)!.probability)))),
      y: labels.map((l) => t.get(l) === true),
    };
  });
  return { labels, studies };
}

const dot = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};
const mean = (xs: readonly number[]): number => xs.reduce((s, v) => s + v, 0) / xs.length;

/** Per label, a term for each evaluation study and its leave-one-out value on each confirmed study. */
interface Term {
  loo: number[][]; // [label][confirmed study]
  evalTerm: number[][]; // [label][evaluation study]
}

function gdaTerm(fit: Study[], ev: Study[], k: number, lambda: number): [number[], number[]] {
  const xs = fit.map((s) => s.x);
  const ys = fit.map((s) => s.y[k]!);
  const loo = xs.map((x, i) => {
    const d = linearDiscriminant(
      xs.filter((_, j) => j !== i),
      ys.filter((_, j) => j !== i),
      lambda,
    );
    return dot(d.w, x) + d.c;
  });
  const d = linearDiscriminant(xs, ys, lambda);
  return [loo, ev.map((s) => dot(d.w, s.x) + d.c)];
}

function gda(fit: Study[], ev: Study[], labels: number, lambda: number): Term {
  const t: Term = { loo: [], evalTerm: [] };
  for (let k = 0; k < labels; k++) {
    const [loo, e] = gdaTerm(fit, ev, k, lambda);
    t.loo.push(loo);
    t.evalTerm.push(e);
  }
  return t;
}

function tip(fit: Study[], ev: Study[], labels: number, beta: number): Term {
  const cache = (x: Float64Array, skip: number): number[] => {
    const out = new Array<number>(labels).fill(0);
    fit.forEach((s, j) => {
      if (j === skip) return;
      const a = Math.exp(-beta * (1 - dot(x, s.x)));
      for (let k = 0; k < labels; k++) out[k]! += a * (s.y[k] ? 1 : -1);
    });
    return out.map((v) => v / (fit.length - (skip >= 0 ? 1 : 0)));
  };
  const looRows = fit.map((s, i) => cache(s.x, i));
  const evRows = ev.map((s) => cache(s.x, -1));
  return {
    loo: Array.from({ length: labels }, (_, k) => looRows.map((r) => r[k]!)),
    evalTerm: Array.from({ length: labels }, (_, k) => evRows.map((r) => r[k]!)),
  };
}

/** AUROC per label of z + sum_i w_i term_i (on the confirmed studies' loo values, or the evaluation set). */
function aurocs(set: Study[], terms: [number, number[][]][], labels: number): number[] {
  return Array.from({ length: labels }, (_, k) =>
    auroc(
      set.map((s, i) => s.z[k]! + terms.reduce((acc, [w, t]) => acc + w * t[k]![i]!, 0)),
      set.map((s) => s.y[k]!),
    ),
  );
}

/** The candidate with the highest score; the first (simplest) among near-ties. */
function best<T>(cands: readonly T[], score: (c: T) => number): T {
  let top = cands[0] as T;
  let topScore = score(top);
  for (const c of cands.slice(1)) {
    const s = score(c);
    if (s > topScore + 1e-9) [top, topScore] = [c, s];
  }
  return top;
}

const bundle = path.join(work, "bundle");
if (!existsSync(path.join(bundle, "manifest.json"))) await writeDemoBundle(bundle);
const evalSet = await studySet(bundle, 8001, 300);
const labelled = await studySet(bundle, 8003, 300);
const K = evalSet.labels.length;
const ev = evalSet.studies;
const zeroShot = mean(aurocs(ev, [], K));

const rows: [string, string[]][] = [];
const gains = new Map<string, string[]>();
const add = (method: string, v: number): void => {
  gains.set(method, [...(gains.get(method) ?? []), `${v >= 0 ? "+" : ""}${v.toFixed(3)}`]);
};
const pools = [8002, 8004, 8005];
for (const seed of pools) {
  const pool = await studySet(bundle, seed, 100);
  const verdicts = new Map(
    pool.studies.map((s, i) => [String(i), new Map(pool.labels.map((l, k) => [l, s.y[k]!]))]),
  );
  const n = shotsPrefix([...verdicts.keys()], verdicts, pool.labels, 16).length;
  const fit = pool.studies.slice(0, n);
  process.stderr.write(`pool ${seed}: ${n} confirmed studies\n`);

  // As shipped.
  const shipped = fitAdaptation(
    fit.map((s) => ({
      embedding: s.x,
      logits: new Map(pool.labels.map((l, k) => [l, s.z[k]!])),
      truth: new Map(pool.labels.map((l, k) => [l, s.y[k]!])),
    })),
    {
      labels: pool.labels.map((id) => ({
        id,
        target: { metric: "youden" },
        calibration: { method: "none" },
      })),
      shrinkage: 0.1,
      alphaGrid: ALPHAS,
    },
  );
  const shippedAuroc = mean(
    evalSet.labels.map((id, k) => {
      const a = shipped.labels.get(id)!;
      return auroc(
        ev.map((s) => s.z[k]! + dot(a.weights, s.x) + a.bias),
        ev.map((s) => s.y[k]!),
      );
    }),
  );
  add("gda-blend (as shipped)", shippedAuroc - zeroShot);

  const byLambda = new Map(LAMBDAS.map((l) => [l, gda(fit, ev, K, l)]));
  const g01 = byLambda.get(0.1)!;
  // Per-label alpha.
  const perLabel = Array.from({ length: K }, (_, k) => {
    const a = best(ALPHAS, (a) => aurocs(fit, [[a, g01.loo]], K)[k]!);
    return auroc(
      ev.map((s, i) => s.z[k]! + a * g01.evalTerm[k]![i]!),
      ev.map((s) => s.y[k]!),
    );
  });
  add("gda, alpha per label", mean(perLabel) - zeroShot);
  // Shrinkage searched too (lambda = 1: prototypes).
  const [la, ll] = best(
    LAMBDAS.flatMap((l) => ALPHAS.map((a) => [a, l] as const)),
    ([a, l]) => mean(aurocs(fit, [[a, byLambda.get(l)!.loo]], K)),
  );
  add(`gda, lambda searched`, mean(aurocs(ev, [[la, byLambda.get(ll)!.evalTerm]], K)) - zeroShot);
  const proto = byLambda.get(1)!;
  const pa = best(ALPHAS, (a) => mean(aurocs(fit, [[a, proto.loo]], K)));
  add("prototypes (lambda = 1)", mean(aurocs(ev, [[pa, proto.evalTerm]], K)) - zeroShot);
  // Tip-Adapter, and Tip-Adapter + gda.
  const caches = new Map(BETAS.map((b) => [b, tip(fit, ev, K, b)]));
  const [tb, tg] = best(
    BETAS.flatMap((b) => GAMMAS.map((g) => [b, g] as const)),
    ([b, g]) => mean(aurocs(fit, [[g, caches.get(b)!.loo]], K)),
  );
  add("tip-adapter", mean(aurocs(ev, [[tg, caches.get(tb)!.evalTerm]], K)) - zeroShot);
  const [cb, cg, ca] = best(
    BETAS.flatMap((b) => GAMMAS.flatMap((g) => ALPHAS.map((a) => [b, g, a] as const))),
    ([b, g, a]) =>
      mean(
        aurocs(
          fit,
          [
            [g, caches.get(b)!.loo],
            [a, g01.loo],
          ],
          K,
        ),
      ),
  );
  add(
    "tip-adapter + gda",
    mean(
      aurocs(
        ev,
        [
          [cg, caches.get(cb)!.evalTerm],
          [ca, g01.evalTerm],
        ],
        K,
      ),
    ) - zeroShot,
  );
}

// Reference: 300 labelled studies, alpha picked on the evaluation set itself.
const full = gda(labelled.studies, ev, K, 0.1);
const ceiling = Math.max(
  ...[...ALPHAS, 20, 50].map((a) => mean(aurocs(ev, [[a, full.evalTerm]], K))),
);
for (const [m, g] of gains) rows.push([m, g]);
const width = Math.max(...rows.map(([m]) => m.length));
process.stdout.write(
  `Shifted site, demo bundle: macro AUROC on 300 studies (seed 8001), zero-shot ${zeroShot.toFixed(3)}.\n` +
    `Gain per method, confirmed studies from pool seed ${pools.join(" / ")} (radz adapt --shots 16 prefix):\n` +
    rows.map(([m, g]) => `  ${m.padEnd(width)}  ${g.join("  ")}`).join("\n") +
    `\nReference, not few-shot: gda fitted on 300 labelled studies (seed 8003), best alpha on the evaluation set: ` +
    `${ceiling.toFixed(3)} (${ceiling - zeroShot >= 0 ? "+" : ""}${(ceiling - zeroShot).toFixed(3)})\n`,
);
