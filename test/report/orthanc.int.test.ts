/**
 * The SR in a real Orthanc (1.10 + DICOMweb plugin): accepted over STOW-RS,
 * filed under the source's patient and study (not a new patient), and read
 * back intact.
 */
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { readStudyReport } from "../../src/report/parse-report.js";
import { readSourceDataset } from "../../src/report/source-dataset.js";
import { buildStudyReport } from "../../src/report/structured-report.js";
import { makeTestInstance, useOrthanc } from "../helpers/orthanc.js";
import { reportInput } from "./fixtures.js";

/** STOW-RS body (PS3.18 §10.5): multipart/related with quoted type and boundary. */
function stowRequest(parts: Uint8Array[]): { body: Buffer; contentType: string } {
  const boundary = `radz-${randomBytes(8).toString("hex")}`;
  const chunks: Buffer[] = [];
  for (const part of parts) {
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`, "latin1"));
    chunks.push(Buffer.from(part));
    chunks.push(Buffer.from("\r\n", "latin1"));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`, "latin1"));
  return {
    body: Buffer.concat(chunks),
    contentType: `multipart/related; type="application/dicom"; boundary="${boundary}"`,
  };
}

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url);
  expect(response.status, url).to.equal(200);
  return (await response.json()) as T;
}

describe("report in Orthanc (real Orthanc)", function () {
  this.timeout(60_000);
  const orthanc = useOrthanc();

  it("is stored over STOW-RS under the source's patient and study, and reads back", async () => {
    const source = makeTestInstance({ patientId: "PID-SR-1", patientName: "SR^TEST" });
    const upload = await fetch(`${orthanc.url}/instances`, { method: "POST", body: source.bytes });
    expect(upload.status).to.equal(200);
    await upload.arrayBuffer();

    const image = {
      studyInstanceUid: source.studyInstanceUid,
      seriesInstanceUid: source.seriesInstanceUid,
      sopInstanceUid: source.sopInstanceUid,
      sopClassUid: "1.2.840.10008.5.1.4.1.1.1.1",
    };
    const built = buildStudyReport(
      reportInput({ source: readSourceDataset(source.bytes), images: [image] }),
    );

    const { body, contentType } = stowRequest([built.part10]);
    const stow = await fetch(`${orthanc.dicomwebUrl}/studies`, {
      method: "POST",
      headers: { "Content-Type": contentType, Accept: "application/dicom+json" },
      body,
    });
    const stowText = await stow.text();
    expect(stow.status, stowText).to.equal(200);
    const stowed = JSON.parse(stowText) as Record<
      string,
      { Value?: Array<Record<string, { Value?: string[] }>> }
    >;
    expect(stowed["00081198"]?.Value ?? [], "Failed SOP Sequence is empty").to.deep.equal([]);
    const referenced = (stowed["00081199"]?.Value ?? []).map(
      (item) => item["00081155"]?.Value?.[0],
    );
    expect(referenced, "Referenced SOP Sequence").to.deep.equal([built.sopInstanceUid]);

    const patients = await getJson<string[]>(`${orthanc.url}/patients`);
    const studies = await getJson<string[]>(`${orthanc.url}/studies`);
    expect(patients, "no second patient").to.have.length(1);
    expect(studies, "no second study").to.have.length(1);
    const series = await getJson<Array<{ MainDicomTags: Record<string, string> }>>(
      `${orthanc.url}/studies/${studies[0]}/series`,
    );
    expect(series.map((s) => s.MainDicomTags.Modality)).to.have.members(["DX", "SR"]);

    // A re-send after a crash carries the same deterministic UIDs: still one SR.
    const again = stowRequest([
      buildStudyReport(reportInput({ source: readSourceDataset(source.bytes), images: [image] }))
        .part10,
    ]);
    const resend = await fetch(`${orthanc.dicomwebUrl}/studies`, {
      method: "POST",
      headers: { "Content-Type": again.contentType, Accept: "application/dicom+json" },
      body: again.body,
    });
    await resend.arrayBuffer();
    expect(resend.status).to.be.oneOf([200, 202]);
    const instances = await getJson<unknown[]>(`${orthanc.url}/studies/${studies[0]}/instances`);
    expect(instances, "one DX + one SR").to.have.length(2);

    const lookup = await fetch(`${orthanc.url}/tools/lookup`, {
      method: "POST",
      body: built.sopInstanceUid,
    });
    const [entry] = (await lookup.json()) as Array<{ ID: string; Type: string }>;
    expect(entry?.Type).to.equal("Instance");
    const file = await fetch(`${orthanc.url}/instances/${entry?.ID}/file`);
    const parsed = readStudyReport(new Uint8Array(await file.arrayBuffer()));
    expect(parsed.sopInstanceUid).to.equal(built.sopInstanceUid);
    expect(parsed.studyInstanceUid).to.equal(source.studyInstanceUid);
    expect(parsed.referencedSopInstanceUids).to.deep.equal([source.sopInstanceUid]);
    expect(parsed.findings.map((f) => f.labelId)).to.deep.equal([
      "pneumothorax",
      "pleural_effusion",
      "pulmonary_edema",
    ]);
  });
});
