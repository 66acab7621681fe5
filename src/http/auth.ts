/**
 * Access control for the service's HTTP API and UI.
 *
 *  - Every route below the gate needs an API token, sent as
 *    `Authorization: Bearer <token>` or, for the browser UI, in the HttpOnly
 *    SameSite=Strict session cookie that `POST /api/session` sets. Only
 *    /healthz (and routes with their own authentication, such as the HMAC
 *    webhook) are mounted above the gate.
 *  - Tokens are stored hashed (http.tokens[].sha256) and compared in constant
 *    time (security/api-tokens.ts). No tokens configured = every gated route
 *    answers 401.
 *  - Roles: `read` may use GET/HEAD; every other method needs `admin`, so a
 *    route added later is admin-only unless it is a GET. `requireRole("admin")`
 *    protects admin GET routes (e.g. configuration).
 *  - Failed authentications are rate-limited per client address; only
 *    failures count.
 *  - Security headers (helmet) with a strict CSP, no CORS unless
 *    http.corsOrigins lists origins, `Cache-Control: no-store`.
 *  - Admin actions and authentication failures are audit-logged (audit.ts).
 */
import express, {
  type NextFunction,
  type Request,
  type RequestHandler,
  type Response,
  type Router,
} from "express";
import { ipKeyGenerator, rateLimit } from "express-rate-limit";
import helmet from "helmet";
import { RadzError } from "../errors.js";
import type { Logger } from "../observability/index.js";
import {
  ApiTokenTable,
  MAX_TOKEN_LENGTH,
  roleAllows,
  type ApiPrincipal,
  type ApiRole,
  type ApiTokenEntry,
} from "../security/index.js";
import { auditAdminActions, auditEventFor, writeAudit } from "./audit.js";

export interface ApiSecurityOptions {
  /** API tokens (hashed). Empty: every gated route answers 401. */
  readonly tokens: readonly ApiTokenEntry[];
  /** Origins allowed to call the API cross-origin; empty or absent: no CORS headers at all. */
  readonly corsOrigins?: readonly string[];
  /** express "trust proxy" (client address and https from X-Forwarded-* behind a TLS proxy). */
  readonly trustProxy?: boolean | number | string;
  /** Failed authentications per address within authFailureWindowMs before 429 (default 20). */
  readonly authFailureMax?: number;
  readonly authFailureWindowMs?: number;
  /** Session cookie lifetime (default 8 h). */
  readonly sessionMaxAgeSeconds?: number;
  /** Always mark the session cookie Secure (default: only when the request came over https). */
  readonly secureCookies?: boolean;
}

export interface ApiSecurity {
  /** Sets trust proxy and mounts the security headers, CORS and no-store (first, before any route). */
  install(app: express.Express): void;
  /** POST /api/session (log in: token in the JSON body, cookie back), DELETE /api/session (log out). */
  readonly session: Router;
  /** Rate limit + authentication + admin-for-non-GET + audit: mount once; every route after it is protected. */
  readonly gate: RequestHandler[];
  /** The token table (tests, doctor). */
  readonly tokens: ApiTokenTable;
}

export const SESSION_COOKIE = "radz_session";
export const SESSION_PATH = "/api/session";
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
const PRINCIPAL = "radzPrincipal";

/** The authenticated principal of a request (set by the gate), or undefined. */
export function principalOf(res: Response): ApiPrincipal | undefined {
  const p: unknown = res.locals[PRINCIPAL];
  return typeof p === "object" && p !== null ? (p as ApiPrincipal) : undefined;
}

/** 403 unless the authenticated principal has `role` (admin includes read). Mount after the gate. */
export function requireRole(role: ApiRole): RequestHandler {
  return (_req: Request, res: Response, next: NextFunction) => {
    const principal = principalOf(res);
    if (principal === undefined) {
      next(authRequired(res, "missing"));
      return;
    }
    if (!roleAllows(principal.role, role)) {
      next(new RadzError("AUTH_FORBIDDEN", `this route needs a token with role ${role}`));
      return;
    }
    next();
  };
}

