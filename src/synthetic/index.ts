/** Synthetic chest radiograph studies for tests, demos and benchmarks. */
export { SYNTHETIC_LABELS, type SyntheticLabel } from "./labels.js";
export {
  DEFAULT_FINDING_RATE,
  generateSyntheticStudies,
  generateSyntheticStudy,
  truthCsv,
  writeSyntheticStudies,
  type SyntheticStudy,
  type SyntheticStudyOptions,
  type WrittenSyntheticStudies,
} from "./studies.js";
export { SYNTHETIC_SITES, type SyntheticSite } from "./sites.js";
export { uid225 } from "./uids.js";
export { Prng } from "./prng.js";
