/** Test doubles with fault injection (not shipped; used by test/reliability and bench/). */
export {
  FAULT_KINDS,
  startFaultProxy,
  startFaultyPacs,
  type FaultKind,
  type FaultRule,
  type FaultyPacs,
  type FaultyPacsOptions,
  type ProxiedRequest,
  type RuleState,
} from "./faulty-pacs.js";
export {
  withInferenceFaults,
  type FaultyModel,
  type InferenceFaultOptions,
  type InferenceFaultStats,
} from "./inference.js";
