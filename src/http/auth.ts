/**
 * Access control for the service's HTTP API and UI.
 *
 *  - Every route below the gate needs an API token, sent as
 *    `Authorization: Bearer <token>`, or, for the browser UI, a session: an
 *    opaque session ID in the HttpOnly SameSite=Strict cookie that
 *    `POST /api/session` sets in exchange for a token (security/sessions.ts;
 *    the token itself never goes into a cookie). Only /healthz (and routes
 *    with their own authentication, such as the HMAC webhook) are mounted
 *    above the gate.
 *  - A request authenticated by the cookie that changes something (any
 *    method but GET/HEAD/OPTIONS) must carry this service's own Origin (or
 *    Sec-Fetch-Site: same-origin): 403 otherwise (CSRF, sibling subdomains).
 *  - Tokens are stored hashed (http.tokens[].sha256) and compared in constant
 *    time (security/api-tokens.ts). No tokens configured = every gated route
 *    answers 401.
 *  - Roles: `read` may use GET/HEAD; `reviewer` may also give feedback on
 *    findings (the routes in WRITE_ROUTE_ROLES); every other method needs
 *    `admin`, so a route added later is admin-only unless it is a GET or listed
 *    there. `requireRole("admin")` protects admin GET routes (e.g. configuration).
 *  - Failed authentications are limited per client address, connecting peer
 *    and credential (security/failure-limiter.ts); only failures count, and
 *    a valid token is never refused for another client's failures. 401/429
 *    audit lines are written in aggregate (observability/log-tally.ts).
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
import { ipKeyGenerator } from "express-rate-limit";
import helmet from "helmet";
import { RadzError } from "../errors.js";
import { LogTally, type Logger } from "../observability/index.js";
import {
  ApiTokenTable,
  FailureLimiter,
  hashApiToken,
  MAX_TOKEN_LENGTH,
  SessionStore,
  tokenKey,
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
  /**
   * POST /api/session (log in: token in the JSON body, a session ID in the cookie back),
   * GET /api/session (whose credential is this), DELETE /api/session (log out: the session ends).
   */
  readonly session: Router;
  /** Rate limit + authentication + admin-for-non-GET + audit: mount once; every route after it is protected. */
  readonly gate: RequestHandler[];
  /** The token table (tests, doctor). */
  readonly tokens: ApiTokenTable;
  /** Browser sessions (opaque IDs in the cookie). */
  readonly sessions: SessionStore;
}

export const SESSION_COOKIE = "radz_session";
export const SESSION_PATH = "/api/session";
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * The non-GET routes a role below admin may use (issue 21); every other
 * non-GET route needs admin. Matched on the method and the request path
 * before routing.
 */
export const WRITE_ROUTE_ROLES: readonly {
  readonly method: string;
  readonly path: RegExp;
  readonly role: ApiRole;
}[] = [
  // Radiologist feedback on a study's findings (routes/feedback.ts).
  {
    method: "POST",
    path: /^\/api\/studies\/[0-9a-f]{8}(?:-[0-9a-f]{8}){4}\/feedback$/,
    role: "reviewer",
  },
];

/** The role a request that changes something needs: admin unless WRITE_ROUTE_ROLES says less. */
export function roleForWrite(method: string, path: string): ApiRole {
  return WRITE_ROUTE_ROLES.find((r) => r.method === method && r.path.test(path))?.role ?? "admin";
}
const PRINCIPAL = "radzPrincipal";
/** How the request authenticated: "bearer" or "cookie". */
const VIA = "radzVia";

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
      next(
        new RadzError("AUTH_FORBIDDEN", `this route needs a token with role ${role}`, {
          details: { required: role, role: principal.role },
        }),
      );
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

type Presented =
  { credential: string; via: "bearer" | "cookie" } | { credential: null; malformed: boolean };

/** The credential a request presents: a bearer token, else the session ID in the cookie. */
function presentedCredential(req: Request): Presented {
  const authorization = req.headers.authorization;
  if (authorization !== undefined) {
    const m = /^Bearer +([^\s]+) *$/i.exec(authorization);
    return m?.[1] === undefined
      ? { credential: null, malformed: true }
      : { credential: m[1], via: "bearer" };
  }
  const cookie = readCookie(req.headers.cookie, SESSION_COOKIE);
  if (cookie !== undefined && cookie !== "") return { credential: cookie, via: "cookie" };
  return { credential: null, malformed: false };
}

