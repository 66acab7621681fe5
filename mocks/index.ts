/** Test doubles with fault injection (not shipped; used by test/reliability and bench/). */
export { startFaultyPacs, type FaultRule, type FaultyPacs } from "./faulty-pacs.js";
export { withInferenceFaults, type FaultyModel } from "./inference.js";
