/**
 * The audit log: one structured line per security-relevant API event, marked
 * `audit: true` so it can be shipped or filtered on its own.
 *
 *   who   actor (the API token's name, never the token), role, client address
 *   what  event, HTTP method, route pattern, Orthanc study IDs, status, outcome
 *   when  `at` (ISO 8601), besides the logger's own timestamp
 *
 * No PHI: studies appear only as Orthanc IDs (opaque SHA-1 based IDs); the
 * request path is reduced to its route pattern, or to a sanitised path with
 * IDs replaced by ":id"; query strings and bodies are never logged.
 */
import type { NextFunction, Request, RequestHandler, Response } from "express";
import type { Logger } from "../observability/index.js";
import type { ApiPrincipal, ApiRole } from "../security/index.js";

export type AuditEventName =
  | "admin.action"
  | "admin.denied"
  | "feedback.recorded"
  | "identity.read"
  | "auth.failed"
  | "auth.rate_limited"
  | "session.login"
  | "session.logout";

export interface AuditEvent {
  readonly event: AuditEventName;
  /** Token name, or null when no valid token was presented. */
  readonly actor: string | null;
  readonly role: ApiRole | null;
  readonly method: string;
  /** Route pattern ("/api/studies/:id/reprocess") or sanitised path. */
  readonly route: string;
  /** Orthanc study IDs the request named (path and JSON body). */
  readonly studies: readonly string[];
  readonly status: number;
  readonly remote: string | null;
  /** Why an authentication failed ("missing", "invalid", …); fixed words only. */
  readonly reason?: string;
  /** What a route recorded (feedback: label ids and verdicts, feedback ids); no PHI. */
  readonly detail?: Readonly<Record<string, unknown>>;
}

const AUDIT_DETAIL = "radzAuditDetail";

/**
 * Names what a successful write did, for its audit line (written by
 * auditAdminActions when the response finishes): the event replaces
 * "admin.action" and `detail` is added. Only IDs, label ids and fixed words.
 */
export function setAuditDetail(
  res: Response,
  event: AuditEventName,
  detail: Readonly<Record<string, unknown>>,
): void {
  res.locals[AUDIT_DETAIL] = { event, detail };
}

const ORTHANC_ID_G = /[0-9a-f]{8}(?:-[0-9a-f]{8}){4}/g;
const ORTHANC_ID = /^[0-9a-f]{8}(?:-[0-9a-f]{8}){4}$/;
const MAX_STUDIES = 100;

/** The route pattern of a handled request, else its path with IDs masked and odd characters replaced. */
export function auditRoute(req: Request): string {
  const routePath: unknown = (req.route as { path?: unknown } | undefined)?.path;
  if (typeof routePath === "string") return `${req.baseUrl}${routePath}`;
  return req.path
    .replace(ORTHANC_ID_G, ":id")
    .replace(/[^A-Za-z0-9/_.:-]/g, "?")
    .slice(0, 200);
}

/** Orthanc study IDs named by the request: in its path, and as string values (or arrays of them) at the top of a JSON body. */
export function auditStudies(req: Request): string[] {
  const found = new Set<string>(req.path.match(ORTHANC_ID_G) ?? []);
  const body: unknown = req.body;
  if (typeof body === "object" && body !== null && !Array.isArray(body)) {
    for (const v of Object.values(body as Record<string, unknown>)) {
      for (const item of Array.isArray(v) ? (v as unknown[]) : [v]) {
        if (found.size >= MAX_STUDIES) break;
        if (typeof item === "string" && ORTHANC_ID.test(item)) found.add(item);
      }
    }
  }
  return [...found].slice(0, MAX_STUDIES);
}

export function remoteOf(req: Request): string | null {
  return req.ip ?? req.socket.remoteAddress ?? null;
}

/** Writes one audit line. */
export function writeAudit(logger: Logger, e: AuditEvent): void {
  const level =
    e.event === "admin.action" ||
    e.event === "feedback.recorded" ||
    e.event === "identity.read" ||
    e.event.startsWith("session.")
      ? "info"
      : "warn";
  logger[level]({ audit: true, at: new Date().toISOString(), ...e }, `audit ${e.event}`);
}

/** An audit event for `req` (fields not given are read from the request). */
export function auditEventFor(
  req: Request,
  event: AuditEventName,
  principal: ApiPrincipal | undefined,
  status: number,
  reason?: string,
): AuditEvent {
  return {
    event,
    actor: principal?.name ?? null,
    role: principal?.role ?? null,
    method: req.method,
    route: auditRoute(req),
    studies: auditStudies(req),
    status,
    remote: remoteOf(req),
    ...(reason === undefined ? {} : { reason }),
  };
}

/**
 * Audits every authenticated request that changes something (any method but
 * GET/HEAD/OPTIONS) once its response is finished: who, route, studies,
 * status. Mount after authentication.
 */
export function auditAdminActions(
  logger: Logger,
  principalOf: (res: Response) => ApiPrincipal | undefined,
): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    if (req.method === "GET" || req.method === "HEAD" || req.method === "OPTIONS") {
      next();
      return;
    }
    res.once("finish", () => {
      const principal = principalOf(res);
      const denied = res.statusCode === 403;
      const recorded = res.locals[AUDIT_DETAIL] as
        { event: AuditEventName; detail: Readonly<Record<string, unknown>> } | undefined;
      if (recorded !== undefined && res.statusCode < 400) {
        writeAudit(logger, {
          ...auditEventFor(req, recorded.event, principal, res.statusCode),
          detail: recorded.detail,
        });
        return;
      }
      writeAudit(
        logger,
        auditEventFor(req, denied ? "admin.denied" : "admin.action", principal, res.statusCode),
      );
    });
    next();
  };
}
