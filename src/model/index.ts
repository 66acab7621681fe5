/** model/: model bundles (manifest + files), verification, label embeddings, zero-shot scoring, calibration. */
export type { CodedConcept, CodingSchemeDeclaration, LabelScore, ModelIdentity } from "./types.js";
export {
  BundleManifestSchema,
  CalibrationSchema,
  parseBundleManifest,
  type BundleLabel,
  type BundleManifest,
  type BundleManifestInput,
  type BundleScoring,
  type Calibration,
  type ScoringMode,
} from "./bundle-schema.js";
export { isSafeRelativePath, resolveBundleFile, sha256Bytes, sha256File } from "./bundle-files.js";
export { computeLabelEmbeddings, readPrecomputedEmbeddings } from "./label-embeddings.js";
export { BundleTextEncoder } from "./text-encoder.js";
export {
  BUNDLE_MANIFEST_FILE,
  loadModel,
  readBundleManifest,
  type LoadModelOptions,
  type ZeroShotModel,
} from "./bundle-loader.js";
export type { ExecutionProviderName, GraphOptimization } from "./onnx-session.js";
export { modelOptionsFromConfig } from "./config-options.js";
export { mergeLabelDefinitions, type LabelDefinition, type MergedLabels } from "./label-config.js";
export {
  CALIBRATION_OVERLAY_KIND,
  CalibrationOverlaySchema,
  applyCalibrationOverlay,
  labelLogitHash,
  parseCalibrationOverlay,
  readCalibrationOverlay,
  type CalibrationOverlay,
  type OverlayLabel,
  type ThresholdTargetSpec,
} from "./calibration-overlay.js";
export { bundleJsonSchema } from "./bundle-json-schema.js";
export { applyCalibration, fitPlatt, logit, sigmoid } from "./calibration.js";
export {
  combineLabelEmbedding,
  cosine,
  l2Normalize,
  rawLogits,
  scoreEmbedding,
  type ScoringLabel,
} from "./zero-shot.js";
export { canonicalJson, labelSetHash } from "./label-set.js";
export {
  FINDING_CONCEPTS,
  RADZ_CODING_SCHEME,
  findingConcept,
  type FindingId,
} from "./concepts.js";
export { DEMO_BUNDLE_ID, DEMO_BUNDLE_VERSION, writeDemoBundle } from "./demo-bundle.js";
