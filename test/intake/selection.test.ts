import { expect } from "chai";
import { SopClassUid } from "../../src/dicom/index.js";
import { RadzError } from "../../src/errors.js";
import { parseInstance } from "../../src/imaging/index.js";
import {
  QIDO_INCLUDE_FIELDS,
  candidateFromDicomJson,
  candidateFromInstance,
  rejectSeries,
  selectImages,
  type ImageCandidate,
} from "../../src/intake/index.js";
import { gray16 } from "../imaging/fixtures.js";

const CT_IMAGE = "1.2.840.10008.5.1.4.1.1.2";
const RULES = { modalities: ["CR", "DX"], bodyParts: ["CHEST", ""], maxImagesPerStudy: 2 };

let n = 0;
function cand(over: Partial<ImageCandidate> = {}): ImageCandidate {
  n++;
  return {
    studyInstanceUid: "1.2.3",
    seriesInstanceUid: "1.2.3.4",
    sopInstanceUid: `1.2.3.4.${n}`,
    sopClassUid: SopClassUid.DigitalXRayImageStorageForPresentation,
    modality: "DX",
    bodyPartExamined: "CHEST",
    ...over,
  };
}

const uids = (cs: ImageCandidate[]): string[] => cs.map((c) => c.sopInstanceUid);

describe("imaging/selectImages", () => {
  it("rejects non-image SOP classes (SR, PR, KO, SEG, PDF, secondary capture, mammography)", () => {
    const bad = [
      SopClassUid.ComprehensiveSRStorage,
      SopClassUid.Comprehensive3DSRStorage,
      SopClassUid.GrayscaleSoftcopyPresentationStateStorage,
      SopClassUid.KeyObjectSelectionDocumentStorage,
      SopClassUid.SegmentationStorage,
      SopClassUid.EncapsulatedPDFStorage,
      SopClassUid.SecondaryCaptureImageStorage,
      SopClassUid.DigitalMammographyXRayImageStorageForPresentation,
      "1.2.3.999",
    ].map((sopClassUid) => cand({ sopClassUid }));
    const { selected, rejected } = selectImages(bad, { ...RULES, maxImagesPerStudy: 64 });
    expect(selected).to.deep.equal([]);
    expect(rejected).to.have.length(bad.length);
    expect(rejected.every((r) => r.code === "not-an-accepted-image-class")).to.equal(true);
    expect(rejected[0]?.reason).to.include("Comprehensive SR Storage");
  });

  it("accepts CR and both DX classes", () => {
    const ok = [
      SopClassUid.ComputedRadiographyImageStorage,
      SopClassUid.DigitalXRayImageStorageForPresentation,
      SopClassUid.DigitalXRayImageStorageForProcessing,
    ].map((sopClassUid) => cand({ sopClassUid }));
    expect(selectImages(ok, { ...RULES, maxImagesPerStudy: 64 }).selected).to.have.length(3);
  });

  it("modality and body part filters (case-insensitive, '' admits absent)", () => {
    const ct = cand({ modality: "CT" });
    const abd = cand({ bodyPartExamined: "ABDOMEN" });
    const lower = cand({ bodyPartExamined: "chest" });
    const absent = cand({ bodyPartExamined: undefined });
    const crLower = cand({ modality: "cr" });
    const r = selectImages([ct, abd, lower, absent, crLower], { ...RULES, maxImagesPerStudy: 64 });
    expect(uids(r.selected).sort()).to.deep.equal(uids([lower, absent, crLower]).sort());
    expect(r.rejected.map((x) => [x.sopInstanceUid, x.code])).to.deep.equal([
      [ct.sopInstanceUid, "modality-not-accepted"],
      [abd.sopInstanceUid, "body-part-not-accepted"],
    ]);
    const strict = selectImages([absent], { ...RULES, bodyParts: ["CHEST"] });
    expect(strict.selected).to.deep.equal([]);
    expect(strict.rejected[0]?.reason).to.include("is absent");
  });

  it("quotes a Modality only when it is a Defined Term, and never a Body Part Examined", () => {
    const freeBody = cand({ bodyPartExamined: "MARKER KNEE OF DOE" });
    const freeModality = cand({ modality: "DOE J" });
    const ct = cand({ modality: "CT" });
    const r = selectImages([freeBody, freeModality, ct], RULES);
    const reasons = r.rejected.map((x) => x.reason);
    expect(reasons).to.have.length(3);
    expect(reasons.join("\n")).to.not.match(/MARKER|KNEE|DOE/);
    expect(reasons[0]).to.equal(
      "(0018,0015) BodyPartExamined is not one of CHEST, (absent) (its value is not quoted)",
    );
    expect(reasons[1]).to.contain("(0008,0060) Modality (a value that is not a Defined Term)");
    expect(reasons[2]).to.contain("(0008,0060) Modality CT is not one of");
  });

  it("ranks PA > AP > absent > lateral, then ORIGINAL > absent > DERIVED, then instance number", () => {
    const lat = cand({ viewPosition: "LL", instanceNumber: 1 });
    const none = cand({ instanceNumber: 1 });
    const ap = cand({ viewPosition: "AP", instanceNumber: 1 });
    const paDerived = cand({
      viewPosition: "PA",
      imageType: ["DERIVED", "PRIMARY"],
      instanceNumber: 1,
    });
    const paOriginal2 = cand({
      viewPosition: "PA",
      imageType: ["ORIGINAL", "PRIMARY"],
      instanceNumber: 2,
    });
    const paOriginal1 = cand({
      viewPosition: "pa",
      imageType: ["ORIGINAL", "PRIMARY"],
      instanceNumber: 1,
    });
    const paSecondary = cand({
      viewPosition: "PA",
      imageType: ["ORIGINAL", "SECONDARY"],
      instanceNumber: 0,
    });
    const all = [lat, none, ap, paDerived, paOriginal2, paOriginal1, paSecondary];
    const r = selectImages(all, { ...RULES, maxImagesPerStudy: 64 });
    expect(uids(r.selected)).to.deep.equal(
      uids([paOriginal1, paOriginal2, paSecondary, paDerived, ap, none, lat]),
    );
    // the order of the input does not matter
    expect(
      uids(selectImages([...all].reverse(), { ...RULES, maxImagesPerStudy: 64 }).selected),
    ).to.deep.equal(uids(r.selected));
  });

  it("DX For Processing ranks after For Presentation", () => {
    const proc = cand({
      sopClassUid: SopClassUid.DigitalXRayImageStorageForProcessing,
      instanceNumber: 1,
    });
    const pres = cand({ instanceNumber: 2 });
    expect(uids(selectImages([proc, pres], RULES).selected)).to.deep.equal(uids([pres, proc]));
  });

  it("takes the first maxImagesPerStudy of each study and reports the rest", () => {
    const a = [1, 2, 3].map((i) => cand({ studyInstanceUid: "A", instanceNumber: i }));
    const b = [1, 2, 3].map((i) => cand({ studyInstanceUid: "B", instanceNumber: i }));
    const r = selectImages([...a, ...b], RULES);
    expect(uids(r.selected)).to.deep.equal(uids([a[0]!, a[1]!, b[0]!, b[1]!]));
    expect(r.rejected.map((x) => [x.sopInstanceUid, x.code])).to.deep.equal([
      [a[2]!.sopInstanceUid, "over-limit"],
      [b[2]!.sopInstanceUid, "over-limit"],
    ]);
  });
});

