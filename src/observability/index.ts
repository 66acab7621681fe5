export {
  createLogger,
  silentLogger,
  studyKey,
  PHI_FIELDS,
  type Logger,
  type LoggerOptions,
} from "./logger.js";
