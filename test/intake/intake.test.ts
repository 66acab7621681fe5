import { expect } from "chai";
import { ConfigSchema } from "../../src/config/index.js";
import { RadzError } from "../../src/errors.js";
import { Intake, type ChangeSource } from "../../src/intake/index.js";
import { SqliteJobStore, type JobResult } from "../../src/jobs/index.js";
import { silentLogger } from "../../src/observability/index.js";
import { FakePacs } from "./fakes.js";

const result: JobResult = {
  studyInstanceUid: "1.2.3",
  findings: [],
  priority: "routine",
  triageScore: 0,
  model: { id: "m", version: "1", labelSetHash: "h" },
  images: ["1.1"],
  sr: { sopInstanceUid: "9.1", seriesInstanceUid: "9.2" },
  timings: {},
};

const noChanges: ChangeSource = {
  changes: async () => ({ changes: [], last: 0, done: true }),
  lastChange: async () => 0,
};

describe("intake/intake: the rules the composition root used to hold", () => {
  let store: SqliteJobStore;
  let pacs: FakePacs;
  let woke: number;
  beforeEach(() => {
    store = new SqliteJobStore({ path: ":memory:" });
    pacs = new FakePacs();
    woke = 0;
  });
  afterEach(() => store.close());

  function intake(reprocessOnChange: "new-images" | "never" | "always"): Intake {
    const config = ConfigSchema.parse({
      orthanc: { url: "http://127.0.0.1:1" },
      model: { bundle: "/nonexistent" },
      intake: { reprocessOnChange },
    });
    return new Intake({
      config,
      store,
      orthanc: pacs,
      dicomweb: pacs,
      changes: noChanges,
      currentReportSeriesUid: () => "9.2",
      logger: silentLogger(),
      wake: () => woke++,
    });
  }

  function finished(orthancId: string): void {
    store.enqueue(orthancId, "changes");
    store.complete(store.claimNext(Date.now())!.id, result);
  }

  it("a push enqueues a new study like the feed does", () => {
    const r = intake("new-images").push("a", "webhook");
    expect(r.created).to.equal(true);
    expect(store.getByStudy("a")).to.include({ state: "queued", source: "webhook" });
  });

  it("a push for a finished study flags it and runs the re-processing check (policy not never)", async () => {
    pacs.add({ uid: "1.2.3", orthancId: "a", instances: [{ series: "2", sop: "2.1" }] });
    finished("a");
    const i = intake("always");
    const r = i.push("a", "webhook");
    expect(r).to.include({ created: false });
    expect(r.job.recheck).to.equal(true);
    await i.stop(); // waits for the check it started
    expect(store.getByStudy("a")).to.include({ state: "queued", recheck: false });
    expect(woke).to.equal(1);
  });

  it("with policy never a push for a finished study leaves it alone", async () => {
    finished("a");
    const i = intake("never");
    expect(i.push("a", "webhook").job.recheck).to.equal(false);
    await i.stop();
    expect(store.getByStudy("a")).to.include({ state: "done", recheck: false });
    expect(pacs.calls.study).to.equal(0);
  });

  it("a job that settles flagged runs the check; one not flagged does not", async () => {
    pacs.add({ uid: "1.2.3", orthancId: "a", instances: [{ series: "2", sop: "2.1" }] });
    const i = intake("always");
    i.jobSettled({ recheck: false });
    await i.stop();
    expect(pacs.calls.study).to.equal(0);
    finished("a");
    store.enqueueBatch(["a"], "changes", undefined, { recheckExisting: true });
    i.jobSettled({ recheck: true });
    await i.stop();
    expect(store.getByStudy("a")).to.include({ state: "queued" });
  });

  it("studyExists: false for ORTHANC_NOT_FOUND, true for a study, other failures thrown", async () => {
    pacs.add({ uid: "1.2.3", orthancId: "a" });
    const i = intake("new-images");
    expect(await i.studyExists("a")).to.equal(true);
    expect(await i.studyExists("missing")).to.equal(false);
    pacs.failNext = new RadzError("ORTHANC_UNREACHABLE", "down");
    const err = await i.studyExists("a").then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(RadzError).with.property("code", "ORTHANC_UNREACHABLE");
  });
});
