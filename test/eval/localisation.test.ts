import { expect } from "chai";
import type { RadzError } from "../../src/errors.js";
import {
  boxIoU,
  evaluateLocalisation,
  parseRegionsCsv,
  type PredictedRegion,
} from "../../src/eval/index.js";
import { REGIONS_CSV_HEADER } from "../../src/synthetic/index.js";

const csv = `${REGIONS_CSV_HEADER}
1.1,9.1,nodule,10,10,20,20
1.2,9.2,nodule,50,50,60,60
1.3,9.3,nodule,0,0,10,10
1.4,9.4,nodule,0,0,10,10
1.4,9.4,pneumothorax,0,0,100,100
`;

const region = (sop: string, peak: [number, number], box: PredictedRegion["box"], score = 0.9) => ({
  sopInstanceUid: sop,
  peak,
  box,
  score,
});

describe("eval/localisation: pointing game and box IoU against regions.csv", () => {
  it("parses regions.csv and refuses a bad header or box", () => {
    const drawn = parseRegionsCsv(csv);
    expect(drawn.get("1.4")!.map((d) => d.label)).to.deep.equal(["nodule", "pneumothorax"]);
    expect(drawn.get("1.1")![0]!.box).to.deep.equal([10, 10, 20, 20]);
    expect(() => parseRegionsCsv("uid,label\n"))
      .to.throw()
      .that.satisfies((e: RadzError) => e.code === "INPUT_INVALID");
    expect(() => parseRegionsCsv(`${REGIONS_CSV_HEADER}\n1,2,nodule,5,5,5,9\n`)).to.throw(/line 2/);
  });

  it("boxIoU: identical 1, disjoint 0, half overlap 1/3", () => {
    expect(boxIoU([0, 0, 10, 10], [0, 0, 10, 10])).to.equal(1);
    expect(boxIoU([0, 0, 10, 10], [20, 20, 30, 30])).to.equal(0);
    expect(boxIoU([0, 0, 10, 10], [5, 0, 15, 10])).to.be.closeTo(1 / 3, 1e-12);
  });

  it("scores the top region of each truly positive study with a drawn box", () => {
    const drawn = parseRegionsCsv(csv);
    const e = evaluateLocalisation(
      "nodule",
      [
        // hit, exact box
        {
          studyInstanceUid: "1.1",
          positive: true,
          regions: [region("9.1", [15, 15], [10, 10, 20, 20])],
        },
        // the weaker region points at it, the top one does not: a miss
        {
          studyInstanceUid: "1.2",
          positive: true,
          regions: [
            region("9.2", [55, 55], [50, 50, 60, 60], 0.5),
            region("9.2", [5, 5], [0, 0, 10, 10], 0.8),
          ],
        },
        // no region at all: a miss with IoU 0
        { studyInstanceUid: "1.3", positive: true, regions: [] },
        // right place, wrong image: a miss
        {
          studyInstanceUid: "1.4",
          positive: true,
          regions: [region("9.x", [5, 5], [0, 0, 10, 10])],
        },
        // truly negative, or no drawn box: not counted
        {
          studyInstanceUid: "1.5",
          positive: true,
          regions: [region("9.5", [5, 5], [0, 0, 10, 10])],
        },
        { studyInstanceUid: "1.1", positive: false, regions: [] },
      ],
      drawn,
    );
    expect(e.localised).to.equal(4);
    expect(e.pointingGame).to.equal(1 / 4);
    expect(e.meanBoxIoU).to.equal(1 / 4);
    expect(evaluateLocalisation("cardiomegaly", [], drawn).pointingGame).to.be.NaN;
  });
});
