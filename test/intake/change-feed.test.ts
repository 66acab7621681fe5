import { expect } from "chai";
import {
  ChangeFeed,
  CHANGES_CURSOR,
  INDEX_RESET_CURSOR,
  type ChangeSource,
  type FeedChange,
} from "../../src/intake/index.js";
import { SqliteJobStore } from "../../src/jobs/index.js";
import { silentLogger } from "../../src/observability/index.js";

/** A scripted /changes feed: a list of changes served in pages, like Orthanc's. */
class FakeFeed implements ChangeSource {
  changesLog: FeedChange[] = [];
  calls = 0;
  failNext = false;
  add(type: string, id: string, resourceType = "Study"): void {
    this.changesLog.push({
      seq: this.changesLog.length + 1,
      changeType: type,
      resourceType,
      resourceId: id,
    });
  }
  async changes(since: number, limit: number) {
    this.calls++;
    if (this.failNext) {
      this.failNext = false;
      throw new Error("boom");
    }
    const page = this.changesLog.filter((c) => c.seq > since).slice(0, limit);
    const last = page.length ? page[page.length - 1]!.seq : this.changesLog.length;
    return { changes: page, last, done: page.length < limit };
  }
  async lastChange() {
    return this.changesLog.length;
  }
}

describe("intake/change-feed", () => {
  let store: SqliteJobStore;
  let feed: FakeFeed;
  beforeEach(() => {
    store = new SqliteJobStore({ path: ":memory:" });
    feed = new FakeFeed();
  });
  afterEach(() => store.close());

  const make = (startFrom: "now" | "beginning" = "beginning", onEnqueued?: (n: number) => void) =>
    new ChangeFeed({
      source: feed,
      store,
      logger: silentLogger(),
      limit: 2,
      startFrom,
      onEnqueued,
    });

  it("enqueues StableStudy changes only, across pages, and moves the cursor to Last", async () => {
    feed.add("NewInstance", "i1", "Instance");
    feed.add("StableStudy", "s1");
    feed.add("StableSeries", "x1", "Series");
    feed.add("StableStudy", "s2");
    feed.add("StableStudy", "s1");
    let woke = 0;
    const created = await make("beginning", (n) => (woke += n)).poll();
    expect(created).to.equal(2);
    expect(woke).to.equal(2);
    expect(store.list().map((j) => j.orthancStudyId)).to.have.members(["s1", "s2"]);
    expect(store.getCursor(CHANGES_CURSOR)).to.equal(5);
  });

  it("starting 'now' ignores history but sees later studies", async () => {
    feed.add("StableStudy", "old");
    const f = make("now");
    expect(await f.poll()).to.equal(0);
    feed.add("StableStudy", "new");
    expect(await f.poll()).to.equal(1);
    expect(store.list().map((j) => j.orthancStudyId)).to.deep.equal(["new"]);
  });

  it("does not re-enqueue after a restart (durable cursor)", async () => {
    feed.add("StableStudy", "s1");
    await make().poll();
    const job = store.claimNext(Date.now())!;
    store.fail(job.id, { code: "X", message: "x" });
    expect(await make().poll()).to.equal(0);
    expect(store.getByStudy("s1")?.state).to.equal("failed");
  });

  it("keeps the cursor where it was when a poll fails", async () => {
    feed.add("StableStudy", "s1");
    await make().poll();
    feed.add("StableStudy", "s2");
    feed.failNext = true;
    await make()
      .poll()
      .then(
        () => expect.fail("should reject"),
        (e: Error) => expect(e.message).to.equal("boom"),
      );
    expect(store.getCursor(CHANGES_CURSOR)).to.equal(1);
    expect(await make().poll()).to.equal(1);
  });

  it("restarts from zero when Orthanc's sequence goes backwards (index reset)", async () => {
    feed.add("StableStudy", "s1");
    feed.add("StableStudy", "s2");
    await make().poll();
    feed.changesLog = [];
    feed.add("StableStudy", "s3");
    expect(await make().poll()).to.equal(1);
    expect(store.getCursor(CHANGES_CURSOR)).to.equal(1);
  });

  it("requests a rescan durably, before the cursor moves back, when the index is reset", async () => {
    feed.add("StableStudy", "s1");
    feed.add("StableStudy", "s2");
    let resets = 0;
    const mk = () =>
      new ChangeFeed({
        source: feed,
        store,
        logger: silentLogger(),
        limit: 2,
        startFrom: "beginning",
        onIndexReset: () => resets++,
        now: () => 4242,
      });
    await mk().poll();
    expect(store.getCursor(INDEX_RESET_CURSOR)).to.equal(null);
    feed.changesLog = [];
    feed.add("StableStudy", "s3");
    await mk().poll();
    expect(resets).to.equal(1);
    expect(store.getCursor(INDEX_RESET_CURSOR)).to.equal(4242);
    expect(store.getByStudy("s3")?.state).to.equal("queued");
  });

  it("defers intake while the queue is full, without moving the cursor, and resumes", async () => {
    for (const id of ["s1", "s2", "s3", "s4", "s5"]) feed.add("StableStudy", id);
    const f = new ChangeFeed({
      source: feed,
      store,
      logger: silentLogger(),
      limit: 2,
      startFrom: "beginning",
      maxQueued: 3,
    });
    expect(await f.poll()).to.equal(4); // two pages: the bound is checked before each page
    expect(store.getCursor(CHANGES_CURSOR)).to.equal(4);
    const callsBefore = feed.calls;
    expect(await f.poll()).to.equal(0);
    expect(feed.calls, "no /changes request while full").to.equal(callsBefore);
    expect(store.getCursor(CHANGES_CURSOR)).to.equal(4);
    const j = store.claimNext(Date.now())!;
    store.fail(j.id, { code: "X", message: "x" });
    store.claimNext(Date.now());
    expect(await f.poll()).to.equal(1);
    expect(store.getByStudy("s5")?.state).to.equal("queued");
  });

  it("flags a finished job for the re-processing check when its study is stable again", async () => {
    feed.add("StableStudy", "s1");
    let flagged = 0;
    const f = new ChangeFeed({
      source: feed,
      store,
      logger: silentLogger(),
      limit: 10,
      startFrom: "beginning",
      recheckExisting: true,
      onFlagged: (n) => (flagged += n),
    });
    await f.poll();
    const j = store.claimNext(Date.now())!;
    store.skip(j.id, "none", { code: "NO_ELIGIBLE_IMAGES", message: "none" });
    feed.add("StableStudy", "s1");
    expect(await f.poll()).to.equal(0);
    expect(flagged).to.equal(1);
    expect(store.getByStudy("s1")).to.include({ state: "skipped", recheck: true });
  });

  it("shares one poll between overlapping calls", async () => {
    feed.add("StableStudy", "s1");
    const f = make();
    const [a, b] = await Promise.all([f.poll(), f.poll()]);
    expect(a).to.equal(1);
    expect(b).to.equal(1);
    expect(feed.calls).to.equal(1);
  });
});
