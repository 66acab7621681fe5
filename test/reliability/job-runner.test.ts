/**
 * The job runner's reliability rules, with a fake processor (no servers):
 * Retry-After honoured, PACS outages neither burn attempts nor spin, shutdown
 * returns unfinished work to queued even when a processor ignores the abort.
 */
import { expect } from "chai";
import { RadzError } from "../../src/errors.js";
import { SqliteJobStore, type Job, type JobResult } from "../../src/jobs/index.js";
import { silentLogger } from "../../src/observability/index.js";
import { JobRunner, type StudyProcessor } from "../../src/pipeline/job-runner.js";
import { okResult as ok } from "../helpers/jobs.js";
import { waitFor } from "../helpers/wait.js";

describe("reliability: job runner", () => {
  let store: SqliteJobStore;
  let runner: JobRunner | null = null;
  beforeEach(() => (store = new SqliteJobStore({ path: ":memory:" })));
  afterEach(async () => {
    await runner?.stop(10);
    runner = null;
    store.close();
  });

  const make = (
    process: StudyProcessor,
    extra: Partial<ConstructorParameters<typeof JobRunner>[0]> = {},
  ) =>
    (runner = new JobRunner({
      store,
      process,
      logger: silentLogger(),
      concurrency: 2,
      maxAttempts: 3,
      backoffBaseMs: 1,
      backoffMaxMs: 5_000,
      idlePollMs: 5,
      random: () => 1,
      ...extra,
    }));

  it("waits at least the server's Retry-After before the next attempt", async () => {
    // The injected clock (store and runner): the retry is due at exactly +400 ms.
    let clock = 1_000_000;
    store.close();
    store = new SqliteJobStore({ path: ":memory:", now: () => clock });
    store.enqueue("a", "changes");
    const settled: Job[] = [];
    let calls = 0;
    const r = make(
      async (job) => {
        if (++calls === 1)
          throw new RadzError("DICOMWEB_HTTP_ERROR", "429", {
            details: { status: 429, retryAfterMs: 400 },
          });
        return ok(job);
      },
      { onSettled: (j) => settled.push(j), now: () => clock },
    );
    r.start();
    await waitFor(() => settled.length === 1, 5_000, "the first attempt to settle");
    const retry = settled[0]!;
    expect(retry.state).to.equal("queued");
    expect(retry.notBefore - retry.updatedAt).to.equal(400);
    clock += 399;
    r.wake(); // claims synchronously when the job is due
    expect(store.getByStudy("a")?.state, "not due 1 ms early").to.equal("queued");
    expect(calls).to.equal(1);
    clock += 1;
    r.wake();
    await waitFor(() => store.getByStudy("a")?.state === "done", 5_000, "the retry");
    expect(calls).to.equal(2);
  });

  it("caps a huge Retry-After at maxRetryAfterMs", async () => {
    const clock = 1_000_000;
    store.close();
    store = new SqliteJobStore({ path: ":memory:", now: () => clock });
    store.enqueue("a", "changes");
    const settled: Job[] = [];
    const r = make(
      async () => {
        throw new RadzError("ORTHANC_HTTP_ERROR", "503", {
          details: { status: 503, retryAfterMs: 86_400_000 },
        });
      },
      { onSettled: (j) => settled.push(j), maxRetryAfterMs: 250, now: () => clock },
    );
    r.start();
    await waitFor(() => settled.length === 1, 5_000, "the first attempt to settle");
    expect(settled[0]!.notBefore - settled[0]!.updatedAt).to.equal(250);
  });

  it("does not count attempts while the PACS is down, pauses, and resumes when it answers", async () => {
    store.enqueueBatch(["a", "b", "c", "d", "e"], "changes");
    let down = true;
    let callsWhileDown = 0;
    let probes = 0;
    const r = make(
      async (job) => {
        if (down) {
          callsWhileDown++;
          throw new RadzError("ORTHANC_UNREACHABLE", "ECONNREFUSED");
        }
        return ok(job);
      },
      {
        maxAttempts: 2,
        outageProbe: async () => {
          probes++;
          return !down;
        },
        outageProbeMinMs: 20,
        outageProbeMaxMs: 40,
      },
    );
    r.start();
    await waitFor(() => r.pausedForOutage);
    await waitFor(() => probes >= 3, 5_000, "three outage probes");
    // Paused: only the attempts in flight when the outage began ran, no spinning.
    expect(callsWhileDown).to.be.at.most(2);
    expect(probes).to.be.at.least(3);
    expect(store.countInState("queued")).to.equal(5);
    expect(store.list().every((j) => j.attempts === 0)).to.equal(true);
    down = false;
    await waitFor(() => store.countInState("done") === 5);
    expect(r.pausedForOutage).to.equal(false);
    expect(store.list().map((j) => j.attempts)).to.deep.equal([1, 1, 1, 1, 1]);
  });

  it("counts the attempt when the probe finds the PACS up (the study is at fault)", async () => {
    store.enqueue("a", "changes");
    let probes = 0;
    const r = make(
      async () => {
        throw new RadzError("DICOMWEB_HTTP_ERROR", "500 on this study only");
      },
      {
        outageProbe: async () => {
          probes++;
          return true;
        },
      },
    );
    r.start();
    await waitFor(() => store.getByStudy("a")?.state === "failed");
    expect(store.getByStudy("a")?.attempts).to.equal(3);
    expect(probes).to.equal(3);
    expect(r.pausedForOutage).to.equal(false);
  });

  it("never probes for permanent errors or non-PACS transient ones", async () => {
    store.enqueueBatch(["p", "t"], "changes");
    let probes = 0;
    const r = make(
      async (job) => {
        if (job.orthancStudyId === "p") throw new RadzError("DICOM_PARSE_ERROR", "bad");
        throw new RadzError("INFERENCE_FAILED", "flaky");
      },
      { outageProbe: async () => (probes++, false) },
    );
    r.start();
    await waitFor(() => store.countInState("failed") === 2);
    expect(probes).to.equal(0);
  });

  it("returns work to queued at the shutdown deadline, even when the processor ignores the abort", async () => {
    store.enqueueBatch(["a", "b"], "changes");
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on("unhandledRejection", onUnhandled);
    try {
      let release!: () => void;
      const gate = new Promise<void>((res) => (release = res));
      let late = 0;
      const r = make(async (job) => {
        await gate; // ignores the signal on purpose
        late++;
        return ok(job);
      });
      r.start();
      await waitFor(() => store.countInState("running") === 2);
      const t0 = Date.now();
      await r.stop(100);
      expect(Date.now() - t0).to.be.below(2_500);
      expect(store.countInState("queued")).to.equal(2);
      release();
      await waitFor(() => late === 2, 5_000, "the two late results");
      // The late results were refused (queued -> done is not a transition) without a crash.
      expect(store.countInState("queued")).to.equal(2);
      expect(unhandled).to.deep.equal([]);
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });

  it("at start, fails a study the service died on at every attempt (JOB_CRASHED) and requeues the rest", async () => {
    store.enqueueBatch(["poison", "victim"], "changes");
    // Three "process deaths" while the poison study ran (claimed, never settled);
    // the last one also caught the victim at its first attempt.
    for (let i = 0; i < 3; i++) {
      expect(store.claimNext(Date.now())?.orthancStudyId).to.equal("poison");
      if (i < 2) store.requeueRunning();
    }
    expect(store.claimNext(Date.now())?.orthancStudyId).to.equal("victim");
    expect(store.getByStudy("poison")?.attempts).to.equal(3);
    const r = make(async (job) => ok(job), { maxAttempts: 3 });
    r.start();
    await waitFor(() => store.countInState("queued") + store.countInState("running") === 0);
    expect(store.getByStudy("poison")?.state).to.equal("failed");
    expect(store.getByStudy("poison")?.lastError?.code).to.equal("JOB_CRASHED");
    expect(store.getByStudy("victim")?.state).to.equal("done");
  });

  it("an interrupted attempt is not counted and says why", async () => {
    store.enqueue("a", "changes");
    const r = make(
      (job, signal) =>
        new Promise<JobResult>((resolve, reject) => {
          const t = setTimeout(() => resolve(ok(job)), 10_000);
          signal.addEventListener("abort", () => {
            clearTimeout(t);
            reject(signal.reason as Error);
          });
        }),
    );
    r.start();
    await waitFor(() => store.getByStudy("a")?.state === "running");
    await r.stop(20);
    const job = store.getByStudy("a")!;
    expect(job.state).to.equal("queued");
    expect(job.attempts).to.equal(0);
    expect(job.lastError?.code).to.equal("JOB_INTERRUPTED");
  });
});
