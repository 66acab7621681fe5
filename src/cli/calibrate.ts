/**
 * `radz calibrate --bundle B --truth labels.csv <dicom dir> --out overlay.json`:
 * scores the studies once without calibration (raw logits, as the service
 * would compute them), fits per label Platt scaling (default) or isotonic
 * regression, chooses each label's operating threshold for a target
 * sensitivity or specificity (default: 0.95 sensitivity for urgent labels,
 * triage weight >= 1; Youden's J for the others), and writes an overlay that
 * the service loads through config `model.calibrationOverlay`.
 *
 * Study-level logit: the pipeline aggregates per-image probabilities; with
 * calibration "none" the study's probability is sigmoid of a logit, so
 * logit(p) recovers it exactly for "max" aggregation (calibration maps are
 * monotone, so calibrating the maximum equals the maximum of the calibrated).
 * For "mean" aggregation the fit is on logit(mean of sigmoids), an
 * approximation the docs state.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Command } from "commander";
import { RadzError } from "../errors.js";
import {
  auroc,
  brierScore,
  chooseThreshold,
  confusionAt,
  expectedCalibrationError,
  fitIsotonic,
  readTruthCsv,
  sensitivity,
  specificity,
  type ThresholdTarget,
} from "../eval/index.js";
import {
  CALIBRATION_OVERLAY_KIND,
  applyCalibration,
  fitPlatt,
  labelLogitHash,
  logit,
  mergeLabelDefinitions,
  parseCalibrationOverlay,
  readBundleManifest,
  sigmoid,
  type Calibration,
  type CalibrationOverlay,
} from "../model/index.js";
import { RADZ_VERSION } from "../version.js";
import {
  addCommonOptions,
  loggerFor,
  type CommonOptions,
  unit,
  addTargetOption,
} from "./common.js";
import { evalConfig, scoreFolder } from "./eval.js";

interface CalibrateOptions extends CommonOptions {
  bundle?: string;
  truth: string;
  out: string;
  method: "platt" | "isotonic";
  targetSensitivity?: number;
  targetSpecificity?: number;
  target: string[];
  json?: boolean;
}

/** "label=sensitivity:0.95", "label=specificity:0.9", "label=youden". */
export function parseLabelTarget(spec: string): { label: string; target: ThresholdTarget } {
  const m = /^([a-z][a-z0-9_]*)=(sensitivity|specificity|sens|spec|youden)(?::([0-9.]+))?$/.exec(
    spec.trim(),
  );
  if (!m)
    throw new RadzError(
      "INPUT_INVALID",
      `--target "${spec}": write label=sensitivity:0.95, label=specificity:0.9 or label=youden`,
    );
  const metric = m[2]!.startsWith("sens")
    ? "sensitivity"
    : m[2]!.startsWith("spec")
      ? "specificity"
      : "youden";
  if (metric === "youden") return { label: m[1]!, target: { metric } };
  if (m[3] === undefined)
    throw new RadzError("INPUT_INVALID", `--target "${spec}": give a value, e.g. ${metric}:0.95`);
  return { label: m[1]!, target: { metric, value: unit(m[3]) } };
}

/** Keeps logits finite where a probability saturated at 0 or 1. */
const MAX_LOGIT = 50;
const studyLogit = (p: number): number => Math.max(-MAX_LOGIT, Math.min(MAX_LOGIT, logit(p)));

interface Side {
  readonly auroc: number;
  readonly brier: number;
  readonly ece: number;
  readonly threshold: number;
  readonly sensitivity: number;
  readonly specificity: number;
}

function side(probabilities: number[], truth: boolean[], threshold: number): Side {
  const c = confusionAt(probabilities, truth, threshold);
  return {
    auroc: auroc(probabilities, truth),
    brier: brierScore(probabilities, truth),
    ece: expectedCalibrationError(probabilities, truth),
    threshold,
    sensitivity: sensitivity(c),
    specificity: specificity(c),
  };
}