describe("imaging/candidateFromDicomJson", () => {
  it("reads a QIDO-RS instance result", () => {
    const json = {
      "0020000D": { vr: "UI", Value: ["1.2.3"] },
      "0020000E": { vr: "UI", Value: ["1.2.3.4"] },
      "00080018": { vr: "UI", Value: ["1.2.3.4.5"] },
      "00080016": { vr: "UI", Value: [SopClassUid.ComputedRadiographyImageStorage] },
      "00080060": { vr: "CS", Value: ["CR"] },
      "00180015": { vr: "CS", Value: ["CHEST"] },
      "00185101": { vr: "CS", Value: ["PA"] },
      "00080008": { vr: "CS", Value: ["ORIGINAL", "PRIMARY"] },
      "00280008": { vr: "IS", Value: ["1"] },
      "00280010": { vr: "US", Value: [2500] },
      "00280011": { vr: "US", Value: [2048] },
      "00200013": { vr: "IS", Value: [3] },
      "00100010": { vr: "PN", Value: [{ Alphabetic: "Secret^Patient" }] },
    };
    expect(candidateFromDicomJson(json)).to.deep.equal({
      studyInstanceUid: "1.2.3",
      seriesInstanceUid: "1.2.3.4",
      sopInstanceUid: "1.2.3.4.5",
      sopClassUid: SopClassUid.ComputedRadiographyImageStorage,
      modality: "CR",
      bodyPartExamined: "CHEST",
      viewPosition: "PA",
      imageType: ["ORIGINAL", "PRIMARY"],
      numberOfFrames: 1,
      rows: 2500,
      columns: 2048,
      instanceNumber: 3,
    });
  });

  it("leaves absent optional attributes out, and refuses a result without UIDs", () => {
    const minimal = {
      "0020000D": { vr: "UI", Value: ["1"] },
      "0020000E": { vr: "UI", Value: ["2"] },
      "00080018": { vr: "UI", Value: ["3"] },
      "00080016": { vr: "UI", Value: ["4"] },
      "00180015": { vr: "CS" },
    };
    expect(candidateFromDicomJson(minimal)).to.deep.equal({
      studyInstanceUid: "1",
      seriesInstanceUid: "2",
      sopInstanceUid: "3",
      sopClassUid: "4",
    });
    const { "00080016": _dropped, ...noClass } = minimal;
    expect(() => candidateFromDicomJson(noClass)).to.throw(RadzError, /\(0008,0016\) SOPClassUID/);
  });

  it("QIDO_INCLUDE_FIELDS covers every attribute the candidate reads", () => {
    for (const tag of ["00080060", "00180015", "00185101", "00080008", "00280008", "00200013"]) {
      expect(QIDO_INCLUDE_FIELDS).to.include(tag);
    }
  });

  it("candidateFromInstance reads the same fields from a parsed file", () => {
    const inst = parseInstance(
      gray16(2, 2, [0, 1, 2, 3], { ImageType: ["ORIGINAL", "PRIMARY"], InstanceNumber: 7 }),
    );
    expect(candidateFromInstance(inst)).to.deep.equal({
      studyInstanceUid: inst.studyInstanceUid,
      seriesInstanceUid: inst.seriesInstanceUid,
      sopInstanceUid: inst.sopInstanceUid,
      sopClassUid: SopClassUid.DigitalXRayImageStorageForPresentation,
      modality: "DX",
      bodyPartExamined: "CHEST",
      viewPosition: "PA",
      imageType: ["ORIGINAL", "PRIMARY"],
      rows: 2,
      columns: 2,
      instanceNumber: 7,
    });
  });
});

