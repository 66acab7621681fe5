/**
 * The service's HTTP API (express). Routes read the job store; they never run
 * inference. Responses carry UIDs, scores and states, never patient attributes.
 */
import express, { type NextFunction, type Request, type Response } from "express";
import { RadzError, toRadzError } from "../errors.js";
import { JOB_STATES, type Job, type JobState, type JobStore } from "../jobs/index.js";
import type { Logger } from "../observability/index.js";
import { createApiSecurity, type ApiSecurityOptions } from "./auth.js";

export interface ApiDeps {
  store: JobStore;
  logger: Logger;
  /** Readiness: true when the model is loaded and Orthanc was reachable at start. */
  ready: () => boolean;
  /** Identity of the running model, for /healthz. */
  model: () => { id: string; version: string; executionProvider: string } | null;
  /** Detailed readiness for /readyz (model loaded + Orthanc answered recently); replaces `ready` when set. */
  readiness?: () => Promise<{ ready: boolean }>;
  /** Routes that parse and authenticate their own bodies (the Orthanc webhook), mounted before body parsing. */
  preBodyRouters?: readonly express.Router[];
  /** Prometheus exposition for GET /metrics. */
  metrics?: () => Promise<{ contentType: string; body: string }>;
  /**
   * API tokens (hashed), CORS, failed-auth rate limit, session cookie
   * (config.http fits). Absent = no tokens: every route but /healthz answers 401.
   */
  security?: ApiSecurityOptions;
}

/** The public view of a job (no PHI: Orthanc ID, Study UID, states, scores). */
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

function intParam(v: unknown, name: string, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  const n = typeof v === "string" && /^\d+$/.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new RadzError("INPUT_INVALID", `${name} must be an integer between ${min} and ${max}`);
  }
  return n;
}

export function createApi(deps: ApiDeps): express.Express {
  const app = express();
  app.disable("x-powered-by");
  const security = createApiSecurity(deps.security ?? { tokens: [] }, deps.logger);
  security.install(app); // security headers + strict CSP, CORS (off by default), no-store
  // Routes with their own authentication (the HMAC-signed webhook) sit above the token gate.
  for (const router of deps.preBodyRouters ?? []) app.use(router);

  // Public: liveness only.
  app.get("/healthz", (_req, res) => {
    res.json({ status: "ok", model: deps.model() });
  });
  // Browser login/logout (token in the body -> HttpOnly SameSite=Strict cookie).
  app.use(security.session);

  // ---- The token gate (src/http/auth.ts). Every route below needs an API token;
  // every method but GET/HEAD needs role admin and is audit-logged. Bodies are
  // parsed only after authentication. Add routes below.
  app.use(security.gate);
  app.use(express.json({ limit: "64kb" }));

  app.get("/readyz", async (_req, res) => {
    const report = deps.readiness ? await deps.readiness() : { ready: deps.ready() };
    res.status(report.ready ? 200 : 503).json(report);
  });

  const metrics = deps.metrics;
  if (metrics) {
    app.get("/metrics", async (_req, res) => {
      const { contentType, body } = await metrics();
      res.type(contentType).send(body);
    });
  }

  app.get("/api/studies", (req, res) => {
    const q = req.query;
    const state = q.state;
    if (
      state !== undefined &&
      (typeof state !== "string" || !JOB_STATES.includes(state as JobState))
    ) {
      throw new RadzError("INPUT_INVALID", `state must be one of ${JOB_STATES.join(", ")}`);
    }
    const priority = q.priority;
    if (priority !== undefined && !["urgent", "review", "routine"].includes(priority as string)) {
      throw new RadzError("INPUT_INVALID", "priority must be one of urgent, review, routine");
    }
    const limit = intParam(q.limit, "limit", 1, 1000) ?? 100;
    const offset = intParam(q.offset, "offset", 0, 1_000_000_000) ?? 0;
    const jobs = deps.store.list({
      state: state as JobState | undefined,
      priority: priority as "urgent" | "review" | "routine" | undefined,
      limit,
      offset,
    });
    res.json({ studies: jobs.map(jobView), limit, offset, counts: deps.store.countByState() });
  });

  app.get("/api/studies/:id", (req, res) => {
    const id = req.params.id;
    if (!/^[0-9a-f]{8}(-[0-9a-f]{8}){4}$/.test(id)) {
      throw new RadzError(
        "INPUT_INVALID",
        "study id must be an Orthanc study ID (five groups of 8 hex digits)",
      );
    }
    const job = deps.store.getByStudy(id);
    if (!job) throw new RadzError("JOB_NOT_FOUND", "no job for that study");
    res.json(jobView(job));
  });

  app.use((_req, _res, next) => next(new RadzError("INPUT_INVALID", "no such route")));

  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const status =
      typeof err === "object" &&
      err !== null &&
      "status" in err &&
      typeof err.status === "number" &&
      err.status < 500
        ? err.status
        : undefined;
    const e = status ? new RadzError("INPUT_INVALID", "malformed request") : toRadzError(err);
    const http = status ?? (e.message === "no such route" ? 404 : e.httpStatus);
    if (http >= 500) deps.logger.error({ code: e.code, err: e.message }, "API error");
    res.status(http).json({ error: { code: e.code, message: e.message } });
  });

  return app;
}
