/** Study flags in Orthanc (labels on >= 1.12, user metadata before). */
export {
  DEFAULT_LABEL_PREFIX,
  DEFAULT_METADATA_NAMES,
  ORTHANC_LABEL_PATTERN,
  desiredLabels,
  desiredMetadata,
  flagLabel,
  isOwnLabel,
  type FlagInput,
  type FlagMetadataNames,
  type FlagPriority,
} from "./flag-set.js";
export {
  StudyFlagger,
  type AppliedFlags,
  type FlagMethod,
  type FlagMode,
  type FlagOrthanc,
  type StudyFlaggerOptions,
} from "./study-flagger.js";
export { studyFlaggerFromConfig, unknownTriageLabels } from "./from-config.js";
