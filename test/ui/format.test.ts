import { expect } from "chai";
import {
  arrivalText,
  filtersFromSearch,
  loginTokenFromHash,
  pageSearch,
  percent,
  positiveFindings,
  priorityText,
  shortUid,
  stateText,
  studiesQuery,
  type StudyRow,
} from "../../src/ui/format.js";

const row: StudyRow = {
  id: 1,
  orthancStudyId: "x",
  studyInstanceUID: "2.25.123456789012345678901234567890",
  state: "done",
  attempts: 1,
  priority: "urgent",
  findings: [
    {
      labelId: "nodule",
      display: "Lung nodule",
      probability: 0.61,
      threshold: 0.5,
      positive: true,
    },
    {
      labelId: "pneumothorax",
      display: "Pneumothorax",
      probability: 0.97,
      threshold: 0.5,
      positive: true,
    },
    {
      labelId: "cardiomegaly",
      display: "Cardiomegaly",
      probability: 0.2,
      threshold: 0.5,
      positive: false,
    },
  ],
  skipReason: null,
  error: null,
  createdAt: "2024-05-01T08:03:00Z",
  links: { explorer: null, viewer: null, viewerName: "Viewer", preview: null },
};

describe("ui/format (the worklist's pure helpers)", () => {
  it("filters round-trip between the page URL and the API query", () => {
    const f = filtersFromSearch("?priority=urgent&flag=pneumothorax&junk=1");
    expect(f).to.deep.equal({ priority: "urgent", state: "", flag: "pneumothorax", since: "" });
    expect(pageSearch(f)).to.equal("?priority=urgent&flag=pneumothorax");
    expect(studiesQuery(f, 50, 50)).to.equal(
      "priority=urgent&flag=pneumothorax&offset=50&limit=50",
    );
    expect(studiesQuery(filtersFromSearch(""), 0, 25)).to.equal("limit=25");
    expect(pageSearch(filtersFromSearch(""))).to.equal("");
  });

  it("shows positive findings most probable first, as percentages that never claim certainty", () => {
    expect(positiveFindings(row).map((f) => f.labelId)).to.deep.equal(["pneumothorax", "nodule"]);
    expect(percent(0.974)).to.equal("97%");
    expect(percent(0.999)).to.equal(">99%");
    expect(percent(0.001)).to.equal("<1%");
  });

  it("says why a study failed, was skipped or is being retried", () => {
    const error = { code: "ORTHANC_TIMEOUT", message: "…" };
    expect(stateText({ ...row, state: "failed", error })).to.equal("failed: ORTHANC_TIMEOUT");
    expect(stateText({ ...row, state: "queued", attempts: 2, error })).to.equal(
      "retrying (ORTHANC_TIMEOUT)",
    );
    expect(stateText({ ...row, state: "queued", attempts: 0 })).to.equal("queued");
    expect(priorityText(null, "running")).to.equal("pending");
    expect(priorityText(null, "failed")).to.equal("—");
  });

  it("formats arrival times and UIDs compactly", () => {
    const at = new Date(2024, 4, 1, 8, 3);
    expect(arrivalText(at.toISOString(), new Date(2024, 4, 1, 17, 0))).to.equal("08:03");
    expect(arrivalText(at.toISOString(), new Date(2024, 4, 2, 9, 0))).to.equal("2024-05-01 08:03");
    expect(shortUid(row.studyInstanceUID)).to.equal("…901234567890");
    expect(shortUid("1.2.3")).to.equal("1.2.3");
  });

  it("reads the one-time login token from #login=, and nothing else", () => {
    expect(loginTokenFromHash("#login=radz_abc-DEF_123")).to.equal("radz_abc-DEF_123");
    expect(loginTokenFromHash("#login=")).to.equal(null);
    expect(loginTokenFromHash("#login=a<script>")).to.equal(null);
    expect(loginTokenFromHash("#study=x")).to.equal(null);
  });
});