describe("intake/rejectSeries (series first)", () => {
  const series = (over: Partial<Parameters<typeof rejectSeries>[0]> = {}) => ({
    seriesInstanceUid: "1.2.3.4",
    modality: "DX",
    bodyPartExamined: "CHEST",
    numberOfInstances: 3,
    ...over,
  });

  it("lets a series through whose Modality and Body Part Examined are accepted (its instances decide)", () => {
    expect(rejectSeries(series(), RULES)).to.equal(null);
    expect(rejectSeries(series({ bodyPartExamined: undefined }), RULES)).to.equal(null);
    // Even with a SOP class that is not accepted: each instance is looked at.
    expect(
      rejectSeries(series({ sopClassUid: SopClassUid.ComprehensiveSRStorage }), RULES),
    ).to.equal(null);
  });

  it("rejects the others with the code and reason selectImages gives each of their instances", () => {
    const cases: [Partial<Parameters<typeof rejectSeries>[0]>, Partial<ImageCandidate>][] = [
      [
        { modality: "CT", bodyPartExamined: "HEAD", sopClassUid: CT_IMAGE },
        { modality: "CT", bodyPartExamined: "HEAD", sopClassUid: CT_IMAGE },
      ],
      [{ modality: "MR" }, { modality: "MR" }],
      [{ bodyPartExamined: "HAND" }, { bodyPartExamined: "HAND" }],
      [
        { modality: "SR", sopClassUid: SopClassUid.Comprehensive3DSRStorage },
        { modality: "SR", sopClassUid: SopClassUid.Comprehensive3DSRStorage },
      ],
    ];
    for (const [s, c] of cases) {
      const bySeries = rejectSeries(series(s), RULES);
      const byInstance = selectImages([cand(c)], RULES).rejected[0]!;
      expect(bySeries, JSON.stringify(s)).to.include({
        code: byInstance.code,
        reason: byInstance.reason,
        instances: 3,
      });
    }
  });

  it("without a known SOP class, gives the Modality or Body Part Examined reason", () => {
    expect(rejectSeries(series({ modality: "CT" }), RULES)).to.include({
      code: "modality-not-accepted",
    });
  });
});
