/**
 * A fault-injecting HTTP proxy in front of a real Orthanc (REST + DICOMweb).
 * Everything not scripted is passed through unchanged, so this is not a
 * replacement for Orthanc: it is Orthanc with failures on demand.
 *
 *   const pacs = await startFaultyPacs({ target: orthanc.url });
 *   pacs.script([
 *     { match: "GET /dicom-web/studies/*\/series/*\/instances/*", fault: "reset", times: 2 },
 *     { match: "GET /changes", fault: "changes-backwards", times: 1 },
 *   ]);
 *   // point RadZ at pacs.url (orthanc.url) — DICOMweb is pacs.dicomwebUrl
 *
 * Faults (FaultKind):
 *   http-error           answer `status` (default 503) with a small JSON body
 *   rate-limit           answer 429 (or `status`) with Retry-After: `retryAfterSeconds` (default 1)
 *   timeout              accept the request and never answer (the socket is closed
 *                        after `delayMs` if given, else when the proxy closes)
 *   slow                 the real answer, its body dripped `chunkBytes` every `delayMs`
 *   truncate             the real answer's headers (with the full Content-Length) and
 *                        half its body, then the connection is cut
 *   malformed-multipart  the real answer with every multipart delimiter mangled
 *   reset                the connection is destroyed before any answer (ECONNRESET)
 *   wrong-content-type   the real answer labelled text/html
 *   changes-backwards    Orthanc's index is replaced: this GET /changes answers
 *                        {"Changes":[],"Done":true,"Last":0}, and from then on the
 *                        feed is served as a fresh index would serve it — sequence
 *                        numbers restart at 0 and every earlier change is gone
 *                        (the proxy shifts `since`, `Seq` and `Last` by the
 *                        upstream's last sequence number at that moment)
 *   delay                the real answer, `delayMs` (default 200) late (latency)
 *
 * The proxy is plain HTTP and fronts any server: `startFaultyPacs` in front
 * of a `radz worker` is the mock inference node (latency and failures on
 * POST /v2/models/{model}/infer), see mocks/inference.ts.
 *
 * Matching: "METHOD /path" where METHOD may be "*", `*` matches one path
 * segment and `**` any rest; the query string is ignored unless the pattern
 * has a "?" (then the whole path+query is matched). A rule applies to the
 * matching requests after the first `skip`, at most `times` of them (default:
 * all), each with `probability` (default 1, seeded). The first rule that
 * applies wins. Every request is logged with the fault it got.
 */
