import { expect } from "chai";
import fc from "fast-check";
import { FINDING_CONCEPTS } from "../../src/model/concepts.js";
import { triage, TriagePriority } from "../../src/report/triage.js";
import { label } from "./fixtures.js";

describe("report/triage", () => {
  it("flags a positive pneumothorax with triage weight 1 as urgent", () => {
    const result = triage([label("pneumothorax", FINDING_CONCEPTS.pneumothorax, 0.9, 0.5, 1)]);
    expect(result).to.deep.equal({ priority: "urgent", score: 0.9, flagged: ["pneumothorax"] });
  });

  it("gives review when the only positive findings weigh less than 1", () => {
    const result = triage([
      label("cardiomegaly", FINDING_CONCEPTS.cardiomegaly, 0.8, 0.5, 0.5),
      label("pneumothorax", FINDING_CONCEPTS.pneumothorax, 0.2, 0.5, 1), // negative: ignored
    ]);
    expect(result.priority).to.equal(TriagePriority.Review);
    expect(result.score).to.be.closeTo(0.4, 1e-12);
    expect(result.flagged).to.deep.equal(["cardiomegaly"]);
  });

  it("gives routine, score 0 and no flags when nothing is positive", () => {
    const result = triage([
      label("pneumothorax", FINDING_CONCEPTS.pneumothorax, 0.3, 0.5, 1),
      label("nodule", FINDING_CONCEPTS.nodule, 0.1, 0.5, 0.7),
    ]);
    expect(result).to.deep.equal({ priority: "routine", score: 0, flagged: [] });
    expect(triage([])).to.deep.equal({ priority: "routine", score: 0, flagged: [] });
  });

  it("treats weight exactly 1 as urgent and just below as review", () => {
    expect(triage([label("a", FINDING_CONCEPTS.nodule, 0.6, 0.5, 1)]).priority).to.equal("urgent");
    expect(triage([label("a", FINDING_CONCEPTS.nodule, 0.6, 0.5, 0.999)]).priority).to.equal(
      "review",
    );
  });

  it("scores with the maximum probability x weight and orders flags by it", () => {
    const result = triage([
      label("effusion", FINDING_CONCEPTS.pleural_effusion, 0.9, 0.5, 0.5), // 0.45
      label("pneumothorax", FINDING_CONCEPTS.pneumothorax, 0.6, 0.5, 1), // 0.6
      label("edema", FINDING_CONCEPTS.pulmonary_edema, 0.7, 0.5, 0.8), // 0.56
    ]);
    expect(result.priority).to.equal("urgent");
    expect(result.score).to.be.closeTo(0.6, 1e-12);
    expect(result.flagged).to.deep.equal(["pneumothorax", "edema", "effusion"]);
  });

  it("holds its definition for any findings (property)", () => {
    const finding = fc.record({
      labelId: fc.string({ minLength: 1, maxLength: 8 }),
      probability: fc.double({ min: 0, max: 1, noNaN: true }),
      positive: fc.boolean(),
      triageWeight: fc.double({ min: 0, max: 2, noNaN: true }),
    });
    fc.assert(
      fc.property(fc.array(finding, { maxLength: 12 }), (findings) => {
        const result = triage(findings);
        const positives = findings.filter((f) => f.positive);
        expect(result.flagged).to.have.length(positives.length);
        if (positives.length === 0) expect(result.priority).to.equal("routine");
        else if (positives.some((f) => f.triageWeight >= 1))
          expect(result.priority).to.equal("urgent");
        else expect(result.priority).to.equal("review");
        const expected =
          positives.length === 0
            ? 0
            : Math.max(...positives.map((f) => f.probability * f.triageWeight));
        expect(result.score).to.equal(expected);
      }),
    );
  });
});
