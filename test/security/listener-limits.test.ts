/**
 * security/listener-limits: the idle clock runs from the connection's first
 * moment, the cap evicts idle connections before it refuses, a refusal is an
 * HTTP 503 SERVER_BUSY, the descriptor reserve lowers the cap, and refusals
 * are logged in aggregate.
 */
import net from "node:net";
import { expect } from "chai";
import pino from "pino";
import {
  connectionCap,
  listenWithLimits,
  RESERVED_DESCRIPTORS,
  type LimitedListener,
  type ListenerLimits,
} from "../../src/security/index.js";
import { waitFor } from "../helpers/wait.js";

const LIMITS: ListenerLimits = {
  maxConnections: 16,
  idleTimeoutMs: 400,
  headersTimeoutMs: 300,
  requestTimeoutMs: 1_000,
  keepAliveTimeoutMs: 200,
};

interface Probe {
  readonly socket: net.Socket;
  readonly openedAt: number;
  closedAt: number | null;
  received: string;
}

function connect(url: string): Promise<Probe> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname);
    const probe: Probe = { socket, openedAt: Date.now(), closedAt: null, received: "" };
    socket.on("data", (d: Buffer) => (probe.received += d.toString()));
    socket.on("close", () => (probe.closedAt = Date.now()));
    socket.on("error", () => undefined);
    socket.once("connect", () => resolve(probe));
    socket.once("error", reject);
  });
}

describe("security/listener-limits", function () {
  this.timeout(20_000);
  let listener: LimitedListener | undefined;
  const probes: Probe[] = [];
  const lines: Record<string, unknown>[] = [];
  const logger = pino(
    { level: "info" },
    { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
  );
  afterEach(async () => {
    for (const p of probes.splice(0)) p.socket.destroy();
    await listener?.close();
    listener = undefined;
    lines.length = 0;
  });

  async function start(
    limits: Partial<ListenerLimits> = {},
    hold = false,
  ): Promise<LimitedListener> {
    listener = await listenWithLimits(
      (req, res) => {
        if (hold && req.url === "/hold") {
          res.writeHead(200, { "Content-Type": "text/event-stream" });
          res.write(": open\n\n"); // a live stream: in flight until the client goes
          return;
        }
        res.end("ok");
      },
      { host: "127.0.0.1", port: 0 },
      { ...LIMITS, ...limits },
      logger,
    );
    return listener;
  }

  it("closes a socket that never sends a byte within idleTimeoutMs", async () => {
    const l = await start();
    const idle = await Promise.all(Array.from({ length: 5 }, () => connect(l.url)));
    probes.push(...idle);
    await waitFor(() => idle.every((p) => p.closedAt !== null), 3_000, "idle sockets closed");
    for (const p of idle) {
      const after = p.closedAt! - p.openedAt;
      // A socket that never sends a byte meets two clocks: the idle timeout and
      // Node's headers timeout (checked every connectionsCheckingInterval); the
      // earlier closes it. Node arms both from the event loop's cached time, which
      // lags real time on a loaded machine, so allow 100 ms early.
      expect(after).to.be.at.least(Math.min(LIMITS.idleTimeoutMs, LIMITS.headersTimeoutMs) - 100);
      expect(after).to.be.below(LIMITS.idleTimeoutMs + 1_000);
    }
    expect(l.stats().open).to.equal(0);
  });

  it("at the cap, a new connection replaces the longest-idle one and is served", async () => {
    const l = await start({ idleTimeoutMs: 60_000 });
    const idle: Probe[] = [];
    for (let i = 0; i < 40; i++) idle.push(await connect(l.url)); // 2.5 × the cap
    probes.push(...idle);
    await waitFor(() => l.stats().open <= 16, 2_000, "open connections at the cap");
    expect(l.stats().evicted).to.be.at.least(24);
    // The oldest went first; the newest are still open.
    await waitFor(
      () => idle.slice(0, 24).every((p) => p.closedAt !== null),
      2_000,
      "oldest closed",
    );
    expect(idle.slice(-8).every((p) => p.closedAt === null)).to.equal(true);
    const res = await fetch(`${l.url}/healthz`);
    expect(res.status).to.equal(200);
    expect(await res.text()).to.equal("ok");
  });

  it("refuses with HTTP 503 SERVER_BUSY only when every connection has a request in flight", async () => {
    const l = await start({ idleTimeoutMs: 60_000 }, true);
    const busy: Probe[] = [];
    for (let i = 0; i < 16; i++) {
      const p = await connect(l.url);
      p.socket.write("GET /hold HTTP/1.1\r\nHost: x\r\n\r\n");
      busy.push(p);
    }
    probes.push(...busy);
    await waitFor(() => busy.every((p) => p.received.includes(": open")), 3_000, "16 live streams");
    const extra = await connect(l.url);
    probes.push(extra);
    await waitFor(() => extra.closedAt !== null, 3_000, "the refused connection closed");
    expect(extra.received).to.match(/^HTTP\/1\.1 503 /);
    expect(extra.received).to.contain('"code":"SERVER_BUSY"');
    expect(l.stats()).to.include({ refused: 1, evicted: 0, open: 16 });
    expect(busy.every((p) => p.closedAt === null)).to.equal(true);
  });

  it("logs refusals in aggregate: 200 evictions make two lines", async () => {
    const l = await start({ idleTimeoutMs: 60_000 });
    for (let i = 0; i < 216; i++) probes.push(await connect(l.url));
    await waitFor(() => l.stats().evicted >= 200, 5_000, "200 evictions");
    await l.close();
    listener = undefined;
    const limitLines = lines.filter((x) => String(x.msg).startsWith("connection limit reached"));
    expect(limitLines).to.have.length(2);
    expect(limitLines[1]).to.deep.include({ total: 200 });
  });

  it("keeps RESERVED_DESCRIPTORS free under the open-files limit", () => {
    expect(connectionCap(1024, 20_000)).to.equal(1024);
    expect(connectionCap(1024, 1024)).to.equal(1024 - RESERVED_DESCRIPTORS);
    expect(connectionCap(1024, 100)).to.equal(16);
    expect(connectionCap(1024, undefined)).to.equal(1024);
  });
});
