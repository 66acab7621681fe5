import { expect } from "chai";
import { RadzError } from "../../src/errors.js";
import { ReprocessCheck, decideReprocess } from "../../src/intake/index.js";
import { SqliteJobStore, type JobResult } from "../../src/jobs/index.js";
import { silentLogger } from "../../src/observability/index.js";
import { FakePacs, SR, type FakeInstance } from "./fakes.js";

const CT = "1.2.840.10008.5.1.4.1.1.2";

const rules = { modalities: ["CR", "DX"], bodyParts: ["CHEST", ""], maxImagesPerStudy: 2 };

function candidates(list: FakeInstance[]) {
  return list.map((i) => ({
    studyInstanceUid: "1.2.3",
    seriesInstanceUid: i.series,
    sopInstanceUid: i.sop,
    sopClassUid: i.sopClass ?? "1.2.840.10008.5.1.4.1.1.1.1",
    modality: i.modality ?? "DX",
    bodyPartExamined: i.bodyPart ?? "CHEST",
    ...(i.view ? { viewPosition: i.view } : {}),
  }));
}

const result = (images: string[]): JobResult => ({
  studyInstanceUid: "1.2.3",
  findings: [],
  priority: "routine",
  triageScore: 0,
  model: { id: "m", version: "1", labelSetHash: "h" },
  images,
  sr: { sopInstanceUid: "9.1", seriesInstanceUid: "9.2" },
  timings: {},
});

describe("intake/reprocess: policy", () => {
  const done = { state: "done" as const, result: result(["1.1"]) };

  it("new-images: ignores RadZ's own SR and images the rules do not pick", () => {
    const now = candidates([
      { series: "1", sop: "1.1", view: "PA" },
      { series: "9.2", sop: "9.1", sopClass: SR, modality: "SR" },
      { series: "3", sop: "3.1", modality: "CT" },
    ]);
    expect(decideReprocess("new-images", done, now, rules).requeue).to.equal(false);
  });

  it("new-images: re-processes when a newly arrived image would be selected", () => {
    const now = candidates([
      { series: "1", sop: "1.1", view: "PA" },
      { series: "2", sop: "2.1", view: "LL" },
    ]);
    const d = decideReprocess("new-images", done, now, rules);
    expect(d).to.deep.equal({ requeue: true, reason: "1 newly eligible image(s)" });
  });

  it("new-images: a new image ranked below the cap does not re-process", () => {
    const twoRead = { state: "done" as const, result: result(["1.1", "1.2"]) };
    const now = candidates([
      { series: "1", sop: "1.1", view: "PA" },
      { series: "1", sop: "1.2", view: "PA" },
      { series: "2", sop: "2.1", view: "LL" },
    ]);
    expect(decideReprocess("new-images", twoRead, now, rules).requeue).to.equal(false);
  });

  it("new-images: a skipped study with a chest image now is re-processed", () => {
    const skipped = { state: "skipped" as const, result: null };
    expect(
      decideReprocess("new-images", skipped, candidates([{ series: "1", sop: "1.1" }]), rules)
        .requeue,
    ).to.equal(true);
    expect(
      decideReprocess(
        "new-images",
        skipped,
        candidates([{ series: "1", sop: "1.1", modality: "CT" }]),
        rules,
      ).requeue,
    ).to.equal(false);
  });

  it("always: any unread radiograph image, but never RadZ's own objects", () => {
    const ct = candidates([
      { series: "1", sop: "1.1" },
      { series: "3", sop: "3.1", modality: "CT", bodyPart: "HEAD" },
    ]);
    expect(decideReprocess("always", done, ct, rules).requeue).to.equal(true);
    const own = candidates([
      { series: "1", sop: "1.1" },
      { series: "9.2", sop: "9.1", sopClass: SR, modality: "SR" },
      { series: "9.3", sop: "9.3.1", sopClass: "1.2.840.10008.5.1.4.1.1.7", modality: "OT" },
    ]);
    expect(decideReprocess("always", done, own, rules).requeue).to.equal(false);
  });

  it("never: never", () => {
    const now = candidates([{ series: "2", sop: "2.1" }]);
    expect(decideReprocess("never", done, now, rules).requeue).to.equal(false);
  });
});

