import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
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

    it("flags existing finished or running jobs for a re-processing check, never queued ones", () => {
      store.enqueueBatch(["done", "running", "queued"], "changes");
      const d = store.claimNext(now())!;
      store.complete(d.id, result("1.2.3"));
      store.claimNext(now());
      const res = store.enqueueBatch(
        ["done", "running", "queued", "new"],
        "changes",
        { name: "changes", value: 9 },
        { recheckExisting: true },
      );
      expect(res.map((r) => [r.job.orthancStudyId, r.created, r.job.recheck])).to.deep.equal([
        ["done", false, true],
        ["running", false, true],
        ["queued", false, false],
        ["new", true, false],
      ]);
      expect(store.getCursor("changes")).to.equal(9);
      // Only finished jobs are listed for the check; running ones wait until they finish.
      expect(store.listRecheck(10).map((j) => j.orthancStudyId)).to.deep.equal(["done"]);
      store.clearRecheck(d.id);
      expect(store.listRecheck(10)).to.deep.equal([]);
      expect(store.getByStudy("done")?.state).to.equal("done");
      // Without the option an existing job is left exactly as it was.
      store.enqueueBatch(["done"], "changes");
      expect(store.getByStudy("done")?.recheck).to.equal(false);
    });

    it("clears the recheck flag when a job is requeued", () => {
      store.enqueue("a", "changes");
      const j = store.claimNext(now())!;
      store.complete(j.id, result("1.2.3"));
      store.enqueueBatch(["a"], "changes", undefined, { recheckExisting: true });
      expect(store.requeue("a", "changes").recheck).to.equal(false);
    });

    it("finds jobs by Study Instance UID once known, and counts one state", () => {
      store.enqueueBatch(["a", "b", "c"], "changes");
      const a = store.claimNext(now())!;
      expect(store.getByStudyUid("1.2.840.1")).to.equal(null);
      store.setStudyInstanceUid(a.id, "1.2.840.1");
      expect(store.getByStudyUid("1.2.840.1")?.orthancStudyId).to.equal("a");
      expect(store.countInState("queued")).to.equal(2);
      expect(store.countInState("running")).to.equal(1);
      expect(store.countInState("done")).to.equal(0);
    });

    it("can return an attempt without counting it (PACS outage)", () => {
      store.enqueue("a", "changes");
      const j = store.claimNext(now())!;
      expect(j.attempts).to.equal(1);
      const back = store.retryLater(j.id, { code: "ORTHANC_UNREACHABLE", message: "down" }, 0, {
        countAttempt: false,
      });
      expect(back.state).to.equal("queued");
      expect(back.attempts).to.equal(0);
      expect(back.lastError?.code).to.equal("ORTHANC_UNREACHABLE");
      const counted = store.retryLater(store.claimNext(now())!.id, back.lastError!, 0);
      expect(counted.attempts).to.equal(1);
    });

    it("fails, instead of requeueing, a running job that used all its attempts (it kills the process)", () => {
      store.enqueueBatch(["a", "b"], "changes");
      const a = store.claimNext(now())!;
      store.retryLater(a.id, { code: "INTERNAL", message: "x" }, 0);
      const a2 = store.claimNext(now())!; // a again, attempt 2
      expect(a2.orthancStudyId).to.equal("a");
      expect(a2.attempts).to.equal(2);
      expect(store.claimNext(now())?.orthancStudyId).to.equal("b"); // attempt 1
      const n = store.requeueRunning({
        failAtAttempts: 2,
        error: { code: "JOB_CRASHED", message: "died" },
      });
      expect(n).to.equal(1);
      expect(store.getByStudy("a")).to.include({ state: "failed" });
      expect(store.getByStudy("a")?.lastError?.code).to.equal("JOB_CRASHED");
      expect(store.getByStudy("b")?.state).to.equal("queued");
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
    expect(s.schemaVersion()).to.be.at.least(2);
    s.close();
  });

  it("upgrades a v1 database in place, keeping its jobs and cursor", () => {
    const path = join(dir, "v1.sqlite");
    const raw = new Database(path);
    raw.exec(`CREATE TABLE _schema (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL);
      INSERT INTO _schema VALUES (1, 0);
      CREATE TABLE jobs (id INTEGER PRIMARY KEY AUTOINCREMENT, orthanc_study_id TEXT NOT NULL UNIQUE,
        study_uid TEXT, state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, source TEXT NOT NULL,
        last_error_code TEXT, last_error_message TEXT, skip_reason TEXT, not_before INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, started_at INTEGER, finished_at INTEGER,
        priority TEXT, result_json TEXT);
      CREATE INDEX jobs_state_not_before ON jobs(state, not_before, id);
      CREATE INDEX jobs_created ON jobs(created_at);
      CREATE TABLE cursors (name TEXT PRIMARY KEY, value INTEGER NOT NULL, updated_at INTEGER NOT NULL);
      INSERT INTO jobs (orthanc_study_id, study_uid, state, source, created_at, updated_at)
        VALUES ('old', '1.2.9', 'done', 'changes', 1, 1);
      INSERT INTO cursors VALUES ('orthanc-changes', 77, 1);`);
    raw.close();
    const s = new SqliteJobStore({ path });
    try {
      expect(s.schemaVersion()).to.be.at.least(2);
      expect(s.getCursor("orthanc-changes")).to.equal(77);
      const job = s.getByStudyUid("1.2.9");
      expect(job?.orthancStudyId).to.equal("old");
      expect(job?.recheck).to.equal(false);
    } finally {
      s.close();
    }
  });

  it("backs off exponentially with jitter and a cap", () => {
    expect(backoffDelay(1, 1000, 60_000, () => 0)).to.equal(500);
    expect(backoffDelay(1, 1000, 60_000, () => 1)).to.equal(1000);
    expect(backoffDelay(3, 1000, 60_000, () => 1)).to.equal(4000);
    expect(backoffDelay(20, 1000, 60_000, () => 1)).to.equal(60_000);
  });
});
