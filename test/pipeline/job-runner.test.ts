import { expect } from "chai";
import { RadzError } from "../../src/errors.js";
import { SqliteJobStore, type JobResult } from "../../src/jobs/index.js";
import { silentLogger } from "../../src/observability/index.js";
import { JobRunner, type StudyProcessor } from "../../src/pipeline/job-runner.js";
import { okResult as ok } from "../helpers/jobs.js";
import { waitFor } from "../helpers/wait.js";

describe("pipeline/job-runner", () => {
  let store: SqliteJobStore;
  beforeEach(() => (store = new SqliteJobStore({ path: ":memory:" })));
  afterEach(() => store.close());

  const runner = (
    process: StudyProcessor,
    extra: Partial<ConstructorParameters<typeof JobRunner>[0]> = {},
  ) =>
    new JobRunner({
      store,
      process,
      logger: silentLogger(),
      concurrency: 2,
      maxAttempts: 3,
      backoffBaseMs: 1,
      backoffMaxMs: 2,
      idlePollMs: 5,
      ...extra,
    });

  it("completes jobs and never runs more than `concurrency` at once", async () => {
    store.enqueueBatch(["a", "b", "c", "d", "e"], "changes");
    let active = 0;
    let peak = 0;
    const r = runner(async (job) => {
      peak = Math.max(peak, ++active);
      await new Promise((res) => setTimeout(res, 10));
      active--;
      return ok(job);
    });
    r.start();
    await waitFor(() => store.countByState().done === 5);
    await r.stop();
    expect(peak).to.equal(2);
  });

  it("retries transient errors with backoff and then succeeds", async () => {
    store.enqueue("a", "changes");
    let calls = 0;
    const r = runner(async (job) => {
      if (++calls < 3) throw new RadzError("ORTHANC_TIMEOUT", "slow");
      return ok(job);
    });
    r.start();
    await waitFor(() => store.getByStudy("a")?.state === "done");
    await r.stop();
    expect(store.getByStudy("a")?.attempts).to.equal(3);
  });

  it("fails after maxAttempts transient errors, keeping the last error", async () => {
    store.enqueue("a", "changes");
    const r = runner(async () => {
      throw new RadzError("DICOMWEB_HTTP_ERROR", "503 from server");
    });
    r.start();
    await waitFor(() => store.getByStudy("a")?.state === "failed");
    await r.stop();
    const job = store.getByStudy("a")!;
    expect(job.attempts).to.equal(3);
    expect(job.lastError?.code).to.equal("DICOMWEB_HTTP_ERROR");
  });

  it("fails permanent errors at once, skips studies with nothing eligible, and goes on", async () => {
    store.enqueueBatch(["bad", "empty", "good"], "changes");
    const r = runner(async (job) => {
      if (job.orthancStudyId === "bad") throw new RadzError("DICOM_PARSE_ERROR", "truncated");
      if (job.orthancStudyId === "empty")
        throw new RadzError("NO_ELIGIBLE_IMAGES", "no chest radiograph");
      return ok(job);
    });
    r.start();
    await waitFor(() => store.countByState().queued === 0 && store.countByState().running === 0);
    await r.stop();
    expect(store.getByStudy("bad")).to.include({ state: "failed", attempts: 1 });
    expect(store.getByStudy("empty")).to.include({
      state: "skipped",
      skipReason: "no chest radiograph",
    });
    expect(store.getByStudy("good")?.state).to.equal("done");
  });

  it("treats a non-RadZ exception as transient, not as a crash", async () => {
    store.enqueue("a", "changes");
    let calls = 0;
    const r = runner(async (job) => {
      if (++calls === 1) throw new TypeError("unexpected");
      return ok(job);
    });
    r.start();
    await waitFor(() => store.getByStudy("a")?.state === "done");
    await r.stop();
  });

  it("returns unfinished work to queued on stop", async () => {
    store.enqueue("a", "changes");
    const r = runner(
      (job, signal) =>
        new Promise<JobResult>((resolve, reject) => {
          const t = setTimeout(() => resolve(ok(job)), 10_000);
          signal.addEventListener("abort", () => {
            clearTimeout(t);
            reject(new RadzError("INTERNAL", "aborted"));
          });
        }),
    );
    r.start();
    await waitFor(() => store.getByStudy("a")?.state === "running");
    await r.stop(50);
    expect(store.getByStudy("a")?.state).to.equal("queued");
  });
});
