/** What the API returns for jobs, studies and notifications (no PHI: IDs, UIDs, states, scores). */
import type { Job } from "../../jobs/index.js";
import type { NotificationRecord } from "../../notify/index.js";
import { studyLinks, type StudyLinkOptions } from "./links.js";

/** The public view of a job. */
export function jobView(job: Job) {
  return {
    id: job.id,
    orthancStudyId: job.orthancStudyId,
    studyInstanceUID: job.studyInstanceUid,
    state: job.state,
    attempts: job.attempts,
    source: job.source,
    priority: job.result?.priority ?? null,
    triageScore: job.result?.triageScore ?? null,
    findings: job.result?.findings ?? [],
    model: job.result?.model ?? null,
    images: job.result?.images ?? [],
    sr: job.result?.sr ?? null,
    timings: job.result?.timings ?? {},
    skipReason: job.skipReason,
    error: job.lastError,
    createdAt: new Date(job.createdAt).toISOString(),
    updatedAt: new Date(job.updatedAt).toISOString(),
    finishedAt: job.finishedAt === null ? null : new Date(job.finishedAt).toISOString(),
  };
}

/** A job as a worklist row: the job plus its links. */
export function studyView(job: Job, links: StudyLinkOptions | undefined) {
  return { ...jobView(job), links: studyLinks(job, links) };
}

export function notificationView(n: NotificationRecord) {
  return {
    id: n.id,
    eventId: n.eventId,
    event: n.event,
    jobId: n.jobId,
    orthancStudyId: n.orthancStudyId,
    state: n.state,
    attempts: n.attempts,
    nextAttemptAt: n.state === "pending" ? new Date(n.nextAttemptAt).toISOString() : null,
    lastStatus: n.lastStatus,
    error: n.lastError,
    createdAt: new Date(n.createdAt).toISOString(),
    updatedAt: new Date(n.updatedAt).toISOString(),
    deliveredAt: n.deliveredAt === null ? null : new Date(n.deliveredAt).toISOString(),
  };
}
