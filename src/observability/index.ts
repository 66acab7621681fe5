export {
  createLogger,
  silentLogger,
  studyKey,
  PHI_FIELDS,
  type Logger,
  type LoggerOptions,
} from "./logger.js";
export {
  ServiceMetrics,
  observeBatchSizes,
  observeChangeSource,
  type MetricsSources,
  type ServiceMetricsOptions,
  type SettledJobLike,
} from "./metrics.js";
export { ReadinessProbe, type ReadinessOptions, type ReadinessReport } from "./readiness.js";
export { LogTally, type LogTallyOptions } from "./log-tally.js";
