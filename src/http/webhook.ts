/**
 * POST /webhook/orthanc — the push from the Orthanc hook (Lua or Python,
 * written by `radz orthanc install`). Body: {"ChangeType":"StableStudy","ID":"<Orthanc study ID>"}.
 *
 * The push is an accelerator: it only enqueues (JobStore.enqueue, idempotent)
 * and wakes the runner, answering 202 at once; the study is read from Orthanc
 * (whose URL comes from the configuration only, never from the request).
 * The polling feed stays on and catches any push that was lost.
 *
 * Mounted before any body parser: the signature covers the raw bytes.
 * Rejections are logged with the reason and the client address, never the
 * body; unauthenticated ones in aggregate (observability/log-tally.ts).
 */
import express, { type Request, type Response, type Router } from "express";
import { RadzError, toRadzError } from "../errors.js";
import type { EnqueueResult, JobSource } from "../jobs/index.js";
import { LogTally, type Logger } from "../observability/index.js";
import { errorResponder } from "./error-responder.js";
import { ReplayGuard, verifyWebhook, type WebhookAuthScheme } from "../security/index.js";

export const WEBHOOK_PATH = "/webhook/orthanc";
/** Bodies are tiny; anything larger is refused before it is read whole. */
export const WEBHOOK_BODY_LIMIT_BYTES = 4096;
/** Orthanc resource IDs: SHA-1 based, five groups of 8 hex digits. */
export const ORTHANC_STUDY_ID = /^[0-9a-f]{8}(?:-[0-9a-f]{8}){4}$/;

/** Outcome label for metrics (a fixed set: no request data). */
export type WebhookOutcome = "accepted" | "duplicate" | "unauthorized" | "invalid" | "disabled";

export interface WebhookDeps {
  /** The job store's enqueue (idempotent: an existing job is left as it is). */
  enqueue: (orthancStudyId: string, source: JobSource) => EnqueueResult;
  /** Wakes the job runner after a new job was committed. */
  wake: () => void;
  logger: Logger;
  /** `intake.webhookSecret`; the route answers 404 WEBHOOK_DISABLED when absent. */
  secret: string | undefined;
  maxSkewSeconds: number;
  acceptBearer: boolean;
  /** Observes each request's outcome (metrics). */
  onOutcome?: (outcome: WebhookOutcome, scheme: WebhookAuthScheme | null) => void;
  now?: () => number;
}

interface PushBody {
  ChangeType: "StableStudy";
  ID: string;
}

function parsePush(body: Buffer): PushBody {
  let json: unknown;
  try {
    json = JSON.parse(body.toString("utf8"));
  } catch {
    throw new RadzError("INPUT_INVALID", "webhook body must be a JSON object");
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new RadzError("INPUT_INVALID", "webhook body must be a JSON object");
  }
  const o = json as Record<string, unknown>;
  if (o.ChangeType !== "StableStudy") {
    throw new RadzError("INPUT_INVALID", 'ChangeType must be "StableStudy"');
  }
  if (o.ResourceType !== undefined && o.ResourceType !== "Study") {
    throw new RadzError("INPUT_INVALID", 'ResourceType must be "Study" when present');
  }
  if (typeof o.ID !== "string" || !ORTHANC_STUDY_ID.test(o.ID)) {
    throw new RadzError(
      "INPUT_INVALID",
      "ID must be an Orthanc study ID (five groups of 8 lower-case hex digits)",
    );
  }
  return { ChangeType: "StableStudy", ID: o.ID };
}

/** The webhook route with its own raw-body parser and authentication. */
export function createWebhookRouter(deps: WebhookDeps): Router {
  const router = express.Router();
  const replayGuard = new ReplayGuard();
  const log = deps.logger;
  // Unauthenticated refusals are logged in aggregate: the first per reason and minute, then counts.
  const refusals = new LogTally({ logger: log, message: "webhook push refused" });

  router.post(
    WEBHOOK_PATH,
    express.raw({ type: () => true, limit: WEBHOOK_BODY_LIMIT_BYTES }),
    (req: Request, res: Response) => {
      const remote = req.socket.remoteAddress ?? null;
      if (deps.secret === undefined) {
        deps.onOutcome?.("disabled", null);
        throw new RadzError(
          "WEBHOOK_DISABLED",
          "the webhook is disabled: set intake.webhookSecret to enable it",
        );
      }
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      let scheme: WebhookAuthScheme;
      try {
        scheme = verifyWebhook(
          { headers: req.headers, body },
          {
            secret: deps.secret,
            maxSkewSeconds: deps.maxSkewSeconds,
            acceptBearer: deps.acceptBearer,
            replayGuard,
            now: deps.now,
          },
        );
      } catch (err) {
        const e = toRadzError(err);
        deps.onOutcome?.("unauthorized", null);
        const reason = e.details?.reason;
        refusals.count(typeof reason === "string" ? reason : e.code, { code: e.code, remote });
        throw e;
      }
      let push: PushBody;
      try {
        push = parsePush(body);
      } catch (err) {
        const e = toRadzError(err);
        deps.onOutcome?.("invalid", scheme);
        log.warn({ code: e.code, err: e.message, remote, scheme }, "webhook push invalid");
        throw e;
      }
      const { job, created } = deps.enqueue(push.ID, "webhook");
      if (created) deps.wake();
      deps.onOutcome?.(created ? "accepted" : "duplicate", scheme);
      log.info(
        { study: push.ID, jobId: job.id, created, state: job.state, scheme },
        created ? "webhook push enqueued" : "webhook push for a study already known",
      );
      res.status(202).json({ accepted: true, created, jobId: job.id, state: job.state });
    },
  );

  // Errors of this router (including body-parser ones) answer here, as the API's do.
  router.use(
    WEBHOOK_PATH,
    errorResponder({
      logger: log,
      logMessage: "webhook error",
      onError: (_e, from) => {
        if (from.parser) deps.onOutcome?.("invalid", null);
      },
    }),
  );
  return router;
}