function describeTarget(t: ThresholdTarget): string {
  return t.metric === "youden" ? "youden" : `${t.metric} ${t.value}`;
}

export function registerCalibrateCommand(program: Command): void {
  addCommonOptions(
    addTargetOption(
      program
        .command("calibrate")
        .description(
          "Fit per-label calibration (Platt or isotonic) on labelled DICOM studies and choose thresholds for a " +
            "target sensitivity or specificity; writes an overlay for config model.calibrationOverlay. " +
            "Default targets: sensitivity 0.95 for urgent labels (triage weight >= 1), Youden's J otherwise.",
        )
        .argument("<paths...>", "DICOM files or directories (searched recursively)")
        .option("-b, --bundle <dir>", "model bundle directory (overrides model.bundle)")
        .requiredOption("-t, --truth <csv>", "ground truth: studyInstanceUID,<label>,... with 1/0")
        .requiredOption("-o, --out <file>", "overlay file to write (JSON)")
        .option("--method <method>", "platt or isotonic", "platt")
        .option("--target-sensitivity <v>", "threshold for this sensitivity, every label", unit)
        .option("--target-specificity <v>", "threshold for this specificity, every label", unit)
        .option("--json", "print the result as one JSON object"),
    ),
  ).action(async (paths: string[], opts: CalibrateOptions) => {
    process.exitCode = await runCalibrate(paths, opts);
  });
}

