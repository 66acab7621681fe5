import { expect } from "chai";
import {
  INDEX_RESET_CURSOR,
  ReconciliationSweep,
  StudyReconciler,
  daysBetween,
  parseDay,
} from "../../src/intake/index.js";
import { SqliteJobStore } from "../../src/jobs/index.js";
import { silentLogger } from "../../src/observability/index.js";
import { FakePacs } from "./fakes.js";

const reportSeries = (uid: string) => `9.${uid}`;

describe("intake/sweep", () => {
  let store: SqliteJobStore;
  let pacs: FakePacs;
  beforeEach(() => {
    store = new SqliteJobStore({ path: ":memory:" });
    pacs = new FakePacs();
  });
  afterEach(() => store.close());

  const sweep = (extra: { maxQueued?: number; onEnqueued?: (n: number) => void } = {}) =>
    new ReconciliationSweep({
      dicomweb: pacs,
      reconciler: new StudyReconciler({
        store,
        orthanc: pacs,
        dicomweb: pacs,
        modalities: ["CR", "DX"],
        currentReportSeriesUid: reportSeries,
      }),
      store,
      logger: silentLogger(),
      windowDays: 2,
      maxQueued: extra.maxQueued ?? 100,
      pageSize: 2,
      now: () => new Date(2024, 0, 5, 13, 0),
      onEnqueued: extra.onEnqueued,
    });

  it("searches the window by Study Date and enqueues only studies without a job or a current SR", async () => {
    pacs.add({ uid: "1.1", date: "20240105" }); // missed: enqueue
    pacs.add({ uid: "1.2", date: "20240103" }); // missed, edge of window: enqueue
    pacs.add({ uid: "1.3", date: "20240102" }); // outside the window
    pacs.add({ uid: "1.4", date: "20240104", series: ["9.1.4"] }); // has the current SR
    pacs.add({ uid: "1.5", date: "20240104", modalities: ["CT"] }); // cannot be read
    pacs.add({ uid: "1.6", date: "20240104" }); // job exists, UID not yet known
    pacs.add({ uid: "1.7", date: "20240104" }); // job exists with UID
    store.enqueue("oid-1.6", "changes");
    const j7 = store.enqueue("oid-1.7", "changes").job;
    store.setStudyInstanceUid(j7.id, "1.7");
    let woke = 0;
    const report = await sweep({ onEnqueued: (n) => (woke += n) }).run();
    expect(report.range).to.equal("20240103-20240105");
    expect(report.scanned).to.equal(6);
    expect(report.enqueued).to.equal(2);
    expect(report.outcomes).to.deep.equal({
      enqueued: 2,
      "has-report": 1,
      "not-eligible": 1,
      "has-job": 2,
    });
    expect(woke).to.equal(2);
    expect(store.getByStudy("oid-1.1")?.source).to.equal("sweep");
    expect(store.getByStudy("oid-1.2")?.source).to.equal("sweep");
    expect(store.getByStudy("oid-1.4")).to.equal(null);
    // The look-up taught the store the UID: the next sweep needs no look-up for it.
    expect(store.getByStudyUid("1.6")?.orthancStudyId).to.equal("oid-1.6");
    pacs.calls.lookup = 0;
    const again = await sweep().run();
    expect(again.enqueued).to.equal(0);
    expect(pacs.calls.lookup).to.equal(1); // only 1.4 (has a report, no job) is looked up again
  });

  it("stops at the queue bound and finishes on a later run", async () => {
    for (let i = 1; i <= 5; i++) pacs.add({ uid: `2.${i}`, date: "20240105" });
    const first = await sweep({ maxQueued: 3 }).run();
    expect(first.deferred).to.equal(true);
    expect(store.countInState("queued")).to.equal(3);
    for (let i = 0; i < 3; i++) store.claimNext(Date.now());
    const second = await sweep({ maxQueued: 3 }).run();
    expect(second.deferred).to.equal(false);
    expect(store.list()).to.have.length(5);
  });

  it("runs a requested index-reset rescan once and clears the request", async () => {
    pacs.add({ uid: "3.1", date: "20240105" });
    const s = sweep();
    expect(await s.runIfRequested()).to.equal(null);
    expect(store.list()).to.have.length(0);
    store.setCursor(INDEX_RESET_CURSOR, 1234);
    const report = await s.runIfRequested();
    expect(report?.enqueued).to.equal(1);
    expect(store.getCursor(INDEX_RESET_CURSOR)).to.equal(0);
    expect(await s.runIfRequested()).to.equal(null);
  });

  it("propagates a QIDO failure (the scheduler logs it and tries again next time)", async () => {
    pacs.add({ uid: "4.1", date: "20240105" });
    store.setCursor(INDEX_RESET_CURSOR, 99);
    pacs.failNext = new (await import("../../src/errors.js")).RadzError(
      "DICOMWEB_UNREACHABLE",
      "down",
    );
    let error: unknown;
    await sweep()
      .runIfRequested()
      .catch((e: unknown) => (error = e));
    expect((error as { code?: string }).code).to.equal("DICOMWEB_UNREACHABLE");
    expect(store.getCursor(INDEX_RESET_CURSOR), "request kept").to.equal(99);
  });
});

describe("intake/reconcile dates", () => {
  it("parses YYYY-MM-DD and YYYYMMDD, refuses impossible days", () => {
    expect(daysBetween(parseDay("2024-02-28"), parseDay("20240302"))).to.deep.equal([
      "20240228",
      "20240229",
      "20240301",
      "20240302",
    ]);
    expect(() => parseDay("2023-02-29")).to.throw(/YYYY-MM-DD/);
    expect(() => parseDay("yesterday")).to.throw(/YYYY-MM-DD/);
    expect(daysBetween(parseDay("2024-01-02"), parseDay("2024-01-01"))).to.deep.equal([]);
  });
});
