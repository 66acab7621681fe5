import type { Config } from "../config/index.js";
import type { Logger } from "../observability/index.js";
import { StudyFlagger, type FlagOrthanc } from "./study-flagger.js";

/** The service's flagger (one per start, so /system is asked once per start). */
export function studyFlaggerFromConfig(
  config: Pick<Config, "flags">,
  orthanc: FlagOrthanc,
  logger: Logger,
): StudyFlagger {
  return new StudyFlagger({
    orthanc,
    mode: config.flags.mode,
    labelPrefix: config.flags.labelPrefix,
    metadataNames: config.flags.metadata,
    logger,
  });
}

/** Label ids in triage.labels that the bundle does not have (a typo there changes nothing). */
export function unknownTriageLabels(
  config: Pick<Config, "triage">,
  bundleLabelIds: readonly string[],
): string[] {
  return Object.keys(config.triage.labels).filter((id) => !bundleLabelIds.includes(id));
}