function authRequired(res: Response, reason: "missing" | "invalid"): RadzError {
  res.setHeader(
    "WWW-Authenticate",
    reason === "invalid" ? 'Bearer realm="radz", error="invalid_token"' : 'Bearer realm="radz"',
  );
  return new RadzError(
    "AUTH_REQUIRED",
    reason === "invalid"
      ? "the API token is not valid"
      : "an API token is required (Authorization: Bearer <token>, or log in with POST /api/session)",
    { details: { reason } },
  );
}

/** The value of one cookie from a Cookie header (no decoding beyond what tokens need). */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined || header.length > 8192) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq === -1) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

type Presented = { token: string; via: "bearer" | "cookie" } | { token: null; malformed: boolean };

/** The token a request presents: the Authorization header wins over the cookie. */
function presentedToken(req: Request): Presented {
  const authorization = req.headers.authorization;
  if (authorization !== undefined) {
    const m = /^Bearer +([^\s]+) *$/i.exec(authorization);
    return m?.[1] === undefined ? { token: null, malformed: true } : { token: m[1], via: "bearer" };
  }
  const cookie = readCookie(req.headers.cookie, SESSION_COOKIE);
  if (cookie !== undefined && cookie !== "") return { token: cookie, via: "cookie" };
  return { token: null, malformed: false };
}

function contentSecurityPolicy() {
  return {
    useDefaults: false,
    directives: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'"],
      imgSrc: ["'self'", "data:"],
      fontSrc: ["'self'"],
      connectSrc: ["'self'"],
      objectSrc: ["'none'"],
      baseUri: ["'none'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
    },
  };
}

function cors(origins: readonly string[]): RequestHandler {
  const allowed = new Set(origins);
  return (req: Request, res: Response, next: NextFunction) => {
    const origin = req.headers.origin;
    if (allowed.size === 0 || origin === undefined) {
      next();
      return;
    }
    res.vary("Origin");
    if (!allowed.has(origin)) {
      next();
      return;
    }
    res.setHeader("Access-Control-Allow-Origin", origin);
    if (req.method === "OPTIONS" && req.headers["access-control-request-method"] !== undefined) {
      res.setHeader("Access-Control-Allow-Methods", "GET, HEAD, POST, PUT, PATCH, DELETE");
      res.setHeader("Access-Control-Allow-Headers", "Authorization, Content-Type");
      res.setHeader("Access-Control-Max-Age", "600");
      res.status(204).end();
      return;
    }
    next();
  };
}