describe("intake/reprocess: check", () => {
  let store: SqliteJobStore;
  let pacs: FakePacs;
  beforeEach(() => {
    store = new SqliteJobStore({ path: ":memory:" });
    pacs = new FakePacs();
  });
  afterEach(() => store.close());

  function finish(orthancId: string, images: string[]) {
    store.enqueue(orthancId, "changes");
    const j = store.claimNext(Date.now())!;
    store.complete(j.id, result(images));
    store.enqueueBatch([orthancId], "changes", undefined, { recheckExisting: true });
  }

  const check = (policy: "new-images" | "never" | "always", onRequeued?: (n: number) => void) =>
    new ReprocessCheck({
      policy,
      store,
      orthanc: pacs,
      dicomweb: pacs,
      selection: rules,
      logger: silentLogger(),
      onRequeued,
    });

  it("requeues flagged studies with new eligible images and clears the others", async () => {
    pacs.add({
      uid: "1.2.3",
      orthancId: "a",
      instances: [
        { series: "1", sop: "1.1" },
        { series: "2", sop: "2.1" },
      ],
    });
    pacs.add({ uid: "1.2.4", orthancId: "b", instances: [{ series: "1", sop: "4.1" }] });
    finish("a", ["1.1"]);
    finish("b", ["4.1"]);
    let woke = 0;
    const report = await check("new-images", (n) => (woke += n)).run();
    expect(report).to.deep.equal({ checked: 2, requeued: 1, errors: 0 });
    expect(woke).to.equal(1);
    expect(store.getByStudy("a")).to.include({ state: "queued", recheck: false, attempts: 0 });
    expect(store.getByStudy("b")).to.include({ state: "done", recheck: false });
    expect(store.listRecheck(10)).to.deep.equal([]);
  });

  it("keeps the flag when the PACS fails (retried next run) and clears it for a deleted study", async () => {
    pacs.add({ uid: "1.2.3", orthancId: "a", instances: [{ series: "2", sop: "2.1" }] });
    finish("a", ["1.1"]);
    finish("gone", ["1.1"]);
    pacs.failNext = new RadzError("ORTHANC_UNREACHABLE", "down");
    const first = await check("new-images").run();
    expect(first.errors).to.equal(1);
    expect(store.getByStudy("a")?.recheck).to.equal(true);
    const second = await check("new-images").run();
    expect(second.requeued).to.equal(1);
    expect(store.getByStudy("gone")).to.include({ state: "done", recheck: false });
  });

  it("policy never clears flags without asking the PACS", async () => {
    finish("a", ["1.1"]);
    expect((await check("never").run()).requeued).to.equal(0);
    const { study, studySeries, seriesInstances, searchForInstances } = pacs.calls;
    expect(study + studySeries + seriesInstances + searchForInstances).to.equal(0);
    expect(store.getByStudy("a")).to.include({ state: "done", recheck: false });
  });

  it("series first: lists instances only of series that can be eligible, with the same decision", async () => {
    pacs.add({
      uid: "1.2.3",
      orthancId: "a",
      instances: [
        { series: "1", sop: "1.1" },
        ...Array.from({ length: 50 }, (_, i) => ({
          series: "9",
          sop: `9.${i}`,
          sopClass: CT,
          modality: "CT",
          bodyPart: "HEAD",
        })),
        { series: "3", sop: "3.1", bodyPart: "HAND" },
      ],
    });
    finish("a", ["1.1"]);
    expect((await check("new-images").run()).requeued).to.equal(0);
    expect(pacs.calls.seriesInstances, "only series 1 listed").to.equal(1);
    expect(pacs.calls.searchForInstances).to.equal(0);
    // "always": the DX HAND image (a radiograph in a rejected series) was not read.
    store.enqueueBatch(["a"], "changes", undefined, { recheckExisting: true });
    expect((await check("always").run()).requeued).to.equal(1);
  });
});
