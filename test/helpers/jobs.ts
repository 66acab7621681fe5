/** Shared fixtures for job-runner tests: a finished-job result. */
import type { Job, JobResult } from "../../src/jobs/index.js";

/** A minimal successful result for `job` (no findings, no SR). */
export function okResult(job: Job): JobResult {
  return {
    studyInstanceUid: `1.2.${job.id}`,
    findings: [],
    priority: "routine",
    triageScore: 0,
    model: { id: "m", version: "1", labelSetHash: "h" },
    images: [],
    sr: null,
    timings: {},
  };
}
