import { expect } from "chai";
import { loadConfig } from "../../src/config/index.js";
import type { LabelScore } from "../../src/model/types.js";
import { applyTriageOverrides } from "../../src/pipeline/analyze.js";
import { triage } from "../../src/report/index.js";

function score(labelId: string, probability: number, threshold: number, w: number): LabelScore {
  return {
    labelId,
    display: labelId,
    concept: { value: "1", scheme: "99RADZ", meaning: labelId },
    logit: 0,
    probability,
    threshold,
    positive: probability >= threshold,
    triageWeight: w,
  };
}

describe("flags/triage overrides (triage.labels)", () => {
  // Bundle: pneumothorax threshold 0.5, weight 0.8 -> a 0.45 pneumothorax is not even positive.
  const bundle = [score("pneumothorax", 0.45, 0.5, 0.8), score("cardiomegaly", 0.7, 0.5, 0.4)];

  it("without overrides the bundle's values decide (review)", () => {
    expect(triage(applyTriageOverrides(bundle, {})).priority).to.equal("review");
  });

  it("the documented example: pneumothorax threshold 0.4, weight 1 -> urgent", () => {
    const config = loadConfig({
      env: {},
      overrides: { triage: { labels: { pneumothorax: { threshold: 0.4, weight: 1 } } } },
    });
    const findings = applyTriageOverrides(bundle, config.triage.labels);
    expect(findings[0]).to.include({ threshold: 0.4, positive: true, triageWeight: 1 });
    expect(findings[1]).to.equal(bundle[1]);
    const t = triage(findings);
    expect(t.priority).to.equal("urgent");
    expect(t.flagged).to.deep.equal(["pneumothorax", "cardiomegaly"]);
  });

  it("a raised threshold removes a finding (and its urgency)", () => {
    const findings = applyTriageOverrides([score("pneumothorax", 0.9, 0.5, 1)], {
      pneumothorax: { threshold: 0.95 },
    });
    expect(findings[0]?.positive).to.equal(false);
    expect(triage(findings).priority).to.equal("routine");
  });

  it("config rejects out-of-range overrides and unknown keys", () => {
    expect(() =>
      loadConfig({
        env: {},
        overrides: { triage: { labels: { pneumothorax: { threshold: 2 } } } },
      }),
    ).to.throw(/threshold/);
    expect(() =>
      loadConfig({
        env: {},
        overrides: { triage: { labels: { pneumothorax: { urgent: true } } } },
      }),
    ).to.throw();
  });
});
