import { expect } from "chai";
import { SopClassUid } from "../../src/dicom/index.js";
import { RADZ_EQUIPMENT_MODEL_NAME } from "../../src/report/codes.js";
import {
  findPreviousResults,
  isRadzResult,
  type StudyInstanceInfo,
} from "../../src/report/previous-results.js";
import { reportUids } from "../../src/report/structured-report.js";
import { DX_SOP_CLASS, MODEL, SERIES_UID, STUDY_UID } from "./fixtures.js";

function instance(
  sopInstanceUid: string,
  overrides: Partial<StudyInstanceInfo> = {},
): StudyInstanceInfo {
  return {
    studyInstanceUid: STUDY_UID,
    seriesInstanceUid: "2.25.77",
    sopInstanceUid,
    sopClassUid: SopClassUid.Comprehensive3DSRStorage,
    manufacturerModelName: RADZ_EQUIPMENT_MODEL_NAME,
    contentDate: "20240115",
    contentTime: "093000",
    ...overrides,
  };
}

describe("report/previous-results", () => {
  const current = reportUids(STUDY_UID, MODEL);

  it("recognises RadZ SRs and summary images by SOP Class and Manufacturer's Model Name", () => {
    expect(isRadzResult(instance("2.25.1"))).to.equal(true);
    expect(
      isRadzResult(instance("2.25.2", { sopClassUid: SopClassUid.SecondaryCaptureImageStorage })),
    ).to.equal(true);
    expect(isRadzResult(instance("2.25.3", { manufacturerModelName: "OtherAI" }))).to.equal(false);
    expect(isRadzResult(instance("2.25.4", { manufacturerModelName: undefined }))).to.equal(false);
    expect(isRadzResult(instance("2.25.5", { sopClassUid: DX_SOP_CLASS }))).to.equal(false);
  });

  it("finds nothing in a study with only images and foreign SRs", () => {
    const found = findPreviousResults(
      [
        instance(`${SERIES_UID}.1`, { sopClassUid: DX_SOP_CLASS, manufacturerModelName: "X" }),
        instance("2.25.9", { manufacturerModelName: "OtherAI" }),
      ],
      current,
    );
    expect(found).to.deep.equal({ predecessor: null, objects: [] });
  });

  it("does not count the current key's own SR and summary (a same-key re-run)", () => {
    const found = findPreviousResults(
      [
        instance(current.sopInstanceUid),
        instance(current.summarySopInstanceUid, {
          sopClassUid: SopClassUid.SecondaryCaptureImageStorage,
        }),
      ],
      current,
    );
    expect(found).to.deep.equal({ predecessor: null, objects: [] });
  });

  it("names the newest earlier SR as predecessor and lists every earlier object oldest first", () => {
    const oldSr = instance("2.25.10", { contentDate: "20240101", contentTime: "120000" });
    const oldSc = instance("2.25.11", {
      sopClassUid: SopClassUid.SecondaryCaptureImageStorage,
      contentDate: "20240101",
      contentTime: "120000",
    });
    const newerSr = instance("2.25.20", {
      seriesInstanceUid: "2.25.78",
      contentDate: "20240101",
      contentTime: "120000.5",
    });
    const found = findPreviousResults(
      [newerSr, instance(current.sopInstanceUid), oldSc, oldSr, oldSr],
      current,
    );
    expect(found.predecessor).to.deep.equal({
      studyInstanceUid: STUDY_UID,
      seriesInstanceUid: "2.25.78",
      sopInstanceUid: "2.25.20",
      sopClassUid: SopClassUid.Comprehensive3DSRStorage,
    });
    expect(found.objects.map((o) => o.sopInstanceUid)).to.deep.equal([
      "2.25.10",
      "2.25.11",
      "2.25.20",
    ]);
  });

  it("lists an earlier summary image even without an earlier SR (no predecessor then)", () => {
    const found = findPreviousResults(
      [instance("2.25.30", { sopClassUid: SopClassUid.SecondaryCaptureImageStorage })],
      current,
    );
    expect(found.predecessor).to.equal(null);
    expect(found.objects.map((o) => o.sopInstanceUid)).to.deep.equal(["2.25.30"]);
  });
});