import {
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import { seededRandom } from "../src/synthetic/prng.js";
import type { AddressInfo, Socket } from "node:net";

export type FaultKind =
  | "http-error"
  | "rate-limit"
  | "timeout"
  | "slow"
  | "truncate"
  | "malformed-multipart"
  | "reset"
  | "wrong-content-type"
  | "changes-backwards"
  | "delay";

export interface FaultRule {
  /** "GET /dicom-web/studies/*\/series/*\/instances/*", "* /changes", "POST /dicom-web/studies/**". */
  readonly match: string;
  readonly fault: FaultKind;
  /** Fault at most this many matching requests (default: every one). */
  readonly times?: number;
  /** Let this many matching requests through first (default 0). */
  readonly skip?: number;
  /** Fault each eligible request with this probability (default 1). */
  readonly probability?: number;
  /** http-error (default 503) and rate-limit (default 429) status. */
  readonly status?: number;
  /** rate-limit: the Retry-After value in seconds (default 1). */
  readonly retryAfterSeconds?: number;
  /** slow: pause between chunks (default 200); timeout: close the socket after this long. */
  readonly delayMs?: number;
  /** slow: bytes per chunk (default 4096). */
  readonly chunkBytes?: number;
}

export interface RuleState {
  readonly rule: FaultRule;
  /** Requests that matched the pattern. */
  matched: number;
  /** Requests that got the fault. */
  faulted: number;
}

export interface ProxiedRequest {
  readonly method: string;
  /** Path and query as received. */
  readonly url: string;
  readonly fault: FaultKind | null;
  /** Upstream status when the request was forwarded. */
  readonly status?: number;
  readonly at: number;
}

export interface FaultyPacsOptions {
  /** The real Orthanc's REST root, e.g. "http://127.0.0.1:8042". */
  readonly target: string;
  /** Seed for `probability` (default 1). */
  readonly seed?: number;
}

export interface FaultyPacs {
  /** Orthanc REST root through the proxy. */
  readonly url: string;
  /** DICOMweb root through the proxy ("<url>/dicom-web"). */
  readonly dicomwebUrl: string;
  /** Replaces the script; returns the rules' live counters. */
  script(rules: readonly FaultRule[]): RuleState[];
  /** Appends one rule; returns its live counters. */
  add(rule: FaultRule): RuleState;
  /** Removes every rule (pure pass-through). */
  clear(): void;
  /** Every request seen, in order. */
  readonly log: readonly ProxiedRequest[];
  /** Requests that got a fault, optionally of one kind. */
  faults(kind?: FaultKind): ProxiedRequest[];
  /** Upstream sequence number hidden by the last changes-backwards fault (0: none). */
  readonly changesOffset: number;
  close(): Promise<void>;
}

function compile(match: string): { method: string; path: RegExp; withQuery: boolean } {
  const space = match.indexOf(" ");
  const method = space === -1 ? "*" : match.slice(0, space).toUpperCase();
  const pattern = space === -1 ? match : match.slice(space + 1);
  const body = pattern
    .split(/(\*\*|\*)/)
    .map((part) =>
      part === "**"
        ? ".*"
        : part === "*"
          ? "[^/?]+"
          : part.replace(/[.+?^${}()|[\]\\]/g, (c) => `\\${c}`),
    )
    .join("");
  return { method, path: new RegExp(`^${body}$`), withQuery: pattern.includes("?") };
}

interface Armed {
  readonly state: RuleState;
  readonly method: string;
  readonly path: RegExp;
  readonly withQuery: boolean;
}

export async function startFaultyPacs(options: FaultyPacsOptions): Promise<FaultyPacs> {
  const target = new URL(options.target);
  const random = seededRandom(options.seed ?? 1);
  let rules: Armed[] = [];
  const log: ProxiedRequest[] = [];
  const sockets = new Set<Socket>();
  let changesOffset = 0;

  async function upstreamLastChange(): Promise<number> {
    const res = await fetch(new URL("/changes?last", target), {
      signal: AbortSignal.timeout(10_000),
    });
    const body = (await res.json()) as { Last?: unknown };
    return typeof body.Last === "number" ? body.Last : 0;
  }

  /** GET /changes under an emulated index replacement: shift since/Seq/Last by changesOffset. */
  function shiftChangesUrl(url: string): string {
    const u = new URL(url, "http://x");
    const since = u.searchParams.get("since");
    if (since !== null) u.searchParams.set("since", String(Number(since) + changesOffset));
    return `${u.pathname}${u.search.replace("last=", "last")}`;
  }
  function shiftChangesBody(payload: Buffer): Buffer {
    let body: { Changes?: { Seq: number }[]; Last?: number };
    try {
      body = JSON.parse(payload.toString("utf8")) as typeof body;
    } catch {
      return payload; // not JSON (an error page): pass it on unchanged
    }
    for (const c of body.Changes ?? []) c.Seq -= changesOffset;
    if (typeof body.Last === "number") body.Last = Math.max(0, body.Last - changesOffset);
    return Buffer.from(JSON.stringify(body));
  }

  const arm = (rule: FaultRule): Armed => ({
    state: { rule, matched: 0, faulted: 0 },
    ...compile(rule.match),
  });

  function pick(method: string, url: string): FaultRule | null {
    const path = url.split("?")[0] ?? url;
    for (const r of rules) {
      if (r.method !== "*" && r.method !== method) continue;
      if (!r.path.test(r.withQuery ? url : path)) continue;
      const s = r.state;
      s.matched++;
      if (s.matched <= (s.rule.skip ?? 0)) continue;
      if (s.rule.times !== undefined && s.faulted >= s.rule.times) continue;
      if (s.rule.probability !== undefined && random() >= s.rule.probability) continue;
      s.faulted++;
      return s.rule;
    }
    return null;
  }

  /** Forwards to Orthanc; resolves with the upstream response (body unread). */
  function forward(
    req: IncomingMessage,
    body: Buffer,
    path = req.url,
    rewrite = false,
  ): Promise<IncomingMessage> {
    const headers: IncomingHttpHeaders = { ...req.headers, host: target.host };
    delete headers.connection;
    // A body the proxy rewrites must arrive uncompressed.
    if (rewrite) headers["accept-encoding"] = "identity";
    return new Promise((resolve, reject) => {
      const up = httpRequest(
        {
          protocol: target.protocol,
          hostname: target.hostname,
          port: target.port,
          method: req.method,
          path,
          headers,
        },
        resolve,
      );
      up.on("error", reject);
      up.end(body);
    });
  }

  async function readAll(res: IncomingMessage): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const c of res as AsyncIterable<Buffer>) chunks.push(c);
    return Buffer.concat(chunks);
  }

  function copyHeaders(up: IncomingMessage, res: ServerResponse, length?: number): void {
    for (const [k, v] of Object.entries(up.headers)) {
      if (v === undefined || k === "connection" || k === "transfer-encoding") continue;
      res.setHeader(k, v);
    }
    if (length !== undefined) res.setHeader("content-length", String(length));
  }

  async function handle(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    const method = req.method ?? "GET";
    const url = req.url ?? "/";
    const rule = pick(method, url);
    const entry = (fault: FaultKind | null, status?: number) =>
      log.push({ method, url, fault, ...(status === undefined ? {} : { status }), at: Date.now() });

    switch (rule?.fault) {
      case "reset":
        entry("reset");
        req.socket.destroy();
        return;
      case "timeout":
        entry("timeout");
        if (rule.delayMs !== undefined) {
          setTimeout(() => req.socket.destroy(), rule.delayMs).unref();
        }
        return; // never answer
      case "http-error": {
        const status = rule.status ?? 503;
        entry("http-error", status);
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify({ Message: "fault injected by mocks/faulty-pacs" }));
        return;
      }
      case "rate-limit": {
        const status = rule.status ?? 429;
        entry("rate-limit", status);
        res.writeHead(status, {
          "content-type": "application/json",
          "retry-after": String(rule.retryAfterSeconds ?? 1),
        });
        res.end(JSON.stringify({ Message: "slow down (fault injected)" }));
        return;
      }
      case "changes-backwards": {
        changesOffset = await upstreamLastChange();
        entry("changes-backwards", 200);
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ Changes: [], Done: true, Last: 0 }));
        return;
      }
      case "delay":
        await new Promise((r) => setTimeout(r, rule.delayMs ?? 200));
        break;
      case "slow":
      case "truncate":
      case "malformed-multipart":
      case "wrong-content-type":
      case undefined:
        break; // these alter the real answer, below
    }

    const shifted = changesOffset > 0 && method === "GET" && url.split("?")[0] === "/changes";
    let up: IncomingMessage;
    try {
      up = await forward(
        req,
        body,
        shifted ? shiftChangesUrl(url) : url,
        shifted || (rule !== null && rule.fault !== "delay"),
      );
    } catch {
      entry(rule?.fault ?? null, 502);
      res.writeHead(502, { "content-type": "application/json" });
      res.end(JSON.stringify({ Message: "upstream Orthanc unreachable" }));
      return;
    }
    const status = up.statusCode ?? 502;
    entry(rule?.fault ?? null, status);

    if (shifted && (rule === null || rule.fault === "delay")) {
      const payload = shiftChangesBody(await readAll(up));
      copyHeaders(up, res, payload.length);
      res.writeHead(status);
      res.end(payload);
      return;
    }
    if (rule === null || rule.fault === "delay") {
      copyHeaders(up, res);
      res.writeHead(status);
      up.pipe(res);
      return;
    }
    const payload = await readAll(up);
    switch (rule.fault) {
      case "truncate": {
        copyHeaders(up, res, payload.length);
        res.writeHead(status);
        res.write(payload.subarray(0, Math.floor(payload.length / 2)));
        // Let the half body leave, then cut the connection.
        setTimeout(() => req.socket.destroy(), 20);
        return;
      }
      case "malformed-multipart": {
        const boundary = /boundary="?([^";,]+)"?/i.exec(String(up.headers["content-type"] ?? ""));
        const text = payload.toString("latin1");
        const mangled = boundary?.[1]
          ? Buffer.from(text.split(boundary[1]).join("X".repeat(boundary[1].length)), "latin1")
          : Buffer.from(`--not-a-boundary\r\n\r\n${text}`, "latin1");
        copyHeaders(up, res, mangled.length);
        res.writeHead(status);
        res.end(mangled);
        return;
      }
      case "wrong-content-type": {
        copyHeaders(up, res, payload.length);
        res.setHeader("content-type", "text/html; charset=utf-8");
        res.writeHead(status);
        res.end(payload);
        return;
      }
      case "slow": {
        copyHeaders(up, res, payload.length);
        res.writeHead(status);
        const size = Math.max(1, rule.chunkBytes ?? 4096);
        const delay = rule.delayMs ?? 200;
        for (let off = 0; off < payload.length; off += size) {
          if (res.destroyed) return;
          res.write(payload.subarray(off, off + size));
          await new Promise((r) => setTimeout(r, delay));
        }
        res.end();
        return;
      }
    }
  }

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      handle(req, res, Buffer.concat(chunks)).catch(() => {
        if (!res.headersSent) res.writeHead(500);
        res.destroy();
      });
    });
  });
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    dicomwebUrl: `${url}/dicom-web`,
    script(list) {
      rules = list.map(arm);
      return rules.map((r) => r.state);
    },
    add(rule) {
      const armed = arm(rule);
      rules.push(armed);
      return armed.state;
    },
    clear() {
      rules = [];
    },
    log,
    faults(kind) {
      return log.filter((e) => e.fault !== null && (kind === undefined || e.fault === kind));
    },
    get changesOffset() {
      return changesOffset;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
