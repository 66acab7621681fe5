/**
 * Access control of the HTTP API as the service mounts it (createApi with
 * every route group): every route is found in the router stack, so a route
 * added later is covered without editing this file.
 *
 *  - every route below the gate: 401 without credentials, 401 with a wrong
 *    token, 403 for the read role on any non-GET route;
 *  - the routes above the gate are exactly the intended public ones;
 *  - browser session cookie, rate limit on failed authentication, CORS off
 *    by default, security headers, body limits, audit lines without secrets.
 */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import { expect } from "chai";
import type express from "express";
import { createApi, type ApiDeps } from "../../src/http/app.js";
import { SESSION_COOKIE } from "../../src/http/auth.js";
import { createWebhookRouter } from "../../src/http/webhook.js";
import { SqliteJobStore } from "../../src/jobs/index.js";
import { createLogger, type Logger } from "../../src/observability/index.js";
import {
  authHeaders,
  TEST_ADMIN_TOKEN,
  TEST_API_SECURITY,
  TEST_READ_TOKEN,
} from "../security/fixtures.js";

const STUDY = "0a1b2c3d-0a1b2c3d-0a1b2c3d-0a1b2c3d-0a1b2c3d";

/** Public routes (above the gate), as "METHOD path". Adding one is a security decision: review it. */
const PUBLIC_ROUTES = new Set([
  "GET /healthz",
  "POST /api/session",
  "GET /api/session", // authenticates itself (the login link shows whose token it carries)
  "DELETE /api/session",
  "POST /webhook/orthanc", // its own HMAC authentication
  // The worklist page shell and its static files (no data; it logs in via /api/session).
  "GET /",
  "GET /worklist",
  "GET /ui/worklist.css",
  "GET /ui/:file",
]);

interface FoundRoute {
  method: string;
  path: string;
  gated: boolean;
}

interface StackLayer {
  name?: string;
  rawPath?: unknown;
  route?: { path: unknown; methods: Record<string, boolean> };
  handle: { stack?: StackLayer[] };
}

/** Every route of the app with whether it is mounted after the token gate. */
function routesOf(app: express.Express): FoundRoute[] {
  const out: FoundRoute[] = [];
  const walk = (stack: StackLayer[], prefix: string, gatedAbove: boolean): void => {
    let gated = gatedAbove;
    for (const layer of stack) {
      if (layer.name === "radzAuthenticate") gated = true;
      if (layer.route) {
        const path = `${prefix}${String(layer.route.path)}`;
        for (const [m, on] of Object.entries(layer.route.methods)) {
          if (on && m !== "_all") out.push({ method: m.toUpperCase(), path, gated });
        }
      } else if (layer.handle.stack) {
        const mount = typeof layer.rawPath === "string" ? layer.rawPath : "";
        walk(layer.handle.stack, `${prefix}${mount === "/" ? "" : mount}`, gated);
      }
    }
  };
  walk((app as unknown as { router: { stack: StackLayer[] } }).router.stack, "", false);
  return out;
}

/** A concrete URL path for a route pattern. */
function concrete(path: string): string {
  return path
    .replace(/:id\b/g, STUDY)
    .replace(/:[A-Za-z]+/g, "x")
    .replace(/\*[A-Za-z]*/g, "x");
}

function captureLogger(): { logger: Logger; lines: () => string[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString("utf8"));
      cb();
    },
  });
  const logger = createLogger({ level: "trace", destination: stream });
  return {
    logger,
    lines: () =>
      chunks
        .join("")
        .split("\n")
        .filter((l) => l !== ""),
  };
}

async function listen(app: express.Express): Promise<{ server: Server; base: string }> {
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, "127.0.0.1", () => resolve(s));
  });
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** Status only (the body is abandoned: /api/events streams forever). */
async function statusOf(url: string, init: RequestInit = {}): Promise<number> {
  const ac = new AbortController();
  const res = await fetch(url, { ...init, signal: ac.signal });
  ac.abort();
  return res.status;
}

