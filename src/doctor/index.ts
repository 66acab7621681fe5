/** `radz doctor`: checks that explain why RadZ would not work, each with a fix. */
export {
  runDoctor,
  configFailureReport,
  DEFAULT_ORTHANC_CONFIG_DIR,
  type DoctorOptions,
} from "./run.js";
export { formatReport } from "./format.js";
export {
  CHECK_IDS,
  CHECK_TITLES,
  troubleshootingLink,
  type CheckId,
  type CheckResult,
  type CheckStatus,
  type DoctorReport,
} from "./types.js";
export {
  parseOrthancNow,
  MIN_ORTHANC_VERSION,
  SKEW_FAIL_SECONDS,
  SKEW_WARN_SECONDS,
} from "./checks/orthanc.js";
export { STORE_FAIL_FREE_BYTES, STORE_WARN_FREE_BYTES, type FreeSpace } from "./checks/store.js";
export type { ModelLoader } from "./checks/model.js";
