/**
 * The re-processing policy for a study that changes after its job finished
 * (new series arrived after StableStudy). Orthanc reports such a study stable
 * again; the change feed flags its job (Job.recheck, in the cursor's
 * transaction, so the event survives a crash) and this check decides, once the
 * job is finished, whether to put it back to queued:
 *
 *   never       leave every finished job as it is
 *   new-images  (default) re-process when the selection rules, applied to the
 *               study's instances now, pick an image the job did not read
 *               (for a skipped or failed job, which read none: when any image
 *               is now selected)
 *   always      re-process when the study holds any radiograph-class image the
 *               job did not read, whatever its modality, body part or rank
 *
 * RadZ's own outputs (the SR, a Secondary Capture summary) are never radiograph
 * image classes, so the StableStudy that RadZ's own write-back causes never
 * re-queues a study under either policy. See docs/reliability.md.
 */
import type { DicomWebClient } from "../dicomweb/index.js";
import { toRadzError } from "../errors.js";
import { ACCEPTED_IMAGE_SOP_CLASSES } from "../imaging/index.js";
import type { Job, JobStore } from "../jobs/index.js";
import type { Logger } from "../observability/index.js";
import type { OrthancClient } from "../orthanc/index.js";
import {
  selectImages,
  type ImageCandidate,
  type SelectionRules,
  type SeriesRejection,
} from "./selection.js";
import { readStudyCandidates } from "./study-candidates.js";

export type ReprocessPolicy = "new-images" | "never" | "always";

export interface ReprocessDecision {
  readonly requeue: boolean;
  /** Why (no PHI: counts and policy only). */
  readonly reason: string;
}

/**
 * The policy as a pure function of the job and the study's instances now:
 * `candidates` from the series that can be eligible, `rejectedSeries` the
 * others (whose instances were not listed: study-candidates.ts).
 */
export function decideReprocess(
  policy: ReprocessPolicy,
  job: Pick<Job, "state" | "result">,
  candidates: readonly ImageCandidate[],
  rules: SelectionRules,
  rejectedSeries: readonly SeriesRejection[] = [],
): ReprocessDecision {
  if (policy === "never") return { requeue: false, reason: "policy never" };
  const read = new Set(job.result?.images ?? []);
  if (policy === "always") {
    // The last run read only images of eligible series: every radiograph
    // image of a rejected series is one it did not read.
    const unread =
      candidates.filter(
        (c) => ACCEPTED_IMAGE_SOP_CLASSES.has(c.sopClassUid) && !read.has(c.sopInstanceUid),
      ).length +
      rejectedSeries
        .filter((s) => s.sopClassUid !== undefined && ACCEPTED_IMAGE_SOP_CLASSES.has(s.sopClassUid))
        .reduce((n, s) => n + s.instances, 0);
    return unread > 0
      ? { requeue: true, reason: `${unread} radiograph image(s) not read by the last run` }
      : { requeue: false, reason: "no image the last run did not read" };
  }
  const { selected } = selectImages(candidates, rules);
  const fresh = selected.filter((c) => !read.has(c.sopInstanceUid));
  return fresh.length > 0
    ? { requeue: true, reason: `${fresh.length} newly eligible image(s)` }
    : { requeue: false, reason: "no newly eligible image" };
}

export interface ReprocessCheckOptions {
  readonly policy: ReprocessPolicy;
  readonly store: JobStore;
  readonly orthanc: Pick<OrthancClient, "study" | "studySeries" | "instanceSopClassUid">;
  readonly dicomweb: Pick<DicomWebClient, "seriesInstances">;
  readonly selection: SelectionRules;
  readonly logger: Logger;
  /** Jobs checked per run (default 50). */
  readonly batch?: number;
  /** Called after jobs were put back to queued (wakes the job runner). */
  readonly onRequeued?: (count: number) => void;
}

export interface ReprocessReport {
  readonly checked: number;
  readonly requeued: number;
  /** Checks that failed (transient: the flag stays and the next run retries). */
  readonly errors: number;
}

export class ReprocessCheck {
  private running: Promise<ReprocessReport> | null = null;

  constructor(private readonly o: ReprocessCheckOptions) {}

  /** Checks flagged finished jobs; concurrent calls share the run in flight. */
  run(): Promise<ReprocessReport> {
    this.running ??= this.drain().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /** Resolves when no check is in flight (for shutdown); starts none. */
  async idle(): Promise<void> {
    await this.running?.catch(() => undefined);
  }

  private async drain(): Promise<ReprocessReport> {
    const { store, logger } = this.o;
    let checked = 0;
    let requeued = 0;
    let errors = 0;
    const failedIds = new Set<number>();
    for (;;) {
      const jobs = store
        .listRecheck((this.o.batch ?? 50) + failedIds.size)
        .filter((j) => !failedIds.has(j.id));
      if (jobs.length === 0) break;
      for (const job of jobs) {
        checked++;
        try {
          const decision = await this.decide(job);
          if (decision.requeue) {
            store.requeue(job.orthancStudyId, "changes");
            requeued++;
          } else {
            store.clearRecheck(job.id);
          }
          logger.info(
            {
              jobId: job.id,
              study: job.orthancStudyId,
              policy: this.o.policy,
              requeue: decision.requeue,
              reason: decision.reason,
            },
            "study changed after it was finished",
          );
        } catch (err) {
          const e = toRadzError(err);
          if (e.code === "ORTHANC_NOT_FOUND") {
            store.clearRecheck(job.id); // deleted since: nothing to re-process
            continue;
          }
          errors++;
          failedIds.add(job.id);
          logger.warn(
            { jobId: job.id, code: e.code, err: e.message },
            "re-processing check failed; will retry",
          );
        }
      }
      if (errors > 0) break; // the PACS is struggling: leave the rest for the next run
    }
    if (requeued > 0) this.o.onRequeued?.(requeued);
    return { checked, requeued, errors };
  }

  private async decide(job: Job): Promise<ReprocessDecision> {
    if (this.o.policy === "never") return { requeue: false, reason: "policy never" };
    const study = await this.o.orthanc.study(job.orthancStudyId);
    // Series first, as the processor reads the study (study-candidates.ts).
    const { candidates, rejectedSeries } = await readStudyCandidates(
      this.o,
      job.orthancStudyId,
      study.studyInstanceUid,
      this.o.selection,
      { unreadable: "skip" },
    );
    return decideReprocess(this.o.policy, job, candidates, this.o.selection, rejectedSeries);
  }
}
