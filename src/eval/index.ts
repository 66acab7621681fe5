/** eval/: metrics, calibration fitting, evaluation tables and ROC plots for `radz eval` and `radz calibrate`. */
export {
  accuracy,
  auroc,
  brierScore,
  calibrationBins,
  confusionAt,
  expectedCalibrationError,
  f1,
  precision,
  rocCurve,
  sensitivity,
  specificity,
  type CalibrationBin,
  type Confusion,
  type RocPoint,
} from "./metrics.js";
export { bootstrapAurocCi, quantileSorted, type BootstrapOptions } from "./bootstrap.js";
export {
  chooseThreshold,
  fitIsotonic,
  predictIsotonic,
  type ChosenThreshold,
  type IsotonicTable,
  type ThresholdTarget,
} from "./fit.js";
export {
  ECE_BINS,
  evaluateLabel,
  evaluateSeries,
  labelSeries,
  type EvaluationOptions,
  type LabelEvaluation,
  type LabelSeries,
  type ScoredStudy,
} from "./evaluate.js";
export { parseTruthCsv, readTruthCsv, type TruthTable } from "./truth.js";
export {
  evaluationCsv,
  formatEvaluation,
  type CalibrationComparison,
  type EvaluationReport,
  type ReportBundle,
  type StudyCounts,
} from "./report.js";
export { rocPng, rocSvg, type RocPlotOptions, type RocSeries } from "./roc-plot.js";
export { studyProgress } from "./progress.js";
export { scoreStudies, type ScoreStudiesOptions, type ScoredRun } from "./score-studies.js";
