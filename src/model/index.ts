/** model/: model bundles (manifest + files), verification, label embeddings, zero-shot scoring, calibration. */
export type {
  CodedConcept,
  CodingSchemeDeclaration,
  FindingRegion,
  ImageEncoding,
  LabelScore,
  ModelIdentity,
} from "./types.js";
export {
  parseBundleManifest,
  type BundleLabel,
  type BundleManifest,
  type BundleScoring,
  type Calibration,
} from "./bundle-schema.js";
export { isSafeRelativePath, resolveBundleFile, sha256Bytes, sha256File } from "./bundle-files.js";
export { computeLabelEmbeddings, readPrecomputedEmbeddings } from "./label-embeddings.js";
export { BundleTextEncoder } from "./text-encoder.js";
export {
  BUNDLE_MANIFEST_FILE,
  loadModel,
  readBundleManifest,
  splitPatchGrids,
  type LoadModelOptions,
  type ZeroShotModel,
} from "./bundle-loader.js";
export type { ExecutionProviderName } from "./onnx-session.js";
export { modelOptionsFromConfig } from "./config-options.js";
export { mergeLabelDefinitions, type LabelDefinition } from "./label-config.js";
export {
  CALIBRATION_OVERLAY_KIND,
  applyCalibrationOverlay,
  labelLogitHash,
  parseCalibrationOverlay,
  type CalibrationOverlay,
} from "./calibration-overlay.js";
export {
  ADAPTATION_KIND,
  ADAPTATION_METHOD,
  adaptationId,
  bundleManifestSha256,
  parseAdaptation,
  type Adaptation,
} from "./adaptation.js";
export { applyCalibration, fitPlatt, logit, sigmoid } from "./calibration.js";
export {
  combineLabelEmbedding,
  cosine,
  l2Normalize,
  patchLogits,
  rawLogits,
  scoreEmbedding,
} from "./zero-shot.js";
export { canonicalJson, labelSetHash } from "./label-set.js";
export { writeDemoBundle } from "./demo-bundle.js";
export { regionsFromMap } from "./localisation.js";
