/** Study flags in Orthanc (labels on >= 1.12, user metadata before). */
export {
  DEFAULT_METADATA_NAMES,
  ORTHANC_LABEL_PATTERN,
  desiredLabels,
  desiredMetadata,
  flagLabel,
  isOwnLabel,
  type FlagInput,
} from "./flag-set.js";
export { StudyFlagger, type FlagMode } from "./study-flagger.js";
export { studyFlaggerFromConfig, unknownTriageLabels } from "./from-config.js";
