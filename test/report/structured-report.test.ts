/**
 * The SR against the validators the design asks for (ai-results-sr.md,
 * "How to know it is right"):
 *  - dciodvfy (dicom3tools): no "Error" lines, and no "Warning" lines either.
 *    The one warning an earlier draft produced, "Attribute is not present in
 *    standard DICOM IOD - (0018,1002) Device UID" (inside Contributing
 *    Equipment Sequence, unknown to dicom3tools 2022), was fixed by dropping
 *    that Type 3 attribute; the device UID is still in the content tree as
 *    Device Observer UID.
 *  - dsrdump (dcmtk): exit 0 and nothing on stderr. Exception, explained in
 *    NON_ASCII_DSRDUMP_WARNING below.
 *  - dsr2xml: exit 0, XML carries the findings, and xml2dsr turns it back into
 *    an SR whose dsrdump is identical.
 */
import { expect } from "chai";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { RadzError } from "../../src/errors.js";
import type { LabelScore } from "../../src/model/types.js";
import { FINDING_CONCEPTS } from "../../src/model/concepts.js";
import { readPart10 } from "../../src/report/dcmjs.js";
import { readSourceDataset } from "../../src/report/source-dataset.js";
import {
  buildStudyReport,
  IMPLEMENTATION_VERSION_NAME,
  reportUids,
  type StudyReportInput,
} from "../../src/report/structured-report.js";
import { triage } from "../../src/report/triage.js";
import { dciodvfy, dcmtkDiagnostics, run, tempDir, writeTemp } from "../helpers/dicom-tools.js";
import {
  basicFindings,
  buildSourcePart10,
  CR_SOP_CLASS,
  image,
  label,
  localisedFindings,
  MODEL,
  reportInput,
  SERIES2_UID,
  sourceDataset,
  STUDY_UID,
} from "./fixtures.js";

/**
 * dcmtk 3.6.7 dcmsr (dsrdoc.cc, DSRDocument::read) logs this for any Specific
 * Character Set other than none / "ISO_IR 6" / "ISO_IR 100": its VR checker
 * only knows ASCII and Latin-1. dcmjs writes UTF-8 only, so an SR with
 * non-ASCII text must declare "ISO_IR 192"; the warning is about dcmtk's
 * checker, not the object (dciodvfy validates it with no error or warning).
 * ASCII-only SRs declare no character set and get no warning.
 */
const NON_ASCII_DSRDUMP_WARNING =
  "W: The VR checker does not support this Specific Character Set: ISO_IR 192";

/** PS3.5 Annex H.3.1 example, as ISO 2022 IR 87 bytes (ESC $ B = JIS X 0208, ESC ( B = ASCII). */
const YAMADA_ISO2022 =
  "Yamada^Tarou=\x1b$B;3ED\x1b(B^\x1b$BB@O:\x1b(B=\x1b$B$d$^$@\x1b(B^\x1b$B$?$m$&\x1b(B";
const YAMADA_UNICODE = "Yamada^Tarou=山田^太郎=やまだ^たろう";

interface Checked {
  readonly file: string;
  readonly dump: string;
}

/**
 * dciodvfy (dicom3tools 2022) knows the coding scheme designators of PS3.16
 * Table 8-1 only, so it warns on every use of a private "99..." designator.
 * PS3.16 §8 reserves the "99" prefix for exactly that purpose and the object
 * declares the scheme in Coding Scheme Identification Sequence, so this
 * warning is expected whenever a bundle has labels without a standard code.
 */
const PRIVATE_SCHEME_WARNING =
  /^Warning - Unrecognized defined term <99[A-Z0-9]+> for value 1 of attribute <Coding Scheme Designator>$/;

interface Expected {
  /** The SR has non-ASCII text (see NON_ASCII_DSRDUMP_WARNING). */
  readonly nonAscii?: boolean;
  /** The SR uses a declared private coding scheme (see PRIVATE_SCHEME_WARNING). */
  readonly privateScheme?: boolean;
  /** dciodvfy warnings that the test explains where it expects them. */
  readonly allowWarnings?: readonly string[];
  /** Skip xml2dsr (the test says why); dsr2xml still has to succeed. */
  readonly skipXmlToDsr?: boolean;
}