export function createApiSecurity(options: ApiSecurityOptions, logger: Logger): ApiSecurity {
  const tokens = new ApiTokenTable(options.tokens);
  const maxAgeSeconds = options.sessionMaxAgeSeconds ?? 8 * 3600;

  // Failed authentications per client address. Only failures are counted
  // (a request is never counted just for being in flight, so long-lived
  // streams and busy clients behind one address do not use up the budget);
  // once an address has `max` failures in the window, every request from it
  // gets 429 until the window passes — a right guess included.
  const max = options.authFailureMax ?? 20;
  const keyOf = (req: Request): string =>
    ipKeyGenerator(req.ip ?? req.socket.remoteAddress ?? "unknown", 56);
  const tooMany = (
    req: Request,
    res: Response,
    next: NextFunction,
    resetTime: Date | undefined,
  ): void => {
    const seconds =
      resetTime === undefined
        ? 60
        : Math.max(1, Math.ceil((resetTime.getTime() - Date.now()) / 1000));
    res.setHeader("Retry-After", String(seconds));
    writeAudit(logger, auditEventFor(req, "auth.rate_limited", undefined, 429));
    next(
      new RadzError(
        "AUTH_RATE_LIMITED",
        "too many failed authentications from this address; retry later",
        { details: { retryAfterMs: seconds * 1000 } },
      ),
    );
  };
  const failureCounter = rateLimit({
    windowMs: options.authFailureWindowMs ?? 15 * 60_000,
    limit: max,
    keyGenerator: keyOf,
    standardHeaders: false,
    legacyHeaders: false,
    validate: false,
    handler: (req, res, next) =>
      tooMany(
        req,
        res,
        next,
        (req as Request & { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime,
      ),
  });
  /** 429 for an address that already used up its failures. */
  const refuseBlocked: RequestHandler = async (req, res, next) => {
    const hits = await failureCounter.getKey(keyOf(req));
    if (hits !== undefined && hits.totalHits >= max) tooMany(req, res, next, hits.resetTime);
    else next();
  };
  /** Counts one failure, then answers 401 (or 429 when that was one too many). */
  const failAuthentication = (
    req: Request,
    res: Response,
    next: NextFunction,
    reason: "missing" | "invalid",
  ): void => {
    writeAudit(logger, auditEventFor(req, "auth.failed", undefined, 401, reason));
    void failureCounter(req, res, () => next(authRequired(res, reason)));
  };

  // Named: tests find the gate in the router stack by this name.
  const authenticate: RequestHandler = function radzAuthenticate(req, res, next) {
    const presented = presentedToken(req);
    if (presented.token === null) {
      failAuthentication(req, res, next, presented.malformed ? "invalid" : "missing");
      return;
    }
    const principal = tokens.verify(presented.token);
    if (principal === null) {
      failAuthentication(req, res, next, "invalid");
      return;
    }
    res.locals[PRINCIPAL] = principal;
    next();
  };

  const adminForUnsafeMethods: RequestHandler = (req, res, next) => {
    if (SAFE_METHODS.has(req.method)) {
      next();
      return;
    }
    requireRole("admin")(req, res, next);
  };

  const session = express.Router();
  session.post(
    SESSION_PATH,
    refuseBlocked,
    express.json({ limit: "4kb" }),
    (req: Request, res: Response, next: NextFunction) => {
      const body: unknown = req.body;
      const token =
        typeof body === "object" &&
        body !== null &&
        "token" in body &&
        typeof body.token === "string"
          ? body.token
          : undefined;
      if (token === undefined || token.length > MAX_TOKEN_LENGTH) {
        next(new RadzError("INPUT_INVALID", 'body must be JSON {"token": "<API token>"}'));
        return;
      }
      const principal = tokens.verify(token);
      if (principal === null) {
        failAuthentication(req, res, next, "invalid");
        return;
      }
      res.cookie(SESSION_COOKIE, token, {
        httpOnly: true,
        sameSite: "strict",
        secure: options.secureCookies === true || req.secure,
        path: "/",
        maxAge: maxAgeSeconds * 1000,
      });
      writeAudit(logger, auditEventFor(req, "session.login", principal, 200));
      res.json({
        name: principal.name,
        role: principal.role,
        expiresAt: new Date(Date.now() + maxAgeSeconds * 1000).toISOString(),
      });
    },
  );
  session.delete(SESSION_PATH, (req: Request, res: Response) => {
    const presented = presentedToken(req);
    const principal =
      presented.token === null ? undefined : (tokens.verify(presented.token) ?? undefined);
    res.clearCookie(SESSION_COOKIE, {
      httpOnly: true,
      sameSite: "strict",
      secure: options.secureCookies === true || req.secure,
      path: "/",
    });
    writeAudit(logger, auditEventFor(req, "session.logout", principal, 204));
    res.status(204).end();
  });

  return {
    tokens,
    session,
    gate: [
      refuseBlocked,
      authenticate,
      auditAdminActions(logger, principalOf),
      adminForUnsafeMethods,
    ],
    install(app) {
      if (options.trustProxy !== undefined) app.set("trust proxy", options.trustProxy);
      app.use(
        helmet({
          contentSecurityPolicy: contentSecurityPolicy(),
          strictTransportSecurity: { maxAge: 31_536_000, includeSubDomains: false },
          referrerPolicy: { policy: "no-referrer" },
          crossOriginResourcePolicy: { policy: "same-origin" },
        }),
      );
      app.use(cors(options.corsOrigins ?? []));
      app.use((_req: Request, res: Response, next: NextFunction) => {
        res.setHeader("Cache-Control", "no-store");
        next();
      });
    },
  };
}
