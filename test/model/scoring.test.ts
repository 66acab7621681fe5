import { expect } from "chai";
import type { RadzError } from "../../src/errors.js";
import { loadModel, type ZeroShotModel } from "../../src/model/index.js";
import { silentLogger } from "../../src/observability/logger.js";
import { SYNTHETIC_LABELS, generateSyntheticStudies } from "../../src/synthetic/index.js";
import { demoBundleDir } from "./bundle-fixtures.js";
import { auroc, tensorFromPart10 } from "./helpers.js";

describe("zero-shot scoring with the demo bundle", () => {
  let model: ZeroShotModel;
  let remove: () => void;
  before(async () => {
    const b = await demoBundleDir();
    remove = b.remove;
    model = await loadModel(b.dir, {
      executionProviders: ["cpu"],
      requireGpu: false,
      logger: silentLogger(),
    });
  });
  after(async () => {
    await model.close();
    remove();
  });

  it("is deterministic: same input twice, and batch of 1 vs batch of 4, within 1e-5", async () => {
    const studies = generateSyntheticStudies({
      count: 4,
      seed: 21,
      rows: 256,
      columns: 256,
      findingRate: 0.5,
    });
    const inputs = studies.map((s) => tensorFromPart10(s.instances[0]!, model.preprocess));
    const batch = await model.scoreImages(inputs);
    const again = await model.scoreImages(inputs);
    expect(again).to.deep.equal(batch);
    for (let i = 0; i < 4; i++) {
      const [single] = await model.scoreImages([inputs[i]!]);
      single!.forEach((s, k) => {
        expect(s.labelId).to.equal(batch[i]![k]!.labelId);
        expect(s.logit).to.be.closeTo(batch[i]![k]!.logit, 1e-5);
        expect(s.probability).to.be.closeTo(batch[i]![k]!.probability, 1e-5);
      });
    }
    // Scores are reported in bundle label order with the bundle's concepts and thresholds.
    expect(batch[0]!.map((s) => s.labelId)).to.deep.equal([...SYNTHETIC_LABELS]);
    expect(batch[0]![1]!.concept).to.deep.equal({
      value: "36118008",
      scheme: "SCT",
      meaning: "Pneumothorax",
    });
    expect(batch[0]![1]!.triageWeight).to.equal(1);
  });

  it("scores embeddings computed separately exactly like images (remote backends)", async () => {
    const [study] = generateSyntheticStudies({
      count: 1,
      seed: 22,
      rows: 128,
      columns: 128,
      findingRate: 1,
    });
    const input = tensorFromPart10(study!.instances[0]!, model.preprocess);
    const [embedding] = await model.embedImages([input]);
    expect(embedding).to.have.length(model.embeddingSize);
    expect(model.scoreEmbeddings([embedding!])).to.deep.equal(await model.scoreImages([input]));
  });

  it("rejects inputs of the wrong size and returns nothing for an empty batch", async () => {
    expect(await model.scoreImages([])).to.deep.equal([]);
    try {
      await model.scoreImages([new Float32Array(10)]);
      expect.fail("expected INPUT_INVALID");
    } catch (err) {
      expect((err as RadzError).code).to.equal("INPUT_INVALID");
    }
  });

  it("recognises the synthetic findings: AUROC >= 0.95 for every label on 100 studies", async () => {
    const studies = generateSyntheticStudies({ count: 100, seed: 11 });
    const probabilities: number[][] = [];
    for (let b = 0; b < studies.length; b += 20) {
      const inputs = studies
        .slice(b, b + 20)
        .map((s) => tensorFromPart10(s.instances[0]!, model.preprocess));
      for (const row of await model.scoreImages(inputs))
        probabilities.push(row.map((s) => s.probability));
    }
    const report: string[] = [];
    SYNTHETIC_LABELS.forEach((label, k) => {
      const truth = studies.map((s) => s.labels.includes(label));
      expect(truth.some(Boolean) && !truth.every(Boolean), `${label} needs both classes`).to.equal(
        true,
      );
      const value = auroc(
        probabilities.map((p) => p[k]!),
        truth,
      );
      report.push(`${label}=${value.toFixed(3)}`);
      expect(value, report.join(" ")).to.be.at.least(0.95);
    });
  });
});