describe("http/auth: the API's access control", function () {
  this.timeout(20_000);
  let store: SqliteJobStore;
  let server: Server;
  let base: string;
  let app: express.Express;
  let log: ReturnType<typeof captureLogger>;

  function deps(overrides: Partial<ApiDeps> = {}): ApiDeps {
    return {
      store,
      logger: log.logger,
      ready: () => true,
      model: () => null,
      readiness: () => Promise.resolve({ ready: true }),
      metrics: () => Promise.resolve({ contentType: "text/plain", body: "radz_up 1\n" }),
      preBodyRouters: [
        createWebhookRouter({
          enqueue: (id, source) => store.enqueue(id, source),
          wake: () => undefined,
          logger: log.logger,
          secret: "a-webhook-secret-of-enough-length",
          maxSkewSeconds: 300,
          acceptBearer: false,
        }),
      ],
      security: TEST_API_SECURITY,
      ...overrides,
    };
  }

  before(async () => {
    store = new SqliteJobStore({ path: ":memory:" });
    store.enqueueBatch([STUDY], "changes");
    log = captureLogger();
    app = createApi(deps());
    ({ server, base } = await listen(app));
  });
  after(() => {
    server.closeAllConnections();
    server.close();
    store.close();
  });

  it("finds the gate and the service's routes in the router stack", () => {
    const routes = routesOf(app);
    const keys = routes.map((r) => `${r.method} ${r.path}`);
    expect(keys).to.include.members([
      "GET /healthz",
      "GET /readyz",
      "GET /metrics",
      "GET /api/studies",
      "GET /api/studies/:id",
      "POST /webhook/orthanc",
    ]);
    expect(routes.filter((r) => r.gated).length).to.be.greaterThan(3);
    expect(routes.filter((r) => !r.gated && r.method !== "GET").length).to.be.greaterThan(0);
  });

  it("has exactly the intended public routes above the gate", () => {
    const publicOnes = routesOf(app)
      .filter((r) => !r.gated)
      .map((r) => `${r.method} ${r.path}`);
    expect(publicOnes.filter((k) => !PUBLIC_ROUTES.has(k))).to.deep.equal([]);
  });

  it("answers 401 (with WWW-Authenticate) on every gated route without credentials or with a wrong token", async () => {
    const gated = routesOf(app).filter((r) => r.gated);
    expect(gated.map((r) => r.path)).to.include.members(["/readyz", "/metrics", "/api/studies"]);
    for (const r of gated) {
      const url = `${base}${concrete(r.path)}`;
      const none = await fetch(url, { method: r.method });
      expect(none.status, `${r.method} ${r.path} without a token`).to.equal(401);
      expect(none.headers.get("www-authenticate")).to.match(/^Bearer realm="radz"/);
      if (r.method !== "HEAD") {
        const body = (await none.json()) as { error: { code: string } };
        expect(body.error.code).to.equal("AUTH_REQUIRED");
      }
      const wrong = await statusOf(url, {
        method: r.method,
        headers: { Authorization: "Bearer radz_not-a-valid-token" },
      });
      expect(wrong, `${r.method} ${r.path} with a wrong token`).to.equal(401);
      const wrongCookie = await statusOf(url, {
        method: r.method,
        headers: { Cookie: `${SESSION_COOKIE}=radz_forged` },
      });
      expect(wrongCookie, `${r.method} ${r.path} with a forged cookie`).to.equal(401);
    }
  });

  it("answers 403 for the read-only role on every non-GET route, and lets admin through", async () => {
    const unsafe = routesOf(app).filter((r) => r.gated && !["GET", "HEAD"].includes(r.method));
    expect(unsafe.length, "admin routes (reprocess, retry, …)").to.be.greaterThan(0);
    for (const r of unsafe) {
      const url = `${base}${concrete(r.path)}`;
      const asReader = await fetch(url, {
        method: r.method,
        headers: authHeaders("read", { "content-type": "application/json" }),
        body: "{}",
      });
      expect(asReader.status, `${r.method} ${r.path} as reader`).to.equal(403);
      expect(((await asReader.json()) as { error: { code: string } }).error.code).to.equal(
        "AUTH_FORBIDDEN",
      );
      const asAdmin = await statusOf(url, {
        method: r.method,
        headers: authHeaders("admin", { "content-type": "application/json" }),
        body: "{}",
      });
      expect(asAdmin, `${r.method} ${r.path} as admin`).to.not.be.oneOf([401, 403]);
    }
    // Methods no route declares are admin-only too (a future PUT/DELETE is protected by default).
    expect(
      await statusOf(`${base}/api/studies/${STUDY}`, {
        method: "DELETE",
        headers: authHeaders("read"),
      }),
    ).to.equal(403);
  });

  it("lets the reviewer role give feedback (POST /api/studies/:id/feedback) and nothing else that changes something", async () => {
    const unsafe = routesOf(app).filter((r) => r.gated && !["GET", "HEAD"].includes(r.method));
    const feedback = unsafe.filter((r) => r.path === "/api/studies/:id/feedback");
    expect(feedback.map((r) => r.method)).to.deep.equal(["POST"]);
    for (const r of unsafe) {
      const res = await fetch(`${base}${concrete(r.path)}`, {
        method: r.method,
        headers: authHeaders("reviewer", { "content-type": "application/json" }),
        body: "{}",
      });
      if (feedback.includes(r)) {
        expect(res.status, `${r.method} ${r.path} as reviewer`).to.not.be.oneOf([401, 403]);
      } else {
        expect(res.status, `${r.method} ${r.path} as reviewer`).to.equal(403);
        expect(((await res.json()) as { error: { code: string } }).error.code).to.equal(
          "AUTH_FORBIDDEN",
        );
      }
    }
  });

  it("lets the read role use every GET route", async () => {
    for (const r of routesOf(app).filter((x) => x.gated && x.method === "GET")) {
      const status = await statusOf(`${base}${concrete(r.path)}`, { headers: authHeaders("read") });
      expect(status, `GET ${r.path} as reader`).to.not.be.oneOf([401, 403]);
    }
  });

  it("keeps /healthz public and free of data", async () => {
    const res = await fetch(`${base}/healthz`);
    expect(res.status).to.equal(200);
    expect(Object.keys((await res.json()) as object).sort()).to.deep.equal(["model", "status"]);
  });

  it("refuses a malformed Authorization header without falling back to the cookie", async () => {
    for (const value of [`Basic ${TEST_READ_TOKEN}`, "Bearer", `Bearer a b`, "Bearer\ttoken"]) {
      const status = await statusOf(`${base}/api/studies`, {
        headers: { Authorization: value, Cookie: `${SESSION_COOKIE}=${TEST_READ_TOKEN}` },
      });
      expect(status, value).to.equal(401);
    }
  });

  it("logs in a browser with POST /api/session: HttpOnly SameSite=Strict cookie, usable, logout clears it", async () => {
    const bad = await fetch(`${base}/api/session`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ token: "radz_wrong" }),
    });
    expect(bad.status).to.equal(401);
    expect(bad.headers.get("set-cookie")).to.equal(null);

    const res = await fetch(`${base}/api/session`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ token: TEST_READ_TOKEN }),
    });
    expect(res.status).to.equal(200);
    expect(await res.json()).to.include({ name: "test-reader", role: "read" });
    const cookie = res.headers.get("set-cookie") ?? "";
    expect(cookie).to.match(new RegExp(`^${SESSION_COOKIE}=`));
    expect(cookie).to.match(/HttpOnly/i);
    expect(cookie).to.match(/SameSite=Strict/i);
    expect(cookie).to.match(/Path=\//);
    expect(cookie).to.not.match(/Secure/i); // plain http, secureCookies off

    const pair = cookie.split(";")[0]!;
    expect(await statusOf(`${base}/api/studies`, { headers: { Cookie: pair } })).to.equal(200);
    // The cookie carries the read role only.
    expect(
      await statusOf(`${base}/api/studies/${STUDY}/reprocess`, {
        method: "POST",
        headers: { Cookie: pair },
      }),
    ).to.equal(403);

    const out = await fetch(`${base}/api/session`, { method: "DELETE", headers: { Cookie: pair } });
    expect(out.status).to.equal(204);
    expect(out.headers.get("set-cookie")).to.match(
      new RegExp(`^${SESSION_COOKIE}=;.*Expires=Thu, 01 Jan 1970`),
    );

    const malformed = await fetch(`${base}/api/session`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "[1,2",
    });
    expect(malformed.status).to.equal(400);
  });

  it("puts an opaque session ID in the cookie, never the token; logout revokes it", async () => {
    const login = async (token: string) => {
      const res = await fetch(`${base}/api/session`, {
        method: "POST",
        headers: { "content-type": "application/json", Origin: base },
        body: JSON.stringify({ token }),
      });
      expect(res.status).to.equal(200);
      const cookie = res.headers.get("set-cookie") ?? "";
      for (const t of [TEST_ADMIN_TOKEN, TEST_READ_TOKEN]) expect(cookie).to.not.include(t);
      expect(cookie).to.match(new RegExp(`^${SESSION_COOKIE}=rzs_[A-Za-z0-9_-]{43};`));
      return cookie.split(";")[0]!;
    };
    const pair = await login(TEST_READ_TOKEN);
    const id = pair.split("=")[1]!;
    // The session ID is not a token, and a token in the cookie is not a session.
    expect(
      await statusOf(`${base}/api/studies`, { headers: { Authorization: `Bearer ${id}` } }),
    ).to.equal(401);
    expect(
      await statusOf(`${base}/api/studies`, {
        headers: { Cookie: `${SESSION_COOKIE}=${TEST_READ_TOKEN}` },
      }),
    ).to.equal(401);
    // Whose session is it (what the login link shows before logging in).
    const who = await fetch(`${base}/api/session`, { headers: { Cookie: pair } });
    expect(await who.json()).to.deep.equal({ name: "test-reader", role: "read", via: "cookie" });

    expect(await statusOf(`${base}/api/studies`, { headers: { Cookie: pair } })).to.equal(200);
    const out = await fetch(`${base}/api/session`, {
      method: "DELETE",
      headers: { Cookie: pair, Origin: base },
    });
    expect(out.status).to.equal(204);
    // The old cookie, replayed after logout, is refused.
    expect(await statusOf(`${base}/api/studies`, { headers: { Cookie: pair } })).to.equal(401);
    expect(await statusOf(`${base}/api/session`, { headers: { Cookie: pair } })).to.equal(401);
  });

  it("refuses cross-site unsafe requests with a valid session (403), allows the same origin", async () => {
    const login = await fetch(`${base}/api/session`, {
      method: "POST",
      headers: { "content-type": "application/json", Origin: base },
      body: JSON.stringify({ token: TEST_ADMIN_TOKEN }),
    });
    const pair = (login.headers.get("set-cookie") ?? "").split(";")[0]!;
    const url = `${base}/api/studies/${STUDY}/reprocess`;
    const attempts: [string, Record<string, string>][] = [
      ["text/plain from evil", { Origin: "https://evil.example", "content-type": "text/plain" }],
      [
        "form from a sibling subdomain",
        {
          Origin: "https://radz.hospital.example.evil.example",
          "content-type": "application/x-www-form-urlencoded",
        },
      ],
      ["Origin null", { Origin: "null", "content-type": "text/plain" }],
      ["cross-site fetch metadata", { "Sec-Fetch-Site": "cross-site" }],
      ["same-site, other origin", { "Sec-Fetch-Site": "same-site" }],
      ["neither Origin nor Sec-Fetch-Site", {}],
    ];
    for (const [what, headers] of attempts) {
      const res = await fetch(url, {
        method: "POST",
        headers: { Cookie: pair, ...headers },
        body: "{}",
      });
      expect(res.status, what).to.equal(403);
      expect(((await res.json()) as { error: { code: string } }).error.code).to.equal(
        "AUTH_FORBIDDEN",
      );
    }
    // Cross-site login (someone else's token into this browser) is refused too.
    const crossLogin = await fetch(`${base}/api/session`, {
      method: "POST",
      headers: { "content-type": "application/json", Origin: "https://evil.example" },
      body: JSON.stringify({ token: TEST_READ_TOKEN }),
    });
    expect(crossLogin.status).to.equal(403);
    expect(crossLogin.headers.get("set-cookie")).to.equal(null);
    // From the service's own page: accepted.
    const sameSite: Record<string, string>[] = [
      { Origin: base },
      { "Sec-Fetch-Site": "same-origin" },
    ];
    for (const headers of sameSite) {
      const res = await fetch(url, {
        method: "POST",
        headers: { Cookie: pair, "content-type": "application/json", ...headers },
        body: "{}",
      });
      expect(res.status, JSON.stringify(headers)).to.equal(202);
    }
    // A bearer token is not a browser credential: no Origin needed.
    expect(await statusOf(url, { method: "POST", headers: authHeaders("admin") })).to.equal(202);
  });

  it("marks the session cookie Secure when configured (TLS proxy in front)", async () => {
    const a = await listen(
      createApi(deps({ security: { ...TEST_API_SECURITY, secureCookies: true } })),
    );
    try {
      const res = await fetch(`${a.base}/api/session`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ token: TEST_ADMIN_TOKEN }),
      });
      expect(res.headers.get("set-cookie")).to.match(/;\s*Secure/i);
    } finally {
      a.server.closeAllConnections();
      a.server.close();
    }
  });

  it("limits failed authentications per address (429), without locking out a valid token there", async () => {
    const a = await listen(
      createApi(deps({ security: { ...TEST_API_SECURITY, authFailureMax: 3 } })),
    );
    try {
      // Long-lived streams (open worklist tabs) and successful requests do not count.
      const streams = new AbortController();
      for (let i = 0; i < 5; i++) {
        const res = await fetch(`${a.base}/api/events`, {
          headers: authHeaders("read"),
          signal: streams.signal,
        });
        expect(res.status).to.equal(200);
      }
      for (let i = 0; i < 6; i++) {
        expect(await statusOf(`${a.base}/api/studies`, { headers: authHeaders("read") })).to.equal(
          200,
        );
      }
      // Another client at the same address fails, with a different guess each time.
      for (let i = 0; i < 3; i++) {
        expect(
          await statusOf(`${a.base}/api/studies`, {
            headers: { Authorization: `Bearer radz_guess${i}xxxxxxxxxxxxxxxx` },
          }),
        ).to.equal(401);
      }
      const limited = await fetch(`${a.base}/api/studies`, {
        headers: { Authorization: "Bearer radz_guess" },
      });
      expect(limited.status).to.equal(429);
      expect(Number(limited.headers.get("retry-after"))).to.be.greaterThan(0);
      expect(((await limited.json()) as { error: { code: string } }).error.code).to.equal(
        "AUTH_RATE_LIMITED",
      );
      expect(await statusOf(`${a.base}/api/studies`)).to.equal(429); // no token at all
      // A client there with a valid token is not locked out: bearer, login and session.
      expect(await statusOf(`${a.base}/api/studies`, { headers: authHeaders("admin") })).to.equal(
        200,
      );
      const login = await fetch(`${a.base}/api/session`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ token: TEST_READ_TOKEN }),
      });
      expect(login.status).to.equal(200);
      const pair = (login.headers.get("set-cookie") ?? "").split(";")[0]!;
      expect(await statusOf(`${a.base}/api/studies`, { headers: { Cookie: pair } })).to.equal(200);
      // Liveness is never limited.
      expect(await statusOf(`${a.base}/healthz`)).to.equal(200);
      streams.abort();
    } finally {
      a.server.closeAllConnections();
      a.server.close();
    }
  });

  it("brakes guesses at one token from anywhere: its own key, a right guess included", async () => {
    const a = await listen(
      createApi(
        deps({ security: { ...TEST_API_SECURITY, authFailureMax: 3, trustProxy: "loopback" } }),
      ),
    );
    try {
      // Guesses that share the admin token's first characters, each from a "new" address.
      const head = TEST_ADMIN_TOKEN.slice(0, 15);
      for (let i = 0; i < 3; i++) {
        expect(
          await statusOf(`${a.base}/api/studies`, {
            headers: {
              Authorization: `Bearer ${head}wrong${i}`,
              "X-Forwarded-For": `203.0.113.${i + 1}`,
            },
          }),
        ).to.equal(401);
      }
      expect(
        await statusOf(`${a.base}/api/studies`, {
          headers: authHeaders("admin", { "X-Forwarded-For": "198.51.100.7" }),
        }),
      ).to.equal(429);
      // Another token is untouched.
      expect(await statusOf(`${a.base}/api/studies`, { headers: authHeaders("read") })).to.equal(
        200,
      );
    } finally {
      a.server.closeAllConnections();
      a.server.close();
    }
  });

  it("counts the connecting peer too: a rotating X-Forwarded-For does not evade the limit", async () => {
    const a = await listen(
      createApi(
        deps({ security: { ...TEST_API_SECURITY, authFailureMax: 3, trustProxy: "loopback" } }),
      ),
    );
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) {
        statuses.push(
          await statusOf(`${a.base}/api/studies`, {
            headers: {
              Authorization: `Bearer radz_${i}guess${"x".repeat(20)}`,
              "X-Forwarded-For": `203.0.113.${i + 1}`,
            },
          }),
        );
      }
      expect(statuses).to.deep.equal([401, 401, 401, 429, 429, 429]);
      // The valid token behind the same proxy still works.
      expect(
        await statusOf(`${a.base}/api/studies`, {
          headers: authHeaders("read", { "X-Forwarded-For": "203.0.113.9" }),
        }),
      ).to.equal(200);
    } finally {
      a.server.closeAllConnections();
      a.server.close();
    }
  });

  it("sends no CORS headers by default, and only for listed origins when configured", async () => {
    const res = await fetch(`${base}/api/studies`, {
      headers: authHeaders("read", { Origin: "https://evil.example" }),
    });
    expect(res.headers.get("access-control-allow-origin")).to.equal(null);
    const preflight = await fetch(`${base}/api/studies`, {
      method: "OPTIONS",
      headers: { Origin: "https://evil.example", "Access-Control-Request-Method": "GET" },
    });
    expect(preflight.headers.get("access-control-allow-origin")).to.equal(null);

    const a = await listen(
      createApi(
        deps({ security: { ...TEST_API_SECURITY, corsOrigins: ["https://viewer.example"] } }),
      ),
    );
    try {
      const ok = await fetch(`${a.base}/api/studies`, {
        headers: authHeaders("read", { Origin: "https://viewer.example" }),
      });
      expect(ok.headers.get("access-control-allow-origin")).to.equal("https://viewer.example");
      expect(ok.headers.get("access-control-allow-credentials")).to.equal(null);
      const pre = await fetch(`${a.base}/api/studies`, {
        method: "OPTIONS",
        headers: { Origin: "https://viewer.example", "Access-Control-Request-Method": "GET" },
      });
      expect(pre.status).to.equal(204);
      expect(pre.headers.get("access-control-allow-headers")).to.match(/Authorization/);
      const other = await fetch(`${a.base}/api/studies`, {
        headers: authHeaders("read", { Origin: "https://evil.example" }),
      });
      expect(other.headers.get("access-control-allow-origin")).to.equal(null);
    } finally {
      a.server.closeAllConnections();
      a.server.close();
    }
  });

  it("sends security headers and a strict CSP (no inline scripts) on every response", async () => {
    for (const path of ["/healthz", "/api/studies", "/", "/nope"]) {
      const res = await fetch(`${base}${path}`, { headers: authHeaders("read") });
      const csp = res.headers.get("content-security-policy") ?? "";
      expect(csp, path).to.match(/default-src 'self'/);
      expect(csp, path).to.match(/script-src 'self'(;|$)/);
      expect(csp, path).to.match(/frame-ancestors 'none'/);
      expect(csp, path).to.match(/object-src 'none'/);
      expect(csp, path).to.not.match(/unsafe-inline|unsafe-eval/);
      expect(res.headers.get("x-content-type-options"), path).to.equal("nosniff");
      expect(res.headers.get("x-frame-options"), path).to.equal("SAMEORIGIN");
      expect(res.headers.get("referrer-policy"), path).to.equal("no-referrer");
      expect(res.headers.get("x-powered-by"), path).to.equal(null);
      if (path.startsWith("/api")) expect(res.headers.get("cache-control")).to.equal("no-store");
    }
  });

  it("parses no body before authentication, and limits bodies to 64 KiB after it", async () => {
    const big = JSON.stringify({ pad: "x".repeat(70 * 1024) });
    const url = `${base}/api/studies/${STUDY}/reprocess`;
    const anonymous = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: big,
    });
    expect(anonymous.status).to.equal(401);
    const admin = await fetch(url, {
      method: "POST",
      headers: authHeaders("admin", { "content-type": "application/json" }),
      body: big,
    });
    expect(admin.status).to.equal(413);
    const login = await fetch(`${base}/api/session`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: big,
    });
    expect(login.status).to.equal(413);
  });

  it("audit-logs admin actions, denials and failed logins (who, what, when) without tokens", async () => {
    // Its own app: failed authentications are logged once per reason and interval.
    const own = captureLogger();
    const a = await listen(createApi(deps({ logger: own.logger })));
    const base = a.base;
    const log = own;
    const before = log.lines().length;
    await statusOf(`${base}/api/studies/${STUDY}/reprocess?note=x`, {
      method: "POST",
      headers: authHeaders("admin", { "content-type": "application/json" }),
      body: "{}",
    });
    await statusOf(`${base}/api/studies/${STUDY}/reprocess`, {
      method: "POST",
      headers: authHeaders("read"),
    });
    await statusOf(`${base}/api/studies`, { headers: { Authorization: "Bearer radz_wrong1" } });
    const lines = log.lines().slice(before);
    const audits = lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.audit === true);
    const action = audits.find((a) => a.event === "admin.action");
    expect(action).to.deep.include({
      actor: "test-admin",
      role: "admin",
      method: "POST",
      route: "/api/studies/:id/reprocess",
    });
    expect(action?.studies).to.deep.equal([STUDY]);
    expect(action?.at).to.be.a("string");
    expect(typeof action?.status).to.equal("number");
    const denied = audits.find((a) => a.event === "admin.denied");
    expect(denied).to.deep.include({ actor: "test-reader", role: "read", status: 403 });
    const failed = audits.find((a) => a.event === "auth.failed");
    expect(failed).to.deep.include({ actor: null, reason: "invalid", status: 401 });
    const all = lines.join("\n");
    for (const secret of [TEST_ADMIN_TOKEN, TEST_READ_TOKEN, "radz_wrong1", "note=x"]) {
      expect(all).to.not.include(secret);
    }
    a.server.closeAllConnections();
    a.server.close();
  });

  it("answers 401 on every route when no token is configured", async () => {
    const a = await listen(createApi(deps({ security: undefined })));
    try {
      expect(await statusOf(`${a.base}/api/studies`, { headers: authHeaders("admin") })).to.equal(
        401,
      );
      expect(await statusOf(`${a.base}/metrics`, { headers: authHeaders("admin") })).to.equal(401);
      expect(await statusOf(`${a.base}/healthz`)).to.equal(200);
    } finally {
      a.server.closeAllConnections();
      a.server.close();
    }
  });
});
