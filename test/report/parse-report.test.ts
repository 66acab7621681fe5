import { expect } from "chai";
import { RadzError } from "../../src/errors.js";
import { FINDING_CONCEPTS } from "../../src/model/concepts.js";
import { readPart10, writePart10 } from "../../src/report/dcmjs.js";
import { readStudyReport } from "../../src/report/parse-report.js";
import {
  buildStudyReport,
  machineGeneratedStatement,
  reportUids,
} from "../../src/report/structured-report.js";
import { triage } from "../../src/report/triage.js";
import {
  basicFindings,
  CR_SOP_CLASS,
  image,
  label,
  MODEL,
  reportInput,
  SERIES2_UID,
  STUDY_UID,
} from "./fixtures.js";

function expectParseError(part10: Uint8Array, pattern: RegExp): void {
  let thrown: unknown;
  try {
    readStudyReport(part10);
  } catch (err) {
    thrown = err;
  }
  expect(thrown).to.be.instanceOf(RadzError);
  expect((thrown as RadzError).code).to.equal("DICOM_PARSE_ERROR");
  expect((thrown as RadzError).message).to.match(pattern);
}

describe("report/parse-report", () => {
  it("gives back the findings, probabilities, thresholds and triage", () => {
    const input = reportInput();
    const built = buildStudyReport(input);
    const parsed = readStudyReport(built.part10);

    expect(parsed.sopInstanceUid).to.equal(built.sopInstanceUid);
    expect(parsed.seriesInstanceUid).to.equal(built.seriesInstanceUid);
    expect(parsed.studyInstanceUid).to.equal(STUDY_UID);
    expect(parsed.sopClassUid).to.equal(built.sopClassUid);
    expect(parsed.model).to.deep.equal({
      name: MODEL.name,
      version: MODEL.version,
      labelSetHash: MODEL.labelSetHash,
    });
    expect(parsed.priority).to.equal(input.triage.priority);
    expect(parsed.flagged).to.deep.equal(input.triage.flagged);
    expect(parsed.verificationFlag).to.equal("UNVERIFIED");
    expect(parsed.completionFlag).to.equal("COMPLETE");
    expect(parsed.statement).to.equal(machineGeneratedStatement(MODEL));
    expect(parsed.referencedSopInstanceUids).to.deep.equal([image(1).sopInstanceUid]);
    expect(parsed.predecessorSopInstanceUid).to.equal(undefined);

    expect(
      parsed.findings.map((f) => ({
        labelId: f.labelId,
        concept: f.concept,
        present: f.present,
        probability: f.probability,
        threshold: f.threshold,
        triageWeight: f.triageWeight,
      })),
    ).to.deep.equal(
      input.findings.map((f) => ({
        labelId: f.labelId,
        concept: f.concept,
        present: f.positive,
        probability: f.probability,
        threshold: f.threshold,
        triageWeight: f.triageWeight,
      })),
    );
    expect(new Set(parsed.findings.map((f) => f.trackingUid)).size).to.equal(input.findings.length);
  });

  it("keeps probabilities exactly, even those a 16-character Decimal String cannot hold", () => {
    const p = 0.1234567890123456; // 16 significant digits: the DS keeps only 14
    const findings = [label("ptx", FINDING_CONCEPTS.pneumothorax, p, 1 / 3, 1)];
    const parsed = readStudyReport(
      buildStudyReport(reportInput({ findings, triage: triage(findings) })).part10,
    );
    expect(parsed.findings[0]?.probability).to.equal(p);
    expect(parsed.findings[0]?.threshold).to.equal(1 / 3);
  });

  it("reads several images, the predecessor and an empty report", () => {
    const images = [image(1), image(2), image(3, SERIES2_UID, CR_SOP_CLASS)];
    const previous = reportUids(STUDY_UID, { ...MODEL, version: "0.9.0" });
    const predecessor = {
      studyInstanceUid: STUDY_UID,
      seriesInstanceUid: previous.seriesInstanceUid,
      sopInstanceUid: previous.sopInstanceUid,
      sopClassUid: "1.2.840.10008.5.1.4.1.1.88.34",
    };
    const parsed = readStudyReport(
      buildStudyReport(reportInput({ images, findings: [], triage: triage([]), predecessor }))
        .part10,
    );
    expect(parsed.referencedSopInstanceUids).to.have.members(images.map((i) => i.sopInstanceUid));
    expect(parsed.predecessorSopInstanceUid).to.equal(previous.sopInstanceUid);
    expect(parsed.findings).to.deep.equal([]);
    expect(parsed.priority).to.equal("routine");
    expect(parsed.model.name).to.equal(MODEL.name);
  });

  it("maps flagged concepts back to label ids", () => {
    const findings = basicFindings().map((f) => ({ ...f, positive: true, probability: 0.9 }));
    const t = triage(findings);
    const parsed = readStudyReport(buildStudyReport(reportInput({ findings, triage: t })).part10);
    expect(parsed.flagged).to.deep.equal(t.flagged);
    expect(parsed.priority).to.equal("urgent");
  });

  it("rejects bytes that are not DICOM", () => {
    expectParseError(new TextEncoder().encode("not a dicom file"), /not a readable DICOM/);
  });

  it("rejects a DICOM object that is not a RadZ TID 1500 report", () => {
    const { meta, dataset } = readPart10(buildStudyReport(reportInput()).part10);
    const wrongClass = writePart10(meta, {
      ...dataset,
      SOPClassUID: "1.2.840.10008.5.1.4.1.1.88.22",
    });
    expectParseError(wrongClass, /not a Comprehensive 3D SR/);
    const wrongRoot = writePart10(meta, {
      ...dataset,
      ConceptNameCodeSequence: [
        {
          CodeValue: "18748-4",
          CodingSchemeDesignator: "LN",
          CodeMeaning: "Diagnostic imaging report",
        },
      ],
    });
    expectParseError(wrongRoot, /not an Imaging Measurement Report/);
  });
});
