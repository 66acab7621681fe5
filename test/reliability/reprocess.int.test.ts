/**
 * A study that changes after it was done (intake.reprocessOnChange, default
 * "new-images"), against a real Orthanc: RadZ's own SR makes Orthanc report
 * the study stable again, which must not re-process it; a new series with a
 * chest image must; a new CT series must not. One SR throughout.
 */
import { expect } from "chai";
import { readStudyReport } from "../../src/report/index.js";
import { makeTestInstance, randomUid, useOrthanc } from "../helpers/orthanc.js";
import { intakeCaughtUp, stableStudyChanges, useService } from "../helpers/service.js";
import { waitFor } from "../helpers/wait.js";
import { dicomweb, RELIABILITY_CONFIG, srInstances, upload } from "./helpers.js";

describe("reliability: re-processing a study that changed after it was done", function () {
  this.timeout(120_000);
  const orthanc = useOrthanc({ stableAgeSeconds: 1 });
  const radz = useService({
    prefix: "radz-reprocess-",
    orthancUrl: () => orthanc.url,
    config: RELIABILITY_CONFIG,
  });
  const stableStudyCount = (orthancId: string) => stableStudyChanges(orthanc.url, orthancId);

  it("ignores its own SR and unreadable additions, re-processes when a chest image arrives", async () => {
    const svc = await radz.start();
    const studyInstanceUid = randomUid();
    const patient = { patientId: "REPROC1", studyInstanceUid };
    const first = makeTestInstance({ ...patient, viewPosition: "PA" });
    const id = (await upload(orthanc.url, [{ instances: [first.bytes], studyInstanceUid }])).get(
      studyInstanceUid,
    )!;
    await waitFor(() => svc.store.getByStudy(id)?.state === "done", 30_000, "first run");
    const done = svc.store.getByStudy(id)!;
    expect(done.result!.images).to.deep.equal([first.sopInstanceUid]);

    // The SR written back makes Orthanc report the study stable a second time.
    await waitFor(
      async () => (await stableStudyCount(id)) >= 2,
      15_000,
      "the SR's StableStudy",
      200,
    );
    await intakeCaughtUp(svc); // the feed read it and the check ran
    const after = svc.store.getByStudy(id)!;
    expect(after.state, "not requeued").to.equal("done");
    expect(after.recheck).to.equal(false);
    expect(after.finishedAt, "not re-processed for its own SR").to.equal(done.finishedAt);

    // A CT series: nothing the rules read, so no re-processing.
    const ct = makeTestInstance({ ...patient, modality: "CT", bodyPartExamined: "HEAD" });
    await upload(orthanc.url, [{ instances: [ct.bytes], studyInstanceUid }]);
    await waitFor(
      async () => (await stableStudyCount(id)) >= 3,
      15_000,
      "the CT's StableStudy",
      200,
    );
    await intakeCaughtUp(svc);
    expect(svc.store.getByStudy(id)!.state, "not requeued").to.equal("done");
    expect(svc.store.getByStudy(id)!.finishedAt).to.equal(done.finishedAt);

    // A new chest series: re-processed, the new image read.
    const second = makeTestInstance({ ...patient, viewPosition: "AP", seriesNumber: 2 });
    await upload(orthanc.url, [{ instances: [second.bytes], studyInstanceUid }]);
    await waitFor(
      () => {
        const j = svc.store.getByStudy(id)!;
        return j.state === "done" && j.finishedAt !== done.finishedAt;
      },
      30_000,
      "the re-processing run",
    );
    const again = svc.store.getByStudy(id)!;
    expect(again.result!.images).to.have.members([first.sopInstanceUid, second.sopInstanceUid]);
    expect(again.attempts).to.equal(1);
    expect(svc.store.list()).to.have.length(1);
    const client = dicomweb(orthanc.dicomwebUrl);
    const srs = await srInstances(client, studyInstanceUid);
    expect(srs).to.deep.equal([again.result!.sr!.sopInstanceUid]);
    // The SR in the PACS is the new result (the previous run's was replaced).
    const sr = again.result!.sr!;
    const stored = readStudyReport(
      await client.retrieveInstance(studyInstanceUid, sr.seriesInstanceUid, sr.sopInstanceUid),
    );
    expect(stored.referencedSopInstanceUids).to.have.members([
      first.sopInstanceUid,
      second.sopInstanceUid,
    ]);
  });
});
