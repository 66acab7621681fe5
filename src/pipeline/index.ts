/**
 * The pipeline's facade (docs/architecture.md, "Layers"): the job runner, the
 * one path from images to SR that the service runs per study, and the same
 * path over files for `radz infer` / `radz eval`.
 */
export { CoreTurns, takesTurns } from "./core-turns.js";
export { DecodePool, defaultDecodeThreads } from "./decode-pool.js";
export { JobRunner } from "./job-runner.js";
export { createStudyProcessor } from "./process-study.js";
export { inferFiles } from "./infer-files.js";
