/**
 * `radz adapt --bundle B (--truth truth.csv | --feedback-from-store) <dicom dir> --out adaptation.json`:
 * fits a training-free site adaptation (src/eval/adapt.ts) from confirmed
 * studies — the verdicts in truth.csv, or the current feedback in the job
 * store — and the bundle's image embeddings of those studies (scored exactly
 * as radz eval scores them), and writes the versioned file that config
 * `model.adaptation` activates (src/model/adaptation.ts).
 */
import { createHash } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Command } from "commander";
import { RadzError } from "../errors.js";
import { fitAdaptation, readTruthCsv, type AdaptationExample } from "../eval/index.js";
import { SqliteJobStore, studyFeedbackKey } from "../jobs/index.js";
import {
  ADAPTATION_KIND,
  ADAPTATION_METHOD,
  adaptationId,
  bundleManifestSha256,
  labelLogitHash,
  logit,
  mergeLabelDefinitions,
  parseAdaptation,
  readBundleManifest,
  type Adaptation,
} from "../model/index.js";
import { RADZ_VERSION } from "../version.js";
import { parseLabelTarget } from "./calibrate.js";
import {
  addCommonOptions,
  loggerFor,
  type CommonOptions,
  positiveInt,
  fraction,
  unit,
  addTargetOption,
} from "./common.js";
import { evalConfig, scoreFolder } from "./eval.js";

interface AdaptOptions extends CommonOptions {
  bundle?: string;
  truth?: string;
  feedbackFromStore?: boolean;
  out: string;
  shots?: number;
  shrinkage: number;
  targetSensitivity?: number;
  target: string[];
  json?: boolean;
}

/** Blend weights tried for the few-shot term (0 = zero-shot logits, only recalibrated). */
export const ADAPT_ALPHA_GRID = [0, 0.1, 0.25, 0.5, 1, 2, 5, 10] as const;
const MAX_LOGIT = 50;

/** Confirmed verdicts by study key (sha256 of the Study Instance UID), in the order they were given. */
type Verdicts = Map<string, Map<string, boolean>>;

async function verdictsFromTruth(file: string): Promise<Verdicts> {
  const truth = await readTruthCsv(file);
  const out: Verdicts = new Map();
  for (const [uid, labels] of truth.studies) out.set(studyFeedbackKey(uid), new Map(labels));
  return out;
}

function verdictsFromStore(dbPath: string): Verdicts {
  const store = new SqliteJobStore({ path: dbPath });
  try {
    const out: Verdicts = new Map();
    // Oldest first, so --shots takes the earliest confirmations.
    for (const f of store.listFeedback().reverse()) {
      const m = out.get(f.studyKey) ?? new Map<string, boolean>();
      m.set(f.label, f.verdict === "present");
      out.set(f.studyKey, m);
    }
    return out;
  } finally {
    store.close();
  }
}

/** The shortest prefix of `keys` in which every label has at least `shots` confirmed-present studies. */
export function shotsPrefix(
  keys: readonly string[],
  verdicts: Verdicts,
  labels: readonly string[],
  shots: number,
): string[] {
  const count = new Map(labels.map((l) => [l, 0]));
  const out: string[] = [];
  for (const k of keys) {
    if (labels.every((l) => count.get(l)! >= shots)) break;
    out.push(k);
    for (const [l, present] of verdicts.get(k) ?? []) {
      if (present && count.has(l)) count.set(l, count.get(l)! + 1);
    }
  }
  return out;
}

