import { expect } from "chai";
import getPort from "get-port";
import { expectRadzError } from "../helpers/errors.js";
import { waitFor } from "../helpers/wait.js";
import { OrthancClient, type OrthancChange } from "../../src/orthanc/index.js";
import { makeTestInstance, useOrthanc } from "../helpers/orthanc.js";

const MISSING_ID = "00000000-00000000-00000000-00000000-00000000";

describe("orthanc/client (real Orthanc 1.10)", function () {
  this.timeout(60_000);
  const orthanc = useOrthanc({ stableAgeSeconds: 1 });
  let client: OrthancClient;
  before(() => {
    client = new OrthancClient({ url: orthanc.url, timeoutMs: 10_000 });
  });

  it("reports version, the DICOMweb plugin and no labels on 1.10.1", async () => {
    const system = await client.system();
    expect(system.version).to.equal("1.10.1");
    expect(system.apiVersion).to.be.a("number");
    expect(system.name).to.equal("RADZ-LOCAL");
    expect(system.dicomWebPlugin).to.equal(true);
    expect(system.supportsLabels).to.equal(false);
  });

  it("uploads an instance, then finds the study by UID, lists series and instances", async () => {
    const inst = makeTestInstance({ patientName: "SECRET^PATIENT" });
    const up = await client.uploadInstance(inst.bytes);
    expect(up.status).to.equal("Success");
    expect((await client.uploadInstance(inst.bytes)).status).to.equal("AlreadyStored");

    expect(await client.findStudyByUid(inst.studyInstanceUid)).to.equal(up.parentStudy);
    expect(await client.findStudyByUid("1.2.3.4.5.6.7.8.9")).to.equal(null);
    expect(await client.listStudies()).to.include(up.parentStudy);

    const study = await client.study(up.parentStudy);
    expect(study.studyInstanceUid).to.equal(inst.studyInstanceUid);
    expect(study.seriesIds).to.have.length(1);
    expect(JSON.stringify(study)).to.not.contain("SECRET");

    const series = await client.studySeries(up.parentStudy);
    expect(series).to.have.length(1);
    expect(series[0]).to.include({
      seriesInstanceUid: inst.seriesInstanceUid,
      modality: "DX",
      bodyPartExamined: "CHEST",
    });
    const instances = await client.studyInstances(up.parentStudy);
    expect(instances.map((i) => i.sopInstanceUid)).to.deep.equal([inst.sopInstanceUid]);
    expect(instances[0]?.orthancId).to.equal(up.orthancId);
  });

  it("shows StableStudy in the change feed after StableAge, and lastChange moves", async () => {
    const before = await client.lastChange();
    const inst = makeTestInstance();
    const up = await client.uploadInstance(inst.bytes);
    expect(await client.lastChange()).to.be.above(before);

    let stable: OrthancChange | undefined;
    let cursor = before;
    await waitFor(
      async () => {
        const page = await client.changes(cursor, 100);
        stable = page.changes.find(
          (c) => c.changeType === "StableStudy" && c.resourceId === up.parentStudy,
        );
        cursor = page.last;
        return stable !== undefined;
      },
      15_000,
      "the StableStudy change",
      250,
    );
    expect(stable?.resourceType).to.equal("Study");
    expect(stable?.seq).to.be.above(before);
    expect(stable?.date).to.match(/^\d{8}T\d{6}$/);
    expect((await client.study(up.parentStudy)).isStable).to.equal(true);
  });

  it("pages the change feed with since/limit", async () => {
    const first = await client.changes(0, 1);
    expect(first.changes).to.have.length(1);
    expect(first.done).to.equal(false);
    const next = await client.changes(first.last, 1);
    expect(next.changes[0]?.seq).to.be.above(first.changes[0]?.seq ?? Infinity);
  });

  it("sets, reads and deletes study metadata (registered name and numeric index)", async () => {
    const up = await client.uploadInstance(makeTestInstance().bytes);
    const id = up.parentStudy;
    expect(await client.getStudyMetadata(id, "RadzPriority")).to.equal(null);
    await client.setStudyMetadata(id, "RadzPriority", "urgent");
    await client.setStudyMetadata(id, "4300", '{"a":1}');
    expect(await client.getStudyMetadata(id, "RadzPriority")).to.equal("urgent");
    expect(await client.getStudyMetadata(id, "4300")).to.equal('{"a":1}');
    await client.setStudyMetadata(id, "RadzPriority", "routine");
    expect(await client.getStudyMetadata(id, "RadzPriority")).to.equal("routine");
    await client.deleteStudyMetadata(id, "RadzPriority");
    expect(await client.getStudyMetadata(id, "RadzPriority")).to.equal(null);
    await client.deleteStudyMetadata(id, "RadzPriority"); // absent: no error
    // An unregistered name is refused by Orthanc.
    await expectRadzError(client.setStudyMetadata(id, "NotRegistered", "x"), "ORTHANC_NOT_FOUND");
    await expectRadzError(client.getStudyMetadata(MISSING_ID, "RadzPriority"), "ORTHANC_NOT_FOUND");
  });

  it("deletes an instance", async () => {
    const up = await client.uploadInstance(makeTestInstance().bytes);
    await client.deleteInstance(up.orthancId);
    await expectRadzError(client.study(up.parentStudy), "ORTHANC_NOT_FOUND");
    await expectRadzError(client.deleteInstance(up.orthancId), "ORTHANC_NOT_FOUND");
  });

  it("maps errors: 404 -> ORTHANC_NOT_FOUND, bad upload -> ORTHANC_REJECTED, no labels on 1.10", async () => {
    const nf = await expectRadzError(client.study(MISSING_ID), "ORTHANC_NOT_FOUND");
    expect(nf.message).to.contain(MISSING_ID);
    await expectRadzError(
      client.uploadInstance(new TextEncoder().encode("not dicom")),
      "ORTHANC_REJECTED",
    );
    const up = await client.uploadInstance(makeTestInstance().bytes);
    await expectRadzError(client.studyLabels(up.parentStudy), "ORTHANC_NOT_FOUND");
  });

  it("maps a closed port to ORTHANC_UNREACHABLE", async () => {
    const port = await getPort();
    const dead = new OrthancClient({ url: `http://127.0.0.1:${port}`, timeoutMs: 2000 });
    const e = await expectRadzError(dead.system(), "ORTHANC_UNREACHABLE");
    expect(e.transient).to.equal(true);
    expect(e.message).to.contain("ECONNREFUSED");
  });
});