/** Runs dciodvfy, dsrdump, dsr2xml + xml2dsr on the SR; fails on any unexplained diagnostic. */
function validate(input: StudyReportInput, options: Expected = {}): Checked {
  const built = buildStudyReport(input);
  const file = writeTemp(built.part10);

  const iod = dciodvfy(file);
  expect(
    iod.output.split("\n").map((l) => l.trim()),
    "dciodvfy checked the Comprehensive SR IOD",
  ).to.include("ComprehensiveSR");
  expect(iod.errors, iod.output).to.deep.equal([]);
  const unexplained = iod.warnings.filter(
    (w) =>
      !(options.privateScheme === true && PRIVATE_SCHEME_WARNING.test(w)) &&
      !(options.allowWarnings ?? []).includes(w),
  );
  expect(unexplained, iod.output).to.deep.equal([]);
  if (options.privateScheme === true)
    expect(iod.warnings.length, "the private scheme warning shows up").to.be.greaterThan(0);

  const dump = run("dsrdump", [file]);
  expect(dump.status, dump.stderr).to.equal(0);
  const expectedDiagnostics = options.nonAscii === true ? [NON_ASCII_DSRDUMP_WARNING] : [];
  expect(dcmtkDiagnostics(dump.stderr)).to.deep.equal(expectedDiagnostics);
  expect(dump.stdout).to.contain("Imaging Measurement Report");

  const xml = run("dsr2xml", [file]);
  expect(xml.status, xml.stderr).to.equal(0);
  for (const f of input.findings) expect(xml.stdout).to.contain(f.concept.meaning.slice(0, 64));
  if (input.findings.length > 0) expect(xml.stdout).to.contain("Certainty of Finding");
  if (options.skipXmlToDsr === true) return { file, dump: dump.stdout };
  const xmlFile = join(tempDir(), "sr.xml");
  const back = join(tempDir(), "back.dcm");
  writeFileSync(xmlFile, xml.stdout, "utf8");
  const rebuilt = run("xml2dsr", [xmlFile, back]);
  expect(rebuilt.status, rebuilt.stderr).to.equal(0);
  // Content trees must match exactly. The document header is compared without
  // the Patient line: dcmtk's XML format keeps only the alphabetic group of a
  // Person Name, so "Yamada^Tarou=山田^太郎=やまだ^たろう" comes back as "Yamada^Tarou".
  expect(run("dsrdump", ["-Ph", back]).stdout).to.equal(run("dsrdump", ["-Ph", file]).stdout);
  const withoutPatient = (text: string): string => text.replace(/^Patient {13}:.*$/m, "");
  expect(withoutPatient(run("dsrdump", [back]).stdout)).to.equal(withoutPatient(dump.stdout));

  return { file, dump: dump.stdout };
}

function expectBuildError(input: StudyReportInput, pattern: RegExp): void {
  let thrown: unknown;
  try {
    buildStudyReport(input);
  } catch (err) {
    thrown = err;
  }
  expect(thrown).to.be.instanceOf(RadzError);
  expect((thrown as RadzError).code).to.equal("SR_BUILD_FAILED");
  expect((thrown as RadzError).message).to.match(pattern);
}

