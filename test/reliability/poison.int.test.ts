/**
 * Poison: a study with a corrupt image (Pixel Data shorter than Rows x
 * Columns require) and a study in a transfer syntax RadZ cannot decode (MPEG-2
 * video) end `failed` with their reasons at the first attempt (permanent),
 * while 20 good studies beside them complete.
 */
import { expect } from "chai";
import { parseInstance } from "../../src/imaging/index.js";
import { isTerminal } from "../../src/jobs/index.js";
import { encapsulatedFile } from "../imaging/codec-fixtures.js";
import { makeTestInstance, useOrthanc } from "../helpers/orthanc.js";
import { useService } from "../helpers/service.js";
import { waitFor } from "../helpers/wait.js";
import { dicomweb, smallStudies, srInstances, RELIABILITY_CONFIG, upload } from "./helpers.js";

const MPEG2 = "1.2.840.10008.1.2.4.100";

/** A chest DX instance whose "pixel data" is an MPEG-2 elementary stream. */
function mpeg2Study(): { instances: Uint8Array[]; studyInstanceUid: string } {
  const base = makeTestInstance({ rows: 64, columns: 64 });
  const ds: Record<string, unknown> = { ...parseInstance(base.bytes).dataset };
  delete ds["PixelData"];
  const vrMap = { ...((ds["_vrMap"] as Record<string, string> | undefined) ?? {}) };
  delete vrMap["PixelData"];
  ds["_vrMap"] = vrMap;
  return {
    instances: [encapsulatedFile(MPEG2, ds, [new Uint8Array([0, 0, 1, 0xb3, 0, 0, 0, 0])])],
    studyInstanceUid: base.studyInstanceUid,
  };
}

/** A chest DX instance that says 128 x 128 x 16 bit but carries 200 bytes of Pixel Data. */
function corruptStudy(): { instances: Uint8Array[]; studyInstanceUid: string } {
  const t = makeTestInstance({
    rows: 128,
    columns: 128,
    extra: { PixelData: [new Uint16Array(100).buffer] },
  });
  return { instances: [t.bytes], studyInstanceUid: t.studyInstanceUid };
}

describe("reliability: poison studies beside good ones", function () {
  this.timeout(180_000);
  const orthanc = useOrthanc({ stableAgeSeconds: 1 });
  const radz = useService({
    prefix: "radz-poison-",
    orthancUrl: () => orthanc.url,
    config: RELIABILITY_CONFIG,
  });

  it("fails the corrupt and the unsupported study with reasons; 20 good studies complete", async () => {
    const svc = await radz.start({ jobs: { backoffBaseMs: 100 } });
    const good = smallStudies(20, 20, 128);
    const corrupt = corruptStudy();
    const video = mpeg2Study();
    // Poison first, so it is in the way of the good studies.
    const ids = await upload(orthanc.url, [corrupt, video, ...good]);
    const all = [...ids.values()];
    await waitFor(
      () => all.every((id) => isTerminal(svc.store.getByStudy(id)?.state ?? "queued")),
      120_000,
      "every study to finish",
    );
    const corruptJob = svc.store.getByStudy(ids.get(corrupt.studyInstanceUid)!)!;
    expect(corruptJob.state).to.equal("failed");
    expect(corruptJob.attempts, "permanent: no retry").to.equal(1);
    expect(corruptJob.lastError?.code).to.be.oneOf([
      "DICOM_PIXEL_DATA_TRUNCATED",
      "DICOM_PARSE_ERROR",
    ]);
    expect(corruptJob.lastError?.message).to.be.a("string").and.not.equal("");

    const videoJob = svc.store.getByStudy(ids.get(video.studyInstanceUid)!)!;
    expect(videoJob.state).to.equal("failed");
    expect(videoJob.attempts).to.equal(1);
    expect(videoJob.lastError?.code).to.equal("DICOM_UNSUPPORTED_TRANSFER_SYNTAX");
    expect(videoJob.lastError?.message).to.include(MPEG2);

    const client = dicomweb(orthanc.dicomwebUrl);
    for (const s of good) {
      const job = svc.store.getByStudy(ids.get(s.studyInstanceUid)!)!;
      expect(job.state, JSON.stringify(job.lastError)).to.equal("done");
      expect(await srInstances(client, s.studyInstanceUid)).to.have.length(1);
    }
    for (const s of [corrupt, video])
      expect(await srInstances(client, s.studyInstanceUid), "no SR for poison").to.have.length(0);
  });
});
