import { expect } from "chai";
import {
  driftAriaLabel,
  driftText,
  SPARK_HEIGHT,
  SPARK_WIDTH,
  sparkMax,
  sparkPoints,
  sparkY,
  type DriftLabel,
  type DriftState,
} from "../../src/ui/drift-format.js";

const STATE: DriftState = {
  enabled: true,
  settings: {
    referenceSize: 500,
    windowSize: 500,
    minWindowSize: 300,
    watchLevel: 0.1,
    alertLevel: 0.25,
  },
  referenceCount: 500,
  windowCount: 120,
};
const label = (over: Partial<DriftLabel>): DriftLabel => ({
  label: "nodule",
  display: "Nodule",
  level: "ok",
  psi: 0.04,
  alerting: false,
  history: [],
  ...over,
});

describe("ui/drift-format", () => {
  it("scales the sparkline to the alert level with head room, or to the highest PSI", () => {
    expect(sparkMax([], 0.25)).to.equal(0.4);
    expect(sparkMax([{ psi: 0.1 }, { psi: 0.9 }], 0.25)).to.equal(0.9);
    expect(sparkY(0, 0.4)).to.equal(SPARK_HEIGHT - 1);
    expect(sparkY(0.4, 0.4)).to.equal(1);
    expect(sparkY(2, 0.4), "clamped").to.equal(1);
  });

  it("draws the history oldest left, across the whole width", () => {
    expect(sparkPoints([], 1)).to.equal("");
    expect(sparkPoints([{ psi: 0.5 }], 1)).to.equal(`0,${sparkY(0.5, 1)}`);
    const pts = sparkPoints([{ psi: 0 }, { psi: 0.5 }, { psi: 1 }], 1).split(" ");
    expect(pts).to.deep.equal([
      `0,${SPARK_HEIGHT - 1}`,
      `${SPARK_WIDTH / 2},${sparkY(0.5, 1)}`,
      `${SPARK_WIDTH},1`,
    ]);
  });

  it("says where each label stands, and names the levels for screen readers", () => {
    expect(
      driftText(label({ level: "reference", psi: null }), { ...STATE, referenceCount: 37 }),
    ).to.equal("reference: 37 of 500 studies");
    expect(driftText(label({ level: "collecting", psi: null }), STATE)).to.equal(
      "collecting: 120 of 300 studies",
    );
    expect(driftText(label({ level: "alert", psi: 0.314 }), STATE)).to.equal("PSI 0.31 · alert");
    expect(driftAriaLabel(label({ history: [{ at: 1, psi: 0.04 }] }), STATE)).to.equal(
      "Nodule: PSI 0.04 · ok; watch at 0.1, alert at 0.25; PSI over the last 1 studies",
    );
  });
});
