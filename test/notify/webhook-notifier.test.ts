import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { SqliteJobStore, type Job } from "../../src/jobs/index.js";
import {
  NotificationLog,
  WebhookNotifier,
  notifierFromConfig,
  verifyWebhookSignature,
  type NotificationRecord,
} from "../../src/notify/index.js";
import { loadConfig } from "../../src/config/index.js";
import { silentLogger } from "../../src/observability/index.js";
import { startFakeServer, type FakeServer } from "../helpers/http.js";
import { waitFor } from "../helpers/wait.js";
import { STUDY_IDS, completeNext, result, startApi } from "../http/routes/helpers.js";

const SECRET = "notify-test-secret-0123456789";

describe("notify/webhook-notifier", function () {
  this.timeout(20_000);
  let work: string;
  let dbPath: string;
  let store: SqliteJobStore;
  let log: NotificationLog;
  let notifier: WebhookNotifier | null = null;
  let receiver: FakeServer | null = null;

  beforeEach(() => {
    work = mkdtempSync(join(tmpdir(), "radz-notify-"));
    dbPath = join(work, "radz.sqlite");
    store = new SqliteJobStore({ path: dbPath });
    log = new NotificationLog({ path: dbPath });
  });
  afterEach(async () => {
    await notifier?.stop();
    notifier = null;
    await receiver?.close();
    receiver = null;
    log.close();
    store.close();
    rmSync(work, { recursive: true, force: true });
  });

  function urgentJob(id = STUDY_IDS[0]): Job {
    store.enqueue(id, "changes");
    return completeNext(
      store,
      id,
      result("urgent", { pneumothorax: 0.93, nodule: 0.61 }),
      Date.now(),
    );
  }

  function start(url: string, attempts: NotificationRecord[], maxAttempts = 3): WebhookNotifier {
    notifier = new WebhookNotifier({
      url,
      secret: SECRET,
      timeoutMs: 2_000,
      maxAttempts,
      backoffBaseMs: 20,
      backoffMaxMs: 100,
      log,
      logger: silentLogger(),
      links: (job) => ({
        explorer: `http://orthanc.example/app/explorer.html#study?uuid=${job.orthancStudyId}`,
      }),
      onAttempt: (r) => attempts.push(r),
    });
    notifier.start();
    return notifier;
  }

  it("POSTs a signed JSON body that a receiver verifies, and records the delivery", async () => {
    let verified = false;
    receiver = await startFakeServer((req, res, body) => {
      verified = verifyWebhookSignature({
        secret: SECRET,
        timestamp: req.headers["x-radz-timestamp"] as string | undefined,
        signature: req.headers["x-radz-signature"] as string | undefined,
        body,
      });
      res.writeHead(verified ? 204 : 401);
      res.end();
    });
    const attempts: NotificationRecord[] = [];
    const n = start(`${receiver.url}/hooks/radz`, attempts);
    const job = urgentJob();
    const created = n.onSettled(job);
    expect(created?.state).to.equal("pending");
    await waitFor(() => attempts.length === 1, 10_000, "delivery");
    expect(verified).to.equal(true);
    expect(attempts[0]).to.include({ state: "delivered", attempts: 1, lastStatus: 204 });

    const req = receiver.requests[0]!;
    expect(req.method).to.equal("POST");
    expect(req.url).to.equal("/hooks/radz");
    expect(req.headers["content-type"]).to.equal("application/json");
    expect(req.headers["x-radz-event"]).to.equal("study.urgent");
    const payload = JSON.parse(req.body.toString()) as {
      id: string;
      event: string;
      study: { orthancStudyId: string; priority: string; findings: { labelId: string }[] };
      links: Record<string, string>;
    };
    expect(req.headers["x-radz-delivery"]).to.equal(payload.id);
    expect(payload.event).to.equal("study.urgent");
    expect(payload.study).to.include({ orthancStudyId: job.orthancStudyId, priority: "urgent" });
    expect(payload.study.findings.map((f) => f.labelId)).to.deep.equal(["pneumothorax", "nodule"]);
    expect(payload.links.explorer).to.include(job.orthancStudyId);
    // No patient attributes in the body.
    expect(req.body.toString()).to.not.match(/PatientName|PatientID|BirthDate|Accession/i);
  });

  it("delivers a drift alert as a signed drift.alert event recorded against the crossing study", async () => {
    receiver = await startFakeServer((_q, res) => res.writeHead(204).end());
    const attempts: NotificationRecord[] = [];
    const n = start(receiver.url, attempts);
    const job = urgentJob();
    const created = n.onDriftAlert({
      label: "nodule",
      display: "Nodule",
      psi: 0.31,
      alertLevel: 0.25,
      referenceKey: "abcd",
      referenceSize: 500,
      windowSize: 500,
      job: { id: job.id, orthancStudyId: job.orthancStudyId },
    });
    expect(created).to.include({ event: "drift.alert", jobId: job.id });
    await waitFor(() => attempts.length === 1, 10_000, "delivery");
    const req = receiver.requests[0]!;
    expect(req.headers["x-radz-event"]).to.equal("drift.alert");
    expect(
      verifyWebhookSignature({
        secret: SECRET,
        timestamp: req.headers["x-radz-timestamp"] as string,
        signature: req.headers["x-radz-signature"] as string,
        body: req.body,
      }),
    ).to.equal(true);
    const payload = JSON.parse(req.body.toString()) as {
      id: string;
      event: string;
      drift: unknown;
    };
    expect(req.headers["x-radz-delivery"]).to.equal(payload.id);
    expect(payload.event).to.equal("drift.alert");
    expect(payload.drift).to.deep.equal({
      labelId: "nodule",
      display: "Nodule",
      statistic: "psi",
      psi: 0.31,
      alertLevel: 0.25,
      referenceKey: "abcd",
      referenceStudies: 500,
      windowStudies: 500,
      orthancStudyId: job.orthancStudyId,
    });
  });

  it("notifies only done urgent jobs", async () => {
    receiver = await startFakeServer((_q, res) => res.end());
    const n = start(receiver.url, []);
    store.enqueue(STUDY_IDS[1], "changes");
    const review = completeNext(store, STUDY_IDS[1], result("review", { nodule: 0.7 }), Date.now());
    expect(n.onSettled(review)).to.equal(null);
    expect(log.list()).to.have.length(0);
  });

  it("retries with backoff while the receiver answers 5xx, then delivers the same event", async () => {
    let calls = 0;
    receiver = await startFakeServer((_q, res) => {
      calls++;
      res.writeHead(calls < 3 ? 503 : 200);
      res.end();
    });
    const attempts: NotificationRecord[] = [];
    start(receiver.url, attempts, 5).onSettled(urgentJob());
    await waitFor(
      () => attempts.some((a) => a.state === "delivered"),
      10_000,
      "delivery after retries",
    );
    expect(attempts.map((a) => a.state)).to.deep.equal(["pending", "pending", "delivered"]);
    expect(attempts[0]?.lastError?.code).to.equal("NOTIFY_DELIVERY_FAILED");
    expect(attempts[0]?.lastStatus).to.equal(503);
    const ids = new Set(receiver.requests.map((r) => r.headers["x-radz-delivery"]));
    expect(ids.size).to.equal(1);
    const bodies = new Set(receiver.requests.map((r) => r.body.toString()));
    expect(bodies.size).to.equal(1);
  });

  it("a receiver that is down gets retries, ends failed, and the failure is visible in the API", async () => {
    const down = await startFakeServer();
    const url = down.url;
    await down.close(); // nothing listens there any more
    const attempts: NotificationRecord[] = [];
    const job = urgentJob();
    start(url, attempts, 3).onSettled(job);
    await waitFor(
      () => attempts.some((a) => a.state === "failed"),
      10_000,
      "the notification to fail",
    );
    expect(attempts.map((a) => a.attempts)).to.deep.equal([1, 2, 3]);
    const failed = attempts[2]!;
    expect(failed.lastStatus).to.equal(null);
    expect(failed.lastError?.code).to.equal("NOTIFY_DELIVERY_FAILED");
    expect(failed.lastError?.message).to.match(/ECONNREFUSED/);

    const api = await startApi(store, { notifications: log });
    try {
      const list = (await (await api.fetch("/api/notifications?state=failed")).json()) as {
        enabled: boolean;
        notifications: { orthancStudyId: string; attempts: number; error: { code: string } }[];
      };
      expect(list.enabled).to.equal(true);
      expect(list.notifications).to.have.length(1);
      expect(list.notifications[0]).to.deep.include({
        orthancStudyId: job.orthancStudyId,
        attempts: 3,
      });
      expect(list.notifications[0]?.error.code).to.equal("NOTIFY_DELIVERY_FAILED");
      const study = (await (await api.fetch(`/api/studies/${job.orthancStudyId}`)).json()) as {
        notifications: { state: string }[];
      };
      expect(study.notifications.map((n) => n.state)).to.deep.equal(["failed"]);
    } finally {
      await api.close();
    }
  });

  it("resumes pending notifications after a restart", async () => {
    const job = urgentJob();
    // Recorded by a notifier that stopped before delivering.
    const stopped = new WebhookNotifier({
      url: "http://127.0.0.1:9/never",
      secret: SECRET,
      timeoutMs: 1_000,
      maxAttempts: 3,
      backoffBaseMs: 10,
      backoffMaxMs: 10,
      log,
      logger: silentLogger(),
    });
    stopped.onSettled(job);
    expect(log.list({ state: "pending" })).to.have.length(1);
    receiver = await startFakeServer((_q, res) => res.end());
    const attempts: NotificationRecord[] = [];
    start(receiver.url, attempts);
    await waitFor(() => attempts.length === 1, 10_000, "the resumed delivery");
    expect(attempts[0]?.state).to.equal("delivered");
  });

  it("is configured from notify.* (off without webhookUrl; secret required)", () => {
    const off = loadConfig({ env: {}, overrides: { jobs: { dbPath } } });
    expect(notifierFromConfig(off, { logger: silentLogger() })).to.equal(null);
    expect(() =>
      loadConfig({ env: {}, overrides: { notify: { webhookUrl: "https://ris.example/hook" } } }),
    ).to.throw(/secret/);
    expect(() =>
      loadConfig({
        env: {},
        overrides: { notify: { webhookUrl: "javascript:alert(1)", secret: SECRET } },
      }),
    ).to.throw();
    const on = loadConfig({
      env: { RADZ_NOTIFY__SECRET: SECRET },
      overrides: { jobs: { dbPath }, notify: { webhookUrl: "https://ris.example/hook" } },
    });
    const built = notifierFromConfig(on, { logger: silentLogger() });
    expect(built?.notifier).to.be.instanceOf(WebhookNotifier);
    built?.log.close();
    expect(() => new NotificationLog({ path: ":memory:" })).to.throw(/:memory:/);
  });
});
