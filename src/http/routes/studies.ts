/**
 * Study routes:
 *
 *   GET  /api/studies                 list (filters priority, flag, state, since; paging)
 *   GET  /api/studies/:id             one study with its notifications
 *   GET  /api/studies/:id/preview     preview image (summary image, else first image read)
 *   POST /api/studies/:id/reprocess   queue the study again (admin: non-GET)
 *
 * Lists are sorted by priority (urgent, review, routine, not yet analysed)
 * then arrival (job creation), as the job store returns them.
 */
import type { Request, Response, Router } from "express";
import { RadzError } from "../../errors.js";
import { JOB_STATES, type Job, type JobFilter, type JobState } from "../../jobs/index.js";
import { previewCandidates } from "./links.js";
import type { PreviewImage } from "./preview.js";
import { enumParam, intParam, labelParam, orthancIdParam, sinceParam } from "./params.js";
import type { WorklistRouteDeps } from "./types.js";
import { notificationView, studyView } from "./views.js";

export const PRIORITIES = ["urgent", "review", "routine"] as const;
/** Rows read per store page while filtering by flag. */
const SCAN_PAGE = 1000;

export interface StudyQuery {
  readonly state?: JobState | undefined;
  readonly priority?: (typeof PRIORITIES)[number] | undefined;
  readonly flag?: string | undefined;
  readonly sinceMs?: number | undefined;
  readonly limit: number;
  readonly offset: number;
}

export function parseStudyQuery(q: Request["query"]): StudyQuery {
  return {
    state: enumParam(q.state, "state", JOB_STATES),
    priority: enumParam(q.priority, "priority", PRIORITIES),
    flag: labelParam(q.flag, "flag"),
    sinceMs: sinceParam(q.since),
    limit: intParam(q.limit, "limit", 1, 1000) ?? 100,
    offset: intParam(q.offset, "offset", 0, 1_000_000_000) ?? 0,
  };
}

function hasPositive(job: Job, labelId: string): boolean {
  return job.result?.findings.some((f) => f.labelId === labelId && f.positive) ?? false;
}

/**
 * One page of jobs plus whether more follow. The store filters state,
 * priority and since; a flag (a positive finding's label id) is filtered here
 * while reading the store's pages in order.
 */
export function findJobs(
  store: WorklistRouteDeps["store"],
  q: StudyQuery,
): { jobs: Job[]; more: boolean } {
  const base: JobFilter = { state: q.state, priority: q.priority, sinceMs: q.sinceMs };
  if (q.flag === undefined) {
    const jobs = store.list({ ...base, limit: q.limit + 1, offset: q.offset });
    return { jobs: jobs.slice(0, q.limit), more: jobs.length > q.limit };
  }
  const flag = q.flag;
  const out: Job[] = [];
  let skip = q.offset;
  for (let offset = 0; ; offset += SCAN_PAGE) {
    const page = store.list({ ...base, limit: SCAN_PAGE, offset });
    for (const job of page) {
      if (!hasPositive(job, flag)) continue;
      if (skip > 0) {
        skip--;
        continue;
      }
      if (out.length === q.limit) return { jobs: out, more: true };
      out.push(job);
    }
    if (page.length < SCAN_PAGE) return { jobs: out, more: false };
  }
}

export function registerStudyRoutes(router: Router, deps: WorklistRouteDeps): void {
  const view = (job: Job) => studyView(job, deps.links);

  router.get("/api/studies", (req: Request, res: Response) => {
    const q = parseStudyQuery(req.query);
    const { jobs, more } = findJobs(deps.store, q);
    res.json({
      studies: jobs.map(view),
      limit: q.limit,
      offset: q.offset,
      nextOffset: more ? q.offset + q.limit : null,
      counts: deps.store.countByState(),
    });
  });

  router.get("/api/studies/:id", (req: Request, res: Response) => {
    const id = orthancIdParam(req.params.id);
    const job = deps.store.getByStudy(id);
    if (!job) throw new RadzError("JOB_NOT_FOUND", "no job for that study");
    const notifications = deps.notifications?.list({ orthancStudyId: id, limit: 20 }) ?? [];
    res.json({ ...view(job), notifications: notifications.map(notificationView) });
  });

  router.get("/api/studies/:id/preview", async (req: Request, res: Response) => {
    const id = orthancIdParam(req.params.id);
    const job = deps.store.getByStudy(id);
    if (!job) throw new RadzError("JOB_NOT_FOUND", "no job for that study");
    const source = deps.preview;
    const candidates = previewCandidates(job);
    if (candidates.length === 0 || source === undefined) {
      throw new RadzError("ORTHANC_NOT_FOUND", "no preview image for that study");
    }
    let image: PreviewImage | null = null;
    for (const uid of candidates) {
      image = await source.preview(uid);
      if (image !== null) break;
    }
    if (image === null) {
      throw new RadzError("ORTHANC_NOT_FOUND", "the preview image is not in Orthanc");
    }
    res.setHeader("Cache-Control", "private, max-age=300");
    res.type(image.contentType).send(Buffer.from(image.body));
  });

  router.post("/api/studies/:id/reprocess", async (req: Request, res: Response) => {
    const id = orthancIdParam(req.params.id);
    const existing = deps.store.getByStudy(id);
    if (existing?.state === "running") {
      throw new RadzError(
        "JOB_INVALID_TRANSITION",
        "the study is being processed now; reprocess it once it has settled",
      );
    }
    if (existing === null && deps.studyExists && !(await deps.studyExists(id))) {
      throw new RadzError("ORTHANC_NOT_FOUND", "Orthanc has no study with that ID");
    }
    const job = deps.store.requeue(id, "manual");
    deps.events?.publish({ type: "job", job });
    deps.wake?.();
    res.status(202).json(view(job));
  });
}
