/**
 * The Orthanc webhook from a security reviewer's side: only an HMAC-signed,
 * fresh, unreplayed push naming an Orthanc study ID is accepted; a URL or a
 * path in place of the ID is refused and never fetched (no SSRF); refusals are
 * logged without the payload; the API's own tokens do not open the webhook.
 */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import { expect } from "chai";
import { createApi } from "../../src/http/app.js";
import { signWebhook } from "../../src/security/webhook-auth.js";
import { createWebhookRouter } from "../../src/http/webhook.js";
import { SqliteJobStore } from "../../src/jobs/index.js";
import { createLogger } from "../../src/observability/index.js";
import { startFakeServer, type FakeServer } from "../helpers/http.js";
import { TEST_ADMIN_TOKEN, TEST_API_SECURITY } from "./fixtures.js";

const SECRET = "security-test-webhook-secret-42";
const STUDY = "0a1b2c3d-0a1b2c3d-0a1b2c3d-0a1b2c3d-0a1b2c3d";
const PAYLOAD_MARK = "PAYLOAD_MARK_PHIMARK_9c1";

describe("security: webhook authentication and SSRF", () => {
  let store: SqliteJobStore;
  let server: Server;
  let base: string;
  let victim: FakeServer;
  const logs: string[] = [];

  before(async () => {
    victim = await startFakeServer((_req, res) => res.end("{}"));
    store = new SqliteJobStore({ path: ":memory:" });
    const logger = createLogger({
      level: "trace",
      destination: new Writable({
        write(chunk: Buffer, _e, cb) {
          logs.push(chunk.toString("utf8"));
          cb();
        },
      }),
    });
    const app = createApi({
      store,
      logger,
      ready: () => true,
      model: () => null,
      security: TEST_API_SECURITY,
      preBodyRouters: [
        createWebhookRouter({
          enqueue: (id, source) => store.enqueue(id, source),
          wake: () => undefined,
          logger,
          secret: SECRET,
          maxSkewSeconds: 300,
          acceptBearer: false,
        }),
      ],
    });
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, "127.0.0.1", () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    server.close();
    store.close();
    await victim.close();
  });

  function signed(body: string, ts = Math.floor(Date.now() / 1000)): Record<string, string> {
    return {
      "Content-Type": "application/json",
      "X-Radz-Timestamp": String(ts),
      "X-Radz-Signature": signWebhook(SECRET, String(ts), body),
    };
  }

  async function post(body: string, headers: Record<string, string>) {
    const res = await fetch(`${base}/webhook/orthanc`, { method: "POST", body, headers });
    return { status: res.status, body: (await res.json()) as { error?: { code: string } } };
  }

  const push = (id: unknown, extra: Record<string, unknown> = {}) =>
    JSON.stringify({ ChangeType: "StableStudy", ID: id, Note: PAYLOAD_MARK, ...extra });

  it("accepts a signed push naming an Orthanc study ID", async () => {
    const body = push(STUDY);
    expect((await post(body, signed(body))).status).to.equal(202);
    expect(store.getByStudy(STUDY)?.source).to.equal("webhook");
  });

  it("refuses a bad signature, a body changed after signing, an old or future timestamp, and a replay", async () => {
    const id = "11111111-22222222-33333333-44444444-55555555";
    const body = push(id);
    const good = signed(body);
    const cases: [string, string, Record<string, string>][] = [
      ["bad signature", body, { ...good, "X-Radz-Signature": `sha256=${"0".repeat(64)}` }],
      ["tampered body", push("66666666-22222222-33333333-44444444-55555555"), good],
      ["old timestamp", body, signed(body, Math.floor(Date.now() / 1000) - 3600)],
      ["future timestamp", body, signed(body, Math.floor(Date.now() / 1000) + 3600)],
      ["no signature", body, { "Content-Type": "application/json" }],
      ["the API's admin token", body, { Authorization: `Bearer ${TEST_ADMIN_TOKEN}` }],
    ];
    for (const [what, b, headers] of cases) {
      const r = await post(b, headers);
      expect(r.status, what).to.equal(401);
      expect(r.body.error?.code, what).to.equal("WEBHOOK_UNAUTHORIZED");
    }
    expect(store.getByStudy(id)).to.equal(null);
    expect((await post(body, good)).status).to.equal(202);
    expect((await post(body, good)).status, "replay").to.equal(401);
  });

  it("logs refusals in aggregate: 500 bad-signature pushes and 300 refused API calls add a few lines", async () => {
    const before = logs.length;
    const body = push("11111111-22222222-33333333-44444444-77777777");
    const bad = { ...signed(body), "X-Radz-Signature": `sha256=${"0".repeat(64)}` };
    const statuses = new Map<number, number>();
    const count = (s: number) => statuses.set(s, (statuses.get(s) ?? 0) + 1);
    for (let i = 0; i < 50; i++) {
      await Promise.all(
        Array.from({ length: 10 }, async () => count((await post(body, bad)).status)),
      );
    }
    for (let i = 0; i < 30; i++) {
      await Promise.all(
        Array.from({ length: 10 }, async (_, j) => {
          const res = await fetch(`${base}/api/studies`, {
            headers: { Authorization: `Bearer radz_flood${i}x${j}` },
          });
          count(res.status);
        }),
      );
    }
    expect((statuses.get(401) ?? 0) + (statuses.get(429) ?? 0)).to.equal(800);
    const added = logs.slice(before).join("").split("\n").filter(Boolean);
    // First refusal of each kind at once (webhook, 401, 429); the counts come in the minute's summary.
    expect(added.length, added.join("\n")).to.be.at.most(5);
  });

  it("refuses a URL or a path in place of the ID, fetches nothing, and logs no payload", async () => {
    const before = store.list().length;
    const hostile = [
      `${victim.url}/studies/${STUDY}`,
      `//127.0.0.1:${new URL(victim.url).port}/x`,
      `../../system`,
      `${STUDY}/../../tools/reset`,
      `${STUDY}?x=${victim.url}`,
      `file:///etc/passwd`,
      STUDY.toUpperCase(),
      `${STUDY} `,
      { url: victim.url },
      [STUDY],
    ];
    for (const id of hostile) {
      const body = push(id, { ResourceUrl: victim.url, Path: `${victim.url}/system` });
      const r = await post(body, signed(body));
      expect(r.status, JSON.stringify(id)).to.equal(400);
      expect(r.body.error?.code).to.equal("INPUT_INVALID");
    }
    // Extra URL fields next to a valid ID are ignored, not followed.
    const withUrls = push("77777777-22222222-33333333-44444444-55555555", {
      ResourceUrl: `${victim.url}/studies`,
      Path: `${victim.url}/system`,
    });
    expect((await post(withUrls, signed(withUrls))).status).to.equal(202);
    await new Promise((r) => setTimeout(r, 200));
    expect(victim.requests, "requests the service made to URLs from the webhook").to.deep.equal([]);
    expect(store.list().length).to.equal(before + 1);
    const all = logs.join("");
    expect(all).to.include("webhook push invalid"); // the refusals were logged …
    expect(all).to.not.include(PAYLOAD_MARK); // … without the payload
    expect(all).to.not.include(victim.url);
    expect(all).to.not.include(SECRET);
  });
});