describe("report/structured-report", function () {
  this.timeout(60_000);

  describe("validates with dciodvfy, dsrdump and dsr2xml", () => {
    it("basic input (mixed present/absent, one image)", () => {
      const { dump } = validate(reportInput());
      expect(dump).to.contain('(52101004,SCT,"Present")');
      expect(dump).to.contain('(272519000,SCT,"Absent")');
      expect(dump).to.contain('"Priority")="urgent"');
    });

    it("all labels present", () => {
      const findings = basicFindings().map((f) => ({ ...f, probability: 0.95, positive: true }));
      const { dump } = validate(reportInput({ findings, triage: triage(findings) }));
      expect(dump).to.not.contain("Absent");
    });

    it("all labels absent (routine, nothing flagged)", () => {
      const findings = basicFindings().map((f) => ({ ...f, probability: 0.05, positive: false }));
      const { dump } = validate(reportInput({ findings, triage: triage(findings) }));
      expect(dump).to.not.contain('"Present")');
      expect(dump).to.contain('"Priority")="routine"');
    });

    it("no labels at all", () => {
      validate(reportInput({ findings: [], triage: triage([]) }));
    });

    it("several images in two series (evidence grouped by series)", () => {
      const images = [image(1), image(2), image(7, SERIES2_UID, CR_SOP_CLASS)];
      const { file } = validate(reportInput({ images }));
      const { dataset } = readPart10(readFileSync(file));
      const evidence = dataset.CurrentRequestedProcedureEvidenceSequence as Array<
        Record<string, unknown>
      >;
      expect(evidence).to.have.length(1);
      const series = evidence[0]?.ReferencedSeriesSequence as Array<Record<string, unknown>>;
      expect(series.map((s) => s.SeriesInstanceUID)).to.have.members([
        image(1).seriesInstanceUid,
        SERIES2_UID,
      ]);
      expect(series.map((s) => (s.ReferencedSOPSequence as unknown[]).length)).to.have.members([
        2, 1,
      ]);
    });

    it("ISO_IR 192 source with a non-ASCII Patient Name", () => {
      const source = sourceDataset({
        SpecificCharacterSet: "ISO_IR 192",
        PatientName: [{ Alphabetic: "Müller^Zoë" }],
      });
      const { file, dump } = validate(reportInput({ source }), { nonAscii: true });
      expect(dump).to.contain("Müller^Zoë");
      const { dataset } = readPart10(readFileSync(file));
      expect(dataset.SpecificCharacterSet).to.equal("ISO_IR 192");
    });

    it("ISO 2022 IR 87 source given as DICOM JSON (Unicode strings)", () => {
      const source = sourceDataset({
        SpecificCharacterSet: ["", "ISO 2022 IR 87"],
        PatientName: [
          { Alphabetic: "Yamada^Tarou", Ideographic: "山田^太郎", Phonetic: "やまだ^たろう" },
        ],
      });
      const { dump } = validate(reportInput({ source }), { nonAscii: true });
      expect(dump).to.contain(YAMADA_UNICODE);
    });

    it("ISO 2022 IR 87 source read from Part-10 bytes with escape sequences", () => {
      // dcmjs writes JS strings as UTF-8; the escape sequences and JIS bytes are
      // all 7-bit, so these bytes are exactly the ISO 2022 IR 87 encoding.
      // (dcmtk cannot cross-check the decoding here: its glibc iconv build
      // rejects ISO 2022 IR 87, so the fixture is checked byte for byte.)
      const sourcePart10 = buildSourcePart10({
        SpecificCharacterSet: ["", "ISO 2022 IR 87"],
        PatientName: YAMADA_ISO2022,
      });
      const bytes = Buffer.from(sourcePart10);
      expect(bytes.includes(Buffer.from("\\ISO 2022 IR 87", "latin1"))).to.equal(true);
      const nameBytes = Buffer.from(YAMADA_ISO2022, "latin1");
      expect(bytes.includes(nameBytes), "PS3.5 H.3.1 bytes").to.equal(true);
      expect(new TextDecoder("iso-2022-jp").decode(nameBytes)).to.equal(YAMADA_UNICODE);

      const source = readSourceDataset(sourcePart10);
      const { file, dump } = validate(reportInput({ source }), { nonAscii: true });
      expect(dump).to.contain(YAMADA_UNICODE);
      const { dataset } = readPart10(readFileSync(file));
      expect(dataset.SpecificCharacterSet).to.equal("ISO_IR 192");
    });

    it("private coding scheme declared in Coding Scheme Identification Sequence", () => {
      const concept = {
        value: "RADZ-0001",
        scheme: "99RADZ",
        meaning: "Support device malposition",
      };
      const findings = [...basicFindings(), label("device_malposition", concept, 0.7, 0.5, 1)];
      const input = reportInput({
        findings,
        triage: triage(findings),
        codingSchemes: [
          { designator: "99RADZ", name: "RadZ labels", responsibleOrganization: "RadZ project" },
        ],
      });
      const { file, dump } = validate(input, { privateScheme: true });
      expect(dump).to.contain('(RADZ-0001,99RADZ,"Support device malposition")');
      const { dataset } = readPart10(readFileSync(file));
      expect(dataset.CodingSchemeIdentificationSequence).to.deep.include.members([
        {
          CodingSchemeDesignator: "99RADZ",
          CodingSchemeName: "RadZ labels",
          CodingSchemeResponsibleOrganization: "RadZ project",
          _vrMap: {},
        },
      ]);
    });

    it("re-run with a Predecessor Documents Sequence", () => {
      const previous = reportUids(STUDY_UID, { ...MODEL, version: "1.1.0" });
      const predecessor = {
        studyInstanceUid: STUDY_UID,
        seriesInstanceUid: previous.seriesInstanceUid,
        sopInstanceUid: previous.sopInstanceUid,
        sopClassUid: "1.2.840.10008.5.1.4.1.1.88.34",
      };
      const { file } = validate(reportInput({ predecessor }));
      const { dataset } = readPart10(readFileSync(file));
      const seq = dataset.PredecessorDocumentsSequence as Array<Record<string, unknown>>;
      expect(seq).to.have.length(1);
      const sop = (
        (seq[0]?.ReferencedSeriesSequence as Array<Record<string, unknown>>)[0]
          ?.ReferencedSOPSequence as Array<Record<string, unknown>>
      )[0];
      expect(sop?.ReferencedSOPInstanceUID).to.equal(previous.sopInstanceUid);
    });

    it("long label codes and meanings (Long Code Value, LO truncation)", () => {
      const concept = {
        value: "a-label-code-longer-than-sixteen",
        scheme: "99RADZ",
        meaning: "M".repeat(80),
      };
      const findings = [label("long", concept, 0.3, 0.5, 0.2)];
      const input = reportInput({
        findings,
        triage: triage(findings),
        codingSchemes: [{ designator: "99RADZ", name: "RadZ labels" }],
      });
      const { file } = validate(input, { privateScheme: true });
      const { dataset } = readPart10(readFileSync(file));
      const group = findGroup(dataset, "long");
      const finding = group.find((i) => i.ValueType === "CODE") as Record<string, unknown>;
      const code = (finding.ConceptCodeSequence as Array<Record<string, unknown>>)[0];
      expect(code).to.include({
        LongCodeValue: "a-label-code-longer-than-sixteen",
        CodeMeaning: "M".repeat(64),
      });
      expect(code?.CodeValue).to.equal(undefined);
    });
  });

  describe("regions of positive findings (TID 1410 groups viewers draw)", () => {
    type Item = Record<string, unknown>;
    const seq = (item: Item | undefined, key: string): Item[] => (item?.[key] ?? []) as Item[];
    const conceptOf = (item: Item): string | undefined =>
      seq(item, "ConceptNameCodeSequence")[0]?.CodeValue as string | undefined;
    const container = (dataset: Item, code: string): Item | undefined =>
      seq(dataset, "ContentSequence").find((i) => conceptOf(i) === code);

    it("validates, and each region is a group with tracking ids, Finding, SCOORD + IMAGE and the probability as NUM", () => {
      const findings = localisedFindings();
      const input = reportInput({ findings, triage: triage(findings) });
      const { file, dump } = validate(input);
      expect(dump).to.contain('SCOORD:(,,"Image Region")=(POLYLINE');
      const { dataset } = readPart10(readFileSync(file));
      const groups = seq(container(dataset, "126010"), "ContentSequence");
      // pneumothorax: 2 regions, pulmonary edema: 1; the absent pleural effusion: none.
      expect(groups).to.have.length(3);
      const byLabel = new Map(findings.map((f) => [f.concept.value, f] as const));
      const trackingUids = new Set<string>();
      for (const group of groups) {
        expect(seq(group, "ContentTemplateSequence")[0]?.TemplateIdentifier).to.equal("1410");
        const items = seq(group, "ContentSequence");
        // OHIF takes the first UIDREF as the Tracking Unique Identifier and merges groups by it.
        const uidref = items.find((i) => i.ValueType === "UIDREF");
        expect(conceptOf(uidref!)).to.equal("112040");
        trackingUids.add(uidref!.UID as string);
        expect(items.find((i) => conceptOf(i) === "112039")?.TextValue).to.match(/ region \d$/);
        const finding = items.find((i) => conceptOf(i) === "121071" && i.ValueType === "CODE");
        const code = seq(finding, "ConceptCodeSequence")[0]?.CodeValue as string;
        const label = byLabel.get(code)!;
        expect(label.positive).to.equal(true);
        // Exactly one SCOORD at the group's level: the Image Region, a closed POLYLINE.
        const scoords = items.filter((i) => i.ValueType === "SCOORD");
        expect(scoords).to.have.length(1);
        const region = scoords[0]!;
        expect(conceptOf(region)).to.equal("111030");
        expect(region.GraphicType).to.equal("POLYLINE");
        const data = region.GraphicData as number[];
        expect(data.slice(0, 2)).to.deep.equal(data.slice(-2));
        const selected = seq(region, "ContentSequence");
        expect(selected).to.have.length(1);
        expect(selected[0]).to.include({ RelationshipType: "SELECTED FROM", ValueType: "IMAGE" });
        expect(conceptOf(selected[0]!)).to.equal("111040");
        expect(seq(selected[0], "ReferencedSOPSequence")[0]).to.deep.include({
          ReferencedSOPClassUID: image(1).sopClassUid,
          ReferencedSOPInstanceUID: image(1).sopInstanceUid,
        });
        expect(seq(selected[0], "ReferencedSOPSequence")[0]).to.not.have.property(
          "ReferencedFrameNumber",
        );
        // The one NUM, named by the finding: what OHIF labels the drawing with.
        const nums = items.filter((i) => i.ValueType === "NUM");
        expect(nums).to.have.length(1);
        expect(conceptOf(nums[0]!)).to.equal(code);
        const measured = seq(nums[0], "MeasuredValueSequence")[0]!;
        expect(measured.FloatingPointValue).to.equal(label.probability);
        // OHIF prints the unit's Code Value after the number: a word, not "{0:1}".
        expect(seq(measured, "MeasurementUnitsCodeSequence")[0]).to.deep.include({
          CodeValue: "{probability}",
          CodingSchemeDesignator: "UCUM",
          CodeMeaning: "probability",
        });
        // Peak (POINT) and box (closed POLYLINE) as the NUM's INFERRED FROM coordinates.
        const inferred = seq(nums[0], "ContentSequence");
        expect(inferred.map((i) => [i.RelationshipType, i.GraphicType])).to.deep.equal([
          ["INFERRED FROM", "POINT"],
          ["INFERRED FROM", "POLYLINE"],
        ]);
      }
      expect(trackingUids.size).to.equal(3);
      // The first pneumothorax region: its contour, closed; the second has no contour, so its box.
      const first = seq(groups[0], "ContentSequence").find((i) => i.ValueType === "SCOORD")!;
      expect(first.GraphicData).to.deep.equal([
        1200, 400, 1700, 400, 1700, 900, 1450, 820.5, 1200, 900, 1200, 400,
      ]);
      const second = seq(groups[1], "ContentSequence").find((i) => i.ValueType === "SCOORD")!;
      expect(second.GraphicData).to.deep.equal([
        250, 1750, 350, 1750, 350, 1850, 250, 1850, 250, 1750,
      ]);
      // Every label, present or absent, keeps its coded TID 1501 group in "Findings".
      const all = seq(container(dataset, "121070"), "ContentSequence");
      expect(
        all.map((g) => seq(g, "ContentTemplateSequence")[0]?.TemplateIdentifier),
      ).to.deep.equal(["1501", "1501", "1501"]);
      expect(findGroup(dataset, "pleural_effusion").some((i) => i.ValueType === "SCOORD")).to.equal(
        false,
      );
    });

    it("names the frame of a multi-frame image", () => {
      // A multi-frame SOP class (Multi-frame Grayscale Word Secondary Capture): dciodvfy refuses a
      // Referenced Frame Number for a single-frame one.
      const multiFrame = {
        ...image(1, image(1).seriesInstanceUid, "1.2.840.10008.5.1.4.1.1.7.3"),
        numberOfFrames: 3,
      };
      const findings = localisedFindings().map((f) =>
        f.regions ? { ...f, regions: f.regions.map((r) => ({ ...r, frame: 2 })) } : f,
      );
      const { file } = validate(
        reportInput({ images: [multiFrame], findings, triage: triage(findings) }),
      );
      const { dataset } = readPart10(readFileSync(file));
      for (const group of seq(container(dataset, "126010"), "ContentSequence")) {
        const region = seq(group, "ContentSequence").find((i) => i.ValueType === "SCOORD")!;
        expect(seq(seq(region, "ContentSequence")[0], "ReferencedSOPSequence")[0]).to.include({
          ReferencedFrameNumber: 2,
        });
      }
    });

    it("without regions (a bundle without spatial output): no Imaging Measurements, every label in Findings", () => {
      const { file } = validate(reportInput());
      const { dataset } = readPart10(readFileSync(file));
      expect(container(dataset, "126010")).to.equal(undefined);
      expect(seq(container(dataset, "121070"), "ContentSequence")).to.have.length(3);
    });

    it("refuses a region on an image that was not read, or on a frame the image lacks", () => {
      const elsewhere = localisedFindings().map((f) =>
        f.regions
          ? { ...f, regions: f.regions.map((r) => ({ ...r, sopInstanceUid: "2.25.9" })) }
          : f,
      );
      expectBuildError(reportInput({ findings: elsewhere }), /not read/);
      const frame = localisedFindings().map((f) =>
        f.regions ? { ...f, regions: f.regions.map((r) => ({ ...r, frame: 2 })) } : f,
      );
      expectBuildError(reportInput({ findings: frame }), /frame 2/);
    });
  });

  describe("identity and header", () => {
    it("derives the same SOP and Series UIDs (and bytes) from the same input", () => {
      const a = buildStudyReport(reportInput());
      const b = buildStudyReport(reportInput());
      expect(b.sopInstanceUid).to.equal(a.sopInstanceUid);
      expect(b.seriesInstanceUid).to.equal(a.seriesInstanceUid);
      expect(Buffer.from(b.part10).equals(Buffer.from(a.part10))).to.equal(true);
      expect(a.sopInstanceUid).to.not.equal(a.seriesInstanceUid);
      const uids = reportUids(STUDY_UID, MODEL);
      expect(a).to.include({
        sopInstanceUid: uids.sopInstanceUid,
        seriesInstanceUid: uids.seriesInstanceUid,
      });
      expect(uids.summarySopInstanceUid, "the summary image has its own UID").to.not.be.oneOf([
        uids.sopInstanceUid,
        uids.seriesInstanceUid,
      ]);
    });

    it("changes the UIDs when the label set hash, version or study changes", () => {
      const base = buildStudyReport(reportInput());
      const otherHash = buildStudyReport(
        reportInput({ model: { ...MODEL, labelSetHash: "fedcba9876543210" } }),
      );
      const otherVersion = buildStudyReport(reportInput({ model: { ...MODEL, version: "1.3.0" } }));
      expect(otherHash.sopInstanceUid).to.not.equal(base.sopInstanceUid);
      expect(otherHash.seriesInstanceUid).to.not.equal(base.seriesInstanceUid);
      expect(otherVersion.sopInstanceUid).to.not.equal(base.sopInstanceUid);
      expect(reportUids("1.2.3.4", MODEL).sopInstanceUid).to.not.equal(base.sopInstanceUid);
    });

    it("keeps the UIDs when only the content date or scores change (crash-safe re-send)", () => {
      const base = buildStudyReport(reportInput());
      const later = buildStudyReport(
        reportInput({ contentDateTime: new Date(Date.UTC(2025, 5, 1)) }),
      );
      expect(later.sopInstanceUid).to.equal(base.sopInstanceUid);
    });

    it("copies patient and study attributes and writes the SR document header", () => {
      const { meta, dataset } = readPart10(buildStudyReport(reportInput()).part10);
      expect(dataset).to.include({
        PatientID: "PAT-0001",
        PatientBirthDate: "19700101",
        PatientSex: "F",
        StudyInstanceUID: STUDY_UID,
        StudyDate: "20240115",
        StudyTime: "081500",
        StudyID: "S1",
        AccessionNumber: "ACC-42",
        Modality: "SR",
        CompletionFlag: "COMPLETE",
        VerificationFlag: "UNVERIFIED",
        ContentDate: "20240115",
        ContentTime: "093000",
        SOPClassUID: "1.2.840.10008.5.1.4.1.1.88.33",
      });
      expect(dataset.SeriesInstanceUID).to.not.equal(sourceDataset().SeriesInstanceUID);
      expect(dataset.SpecificCharacterSet, "ASCII-only SR uses the default repertoire").to.equal(
        undefined,
      );
      expect(meta.ImplementationVersionName).to.equal(IMPLEMENTATION_VERSION_NAME);
      expect((meta.ImplementationVersionName as string).length).to.be.at.most(16);
      const equipment = (
        dataset.ContributingEquipmentSequence as Array<Record<string, unknown>>
      )[0];
      expect(equipment?.ManufacturerModelName).to.equal(MODEL.name);
      const purpose = (
        equipment?.PurposeOfReferenceCodeSequence as Array<Record<string, unknown>>
      )[0];
      expect(purpose).to.include({ CodeValue: "109102", CodingSchemeDesignator: "DCM" });
    });

    it("writes empty Type 2 attributes when the source lacks them", () => {
      // dciodvfy's DICOMDIR-readiness warnings are about the missing source
      // values (PS3.3 Type 2 allows them empty); they disappear with a real source.
      const source = { StudyInstanceUID: STUDY_UID };
      const allowWarnings = ["Patient ID", "Study Date", "Study Time", "Study ID"].map(
        (a) => `Warning - Missing attribute or value that would be needed to build DICOMDIR - ${a}`,
      );
      // dsr2xml writes an empty <patient/> node for such an SR, which dcmtk 3.6.7's
      // own xml2dsr then rejects ("Parsing node /report/patient (Invalid
      // Document)"): a dcmtk asymmetry, so only dsr2xml is checked here.
      const file = validate(reportInput({ source }), { allowWarnings, skipXmlToDsr: true }).file;
      const { dataset } = readPart10(readFileSync(file));
      expect(dataset.PatientID).to.equal("");
    });

    it("says machine-generated, unverified and synthetic in the SR", () => {
      const xml = run("dsr2xml", [writeTemp(buildStudyReport(reportInput()).part10)]).stdout;
      expect(xml).to.contain(
        "Machine-generated by RadZ CXR zero-shot 1.2.0; unverified; not for clinical use.",
      );
      expect(xml).to.contain("synthetic demonstration model");
      const real = run("dsr2xml", [
        writeTemp(buildStudyReport(reportInput({ model: { ...MODEL, synthetic: false } })).part10),
      ]).stdout;
      expect(real).to.not.contain("synthetic");
    });
  });

  describe("refuses input that would make an invalid object", () => {
    it("a private scheme that is not declared", () => {
      const findings = [label("x", { value: "X1", scheme: "99OTHER", meaning: "X" }, 0.5, 0.5, 1)];
      expectBuildError(
        reportInput({ findings, triage: triage(findings) }),
        /99OTHER.*not declared/,
      );
    });

    it("the retired SRT designator", () => {
      const findings = [
        label("ptx", { value: "D2-80300", scheme: "SRT", meaning: "Pneumothorax" }, 0.5, 0.5, 1),
      ];
      expectBuildError(
        reportInput({ findings, triage: triage(findings) }),
        /retired coding scheme designator "SRT"/,
      );
    });

    it("probabilities outside [0, 1]", () => {
      const findings: LabelScore[] = [
        { ...label("ptx", FINDING_CONCEPTS.pneumothorax, 0.5, 0.5, 1), probability: Number.NaN },
      ];
      expectBuildError(reportInput({ findings, triage: triage([]) }), /Probability of label "ptx"/);
    });

    it("no images, or an image from another study", () => {
      expectBuildError(reportInput({ images: [] }), /at least one image/);
      expectBuildError(
        reportInput({ images: [{ ...image(1), studyInstanceUid: "1.2.3" }] }),
        /another study/,
      );
      expectBuildError(
        reportInput({ images: [{ ...image(1), sopInstanceUid: "1.02.3" }] }),
        /SOP Instance UID is not a valid/,
      );
    });

    it("a flagged label that is not among the findings", () => {
      expectBuildError(
        reportInput({ triage: { priority: "urgent", score: 1, flagged: ["ghost"] } }),
        /"ghost"/,
      );
    });

    it("undecodable ISO 2022 escapes (e.g. Korean IR 149) without leaking the name", () => {
      const source = sourceDataset({ PatientName: "Hong^Gildong=\x1b$)C\x0e1+\x0f" });
      expectBuildError(reportInput({ source }), /ISO 2022/);
      try {
        buildStudyReport(reportInput({ source }));
      } catch (err) {
        expect((err as Error).message).to.not.contain("Hong");
      }
    });
  });
});

/**
 * The content items of the measurement group with the given tracking identifier,
 * in the container with the given concept: "Findings" (121070, every label's TID 1501
 * group) or "Imaging Measurements" (126010, the TID 1410 region groups).
 */
function findGroup(
  dataset: Record<string, unknown>,
  labelId: string,
  container = "121070",
): Array<Record<string, unknown>> {
  const root = dataset.ContentSequence as Array<Record<string, unknown>>;
  const measurements = root.find(
    (i) =>
      (i.ConceptNameCodeSequence as Array<Record<string, unknown>>)[0]?.CodeValue === container,
  );
  for (const group of (measurements?.ContentSequence ?? []) as Array<Record<string, unknown>>) {
    const items = group.ContentSequence as Array<Record<string, unknown>>;
    if (items.some((i) => i.TextValue === labelId)) return items;
  }
  throw new Error(`no group ${labelId}`);
}

/** A minimal DX source header as Part-10 (no pixel data: only its attributes are read). */
