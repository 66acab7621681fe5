/**
 * The service's HTTP API (express). Routes read the job store; they never run
 * inference. Responses carry UIDs, scores and states, never patient attributes.
 */
import express from "express";
import { RadzError } from "../errors.js";
import type { JobStore } from "../jobs/index.js";
import type { Logger } from "../observability/index.js";
import { createApiSecurity, type ApiSecurityOptions } from "./auth.js";
import { errorResponder } from "./error-responder.js";
import { createWorklistRouters, type WorklistRouteDeps } from "./routes/index.js";

export interface ApiDeps {
  store: JobStore;
  logger: Logger;
  /** Readiness: true when the model is loaded and Orthanc was reachable at start. */
  ready: () => boolean;
  /** Identity of the running model, for /healthz. */
  /** The running model; `adaptation` is the id of the site adaptation in use (null: none). */
  model: () => {
    id: string;
    version: string;
    executionProvider: string;
    adaptation?: string | null;
  } | null;
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
  /** Worklist page, study/job/notification routes, live events (src/http/routes); all optional. */
  worklist?: Omit<WorklistRouteDeps, "store" | "logger">;
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
  const worklist = createWorklistRouters({
    ...deps.worklist,
    store: deps.store,
    logger: deps.logger,
  });
  // The worklist page and its static files: no data (the page logs in with POST /api/session).
  app.use(worklist.publicRouter);

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

  // Studies, jobs, notifications, live events, the OpenAPI document (src/http/routes).
  app.use(worklist.apiRouter);

  app.use((_req, _res, next) => next(new RadzError("ROUTE_NOT_FOUND", "no such route")));
  app.use(errorResponder({ logger: deps.logger, logMessage: "API error" }));

  return app;
}
