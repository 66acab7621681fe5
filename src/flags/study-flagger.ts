/**
 * Writes a study's flags into Orthanc after its SR is stored: labels on
 * Orthanc >= 1.12 (feature detection from /system, once per flagger, i.e. per
 * service start), study user metadata on older Orthanc. Flags are REPLACED on
 * every re-processing: RadZ labels that are not in the new set are removed,
 * metadata that no longer applies is deleted.
 *
 * Mode "auto" treats Orthanc without the metadata names registered (its
 * "UserMetadata" option) as "cannot flag": it logs one warning and goes on,
 * so a missing install step never fails studies. Mode "metadata" makes the
 * same situation a FLAGS_METADATA_NOT_REGISTERED failure of the study.
 */
import { RadzError, toRadzError } from "../errors.js";
import type { Logger } from "../observability/index.js";
import type { OrthancClient } from "../orthanc/index.js";
import {
  desiredLabels,
  desiredMetadata,
  isOwnLabel,
  type FlagInput,
  type FlagMetadataNames,
} from "./flag-set.js";

export type FlagMode = "auto" | "labels" | "metadata" | "off";
export type FlagMethod = "labels" | "metadata" | "none";

export type FlagOrthanc = Pick<
  OrthancClient,
  | "system"
  | "study"
  | "studyLabels"
  | "addStudyLabel"
  | "removeStudyLabel"
  | "setStudyMetadata"
  | "deleteStudyMetadata"
>;

export interface StudyFlaggerOptions {
  readonly orthanc: FlagOrthanc;
  readonly mode: FlagMode;
  readonly labelPrefix: string;
  readonly metadataNames: FlagMetadataNames;
  readonly logger: Logger;
}

/** What one apply() did (label names or metadata names). */
export interface AppliedFlags {
  readonly method: FlagMethod;
  /** Labels added, or metadata entries written. */
  readonly set: readonly string[];
  /** Labels removed, or metadata entries deleted. */
  readonly removed: readonly string[];
}

export class StudyFlagger {
  #method: Promise<FlagMethod> | null = null;
  #metadataUnavailable = false;

  constructor(private readonly o: StudyFlaggerOptions) {}

  /**
   * The flagging method for this Orthanc. /system is asked once; a failed
   * detection is not cached (the next study asks again).
   */
  method(): Promise<FlagMethod> {
    if (this.o.mode === "off") return Promise.resolve("none");
    if (this.o.mode === "labels" || this.o.mode === "metadata") {
      return Promise.resolve(this.o.mode);
    }
    if (this.#method === null) {
      const detecting = this.o.orthanc.system().then((s) => {
        const method: FlagMethod = s.supportsLabels ? "labels" : "metadata";
        this.o.logger.info({ orthancVersion: s.version, method }, "Orthanc flag method detected");
        return method;
      });
      this.#method = detecting;
      detecting.catch(() => {
        if (this.#method === detecting) this.#method = null;
      });
    }
    return this.#method;
  }

  /** Replaces the study's RadZ flags with those of `input`. */
  async apply(orthancStudyId: string, input: FlagInput): Promise<AppliedFlags> {
    const method = await this.method();
    switch (method) {
      case "none":
        return { method, set: [], removed: [] };
      case "labels":
        return this.#applyLabels(orthancStudyId, input);
      case "metadata":
        if (this.#metadataUnavailable) return { method: "none", set: [], removed: [] };
        return this.#applyMetadata(orthancStudyId, input);
    }
  }

  async #applyLabels(id: string, input: FlagInput): Promise<AppliedFlags> {
    const prefix = this.o.labelPrefix;
    const want = desiredLabels(input, prefix);
    const have = await this.o.orthanc.studyLabels(id);
    const removed = have.filter((l) => isOwnLabel(l, prefix) && !want.includes(l));
    const set = want.filter((l) => !have.includes(l));
    for (const label of removed) await this.o.orthanc.removeStudyLabel(id, label);
    for (const label of set) await this.o.orthanc.addStudyLabel(id, label);
    return { method: "labels", set, removed };
  }

  async #applyMetadata(id: string, input: FlagInput): Promise<AppliedFlags> {
    const set: string[] = [];
    const removed: string[] = [];
    for (const [name, value] of desiredMetadata(input, this.o.metadataNames)) {
      try {
        if (value === null) {
          await this.o.orthanc.deleteStudyMetadata(id, name);
          removed.push(name);
        } else {
          await this.o.orthanc.setStudyMetadata(id, name, value);
          set.push(name);
        }
      } catch (err) {
        const unregistered = await this.#isUnregisteredName(id, err);
        if (!unregistered) throw err;
        if (this.o.mode === "auto") {
          this.#metadataUnavailable = true;
          this.o.logger.warn(
            { metadata: name },
            "Orthanc does not know RadZ's study metadata names (its UserMetadata option); studies are not flagged in Orthanc until RadZ restarts. See docs/triage.md.",
          );
          return { method: "none", set: [], removed: [] };
        }
        throw new RadzError(
          "FLAGS_METADATA_NOT_REGISTERED",
          `Orthanc has no user metadata named ${name}: add it to Orthanc's "UserMetadata" option (see docs/triage.md) or set flags.mode to "off"`,
          { cause: err },
        );
      }
    }
    return { method: "metadata", set, removed };
  }

  /**
   * Orthanc answers 404 both for an unknown study and for a metadata name
   * missing from its UserMetadata option: the study lookup tells them apart.
   */
  async #isUnregisteredName(id: string, err: unknown): Promise<boolean> {
    if (toRadzError(err).code !== "ORTHANC_NOT_FOUND") return false;
    try {
      await this.o.orthanc.study(id);
      return true;
    } catch {
      return false;
    }
  }
}
