export { createLogger, silentLogger, type Logger } from "./logger.js";
export { ServiceMetrics, observeBatchSizes, observeChangeSource } from "./metrics.js";
export { ReadinessProbe } from "./readiness.js";
export { LogTally } from "./log-tally.js";
