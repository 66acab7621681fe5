import { expect } from "chai";
import {
  canGiveFeedback,
  currentVerdicts,
  identityLines,
  patientNameText,
  studyDateText,
  verdictText,
  type FeedbackEntry,
} from "../../src/ui/review-format.js";

describe("ui/review-format", () => {
  it("formats DICOM person names and dates for people", () => {
    expect(patientNameText("DOE^JANE^M")).to.equal("DOE, JANE M");
    expect(patientNameText("DOE")).to.equal("DOE");
    expect(patientNameText("^JANE")).to.equal("JANE");
    expect(patientNameText("YAMADA^TARO=山田^太郎")).to.equal("YAMADA, TARO");
    expect(patientNameText(null)).to.equal("—");
    expect(studyDateText("20240105")).to.equal("2024-01-05");
    expect(studyDateText("2024")).to.equal("2024");
    expect(studyDateText(null)).to.equal("");
  });

  it("puts name, IDs, description and date on three lines, leaving out what is missing", () => {
    expect(
      identityLines({
        patientName: "DOE^JANE",
        patientId: "P1",
        accessionNumber: "A9",
        studyDescription: "CHEST PA",
        studyDate: "20240105",
      }),
    ).to.deep.equal(["DOE, JANE", "ID P1 · Acc A9", "CHEST PA · 2024-01-05"]);
    expect(
      identityLines({
        patientName: null,
        patientId: "P1",
        accessionNumber: null,
        studyDescription: null,
        studyDate: null,
      }),
    ).to.deep.equal(["—", "ID P1", ""]);
  });

  it("knows who may give feedback and what each verdict reads as", () => {
    expect(["read", "reviewer", "admin", null].map(canGiveFeedback)).to.deep.equal([
      false,
      true,
      true,
      false,
    ]);
    const e = (label: string, verdict: "present" | "absent", createdAt: number): FeedbackEntry => ({
      label,
      verdict,
      author: "dr",
      createdAt,
    });
    const current = currentVerdicts([e("nodule", "absent", 3), e("nodule", "present", 1)]);
    expect(current.get("nodule")?.verdict).to.equal("absent");
    expect(verdictText(true, e("x", "present", 1))).to.equal("confirmed");
    expect(verdictText(true, e("x", "absent", 1))).to.equal("rejected");
    expect(verdictText(false, e("x", "present", 1))).to.equal("added (missed)");
    expect(verdictText(false, undefined)).to.equal("");
  });
});
