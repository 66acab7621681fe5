import { expect } from "chai";
import {
  StudyReconciler,
  backfillMarker,
  parseDay,
  runBackfill,
  type BackfillProgress,
} from "../../src/intake/index.js";
import { SqliteJobStore } from "../../src/jobs/index.js";
import { silentLogger } from "../../src/observability/index.js";
import { FakePacs } from "./fakes.js";

describe("intake/backfill", () => {
  let store: SqliteJobStore;
  let pacs: FakePacs;
  beforeEach(() => {
    store = new SqliteJobStore({ path: ":memory:" });
    pacs = new FakePacs();
    pacs.add({ uid: "1.1", date: "20240101" });
    pacs.add({ uid: "1.2", date: "20240101", modalities: ["CT"] });
    pacs.add({ uid: "2.1", date: "20240102" });
    pacs.add({ uid: "2.2", date: "20240102" });
    pacs.add({ uid: "2.3", date: "20240102", modalities: ["CR", "SR"] });
    pacs.add({ uid: "3.1", date: "20240103" });
    pacs.add({ uid: "9.1", date: "20240110" }); // outside the range
  });
  afterEach(() => store.close());

  const opts = (extra: Partial<Parameters<typeof runBackfill>[0]> = {}) => ({
    dicomweb: pacs,
    reconciler: new StudyReconciler({
      store,
      orthanc: pacs,
      dicomweb: pacs,
      modalities: ["CR", "DX"],
    }),
    store,
    logger: silentLogger(),
    since: parseDay("2024-01-01"),
    until: parseDay("2024-01-03"),
    modalities: ["DX", "CR"],
    maxQueued: 1000,
    pageSize: 2,
    queuePollMs: 5,
    ...extra,
  });

  it("dry run counts and classifies without enqueueing or moving the marker", async () => {
    store.enqueue("oid-2.1", "changes");
    const report = await runBackfill(opts({ dryRun: true }));
    expect(report.total).to.equal(6);
    expect(report.outcomes).to.deep.equal({
      "would-enqueue": 4,
      "not-eligible": 1,
      "has-job": 1,
    });
    expect(report.enqueued).to.equal(0);
    expect(store.list()).to.have.length(1);
    expect(store.getCursor(report.marker)).to.equal(null);
  });

  it("enqueues with source backfill, reports progress with a known total, and records the marker", async () => {
    const progress: BackfillProgress[] = [];
    const report = await runBackfill(opts({ onProgress: (p) => progress.push(p) }));
    expect(report).to.include({ total: 6, enqueued: 5, complete: true, days: 3 });
    expect(store.list().map((j) => [j.orthancStudyId, j.source])).to.have.deep.members([
      ["oid-1.1", "backfill"],
      ["oid-2.1", "backfill"],
      ["oid-2.2", "backfill"],
      ["oid-2.3", "backfill"],
      ["oid-3.1", "backfill"],
    ]);
    const counting = progress.filter((p) => p.phase === "counting");
    expect(counting.map((p) => p.total)).to.deep.equal([2, 5, 6]);
    const last = progress[progress.length - 1]!;
    expect(last).to.include({ phase: "enqueueing", total: 6, done: 6, enqueued: 5 });
    expect(store.getCursor(report.marker)).to.equal(20240103);
    expect(report.marker).to.equal(
      backfillMarker(parseDay("2024-01-01"), parseDay("2024-01-03"), ["CR", "DX"]),
    );
  });

  it("resumes after the last completed day when interrupted", async () => {
    const abort = new AbortController();
    const first = await runBackfill(
      opts({
        signal: abort.signal,
        onProgress: (p) => {
          if (p.phase === "enqueueing" && p.day === "20240102") abort.abort();
        },
      }),
    );
    expect(first.complete).to.equal(false);
    expect(store.getCursor(first.marker)).to.equal(20240101);
    const second = await runBackfill(opts());
    expect(second.resumedAfter).to.equal("20240101");
    expect(second.total).to.equal(4); // days 2 and 3 only
    expect(second.complete).to.equal(true);
    expect(store.list()).to.have.length(5);
    // A finished range is not scanned again unless restarted.
    const third = await runBackfill(opts());
    expect(third.total).to.equal(0);
    expect((await runBackfill(opts({ restart: true }))).total).to.equal(6);
  });

  it("waits while the queue is full and goes on when the service drains it", async () => {
    const states: string[] = [];
    let draining = false;
    const report = await runBackfill(
      opts({
        maxQueued: 2,
        onProgress: (p) => {
          states.push(p.phase);
          if (p.phase === "waiting" && !draining) {
            draining = true; // the "service" takes the queued jobs a little later
            setTimeout(() => {
              while (store.claimNext(Date.now()));
              draining = false;
            }, 20);
          }
        },
      }),
    );
    expect(states).to.include("waiting");
    expect(report.complete).to.equal(true);
    expect(store.list()).to.have.length(5);
  });

  it("stops, resumable, when the queue is full and waiting is off", async () => {
    const report = await runBackfill(opts({ maxQueued: 2, waitWhenFull: false }));
    expect(report.complete).to.equal(false);
    expect(store.list()).to.have.length(2);
    expect(store.getCursor(report.marker)).to.equal(20240101);
  });
});
