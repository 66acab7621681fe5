/**
 * Who a study is (issue 21):
 *
 *   GET /api/studies/:id/identity   patient name, patient ID, accession number,
 *                                   study description, study date
 *
 * For the worklist's authenticated users (any role). Read from Orthanc
 * (GET /studies/{id}) each time it is asked for and passed straight through:
 * never stored in the job store, never logged (not in errors either: Orthanc's
 * answers are parsed by field name and only field names are ever reported),
 * never in metrics, live events or notifications. `Cache-Control: no-store`,
 * as every API answer. Only studies RadZ has a job for are looked up, so the
 * route is no general Orthanc lookup. Each answer is audit-logged
 * (identity.read: who, which Orthanc study; never the values).
 */
import type { Request, Response, Router } from "express";
import { RadzError } from "../../errors.js";
import { auditEventFor, writeAudit } from "../audit.js";
import { principalOf } from "../auth.js";
import { orthancIdParam } from "./params.js";
import type { WorklistRouteDeps } from "./types.js";

export function registerIdentityRoutes(router: Router, deps: WorklistRouteDeps): void {
  router.get("/api/studies/:id/identity", async (req: Request, res: Response) => {
    const id = orthancIdParam(req.params.id);
    if (!deps.store.getByStudy(id)) throw new RadzError("JOB_NOT_FOUND", "no job for that study");
    const source = deps.identity;
    if (source === undefined) {
      throw new RadzError("ROUTE_NOT_FOUND", "this service does not look studies up in Orthanc");
    }
    const identity = await source.identity(id);
    // Who looked at which study's patient data: the actor and the Orthanc ID, never the values.
    writeAudit(deps.logger, auditEventFor(req, "identity.read", principalOf(res), 200));
    res.setHeader("Cache-Control", "no-store");
    res.json({ orthancStudyId: id, ...identity });
  });
}
