/**
 * Limits on every listener RadZ opens (the API, `radz worker`): one idle
 * clock per connection that also runs for a socket that never sends a byte
 * (Node's headersTimeout and requestTimeout only start at the first byte),
 * a cap on open connections, and file descriptors kept for the work the
 * service does itself (change feed, Orthanc and DICOMweb calls, SQLite, the
 * model). docs/security.md, "Listener limits".
 *
 * At the cap, a new connection first takes the place of the connection idle
 * the longest (no request in flight: a socket that sent nothing, a partial
 * request head, a keep-alive socket between requests); only when every
 * connection has a request in flight is it refused, with an HTTP 503 and
 * `Connection: close`. So idle sockets, however many, cannot keep a real
 * request (or /healthz) out.
 */
import http, { type RequestListener, type Server } from "node:http";
import { readFileSync } from "node:fs";
import type { AddressInfo, Socket } from "node:net";
import { RadzError } from "../errors.js";
import { LogTally, type Logger } from "../observability/index.js";

export interface ListenerLimits {
  /** Most open connections (after the descriptor reserve is taken off the process's limit). */
  readonly maxConnections: number;
  /** A connection on which no byte moves either way for this long is closed — one that never sent a byte included. */
  readonly idleTimeoutMs: number;
  /** A request head must be complete this long after its first byte (Node: headersTimeout). */
  readonly headersTimeoutMs: number;
  /** A whole request (head and body) must have arrived this long after its first byte (Node: requestTimeout). */
  readonly requestTimeoutMs: number;
  /** How long a keep-alive connection waits for its next request. */
  readonly keepAliveTimeoutMs: number;
}

/** Descriptors kept for the service's own work: Orthanc/DICOMweb/inference sockets, SQLite, model files, worker threads, logs. */
export const RESERVED_DESCRIPTORS = 256;

/** The process's soft limit on open files (Linux /proc), or undefined elsewhere. */
export function openFilesLimit(): number | undefined {
  try {
    const line = readFileSync("/proc/self/limits", "utf8")
      .split("\n")
      .find((l) => l.startsWith("Max open files"));
    const soft = line?.split(/\s{2,}/)[1];
    const n = Number(soft);
    return Number.isFinite(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

/** The connection cap that leaves RESERVED_DESCRIPTORS free under `limit` (never below 16). */
export function connectionCap(maxConnections: number, limit = openFilesLimit()): number {
  if (limit === undefined) return maxConnections;
  return Math.max(16, Math.min(maxConnections, limit - RESERVED_DESCRIPTORS));
}

export interface ConnectionStats {
  /** Connections open now. */
  readonly open: number;
  /** The cap in force (maxConnections, lowered to keep the descriptor reserve). */
  readonly cap: number;
  /** Idle connections closed to make room for a new one, since start. */
  readonly evicted: number;
  /** Connections refused with 503 because every open one had a request in flight. */
  readonly refused: number;
}

export interface LimitedListener {
  readonly server: Server;
  readonly url: string;
  stats(): ConnectionStats;
  /** Stops accepting; closes idle connections now and the rest after `graceMs`. */
  close(graceMs?: number): Promise<void>;
}

const BUSY = new RadzError("SERVER_BUSY", "too many open connections; retry later");
const REFUSAL_BODY = JSON.stringify({ error: BUSY.toJSON() });
const REFUSAL =
  `HTTP/1.1 ${BUSY.httpStatus} Service Unavailable\r\n` +
  "Content-Type: application/json\r\n" +
  `Content-Length: ${Buffer.byteLength(REFUSAL_BODY)}\r\n` +
  "Retry-After: 5\r\n" +
  "Connection: close\r\n\r\n" +
  REFUSAL_BODY;

/** Listens on host:port with `limits` (see the module comment). */
export async function listenWithLimits(
  handler: RequestListener,
  where: { readonly host: string; readonly port: number },
  limits: ListenerLimits,
  logger: Logger,
): Promise<LimitedListener> {
  const cap = connectionCap(limits.maxConnections);
  if (cap < limits.maxConnections) {
    logger.warn(
      { maxConnections: limits.maxConnections, cap, openFilesLimit: openFilesLimit() },
      `connection cap lowered to keep ${RESERVED_DESCRIPTORS} file descriptors for Orthanc calls and the change feed (raise LimitNOFILE to allow more)`,
    );
  }
  const server = http.createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      // How often Node checks headersTimeout/requestTimeout (default 30 s).
      connectionsCheckingInterval: Math.min(1_000, limits.headersTimeoutMs),
    },
    handler,
  );
  // Inactivity in either direction, from the moment the connection opens: Node
  // arms socket.setTimeout(server.timeout) on 'connection' and destroys the
  // socket on expiry when no request is listening for 'timeout'.
  server.timeout = limits.idleTimeoutMs;

  const refusals = new LogTally({
    logger,
    message: "connection limit reached",
    fields: { cap },
  });
  // Open connections in order of when they last became idle; value: requests in flight.
  const open = new Map<Socket, number>();
  let evicted = 0;
  let refused = 0;
  server.on("connection", (socket: Socket) => {
    if (open.size >= cap) {
      let victim: Socket | undefined;
      for (const [s, active] of open) {
        if (active === 0) {
          victim = s;
          break;
        }
      }
      if (victim === undefined) {
        refused++;
        refusals.count("refused: every connection has a request in flight");
        socket.on("error", () => undefined);
        socket.end(REFUSAL);
        socket.destroySoon();
        return;
      }
      evicted++;
      refusals.count("evicted the longest-idle connection");
      open.delete(victim);
      victim.destroy();
    }
    open.set(socket, 0);
    socket.once("close", () => open.delete(socket));
  });
  server.on("request", (req, res) => {
    const socket = req.socket;
    const active = open.get(socket);
    if (active === undefined) return;
    open.set(socket, active + 1);
    res.once("close", () => {
      const now = open.get(socket);
      if (now === undefined) return;
      // Idle again: to the end of the line, so the longest-idle one is evicted first.
      open.delete(socket);
      if (!socket.destroyed) open.set(socket, now - 1);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(where.port, where.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const host = where.host.includes(":") ? `[${where.host}]` : where.host;
  return {
    server,
    url: `http://${host}:${addr.port}`,
    stats: () => ({ open: open.size, cap, evicted, refused }),
    async close(graceMs = 0) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      if (graceMs > 0) await new Promise((r) => setTimeout(r, graceMs).unref());
      server.closeAllConnections();
      await closed;
      refusals.close();
    },
  };
}