/**
 * Is this request from the service's own pages? Origin (sent by browsers on
 * every POST/PUT/PATCH/DELETE) must name this service's host (and https when
 * the request came over https); without Origin, Sec-Fetch-Site must say
 * same-origin. A request with neither is not from a browser page of ours.
 */
export function sameOrigin(req: Request): boolean {
  const origin = req.headers.origin;
  if (origin !== undefined) {
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      return false; // "null" (sandboxed frames, file:) included
    }
    if (req.secure && url.protocol !== "https:") return false;
    // Express 5: the Host header, or X-Forwarded-Host when the proxy is trusted; with its port.
    const host = req.host;
    return host !== undefined && url.host === stripDefaultPort(host, url.protocol);
  }
  return req.headers["sec-fetch-site"] === "same-origin";
}

function stripDefaultPort(host: string, protocol: string): string {
  if (protocol === "http:" && host.endsWith(":80")) return host.slice(0, -3);
  if (protocol === "https:" && host.endsWith(":443")) return host.slice(0, -4);
  return host;
}

function crossSiteRefused(): RadzError {
  return new RadzError(
    "AUTH_FORBIDDEN",
    "cross-site request refused: a request authenticated by the session cookie that changes something must come from this service's own page (Origin)",
    { details: { reason: "origin" } },
  );
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
  const sessions = new SessionStore({ maxAgeSeconds, tokenValid: (sha) => tokens.has(sha) });

  // Failed authentications (security/failure-limiter.ts): counted per client
  // address, per connecting peer and per presented credential; a valid token
  // or session is never refused for failures counted against its address.
  const max = options.authFailureMax ?? 20;
  const limiter = new FailureLimiter({ max, windowMs: options.authFailureWindowMs ?? 15 * 60_000 });
  const addressKeys = (req: Request): string[] => {
    const peer = req.socket.remoteAddress ?? "unknown";
    const client = ipKeyGenerator(req.ip ?? peer, 56);
    const peerKey = ipKeyGenerator(peer, 56);
    return peerKey === client ? [`addr:${client}`] : [`addr:${client}`, `peer:${peerKey}`];
  };
  // Refusals are logged in aggregate: the first of each reason per minute, then counts.
  const failedLog = new LogTally({
    logger,
    message: "audit auth.failed",
    fields: { audit: true, event: "auth.failed" },
  });
  const limitedLog = new LogTally({
    logger,
    message: "audit auth.rate_limited",
    fields: { audit: true, event: "auth.rate_limited" },
  });
  const tooMany = (
    req: Request,
    res: Response,
    next: NextFunction,
    until: number,
    what: "address" | "credential",
  ): void => {
    const seconds = Math.max(1, Math.ceil((until - Date.now()) / 1000));
    res.setHeader("Retry-After", String(seconds));
    limitedLog.count(what, {
      at: new Date().toISOString(),
      ...auditEventFor(req, "auth.rate_limited", undefined, 429, what),
    });
    next(
      new RadzError(
        "AUTH_RATE_LIMITED",
        what === "address"
          ? "too many failed authentications from this address; retry later"
          : "too many failed attempts with this credential; retry later",
        { details: { retryAfterMs: seconds * 1000 } },
      ),
    );
  };
  /** 429 when this credential's own brake is on (guesses at one token, from anywhere). */
  const braked = (req: Request, res: Response, next: NextFunction, credential: string): boolean => {
    const until = limiter.limitedUntil([tokenKey(credential)]);
    if (until === null) return false;
    tooMany(req, res, next, until, "credential");
    return true;
  };
  /** Counts one failure; answers 401, or 429 when the address already used up its failures. */
  const failAuthentication = (
    req: Request,
    res: Response,
    next: NextFunction,
    reason: "missing" | "invalid",
    credential: string | null,
  ): void => {
    const keys = addressKeys(req);
    const until = limiter.limitedUntil(keys);
    limiter.fail(credential === null ? keys : [...keys, tokenKey(credential)]);
    if (until !== null) {
      tooMany(req, res, next, until, "address");
      return;
    }
    failedLog.count(reason, {
      at: new Date().toISOString(),
      ...auditEventFor(req, "auth.failed", undefined, 401, reason),
    });
    next(authRequired(res, reason));
  };

  // Named: tests find the gate in the router stack by this name.
  const authenticate: RequestHandler = function radzAuthenticate(req, res, next) {
    const presented = presentedCredential(req);
    if (presented.credential === null) {
      failAuthentication(req, res, next, presented.malformed ? "invalid" : "missing", null);
      return;
    }
    if (braked(req, res, next, presented.credential)) return;
    const principal =
      presented.via === "bearer"
        ? tokens.verify(presented.credential)
        : sessions.get(presented.credential);
    if (principal === null) {
      failAuthentication(req, res, next, "invalid", presented.credential);
      return;
    }
    res.locals[PRINCIPAL] = principal;
    res.locals[VIA] = presented.via;
    next();
  };

  // Cookie-authenticated requests that change something must come from our own page (CSRF).
  const sameOriginForCookies: RequestHandler = (req, res, next) => {
    if (SAFE_METHODS.has(req.method) || res.locals[VIA] !== "cookie" || sameOrigin(req)) next();
    else next(crossSiteRefused());
  };

  const adminForUnsafeMethods: RequestHandler = (req, res, next) => {
    if (SAFE_METHODS.has(req.method)) {
      next();
      return;
    }
    requireRole(roleForWrite(req.method, req.path))(req, res, next);
  };

  const cookieOptions = (req: Request) => ({
    httpOnly: true,
    sameSite: "strict" as const,
    secure: options.secureCookies === true || req.secure,
    path: "/",
  });
  /** Login and logout come from our page, or from a client that is not a browser page (no Origin). */
  const notCrossSite: RequestHandler = (req, _res, next) => {
    const site = req.headers["sec-fetch-site"];
    const crossSite =
      req.headers.origin !== undefined
        ? !sameOrigin(req)
        : site !== undefined && site !== "same-origin" && site !== "none";
    if (crossSite) next(crossSiteRefused());
    else next();
  };

  const session = express.Router();
  session.post(
    SESSION_PATH,
    notCrossSite,
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
      if (braked(req, res, next, token)) return;
      const principal = tokens.verify(token);
      if (principal === null) {
        failAuthentication(req, res, next, "invalid", token);
        return;
      }
      // The cookie holds an opaque session ID, never the token (security/sessions.ts).
      const created = sessions.create(principal, hashApiToken(token));
      const previous = readCookie(req.headers.cookie, SESSION_COOKIE);
      if (previous !== undefined) sessions.revoke(previous);
      res.cookie(SESSION_COOKIE, created.id, {
        ...cookieOptions(req),
        maxAge: maxAgeSeconds * 1000,
      });
      writeAudit(logger, auditEventFor(req, "session.login", principal, 200));
      res.json({
        name: principal.name,
        role: principal.role,
        expiresAt: new Date(created.expiresAt).toISOString(),
      });
    },
  );
  // Who a credential belongs to (the login link shows it before logging in). Authenticated.
  session.get(SESSION_PATH, authenticate, (_req: Request, res: Response) => {
    const principal = principalOf(res)!;
    res.json({ name: principal.name, role: principal.role, via: res.locals[VIA] as string });
  });
  session.delete(SESSION_PATH, notCrossSite, (req: Request, res: Response) => {
    const id = readCookie(req.headers.cookie, SESSION_COOKIE);
    const principal = id === undefined ? null : sessions.get(id);
    if (id !== undefined) sessions.revoke(id);
    res.clearCookie(SESSION_COOKIE, cookieOptions(req));
    writeAudit(logger, auditEventFor(req, "session.logout", principal ?? undefined, 204));
    res.status(204).end();
  });

  return {
    tokens,
    sessions,
    session,
    gate: [
      authenticate,
      sameOriginForCookies,
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