export function registerAdaptCommand(program: Command): void {
  addCommonOptions(
    addTargetOption(
      program
        .command("adapt")
        .description(
          "Fit a training-free site adaptation from confirmed studies (truth.csv or the feedback in the job store): " +
            "a few-shot term blended with the zero-shot scores plus recalibrated thresholds. " +
            "Activate it with config model.adaptation; check it with radz eval --adaptation.",
        )
        .argument("<paths...>", "DICOM files or directories with the confirmed studies' images")
        .option("-b, --bundle <dir>", "model bundle directory (overrides model.bundle)")
        .option("-t, --truth <csv>", "confirmed verdicts: studyInstanceUID,<label>,... with 1/0")
        .option("--feedback-from-store", "use the current feedback in the job store (jobs.dbPath)")
        .requiredOption("-o, --out <file>", "adaptation file to write (JSON)")
        .option(
          "--shots <k>",
          "use only the first studies, up to where every label has k confirmed-present studies",
          positiveInt,
        )
        .option("--shrinkage <v>", "covariance shrinkage towards the identity, 0..1", fraction, 0.1)
        .option("--target-sensitivity <v>", "threshold for this sensitivity, every label", unit)
        .option("--json", "print the result as one JSON object"),
    ),
  ).action(async (paths: string[], opts: AdaptOptions) => {
    process.exitCode = await runAdapt(paths, opts);
  });
}

