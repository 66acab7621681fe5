/** Synthetic chest radiograph studies for tests, demos and benchmarks. */
export { SYNTHETIC_LABELS, type SyntheticLabel } from "./labels.js";
export {
  generateSyntheticStudies,
  generateSyntheticStudy,
  REGIONS_CSV_HEADER,
  regionsCsv,
  truthCsv,
  writeSyntheticStudies,
  type SyntheticStudy,
} from "./studies.js";
export { SYNTHETIC_SITES, type SyntheticSite } from "./sites.js";
export { Prng } from "./prng.js";
