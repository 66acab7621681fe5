/**
 * The evaluation report `radz eval` prints and writes: one JSON object, a
 * fixed-width table for people, and CSV.
 */
import type { LabelEvaluation } from "./evaluate.js";
import type { LocalisationEvaluation } from "./localisation.js";

export interface ReportBundle {
  readonly id: string;
  readonly name: string;
  readonly version: string;
  readonly labelSetHash: string;
  readonly synthetic: boolean;
  /** Id of the site adaptation scored with, if any. */
  readonly adaptation?: string;
}

export interface StudyCounts {
  /** Studies scored and found in the truth file. */
  readonly evaluated: number;
  /** Studies scored but absent from the truth file (not evaluated). */
  readonly notInTruth: number;
  /** Truth rows whose study was not among the scored ones. */
  readonly missing: number;
  readonly failed: number;
  readonly skipped: number;
}

/** A metric pair before and after a calibration overlay. */
export interface CalibrationComparison {
  readonly auroc: readonly [number, number];
  readonly brier: readonly [number, number];
  readonly ece: readonly [number, number];
  readonly threshold: readonly [number, number];
  readonly sensitivity: readonly [number, number];
  readonly specificity: readonly [number, number];
}

export interface EvaluationReport {
  readonly kind: "radz-evaluation";
  readonly bundle: ReportBundle;
  readonly aggregation: string;
  readonly studies: StudyCounts;
  readonly bootstrap: { readonly samples: number; readonly seed: number; readonly level: number };
  readonly labels: Record<
    string,
    LabelEvaluation & { readonly display: string } & Partial<LocalisationEvaluation>
  >;
  /** The regions.csv localisation was judged against (absent: none beside the truth file). */
  readonly regionsFile?: string;
  /** Present when a calibration overlay is in effect: each metric [before, after]. */
  readonly calibration?: {
    readonly overlay: string;
    readonly labels: Record<string, CalibrationComparison>;
  };
  /** Present when a site adaptation is in effect: each metric [without, with] it. */
  readonly adaptation?: {
    readonly file: string;
    readonly id: string;
    readonly labels: Record<string, CalibrationComparison>;
  };
  /** Truth columns that name no label of the model. */
  readonly unknownTruthLabels: readonly string[];
}

const f3 = (v: number): string => (Number.isFinite(v) ? v.toFixed(3) : "n/a");

function table(header: readonly string[], rows: readonly string[][]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? "").length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!)))
      .join("  ")
      .trimEnd();
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

/** The printed table (plus study counts and the before/after calibration table when present). */
export function formatEvaluation(report: EvaluationReport): string {
  const b = report.bundle;
  const out: string[] = [
    `Model ${b.name} ${b.version} (${b.id}, label set ${b.labelSetHash})${b.synthetic ? " - SYNTHETIC demonstration model" : ""}`,
    `Studies evaluated: ${report.studies.evaluated}` +
      (report.studies.failed ? `, failed: ${report.studies.failed}` : "") +
      (report.studies.skipped ? `, skipped: ${report.studies.skipped}` : "") +
      (report.studies.notInTruth ? `, not in truth file: ${report.studies.notInTruth}` : "") +
      (report.studies.missing ? `, truth rows without a study: ${report.studies.missing}` : ""),
    "",
  ];
  const ci = `AUROC ${Math.round(report.bootstrap.level * 100)}% CI`;
  const localised = report.regionsFile !== undefined;
  const rows = Object.entries(report.labels).map(([id, e]) => [
    id,
    String(e.n),
    String(e.positives),
    f3(e.auroc),
    `${f3(e.aurocCi[0])}-${f3(e.aurocCi[1])}`,
    f3(e.threshold),
    f3(e.sensitivity),
    f3(e.specificity),
    f3(e.accuracy),
    f3(e.f1),
    f3(e.brier),
    f3(e.ece),
    ...(localised ? [f3(e.pointingGame ?? Number.NaN), f3(e.meanBoxIoU ?? Number.NaN)] : []),
  ]);
  out.push(
    table(
      [
        "label",
        "n",
        "pos",
        "AUROC",
        ci,
        "threshold",
        "sensitivity",
        "specificity",
        "accuracy",
        "F1",
        "Brier",
        "ECE",
        ...(localised ? ["pointing", "box IoU"] : []),
      ],
      rows,
    ),
  );
  const comparisons: [string, Record<string, CalibrationComparison>][] = [];
  if (report.calibration)
    comparisons.push([
      `Calibration overlay ${report.calibration.overlay}: before -> after`,
      report.calibration.labels,
    ]);
  if (report.adaptation)
    comparisons.push([
      `Site adaptation ${report.adaptation.id} (${report.adaptation.file}): without -> with`,
      report.adaptation.labels,
    ]);
  for (const [title, labels] of comparisons) {
    out.push("", title);
    const pair = (p: readonly [number, number]): string => `${f3(p[0])} -> ${f3(p[1])}`;
    out.push(
      table(
        ["label", "AUROC", "Brier", "ECE", "threshold", "sensitivity", "specificity"],
        Object.entries(labels).map(([id, c]) => [
          id,
          pair(c.auroc),
          pair(c.brier),
          pair(c.ece),
          pair(c.threshold),
          pair(c.sensitivity),
          pair(c.specificity),
        ]),
      ),
    );
  }
  if (report.unknownTruthLabels.length > 0)
    out.push("", `Truth columns the model does not score: ${report.unknownTruthLabels.join(", ")}`);
  return `${out.join("\n")}\n`;
}

const csvNumber = (v: number): string => (Number.isFinite(v) ? String(v) : "");

/** One CSV row per label. */
export function evaluationCsv(report: EvaluationReport): string {
  const header = [
    "label",
    "display",
    "n",
    "positives",
    "auroc",
    "auroc_ci_low",
    "auroc_ci_high",
    "threshold",
    "sensitivity",
    "specificity",
    "accuracy",
    "precision",
    "f1",
    "brier",
    "ece",
    "pointing_game",
    "mean_box_iou",
    "tp",
    "fp",
    "tn",
    "fn",
  ];
  const quote = (s: string): string => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const lines = [header.join(",")];
  for (const [id, e] of Object.entries(report.labels)) {
    lines.push(
      [
        id,
        quote(e.display),
        String(e.n),
        String(e.positives),
        csvNumber(e.auroc),
        csvNumber(e.aurocCi[0]),
        csvNumber(e.aurocCi[1]),
        csvNumber(e.threshold),
        csvNumber(e.sensitivity),
        csvNumber(e.specificity),
        csvNumber(e.accuracy),
        csvNumber(e.precision),
        csvNumber(e.f1),
        csvNumber(e.brier),
        csvNumber(e.ece),
        csvNumber(e.pointingGame ?? Number.NaN),
        csvNumber(e.meanBoxIoU ?? Number.NaN),
        String(e.confusion.tp),
        String(e.confusion.fp),
        String(e.confusion.tn),
        String(e.confusion.fn),
      ].join(","),
    );
  }
  return `${lines.join("\n")}\n`;
}
