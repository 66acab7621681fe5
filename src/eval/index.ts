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
} from "./metrics.js";
export { bootstrapAurocCi, quantileSorted } from "./bootstrap.js";
export { chooseThreshold, fitIsotonic, predictIsotonic, type ThresholdTarget } from "./fit.js";
export { evaluateLabel, evaluateSeries, labelSeries, type LabelEvaluation } from "./evaluate.js";
export { parseTruthCsv, readTruthCsv, type TruthTable } from "./truth.js";
export {
  boxIoU,
  evaluateLocalisation,
  parseRegionsCsv,
  readRegionsCsv,
  type LocalisationEvaluation,
  type PredictedRegion,
} from "./localisation.js";
export {
  evaluationCsv,
  formatEvaluation,
  type CalibrationComparison,
  type EvaluationReport,
} from "./report.js";
export { rocPng } from "./roc-plot.js";
export { studyProgress } from "./progress.js";
export { scoreStudies, type ScoreStudiesOptions, type ScoredRun } from "./score-studies.js";
export { fitAdaptation, linearDiscriminant, type AdaptationExample } from "./adapt.js";
