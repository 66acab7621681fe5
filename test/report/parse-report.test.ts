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
  localisedFindings,
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

  it("gives back each positive finding's regions (TID 1410 groups) and none for the others", () => {
    const findings = localisedFindings();
    const parsed = readStudyReport(
      buildStudyReport(reportInput({ findings, triage: triage(findings) })).part10,
    );
    expect(parsed.sopClassUid).to.equal("1.2.840.10008.5.1.4.1.1.88.33");
    expect(parsed.findings.map((f) => [f.labelId, f.regions.length])).to.deep.equal([
      ["pneumothorax", 2],
      ["pleural_effusion", 0],
      ["pulmonary_edema", 1],
    ]);
    const [first, second] = parsed.findings[0]!.regions;
    expect(first).to.deep.equal({
      sopInstanceUid: image(1).sopInstanceUid,
      frame: 1,
      outline: [
        [1200, 400],
        [1700, 400],
        [1700, 900],
        [1450, 820.5],
        [1200, 900],
        [1200, 400],
      ],
      peak: [1420.5, 610.25],
      box: [1200, 400, 1700, 900],
    });
    expect(second?.box).to.deep.equal([250, 1750, 350, 1850]);
    expect(parsed.findings[0]?.probability).to.equal(findings[0]!.probability);
  });

  it("still reads an SR written before localisation (Comprehensive 3D SR, groups in Imaging Measurements)", () => {
    // The earlier layout, made from today's: the TID 1501 groups of "Findings" (121070) back
    // in "Imaging Measurements" (126010), the "Findings" container gone, SOP Class 88.34.
    const { meta, dataset } = readPart10(buildStudyReport(reportInput()).part10);
    const root = dataset.ContentSequence as Array<Record<string, unknown>>;
    const code = (i: Record<string, unknown>): unknown =>
      (i.ConceptNameCodeSequence as Array<Record<string, unknown>>)[0]?.CodeValue;
    const findingsContainer = root.find((i) => code(i) === "121070")!;
    const old = root
      .filter((i) => i !== findingsContainer)
      .flatMap((i) =>
        code(i) === "C0034375"
          ? [
              {
                ...findingsContainer,
                ConceptNameCodeSequence: [
                  {
                    CodeValue: "126010",
                    CodingSchemeDesignator: "DCM",
                    CodeMeaning: "Imaging Measurements",
                  },
                ],
              },
              i,
            ]
          : [i],
      );
    const sop = "1.2.840.10008.5.1.4.1.1.88.34";
    const part10 = writePart10(
      { ...meta, MediaStorageSOPClassUID: sop },
      { ...dataset, SOPClassUID: sop, ContentSequence: old },
    );
    const parsed = readStudyReport(part10);
    expect(parsed.sopClassUid).to.equal(sop);
    expect(
      parsed.findings.map((f) => [f.labelId, f.present, f.probability, f.regions]),
    ).to.deep.equal(basicFindings().map((f) => [f.labelId, f.positive, f.probability, []]));
    expect(parsed.flagged).to.deep.equal(["pneumothorax", "pulmonary_edema"]);
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
    expectParseError(wrongClass, /not a Comprehensive SR/);
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
