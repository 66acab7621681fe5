import { expect } from "chai";
import {
  DEFAULT_METADATA_NAMES,
  desiredLabels,
  desiredMetadata,
  flagLabel,
  isOwnLabel,
  ORTHANC_LABEL_PATTERN,
  type FlagInput,
} from "../../src/flags/index.js";

const urgent: FlagInput = {
  priority: "urgent",
  findings: [
    { labelId: "cardiomegaly", probability: 0.62, positive: true },
    { labelId: "pneumothorax", probability: 0.97, positive: true },
    { labelId: "nodule", probability: 0.1, positive: false },
  ],
  sr: { sopInstanceUid: "2.25.7" },
};
const routine: FlagInput = {
  priority: "routine",
  findings: [{ labelId: "pneumothorax", probability: 0.2, positive: false }],
  sr: { sopInstanceUid: "2.25.8" },
};

describe("flags/flag-set", () => {
  it("labels: the priority plus one label per positive finding, with the prefix", () => {
    expect(desiredLabels(urgent, "ai-")).to.deep.equal([
      "ai-cardiomegaly",
      "ai-pneumothorax",
      "ai-urgent",
    ]);
    expect(desiredLabels({ ...urgent, priority: "review" }, "radz_")).to.include("radz_review");
    expect(desiredLabels(routine, "ai-")).to.deep.equal([]);
  });

  it("label names follow Orthanc's rule whatever the label id", () => {
    const label = flagLabel("ai-", "weird.label id/".padEnd(80, "x"));
    expect(label).to.match(ORTHANC_LABEL_PATTERN);
    expect(label).to.have.length(64);
    expect(isOwnLabel("ai-urgent", "ai-")).to.equal(true);
    expect(isOwnLabel("teaching", "ai-")).to.equal(false);
  });

  it("metadata: priority and findings while flagged, deleted (null) when routine", () => {
    const m = desiredMetadata(urgent, DEFAULT_METADATA_NAMES);
    expect(m.get("RadzPriority")).to.equal("urgent");
    expect(m.get("RadzFindings")).to.equal("pneumothorax=0.97;cardiomegaly=0.62");
    expect(m.get("RadzStatus")).to.equal("done");
    expect(m.get("RadzResult")).to.equal("2.25.7");
    const r = desiredMetadata(routine, { ...DEFAULT_METADATA_NAMES, priority: "P" });
    expect(r.get("P")).to.equal(null);
    expect(r.get("RadzFindings")).to.equal(null);
    expect(r.get("RadzResult")).to.equal("2.25.8");
  });
});
