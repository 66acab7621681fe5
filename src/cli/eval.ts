/**
 * `radz eval --bundle B --truth labels.csv <dicom dir>`: scores every study as
 * the service would (pipeline inferFiles) and reports per label AUROC with a
 * seeded bootstrap 95% CI, and sensitivity, specificity, accuracy and F1 at the
 * labels' operating thresholds, plus Brier score and ECE. With a calibration
 * overlay in effect (config model.calibrationOverlay or
 * --calibration-overlay), the studies are scored once more without it and the
 * table shows before -> after.
 */
import { access, mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Command } from "commander";
import type { Config } from "../config/index.js";
import { RadzError } from "../errors.js";
import {
  evaluateLocalisation,
  evaluateSeries,
  evaluationCsv,
  formatEvaluation,
  labelSeries,
  readRegionsCsv,
  readTruthCsv,
  rocPng,
  scoreStudies,
  studyProgress,
  type CalibrationComparison,
  type EvaluationReport,
  type LabelEvaluation,
  type LocalisationEvaluation,
  type ScoreStudiesOptions,
  type ScoredRun,
  type TruthTable,
} from "../eval/index.js";
import { loadModel, modelOptionsFromConfig, type LoadModelOptions } from "../model/index.js";
import type { Logger } from "../observability/index.js";
import { RADZ_VERSION } from "../version.js";
import {
  addCommonOptions,
  configFrom,
  loggerFor,
  type CommonOptions,
  positiveInt,
} from "./common.js";

interface EvalOptions extends CommonOptions {
  bundle?: string;
  truth: string;
  out?: string;
  json?: boolean;
  calibrationOverlay?: string;
  adaptation?: string;
  bootstrap: number;
  seed: number;
}

const int = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n)) throw new RadzError("INPUT_INVALID", `not an integer: ${v}`);
  return n;
};

/** Config for eval-style commands: bundle override, quiet logs unless asked. */
export function evalConfig(opts: CommonOptions & { bundle?: string }): Config {
  return configFrom(
    { ...opts, logLevel: opts.logLevel ?? process.env.RADZ_LOG__LEVEL ?? "warn" },
    // Scores do not depend on the summary image; skip rendering it.
    { report: { summaryImage: false }, ...(opts.bundle ? { model: { bundle: opts.bundle } } : {}) },
  );
}

/** Loads the model and scores every study under `paths`, with a progress bar. */
export async function scoreFolder(
  paths: readonly string[],
  config: Config,
  logger: Logger,
  expected: number,
  label: string,
  overrides: Partial<LoadModelOptions> = {},
  scoring: Pick<ScoreStudiesOptions, "keepEmbeddings"> = {},
): Promise<{ run: ScoredRun; model: Awaited<ReturnType<typeof loadModel>> }> {
  const model = await loadModel(
    config.model.bundle,
    modelOptionsFromConfig(config.model, logger, overrides),
  );
  const progress = studyProgress(expected, label);
  try {
    const run = await scoreStudies(paths, {
      model,
      config,
      logger,
      softwareVersion: RADZ_VERSION,
      onStudy: (done) => progress.update(done),
      ...scoring,
    });
    return { run, model };
  } finally {
    progress.stop();
    await model.close();
  }
}

function labelsToEvaluate(
  modelLabels: readonly { id: string }[],
  truth: TruthTable,
): { ids: string[]; unknown: string[] } {
  const known = new Set(modelLabels.map((l) => l.id));
  const inTruth = new Set(truth.labels);
  return {
    ids: modelLabels.map((l) => l.id).filter((id) => inTruth.has(id)),
    unknown: truth.labels.filter((l) => !known.has(l)),
  };
}

export function registerEvalCommand(program: Command): void {
  addCommonOptions(
    program
      .command("eval")
      .description(
        "Evaluate a model bundle on labelled DICOM studies: per label AUROC (bootstrap 95% CI), F1, accuracy, " +
          "sensitivity and specificity at the bundle's thresholds, Brier score and ECE. Studies are scored " +
          "exactly as the service scores them. --out writes eval.json, eval.csv and roc.png.",
      )
      .argument("<paths...>", "DICOM files or directories (searched recursively)")
      .option("-b, --bundle <dir>", "model bundle directory (overrides model.bundle)")
      .requiredOption(
        "-t, --truth <csv>",
        "ground truth: studyInstanceUID,<label>,... with 1/0 (radz demo --generate writes truth.csv)",
      )
      .option("-o, --out <dir>", "write eval.json, eval.csv and roc.png here")
      .option("--json", "print the report as one JSON object")
      .option(
        "--calibration-overlay <file>",
        "evaluate with this overlay (from radz calibrate) and show before -> after",
      )
      .option(
        "--adaptation <file>",
        "evaluate with this site adaptation (from radz adapt) and show before -> after",
      )
      .option("--bootstrap <n>", "bootstrap resamples for the AUROC CI", positiveInt, 1000)
      .option("--seed <n>", "bootstrap seed (same seed, same CI)", int, 1),
  ).action(async (paths: string[], opts: EvalOptions) => {
    process.exitCode = await runEval(paths, opts);
  });
}

