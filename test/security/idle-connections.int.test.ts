/**
 * The issue-23 probe, bounded: a client on loopback keeps far more idle
 * sockets open against `radz serve` than http.maxConnections allows (and
 * reopens each one the service closes). The service keeps answering
 * /healthz and keeps polling Orthanc (a study stored meanwhile is enqueued),
 * and an idle socket is closed within http.idleTimeoutMs.
 */
import net from "node:net";
import { expect } from "chai";
import { OrthancClient } from "../../src/orthanc/index.js";
import { makeTestInstance, useOrthanc } from "../helpers/orthanc.js";
import { useService } from "../helpers/service.js";
import { waitFor } from "../helpers/wait.js";

const CAP = 64;
const IDLE_MS = 2_000;
const ATTACKERS = 300;

interface Idle {
  readonly socket: net.Socket;
  readonly openedAt: number;
  closedAt: number | null;
}

function openIdle(port: number): Promise<Idle> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    const idle: Idle = { socket, openedAt: Date.now(), closedAt: null };
    socket.on("error", () => undefined);
    socket.on("close", () => (idle.closedAt = Date.now()));
    socket.once("connect", () => resolve(idle));
    socket.once("error", () => resolve(idle));
  });
}

describe("API listener: idle sockets past the cap (real Orthanc)", function () {
  this.timeout(120_000);
  const orthanc = useOrthanc({ stableAgeSeconds: 1 });
  const radz = useService({ prefix: "radz-idle-int-", orthancUrl: () => orthanc.url });

  it("keeps answering /healthz and polling Orthanc; closes idle sockets within idleTimeoutMs", async () => {
    const svc = await radz.start({
      http: { maxConnections: CAP, idleTimeoutMs: IDLE_MS },
      intake: { sweep: false },
    });
    const port = Number(new URL(svc.url).port);

    // The attacker: ATTACKERS idle sockets at all times, each reopened when closed (at most 10 s, 3,000 sockets).
    const all: Idle[] = [];
    let attacking = true;
    const keepOpen = async (): Promise<void> => {
      while (attacking && all.length < 3_000) {
        const idle = await openIdle(port);
        all.push(idle);
        await new Promise<void>((resolve) => {
          if (idle.closedAt !== null || !attacking) resolve();
          else idle.socket.once("close", () => resolve());
          const stop = setInterval(() => {
            if (!attacking) {
              clearInterval(stop);
              resolve();
            }
          }, 50);
          idle.socket.once("close", () => clearInterval(stop));
        });
      }
    };
    const attack = Promise.all(Array.from({ length: ATTACKERS }, () => keepOpen()));
    try {
      await waitFor(() => all.length >= ATTACKERS, 10_000, `${ATTACKERS} idle sockets opened`);

      // /healthz answers while the idle sockets are held.
      for (let i = 0; i < 10; i++) {
        const res = await fetch(`${svc.url}/healthz`, { signal: AbortSignal.timeout(2_000) });
        expect(res.status).to.equal(200);
        expect(((await res.json()) as { status: string }).status).to.equal("ok");
      }

      // The change feed still reaches Orthanc: a study stored now is enqueued.
      const client = new OrthancClient({ url: orthanc.url, timeoutMs: 10_000 });
      const id = (await client.uploadInstance(makeTestInstance().bytes)).parentStudy;
      await waitFor(
        () => svc.store.getByStudy(id) !== undefined,
        15_000,
        "the study enqueued",
        100,
      );
    } finally {
      attacking = false;
      await attack;
    }
    expect(all.length, "sockets the attacker opened").to.be.above(ATTACKERS);

    // Idle sockets below the cap are closed by the idle clock, within idleTimeoutMs (+ 1 s).
    for (const s of all) s.socket.destroy();
    const quiet = await Promise.all(Array.from({ length: 20 }, () => openIdle(port)));
    await waitFor(
      () => quiet.every((s) => s.closedAt !== null),
      IDLE_MS + 3_000,
      "idle sockets closed",
    );
    for (const s of quiet) {
      expect(s.closedAt! - s.openedAt).to.be.within(IDLE_MS - 100, IDLE_MS + 1_500);
    }
  });
});
