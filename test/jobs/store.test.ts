import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { RadzError } from "../../src/errors.js";
import {
  SqliteJobStore,
  backoffDelay,
  canTransition,
  type JobResult,
  type JobStore,
} from "../../src/jobs/index.js";

const result = (uid: string): JobResult => ({
  studyInstanceUid: uid,
  findings: [
    {
      labelId: "pneumothorax",
      display: "Pneumothorax",
      probability: 0.9,
      threshold: 0.5,
      positive: true,
    },
  ],
  priority: "urgent",
  triageScore: 0.9,
  model: { id: "m", version: "1", labelSetHash: "abc" },
  images: ["1.2.3.4"],
  sr: { sopInstanceUid: "2.25.1", seriesInstanceUid: "2.25.2" },
  timings: { inference: 12 },
});

/** Conformance suite: every JobStore implementation must pass it. */
function conformance(
  name: string,
  make: (now: () => number) => { store: JobStore; reopen?: () => JobStore },
) {
  describe(`JobStore conformance: ${name}`, () => {
    let clock = 1_000;
    const now = () => clock;
    let store: JobStore;
    let reopen: (() => JobStore) | undefined;

    beforeEach(() => {
      clock = 1_000;
      ({ store, reopen } = make(now));
    });
    afterEach(() => store.close());

    it("enqueues once per study and reports whether it created the job", () => {
      const [a, b] = store.enqueueBatch(["s1", "s1"], "changes");
      expect(a?.created).to.equal(true);
      expect(b?.created).to.equal(false);
      expect(store.list()).to.have.length(1);
    });

    it("moves the cursor in the same transaction as the jobs it covers", () => {
      store.enqueueBatch(["s1", "s2"], "changes", { name: "changes", value: 42 });
      expect(store.getCursor("changes")).to.equal(42);
      expect(store.list().map((j) => j.orthancStudyId)).to.have.members(["s1", "s2"]);
      expect(store.getCursor("other")).to.equal(null);
    });

    it("claims oldest first, counts attempts, and respects notBefore", () => {
      store.enqueueBatch(["s1", "s2"], "changes");
      const first = store.claimNext(now());
      expect(first?.orthancStudyId).to.equal("s1");
      expect(first?.state).to.equal("running");
      expect(first?.attempts).to.equal(1);
      const retry = store.retryLater(first!.id, { code: "ORTHANC_TIMEOUT", message: "t" }, 5_000);
      expect(retry.state).to.equal("queued");
      expect(store.claimNext(now())?.orthancStudyId).to.equal("s2");
      expect(store.claimNext(now())).to.equal(null);
      expect(store.nextWakeUp()).to.equal(5_000);
      clock = 5_000;
      const again = store.claimNext(now());
      expect(again?.orthancStudyId).to.equal("s1");
      expect(again?.attempts).to.equal(2);
    });

    it("records results, skips and failures with reasons", () => {
      store.enqueueBatch(["a", "b", "c"], "changes");
      const a = store.claimNext(now())!;
      const b = store.claimNext(now())!;
      const c = store.claimNext(now())!;
      expect(store.complete(a.id, result("1.2.3")).result?.priority).to.equal("urgent");
      const skipped = store.skip(b.id, "no chest radiograph", {
        code: "NO_ELIGIBLE_IMAGES",
        message: "none",
      });
      expect(skipped.state).to.equal("skipped");
      expect(skipped.skipReason).to.equal("no chest radiograph");
      const failed = store.fail(c.id, { code: "DICOM_PARSE_ERROR", message: "bad" });
      expect(failed.lastError).to.deep.equal({ code: "DICOM_PARSE_ERROR", message: "bad" });
      expect(store.countByState()).to.include({ done: 1, skipped: 1, failed: 1, queued: 0 });
      expect(store.getByStudy("a")?.studyInstanceUid).to.equal("1.2.3");
      expect(store.list({ state: "failed" }).map((j) => j.orthancStudyId)).to.deep.equal(["c"]);
      expect(store.list({ priority: "urgent" }).map((j) => j.orthancStudyId)).to.deep.equal(["a"]);
    });

    it("refuses transitions the state table does not allow", () => {
      store.enqueue("a", "changes");
      const j = store.getByStudy("a")!;
      expect(() => store.complete(j.id, result("1")))
        .to.throw(RadzError)
        .with.property("code", "JOB_INVALID_TRANSITION");
    });

    it("requeues finished jobs for reprocessing, but leaves active ones", () => {
      store.enqueue("a", "changes");
      const j = store.claimNext(now())!;
      expect(store.requeue("a", "manual").state).to.equal("running");
      store.fail(j.id, { code: "X", message: "m" });
      const again = store.requeue("a", "manual");
      expect(again.state).to.equal("queued");
      expect(again.attempts).to.equal(0);
      expect(again.lastError).to.equal(null);
    });

    it("returns running jobs to queued on crash recovery", () => {
      store.enqueueBatch(["a", "b"], "changes");
      store.claimNext(now());
      expect(store.requeueRunning()).to.equal(1);
      expect(store.countByState()).to.include({ queued: 2, running: 0 });
    });

    if (name.startsWith("sqlite file")) {
      it("keeps jobs and cursor across reopen", () => {
        store.enqueueBatch(["a"], "changes", { name: "changes", value: 7 });
        store.close();
        store = reopen!();
        expect(store.getCursor("changes")).to.equal(7);
        expect(store.getByStudy("a")?.state).to.equal("queued");
      });
    }
  });
}

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), "radz-jobs-"));
});
after(() => rmSync(dir, { recursive: true, force: true }));

conformance("sqlite memory", (now) => ({ store: new SqliteJobStore({ path: ":memory:", now }) }));
let n = 0;
conformance("sqlite file", (now) => {
  const path = join(dir, `jobs-${++n}.sqlite`);
  return {
    store: new SqliteJobStore({ path, now }),
    reopen: () => new SqliteJobStore({ path, now }),
  };
});

describe("job states and backoff", () => {
  it("allows only the documented transitions", () => {
    expect(canTransition("queued", "running")).to.equal(true);
    expect(canTransition("done", "running")).to.equal(false);
    expect(canTransition("failed", "queued")).to.equal(true);
  });

  it("records its schema version", () => {
    const s = new SqliteJobStore({ path: ":memory:" });
    expect(s.schemaVersion()).to.equal(1);
    s.close();
  });

  it("backs off exponentially with jitter and a cap", () => {
    expect(backoffDelay(1, 1000, 60_000, () => 0)).to.equal(500);
    expect(backoffDelay(1, 1000, 60_000, () => 1)).to.equal(1000);
    expect(backoffDelay(3, 1000, 60_000, () => 1)).to.equal(4000);
    expect(backoffDelay(20, 1000, 60_000, () => 1)).to.equal(60_000);
  });
});
