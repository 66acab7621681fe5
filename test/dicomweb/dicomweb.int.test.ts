import { expect } from "chai";
import { firstString, Tag } from "../../src/dicom/index.js";
import { DicomWebClient } from "../../src/dicomweb/index.js";
import { expectRadzError } from "../helpers/errors.js";
import { OrthancClient } from "../../src/orthanc/index.js";
import { makeTestInstance, readPart10, useOrthanc, type TestInstance } from "../helpers/orthanc.js";

describe("dicomweb (real Orthanc 1.10 + DICOMweb plugin)", function () {
  this.timeout(60_000);
  const orthanc = useOrthanc();
  let dicomweb: DicomWebClient;
  let rest: OrthancClient;
  let inst: TestInstance;

  before(async () => {
    dicomweb = new DicomWebClient({
      url: orthanc.dicomwebUrl,
      timeoutMs: 10_000,
      maxInstanceBytes: 8 * 1024 * 1024,
    });
    rest = new OrthancClient({ url: orthanc.url, timeoutMs: 10_000 });
    inst = makeTestInstance({ rows: 128, columns: 96 });
    await rest.uploadInstance(inst.bytes);
  });

  it("QIDO-RS finds the uploaded study, series and instance", async () => {
    const studies = await dicomweb.searchForStudies({ StudyInstanceUID: inst.studyInstanceUid });
    expect(studies).to.have.length(1);
    expect(firstString(studies[0] ?? {}, Tag.StudyInstanceUID)).to.equal(inst.studyInstanceUid);
    expect(await dicomweb.searchForStudies({ StudyInstanceUID: "1.2.3.999" })).to.deep.equal([]);

    const series = await dicomweb.searchForSeries(inst.studyInstanceUid, { Modality: "DX" });
    expect(series.map((s) => firstString(s, Tag.SeriesInstanceUID))).to.deep.equal([
      inst.seriesInstanceUid,
    ]);

    const instances = await dicomweb.searchForInstances(
      inst.studyInstanceUid,
      inst.seriesInstanceUid,
      [Tag.Rows],
    );
    expect(instances).to.have.length(1);
    expect(firstString(instances[0] ?? {}, Tag.SOPInstanceUID)).to.equal(inst.sopInstanceUid);
    expect(instances[0]?.[Tag.Rows]?.Value).to.deep.equal([128]);
  });

  it("QIDO-RS returns every requested includefield and matches values with ^ and wildcards on Orthanc 1.10", async () => {
    const instances = await dicomweb.searchForInstances(inst.studyInstanceUid, undefined, [
      Tag.ViewPosition,
      "BodyPartExamined",
      Tag.ImageType,
    ]);
    expect(firstString(instances[0] ?? {}, Tag.ViewPosition)).to.equal("PA");
    expect(firstString(instances[0] ?? {}, Tag.BodyPartExamined)).to.equal("CHEST");
    expect(instances[0]?.[Tag.ImageType]?.Value).to.deep.equal(["ORIGINAL", "PRIMARY"]);
    const byName = await dicomweb.searchForStudies({
      PatientName: "TEST^PAT*",
      StudyInstanceUID: inst.studyInstanceUid,
    });
    expect(byName).to.have.length(1);
  });

  it("WADO-RS returns the instance as uploaded (same dataset, same bytes)", async () => {
    const bytes = await dicomweb.retrieveInstance(
      inst.studyInstanceUid,
      inst.seriesInstanceUid,
      inst.sopInstanceUid,
    );
    const got = readPart10(bytes);
    const sent = readPart10(inst.bytes);
    expect(got.meta.TransferSyntaxUID).to.equal(sent.meta.TransferSyntaxUID);
    const strip = (d: Record<string, unknown>): Record<string, unknown> => {
      const { PixelData: _p, ...rest } = d;
      return rest;
    };
    expect(strip(got.dataset)).to.deep.equal(strip(sent.dataset));
    const gotPixels = Buffer.from(
      (got.dataset.PixelData as ArrayBuffer[])[0] ?? new ArrayBuffer(0),
    );
    const sentPixels = Buffer.from(
      (sent.dataset.PixelData as ArrayBuffer[])[0] ?? new ArrayBuffer(0),
    );
    expect(gotPixels.equals(sentPixels)).to.equal(true);
    // Orthanc 1.10 stores and serves the file untouched.
    expect(Buffer.from(bytes).equals(Buffer.from(inst.bytes))).to.equal(true);
  });

  it("WADO-RS maps an unknown instance to DICOMWEB_REJECTED and enforces maxInstanceBytes", async () => {
    await expectRadzError(
      dicomweb.retrieveInstance(inst.studyInstanceUid, inst.seriesInstanceUid, "1.2.3.4.5.6"),
      "DICOMWEB_REJECTED",
    );
    const small = new DicomWebClient({
      url: orthanc.dicomwebUrl,
      timeoutMs: 10_000,
      maxInstanceBytes: 4096,
    });
    await expectRadzError(
      small.retrieveInstance(inst.studyInstanceUid, inst.seriesInstanceUid, inst.sopInstanceUid),
      "DICOMWEB_INSTANCE_TOO_LARGE",
    );
  });

  it("STOW-RS stores a new instance into the study; it appears in QIDO-RS; a duplicate is fine", async () => {
    const added = makeTestInstance({ studyInstanceUid: inst.studyInstanceUid, seriesNumber: 9900 });
    const result = await dicomweb.storeInstances([added.bytes], inst.studyInstanceUid);
    expect(result).to.deep.equal({ stored: [added.sopInstanceUid], failed: [], warnings: [] });

    const instances = await dicomweb.searchForInstances(inst.studyInstanceUid);
    expect(instances.map((i) => firstString(i, Tag.SOPInstanceUID))).to.have.members([
      inst.sopInstanceUid,
      added.sopInstanceUid,
    ]);

    const again = await dicomweb.storeInstances([added.bytes], inst.studyInstanceUid);
    expect(again.stored).to.deep.equal([added.sopInstanceUid]);
    const studyId = await rest.findStudyByUid(inst.studyInstanceUid);
    expect(await rest.studyInstances(studyId ?? "")).to.have.length(2);
  });

  it("STOW-RS into a study the instance does not belong to fails with STOW_FAILED", async () => {
    const other = makeTestInstance();
    const e = await expectRadzError(
      dicomweb.storeInstances([other.bytes], inst.studyInstanceUid),
      "STOW_FAILED",
    );
    expect(e.details?.status).to.equal(409);
    expect(await rest.findStudyByUid(other.studyInstanceUid)).to.equal(null);
  });
});

