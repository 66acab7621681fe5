import { expect } from "chai";
import { EventBus } from "../../../src/http/events.js";
import { SqliteJobStore } from "../../../src/jobs/index.js";
import {
  READ_TOKEN,
  STUDY_IDS,
  completeNext,
  failNext,
  result,
  startApi,
  type RunningApi,
} from "./helpers.js";
import { waitFor } from "../../helpers/wait.js";

const [S0, S1, S2] = STUDY_IDS;

describe("http/routes/jobs", () => {
  let store: SqliteJobStore;
  let api: RunningApi;
  let bus: EventBus;
  let woken = 0;

  beforeEach(async () => {
    store = new SqliteJobStore({ path: ":memory:" });
    for (const id of [S0, S1, S2]) store.enqueue(id, "changes");
    failNext(store, S0, Date.now());
    completeNext(store, S1, result("urgent", { pneumothorax: 0.9 }), Date.now());
    failNext(store, S2, Date.now());
    bus = new EventBus();
    woken = 0;
    api = await startApi(store, { events: bus, wake: () => woken++ });
  });
  afterEach(async () => {
    await api.close();
    store.close();
  });

  it("lists failed jobs with their errors, oldest first, with paging", async () => {
    const body = (await (await api.fetch("/api/jobs/failed")).json()) as {
      jobs: { orthancStudyId: string; error: { code: string } }[];
      nextOffset: number | null;
    };
    expect(body.jobs.map((j) => j.orthancStudyId)).to.deep.equal([S0, S2]);
    expect(body.jobs[0]?.error.code).to.equal("ORTHANC_REJECTED");
    const page = (await (await api.fetch("/api/jobs/failed?limit=1")).json()) as {
      jobs: unknown[];
      nextOffset: number | null;
    };
    expect(page.jobs).to.have.length(1);
    expect(page.nextOffset).to.equal(1);
    expect((await api.fetch("/api/jobs/failed?limit=x")).status).to.equal(400);
  });

  it("retries a failed job (admin): queued again, attempts reset, event published, runner woken", async () => {
    const failed = store.getByStudy(S0)!;
    const seen: number[] = [];
    bus.subscribe((e) => seen.push(e.job.id));
    expect(
      (await api.fetch(`/api/jobs/${failed.id}/retry`, { method: "POST", token: READ_TOKEN }))
        .status,
    ).to.equal(403);
    const res = await api.fetch(`/api/jobs/${failed.id}/retry`, { method: "POST" });
    expect(res.status).to.equal(202);
    const job = store.get(failed.id)!;
    expect(job.state).to.equal("queued");
    expect(job.attempts).to.equal(0);
    expect(job.lastError).to.equal(null);
    expect(seen).to.deep.equal([failed.id]);
    expect(woken).to.equal(1);
  });

  it("refuses to retry a job that is not failed (409) or does not exist (404)", async () => {
    const done = store.getByStudy(S1)!;
    const r409 = await api.fetch(`/api/jobs/${done.id}/retry`, { method: "POST" });
    expect(r409.status).to.equal(409);
    expect(((await r409.json()) as { error: { code: string } }).error.code).to.equal(
      "JOB_INVALID_TRANSITION",
    );
    expect((await api.fetch("/api/jobs/9999/retry", { method: "POST" })).status).to.equal(404);
    expect((await api.fetch("/api/jobs/abc/retry", { method: "POST" })).status).to.equal(400);
    expect(store.getByStudy(S1)!.state).to.equal("done");
  });

  it("reports notifications as disabled when no webhook is configured", async () => {
    const body = (await (await api.fetch("/api/notifications")).json()) as {
      enabled: boolean;
      notifications: unknown[];
    };
    expect(body).to.deep.include({ enabled: false, notifications: [] });
    expect((await api.fetch("/api/notifications?state=lost")).status).to.equal(400);
  });
});

describe("http/routes/events (Server-Sent Events)", () => {
  it("streams every published job as `event: job` with the worklist row, and stops on close", async () => {
    const store = new SqliteJobStore({ path: ":memory:" });
    const bus = new EventBus();
    const api = await startApi(store, { events: bus, sseHeartbeatMs: 50 });
    try {
      expect((await api.fetch("/api/events", { token: null })).status).to.equal(401);
      const controller = new AbortController();
      const res = await api.fetch("/api/events", { signal: controller.signal });
      expect(res.status).to.equal(200);
      expect(res.headers.get("content-type")).to.match(/^text\/event-stream/);
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      let text = "";
      const readUntil = async (pattern: RegExp) => {
        const deadline = Date.now() + 5_000;
        while (!pattern.test(text)) {
          if (Date.now() > deadline) throw new Error(`stream never matched ${pattern}: ${text}`);
          const { value, done } = await reader.read();
          if (done) throw new Error("stream ended");
          text += decoder.decode(value, { stream: true });
        }
      };
      await readUntil(/retry: \d+/);
      expect(bus.listenerCount).to.equal(1);
      const job = store.enqueue(STUDY_IDS[0], "changes").job;
      bus.publish({ type: "job", job });
      await readUntil(/event: job\ndata: .*\n\n/);
      const data = /event: job\ndata: (.*)\n\n/.exec(text)?.[1] ?? "";
      const row = JSON.parse(data) as { orthancStudyId: string; state: string; links: object };
      expect(row).to.include({ orthancStudyId: STUDY_IDS[0], state: "queued" });
      expect(row.links).to.have.property("explorer");
      await readUntil(/: ping/);
      controller.abort();
      await reader.cancel().catch(() => undefined);
      await waitFor(() => bus.listenerCount === 0, 2_000, "the stream's listener to go");
    } finally {
      await api.close();
      store.close();
    }
  });

  it("refuses clients over the limit with 503", async () => {
    const store = new SqliteJobStore({ path: ":memory:" });
    const api = await startApi(store, { events: new EventBus(), maxEventClients: 1 });
    const controller = new AbortController();
    try {
      const first = await api.fetch("/api/events", { signal: controller.signal });
      expect(first.status).to.equal(200);
      const second = await api.fetch("/api/events");
      expect(second.status).to.equal(503);
      expect(second.headers.get("retry-after")).to.equal("30");
      expect(((await second.json()) as { error: { code: string } }).error.code).to.equal(
        "API_BUSY",
      );
    } finally {
      controller.abort();
      await api.close();
      store.close();
    }
  });
});
