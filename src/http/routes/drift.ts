/**
 * Drift (issue 21):
 *
 *   GET /api/drift   per label: PSI of the current window against the reference, level, alert
 *                    state, the bins' shares and the PSI history for the worklist chart (docs/drift.md)
 */
import type { Request, Response, Router } from "express";
import type { WorklistRouteDeps } from "./types.js";

export function registerDriftRoutes(router: Router, deps: WorklistRouteDeps): void {
  router.get("/api/drift", (_req: Request, res: Response) => {
    const drift = deps.drift;
    res.json(drift ? { enabled: true, ...drift.snapshot() } : { enabled: false });
  });
}