export async function runEval(paths: readonly string[], opts: EvalOptions): Promise<number> {
  const config = evalConfig(opts);
  const logger = loggerFor(config);
  const truth = await readTruthCsv(opts.truth);
  const overlay = opts.calibrationOverlay ?? config.model.calibrationOverlay;
  const adaptation = opts.adaptation ?? config.model.adaptation;
  const expected = truth.studies.size;

  const { run, model } = await scoreFolder(paths, config, logger, expected, "eval", {
    ...(overlay !== undefined ? { calibrationOverlay: overlay } : {}),
    ...(adaptation !== undefined ? { adaptation } : {}),
  });
  if (run.studies.length === 0) {
    throw new RadzError(
      "INPUT_INVALID",
      `no study under ${paths.join(", ")} could be scored (${run.failed.length} failed, ${run.skipped} skipped)`,
    );
  }
  const { ids, unknown } = labelsToEvaluate(model.labels, truth);
  if (ids.length === 0) {
    throw new RadzError(
      "INPUT_INVALID",
      `the truth file's labels (${truth.labels.join(", ")}) match none of the model's (${model.labels.map((l) => l.id).join(", ")})`,
    );
  }
  const bootstrap = { samples: opts.bootstrap, seed: opts.seed, level: 0.95 };
  const series = labelSeries(run.studies, truth.studies, ids);
  const { labels, roc } = evaluateSeries(series, { bootstrap });
  const display = new Map(model.labels.map((l) => [l.id, l.display]));
  const scoredUids = new Set(run.studies.map((s) => s.studyInstanceUid));
  const evaluated = run.studies.filter((s) => truth.studies.has(s.studyInstanceUid)).length;

  let calibration: EvaluationReport["calibration"];
  let adapted: EvaluationReport["adaptation"];
  if (overlay !== undefined || adaptation !== undefined) {
    // Before = the same model without the adaptation (if one is in effect), else without the overlay.
    const before = await scoreFolder(
      paths,
      config,
      logger,
      expected,
      adaptation !== undefined ? "eval (without adaptation)" : "eval (without overlay)",
      adaptation !== undefined ? { adaptation: undefined } : { calibrationOverlay: undefined },
    );
    const beforeEval = evaluateSeries(labelSeries(before.run.studies, truth.studies, ids), {
      bootstrap: { ...bootstrap, samples: 1 },
    }).labels;
    const comparison: Record<string, CalibrationComparison> = {};
    for (const id of ids) {
      const b = beforeEval[id]!;
      const a = labels[id]!;
      comparison[id] = {
        auroc: [b.auroc, a.auroc],
        brier: [b.brier, a.brier],
        ece: [b.ece, a.ece],
        threshold: [b.threshold, a.threshold],
        sensitivity: [b.sensitivity, a.sensitivity],
        specificity: [b.specificity, a.specificity],
      };
    }
    if (adaptation !== undefined)
      adapted = { file: adaptation, id: model.identity.adaptation?.id ?? "", labels: comparison };
    else calibration = { overlay: overlay!, labels: comparison };
  }

  // Localisation, when regions.csv (radz demo --generate writes it) lies beside the truth file.
  const regionsFile = path.join(path.dirname(opts.truth), "regions.csv");
  const hasRegions = await access(regionsFile).then(
    () => true,
    () => false,
  );
  const localisation = new Map<string, LocalisationEvaluation>();
  if (hasRegions) {
    const drawn = await readRegionsCsv(regionsFile);
    for (const id of ids) {
      localisation.set(
        id,
        evaluateLocalisation(
          id,
          run.studies.map((s) => ({
            studyInstanceUid: s.studyInstanceUid,
            positive: truth.studies.get(s.studyInstanceUid)?.get(id) === true,
            regions: s.regions?.get(id) ?? [],
          })),
          drawn,
        ),
      );
    }
  }

  const report: EvaluationReport = {
    kind: "radz-evaluation",
    bundle: {
      id: model.identity.id,
      name: model.identity.name,
      version: model.identity.version,
      labelSetHash: model.identity.labelSetHash,
      synthetic: model.identity.synthetic,
      ...(model.identity.adaptation ? { adaptation: model.identity.adaptation.id } : {}),
    },
    aggregation: config.model.aggregation,
    studies: {
      evaluated,
      notInTruth: run.studies.length - evaluated,
      missing: [...truth.studies.keys()].filter((uid) => !scoredUids.has(uid)).length,
      failed: run.failed.length,
      skipped: run.skipped,
    },
    bootstrap,
    labels: Object.fromEntries(
      ids.map((id): [string, LabelEvaluation & { display: string }] => [
        id,
        { display: display.get(id) ?? id, ...labels[id]!, ...localisation.get(id) },
      ]),
    ),
    ...(hasRegions ? { regionsFile } : {}),
    ...(calibration ? { calibration } : {}),
    ...(adapted ? { adaptation: adapted } : {}),
    unknownTruthLabels: unknown,
  };

  if (opts.out) {
    await mkdir(opts.out, { recursive: true });
    await writeFile(path.join(opts.out, "eval.json"), `${JSON.stringify(report, null, 2)}\n`);
    await writeFile(path.join(opts.out, "eval.csv"), evaluationCsv(report));
    const png = await rocPng(
      ids.map((id) => {
        const e = labels[id]!;
        return {
          label: display.get(id) ?? id,
          auroc: e.auroc,
          aurocCi: e.aurocCi,
          points: roc[id]!,
          operatingPoint: { fpr: 1 - e.specificity, tpr: e.sensitivity },
        };
      }),
      {
        title: `ROC: ${model.identity.name} ${model.identity.version}`,
        subtitle: `${evaluated} studies${model.identity.synthetic ? "; SYNTHETIC demonstration model and data" : ""}`,
      },
    );
    await writeFile(path.join(opts.out, "roc.png"), png);
  }
  if (opts.json) process.stdout.write(`${JSON.stringify(report)}\n`);
  else {
    process.stdout.write(formatEvaluation(report));
    if (opts.out) process.stdout.write(`\nwrote eval.json, eval.csv, roc.png to ${opts.out}\n`);
  }
  if (run.failed.length > 0) {
    const codes = [...new Set(run.failed.map((f) => f.code))].join(", ");
    process.stderr.write(`radz eval: ${run.failed.length} stud(ies) failed (${codes})\n`);
  }
  return 0;
}
