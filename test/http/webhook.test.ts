import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import { expect } from "chai";
import { createApi } from "../../src/http/app.js";
import { createWebhookRouter, type WebhookOutcome } from "../../src/http/webhook.js";
import { signWebhook, webhookBearerToken } from "../../src/security/webhook-auth.js";
import { SqliteJobStore } from "../../src/jobs/index.js";
import { createLogger } from "../../src/observability/index.js";

const SECRET = "webhook-test-secret-0123456789";
const STUDY = "0a1b2c3d-0a1b2c3d-0a1b2c3d-0a1b2c3d-0a1b2c3d";

interface Harness {
  base: string;
  store: SqliteJobStore;
  wakes: number;
  outcomes: WebhookOutcome[];
  logs: string[];
  close(): Promise<void>;
}

async function harness(secret: string | undefined, acceptBearer = true): Promise<Harness> {
  const store = new SqliteJobStore({ path: ":memory:" });
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logs.push(chunk.toString("utf8"));
      cb();
    },
  });
  const logger = createLogger({ level: "debug", destination: sink });
  const h = { store, wakes: 0, outcomes: [] as WebhookOutcome[], logs } as Harness;
  const app = createApi({
    store,
    logger,
    ready: () => true,
    model: () => null,
    preBodyRouters: [
      createWebhookRouter({
        enqueue: (id, source) => store.enqueue(id, source),
        wake: () => {
          h.wakes++;
        },
        logger,
        secret,
        maxSkewSeconds: 300,
        acceptBearer,
        onOutcome: (o) => h.outcomes.push(o),
      }),
    ],
  });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, "127.0.0.1", () => resolve(s));
  });
  h.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  h.close = async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    store.close();
  };
  return h;
}

function signedHeaders(body: string, ts = Math.floor(Date.now() / 1000)): Record<string, string> {
  return {
    "Content-Type": "application/json",
    "X-Radz-Timestamp": String(ts),
    "X-Radz-Signature": signWebhook(SECRET, String(ts), body),
  };
}

async function post(h: Harness, body: string, headers: Record<string, string>) {
  const res = await fetch(`${h.base}/webhook/orthanc`, { method: "POST", body, headers });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

const push = (id: string) => JSON.stringify({ ChangeType: "StableStudy", ID: id });

describe("http/webhook POST /webhook/orthanc", () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it("is off (404 WEBHOOK_DISABLED) without intake.webhookSecret", async () => {
    h = await harness(undefined);
    const r = await post(h, push(STUDY), signedHeaders(push(STUDY)));
    expect(r.status).to.equal(404);
    expect((r.json.error as { code: string }).code).to.equal("WEBHOOK_DISABLED");
    expect(h.store.getByStudy(STUDY)).to.equal(null);
  });

  it("enqueues a signed StableStudy push as a webhook job, wakes the runner and answers 202", async () => {
    h = await harness(SECRET);
    const body = push(STUDY);
    const r = await post(h, body, signedHeaders(body));
    expect(r.status).to.equal(202);
    expect(r.json).to.include({ accepted: true, created: true, state: "queued" });
    const job = h.store.getByStudy(STUDY)!;
    expect(job.source).to.equal("webhook");
    expect(r.json.jobId).to.equal(job.id);
    expect(h.wakes).to.equal(1);
    expect(h.outcomes).to.deep.equal(["accepted"]);
  });

  it("answers 202 without waking for a study already known, and leaves its job as it was", async () => {
    h = await harness(SECRET);
    h.store.enqueue(STUDY, "changes");
    const body = push(STUDY);
    const r = await post(h, body, signedHeaders(body));
    expect(r.status).to.equal(202);
    expect(r.json.created).to.equal(false);
    expect(h.store.getByStudy(STUDY)!.source).to.equal("changes");
    expect(h.wakes).to.equal(0);
    expect(h.outcomes).to.deep.equal(["duplicate"]);
  });

  it("refuses a replayed, stale or badly signed push with 401 and logs no payload", async () => {
    h = await harness(SECRET);
    const body = push(STUDY);
    const headers = signedHeaders(body);
    expect((await post(h, body, headers)).status).to.equal(202);
    const replay = await post(h, body, headers);
    expect(replay.status).to.equal(401);
    expect((replay.json.error as { code: string }).code).to.equal("WEBHOOK_UNAUTHORIZED");

    const other = "ffffffff-0a1b2c3d-0a1b2c3d-0a1b2c3d-0a1b2c3d";
    const stale = await post(h, push(other), signedHeaders(push(other), 1_000_000_000));
    expect(stale.status).to.equal(401);
    const forged = await post(h, push(other), {
      ...signedHeaders(push(STUDY)),
      "Content-Type": "application/json",
    });
    expect(forged.status).to.equal(401);
    expect(h.store.getByStudy(other)).to.equal(null);
    const refusals = h.logs.filter((l) => l.includes("webhook push refused"));
    expect(refusals).to.have.length(3);
    for (const line of refusals) {
      expect(line).not.to.include("ffffffff");
      expect(line).not.to.include(SECRET);
    }
    expect(h.outcomes).to.deep.equal(["accepted", "unauthorized", "unauthorized", "unauthorized"]);
  });

  it("accepts the Lua hook's bearer token unless bearer tokens are disabled", async () => {
    h = await harness(SECRET);
    const bearer = {
      "Content-Type": "application/json",
      Authorization: `Bearer ${webhookBearerToken(SECRET)}`,
    };
    expect((await post(h, push(STUDY), bearer)).status).to.equal(202);
    expect(
      (await post(h, push(STUDY), { ...bearer, Authorization: `Bearer ${SECRET}` })).status,
    ).to.equal(401);
    await h.close();
    h = await harness(SECRET, false);
    expect((await post(h, push(STUDY), bearer)).status).to.equal(401);
    expect(h.store.getByStudy(STUDY)).to.equal(null);
  });

  for (const [what, body] of [
    ["a URL in place of the ID", push("http://169.254.169.254/latest/meta-data")],
    ["a path", push("../../studies/0a1b2c3d")],
    ["upper-case hex", push(STUDY.toUpperCase())],
    ["another change type", JSON.stringify({ ChangeType: "NewInstance", ID: STUDY })],
    [
      "a series resource",
      JSON.stringify({ ChangeType: "StableStudy", ResourceType: "Series", ID: STUDY }),
    ],
    ["not JSON", "ChangeType=StableStudy"],
    ["a JSON array", "[]"],
  ] as const) {
    it(`refuses ${what} with 400 INPUT_INVALID and enqueues nothing`, async () => {
      h = await harness(SECRET);
      const r = await post(h, body, signedHeaders(body));
      expect(r.status).to.equal(400);
      expect((r.json.error as { code: string }).code).to.equal("INPUT_INVALID");
      expect(h.store.list()).to.deep.equal([]);
      expect(h.outcomes).to.deep.equal(["invalid"]);
    });
  }

  it("refuses a body larger than 4 KiB with 413 before authenticating it", async () => {
    h = await harness(SECRET);
    const body = JSON.stringify({ ChangeType: "StableStudy", ID: STUDY, pad: "x".repeat(5000) });
    const r = await post(h, body, signedHeaders(body));
    expect(r.status).to.equal(413);
    expect(h.store.list()).to.deep.equal([]);
  });
});
