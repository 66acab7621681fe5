/** Shared fixtures for job-runner tests: a finished-job result and a polling wait. */
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

/** Resolves when `pred` holds; rejects with "timeout" after `ms`. */
export function waitFor(pred: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const tick = () =>
      pred() ? resolve() : Date.now() > end ? reject(new Error("timeout")) : setTimeout(tick, 5);
    tick();
  });
}