export async function runAdapt(paths: readonly string[], opts: AdaptOptions): Promise<number> {
  if ((opts.truth === undefined) === (opts.feedbackFromStore !== true))
    throw new RadzError("INPUT_INVALID", "give either --truth <csv> or --feedback-from-store");
  const perLabel = new Map(opts.target.map(parseLabelTarget).map((t) => [t.label, t.target]));
  const config = evalConfig(opts);
  const logger = loggerFor(config);
  const verdicts = opts.truth
    ? await verdictsFromTruth(opts.truth)
    : verdictsFromStore(config.jobs.dbPath);
  if (verdicts.size === 0)
    throw new RadzError("INPUT_INVALID", "no confirmed studies to adapt from");

  const bundleManifest = await readBundleManifest(config.model.bundle);
  const current = mergeLabelDefinitions(bundleManifest, config.model.labels).manifest;
  const { run, model } = await scoreFolder(
    paths,
    config,
    logger,
    verdicts.size,
    "adapt",
    { rawScores: true },
    { keepEmbeddings: true },
  );
  const labelIds = model.labels.map((l) => l.id);
  const byKey = new Map(run.studies.map((s) => [studyFeedbackKey(s.studyInstanceUid), s]));
  let keys = [...verdicts.keys()].filter((k) => byKey.has(k));
  if (opts.shots !== undefined) keys = shotsPrefix(keys, verdicts, labelIds, opts.shots);
  if (keys.length === 0)
    throw new RadzError(
      "INPUT_INVALID",
      `none of the ${verdicts.size} confirmed studies is among the studies under ${paths.join(", ")}`,
    );

  const examples: AdaptationExample[] = keys.map((k) => {
    const study = byKey.get(k)!;
    // The study's embedding: the mean direction of its images' unit embeddings.
    const d = model.embeddingSize;
    const acc = new Float64Array(d);
    for (const row of study.embeddings ?? []) {
      let n = 0;
      for (let j = 0; j < d; j++) n += row[j]! * row[j]!;
      n = Math.sqrt(n);
      for (let j = 0; j < d; j++) acc[j]! += row[j]! / n;
    }
    const norm = Math.hypot(...acc);
    if (!(norm > 0))
      throw new RadzError(
        "INFERENCE_BAD_OUTPUT",
        "a confirmed study has no usable image embedding",
      );
    return {
      embedding: acc.map((v) => v / norm),
      logits: new Map(
        [...study.scores].map(([id, s]) => [
          id,
          Math.max(-MAX_LOGIT, Math.min(MAX_LOGIT, logit(s.probability))),
        ]),
      ),
      truth: verdicts.get(k)!,
    };
  });

  const fitted = fitAdaptation(examples, {
    labels: model.labels.map((l) => ({
      id: l.id,
      // The calibration the service would use without the adaptation (bundle, config, overlay).
      calibration: current.labels.find((c) => c.id === l.id)?.calibration ?? l.calibration,
      target:
        perLabel.get(l.id) ??
        (opts.targetSensitivity !== undefined
          ? { metric: "sensitivity", value: opts.targetSensitivity }
          : l.triageWeight >= 1
            ? { metric: "sensitivity", value: 0.95 }
            : { metric: "youden" }),
    })),
    shrinkage: opts.shrinkage,
    alphaGrid: ADAPT_ALPHA_GRID,
  });
  if (fitted.labels.size === 0)
    throw new RadzError(
      "INPUT_INVALID",
      `no label could be adapted: ${[...fitted.skipped].map(([l, why]) => `${l}: ${why}`).join("; ")}`,
    );

  const snapshot = createHash("sha256");
  for (const k of [...keys].sort()) {
    for (const [l, v] of [...verdicts.get(k)!].sort(([a], [b]) => (a < b ? -1 : 1)))
      snapshot.update(`${k},${l},${v ? "present" : "absent"}\n`);
  }
  const body: Omit<Adaptation, "id"> = {
    kind: ADAPTATION_KIND,
    schemaVersion: 1,
    bundle: {
      id: bundleManifest.identity.id,
      version: bundleManifest.identity.version,
      sha256: bundleManifestSha256(bundleManifest),
    },
    embeddingSize: model.embeddingSize,
    method: {
      name: ADAPTATION_METHOD,
      shrinkage: opts.shrinkage,
      alphaGrid: [...ADAPT_ALPHA_GRID],
      aggregation: config.model.aggregation,
    },
    feedback: {
      source: opts.truth ? "truth" : "store",
      sha256: snapshot.digest("hex"),
      studies: keys.length,
    },
    createdAt: new Date().toISOString(),
    createdBy: `radz ${RADZ_VERSION} adapt`,
    labels: Object.fromEntries(
      [...fitted.labels].map(([id, l]) => [
        id,
        {
          logitHash: labelLogitHash(
            model.manifest,
            model.manifest.labels.find((x) => x.id === id)!,
          ),
          alpha: l.alpha,
          weights: l.weights,
          bias: l.bias,
          calibration: l.calibration,
          threshold: l.threshold,
          target: l.target,
          fit: l.fit,
        },
      ]),
    ),
  };
  const adaptation = parseAdaptation({ ...body, id: adaptationId(body) }); // what we write must load
  await mkdir(path.dirname(path.resolve(opts.out)), { recursive: true });
  await writeFile(opts.out, `${JSON.stringify(adaptation, null, 2)}\n`);

  if (opts.json) {
    process.stdout.write(
      `${JSON.stringify({
        adaptation: opts.out,
        id: adaptation.id,
        alpha: fitted.alpha,
        studies: keys.length,
        labels: Object.fromEntries(Object.entries(adaptation.labels).map(([id, l]) => [id, l.fit])),
        skipped: Object.fromEntries(fitted.skipped),
      })}\n`,
    );
  } else {
    const f = (v: number): string => (Number.isFinite(v) ? v.toFixed(3) : "n/a");
    const lines = Object.entries(adaptation.labels).map(
      ([id, l]) =>
        `  ${id.padEnd(18)} n ${String(l.fit.n).padStart(4)}  present ${String(l.fit.positives).padStart(4)}  ` +
        `leave-one-out AUROC ${f(l.fit.looAuroc[0])} -> ${f(l.fit.looAuroc[1])}  threshold ${f(l.threshold)}`,
    );
    for (const [id, why] of fitted.skipped) lines.push(`  ${id.padEnd(18)} skipped: ${why}`);
    process.stdout.write(
      `adaptation ${adaptation.id} (${ADAPTATION_METHOD}, alpha ${fitted.alpha}) from ${keys.length} confirmed studies:\n` +
        `${lines.join("\n")}\n\nwrote ${opts.out}; activate it with config model.adaptation ` +
        `(check it on held-out studies first: radz eval --adaptation ${opts.out})\n`,
    );
  }
  return 0;
}
