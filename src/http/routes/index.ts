/**
 * The worklist's HTTP surface (issue 6), in two routers that createApi mounts:
 *
 *   publicRouter  the page and its static files (before the token gate)
 *   apiRouter     /api/studies…, /api/jobs…, /api/notifications, /api/events, /api/drift,
 *                 /api/openapi.json (after the gate: token or session cookie;
 *                 non-GET routes need role admin, feedback role reviewer)
 */
import express, { type Request, type Response, type Router } from "express";
import { EventBus } from "../events.js";
import { openApiDocument } from "../openapi.js";
import { registerDriftRoutes } from "./drift.js";
import { registerEventRoutes } from "./events.js";
import { registerFeedbackRoutes } from "./feedback.js";
import { registerIdentityRoutes } from "./identity.js";
import { registerJobRoutes } from "./jobs.js";
import { registerStudyRoutes } from "./studies.js";
import type { WorklistRouteDeps } from "./types.js";
import { registerUiRoutes, uiAssets, type UiAssets } from "./ui.js";

export interface WorklistRouters {
  readonly publicRouter: Router;
  readonly apiRouter: Router;
}

export function createWorklistRouters(
  deps: WorklistRouteDeps,
  assets: UiAssets = uiAssets(),
): WorklistRouters {
  const publicRouter = express.Router();
  if (deps.ui?.enabled !== false) registerUiRoutes(publicRouter, assets);

  const apiRouter = express.Router();
  registerStudyRoutes(apiRouter, deps);
  registerJobRoutes(apiRouter, deps);
  // Issue 21: feedback on findings, and who a study is (read from Orthanc on demand).
  registerFeedbackRoutes(apiRouter, deps);
  registerIdentityRoutes(apiRouter, deps);
  registerEventRoutes(apiRouter, deps, deps.events ?? new EventBus());
  registerDriftRoutes(apiRouter, deps);
  const doc = openApiDocument();
  apiRouter.get("/api/openapi.json", (_req: Request, res: Response) => {
    res.json(doc);
  });
  return { publicRouter, apiRouter };
}

export { linkOptionsFromConfig, studyLinks } from "./links.js";
export { orthancPreviewSource, type PreviewSource } from "./preview.js";
export { uiAssets, type UiAssets } from "./ui.js";
export type { WorklistRouteDeps } from "./types.js";