export async function runCalibrate(
  paths: readonly string[],
  opts: CalibrateOptions,
): Promise<number> {
  if (opts.method !== "platt" && opts.method !== "isotonic")
    throw new RadzError(
      "INPUT_INVALID",
      `--method must be platt or isotonic, not ${String(opts.method)}`,
    );
  if (opts.targetSensitivity !== undefined && opts.targetSpecificity !== undefined)
    throw new RadzError(
      "INPUT_INVALID",
      "give --target-sensitivity or --target-specificity, not both",
    );
  const perLabel = new Map(opts.target.map(parseLabelTarget).map((t) => [t.label, t.target]));
  const config = evalConfig(opts);
  const logger = loggerFor(config);
  const truth = await readTruthCsv(opts.truth);

  // The labels as the service sees them, with their own calibration ("before").
  const bundleManifest = await readBundleManifest(config.model.bundle);
  const effective = mergeLabelDefinitions(bundleManifest, config.model.labels).manifest;
  for (const id of perLabel.keys()) {
    if (!effective.labels.some((l) => l.id === id))
      throw new RadzError(
        "INPUT_INVALID",
        `--target names "${id}", which is not a label of the model`,
      );
  }

  const { run, model } = await scoreFolder(paths, config, logger, truth.studies.size, "calibrate", {
    rawScores: true,
  });
  if (run.studies.length === 0)
    throw new RadzError("INPUT_INVALID", `no study under ${paths.join(", ")} could be scored`);

  const overlay: CalibrationOverlay = {
    kind: CALIBRATION_OVERLAY_KIND,
    schemaVersion: 1,
    bundle: { id: model.identity.id, version: model.identity.version },
    method: opts.method,
    createdAt: new Date().toISOString(),
    createdBy: `radz ${RADZ_VERSION} calibrate`,
    labels: {},
  };
  const result: Record<
    string,
    | { n: number; positives: number; target: string; before: Side; after: Side }
    | { skipped: string }
  > = {};
  for (const label of effective.labels) {
    if (!truth.labels.includes(label.id)) continue;
    const z: number[] = [];
    const y: boolean[] = [];
    for (const s of run.studies) {
      const t = truth.studies.get(s.studyInstanceUid)?.get(label.id);
      const score = s.scores.get(label.id);
      if (t === undefined || !score) continue;
      z.push(studyLogit(score.probability));
      y.push(t);
    }
    const positives = y.filter(Boolean).length;
    if (positives === 0 || positives === y.length) {
      result[label.id] = {
        skipped: `needs positive and negative studies (n ${y.length}, positive ${positives})`,
      };
      continue;
    }
    let calibration: Calibration;
    if (opts.method === "platt") {
      const { a, b } = fitPlatt(z, y);
      calibration = { method: "platt", a, b };
    } else {
      const table = fitIsotonic(z.map(sigmoid), y);
      calibration = { method: "isotonic", x: table.x, y: table.y };
    }
    const target: ThresholdTarget =
      perLabel.get(label.id) ??
      (opts.targetSensitivity !== undefined
        ? { metric: "sensitivity", value: opts.targetSensitivity }
        : opts.targetSpecificity !== undefined
          ? { metric: "specificity", value: opts.targetSpecificity }
          : label.triageWeight >= 1
            ? { metric: "sensitivity", value: 0.95 }
            : { metric: "youden" });
    const after = z.map((v) => applyCalibration(calibration, v));
    const chosen = chooseThreshold(after, y, target);
    const before = z.map((v) => applyCalibration(label.calibration, v));
    const mergedLabel = model.manifest.labels.find((l) => l.id === label.id)!;
    overlay.labels[label.id] = {
      logitHash: labelLogitHash(model.manifest, mergedLabel),
      calibration,
      threshold: chosen.threshold,
      target,
      fit: {
        n: y.length,
        positives,
        sensitivity: chosen.sensitivity,
        specificity: chosen.specificity,
      },
    };
    result[label.id] = {
      n: y.length,
      positives,
      target: describeTarget(target),
      before: side(before, y, label.threshold),
      after: side(after, y, chosen.threshold),
    };
  }
  if (Object.keys(overlay.labels).length === 0)
    throw new RadzError(
      "INPUT_INVALID",
      "no label could be calibrated: the truth file needs model labels with positive and negative studies",
    );
  parseCalibrationOverlay(overlay); // what we write must load
  await mkdir(path.dirname(path.resolve(opts.out)), { recursive: true });
  await writeFile(opts.out, `${JSON.stringify(overlay, null, 2)}\n`);

  if (opts.json) {
    process.stdout.write(
      `${JSON.stringify({ overlay: opts.out, method: opts.method, studies: run.studies.length, labels: result })}\n`,
    );
  } else {
    const f = (v: number): string => (Number.isFinite(v) ? v.toFixed(3) : "n/a");
    const rows = Object.entries(result).map(([id, r]) =>
      "skipped" in r
        ? [id, "-", "-", r.skipped, "", "", "", "", ""]
        : [
            id,
            String(r.n),
            String(r.positives),
            r.target,
            `${f(r.before.auroc)} -> ${f(r.after.auroc)}`,
            `${f(r.before.brier)} -> ${f(r.after.brier)}`,
            `${f(r.before.ece)} -> ${f(r.after.ece)}`,
            `${f(r.before.threshold)} -> ${f(r.after.threshold)}`,
            `${f(r.after.sensitivity)} / ${f(r.after.specificity)}`,
          ],
    );
    const header = [
      "label",
      "n",
      "pos",
      "target",
      "AUROC",
      "Brier",
      "ECE",
      "threshold",
      "sens / spec",
    ];
    const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
    const line = (cells: string[]): string =>
      cells
        .map((cell, c) => cell.padEnd(widths[c]!))
        .join("  ")
        .trimEnd();
    process.stdout.write(
      `${opts.method} calibration on ${run.studies.length} studies (before -> after, same studies):\n` +
        `${line(header)}\n${widths.map((w) => "-".repeat(w)).join("  ")}\n${rows.map(line).join("\n")}\n` +
        `\nwrote ${opts.out}; use it with config model.calibrationOverlay (check on held-out studies with radz eval --calibration-overlay)\n`,
    );
  }
  return 0;
}
