/**
 * Job routes:
 *
 *   GET  /api/jobs/failed        failed jobs, most urgent then oldest first, with paging
 *   POST /api/jobs/:id/retry     queue a failed job again (admin: non-GET)
 *   GET  /api/notifications      outbound webhook notifications (filter state, study)
 *   GET  /api/feedback           radiologist feedback per (study, label): current verdicts, or all (all=1)
 */
import type { Request, Response, Router } from "express";
import { RadzError } from "../../errors.js";
import { NOTIFICATION_STATES } from "../../notify/index.js";
import { enumParam, intParam, jobIdParam, orthancIdParam } from "./params.js";
import type { WorklistRouteDeps } from "./types.js";
import { notificationView, studyView } from "./views.js";

export function registerJobRoutes(router: Router, deps: WorklistRouteDeps): void {
  router.get("/api/jobs/failed", (req: Request, res: Response) => {
    const limit = intParam(req.query.limit, "limit", 1, 1000) ?? 100;
    const offset = intParam(req.query.offset, "offset", 0, 1_000_000_000) ?? 0;
    const jobs = deps.store.list({ state: "failed", limit: limit + 1, offset });
    res.json({
      jobs: jobs.slice(0, limit).map((j) => studyView(j, deps.links)),
      limit,
      offset,
      nextOffset: jobs.length > limit ? offset + limit : null,
    });
  });

  router.post("/api/jobs/:id/retry", (req: Request, res: Response) => {
    const id = jobIdParam(req.params.id);
    const job = deps.store.get(id);
    if (!job) throw new RadzError("JOB_NOT_FOUND", `no job with id ${id}`);
    if (job.state !== "failed") {
      throw new RadzError(
        "JOB_INVALID_TRANSITION",
        `only failed jobs can be retried; job ${id} is ${job.state}`,
      );
    }
    const queued = deps.store.requeue(job.orthancStudyId, "manual");
    deps.events?.publish({ type: "job", job: queued });
    deps.wake?.();
    res.status(202).json(studyView(queued, deps.links));
  });

  router.get("/api/notifications", (req: Request, res: Response) => {
    const state = enumParam(req.query.state, "state", NOTIFICATION_STATES);
    const study = req.query.study === undefined ? undefined : orthancIdParam(req.query.study);
    const limit = intParam(req.query.limit, "limit", 1, 1000) ?? 100;
    const offset = intParam(req.query.offset, "offset", 0, 1_000_000_000) ?? 0;
    const log = deps.notifications;
    const rows = log ? log.list({ state, orthancStudyId: study, limit: limit + 1, offset }) : [];
    res.json({
      enabled: log !== undefined,
      notifications: rows.slice(0, limit).map(notificationView),
      limit,
      offset,
      nextOffset: rows.length > limit ? offset + limit : null,
    });
  });

  router.get("/api/feedback", (req: Request, res: Response) => {
    const label = req.query.label === undefined ? undefined : labelParam(req.query.label);
    const all = enumParam(req.query.all, "all", ["0", "1"] as const) === "1";
    const limit = intParam(req.query.limit, "limit", 1, 1000) ?? 100;
    res.json({
      feedback: deps.feedback?.listFeedback({ label, current: !all, limit }) ?? [],
      limit,
    });
  });
}

function labelParam(v: unknown): string {
  if (typeof v !== "string" || !/^[a-z][a-z0-9_]{0,63}$/.test(v))
    throw new RadzError("INPUT_INVALID", "label must be a label id (lower_snake_case)");
  return v;
}
