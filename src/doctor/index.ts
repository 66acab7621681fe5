/** `radz doctor`: checks that explain why RadZ would not work, each with a fix. */
export { runDoctor, configFailureReport, type DoctorOptions } from "./run.js";
export { formatReport } from "./format.js";
export { CHECK_IDS, type CheckId, type CheckResult, type DoctorReport } from "./types.js";
export { MIN_ORTHANC_VERSION } from "./checks/orthanc.js";
export type { ModelLoader } from "./checks/model.js";