describe("dicomweb with HTTP Basic auth (real Orthanc)", function () {
  this.timeout(60_000);
  const orthanc = useOrthanc({ username: "radz", password: "secret" });

  it("authenticates QIDO, WADO and STOW; refuses without credentials", async () => {
    const inst = makeTestInstance();
    const authed = new DicomWebClient({
      url: orthanc.dicomwebUrl,
      username: "radz",
      password: "secret",
      timeoutMs: 10_000,
      maxInstanceBytes: 1 << 20,
    });
    expect((await authed.storeInstances([inst.bytes])).stored).to.deep.equal([inst.sopInstanceUid]);
    expect(
      await authed.searchForStudies({ StudyInstanceUID: inst.studyInstanceUid }),
    ).to.have.length(1);
    const bytes = await authed.retrieveInstance(
      inst.studyInstanceUid,
      inst.seriesInstanceUid,
      inst.sopInstanceUid,
    );
    expect(bytes.length).to.equal(inst.bytes.length);

    const anonymous = new DicomWebClient({
      url: orthanc.dicomwebUrl,
      timeoutMs: 10_000,
      maxInstanceBytes: 1 << 20,
    });
    await expectRadzError(anonymous.searchForStudies(), "DICOMWEB_REJECTED");
    await expectRadzError(
      anonymous.retrieveInstance(
        inst.studyInstanceUid,
        inst.seriesInstanceUid,
        inst.sopInstanceUid,
      ),
      "DICOMWEB_REJECTED",
    );
  });
});
