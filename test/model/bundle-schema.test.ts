import { readFileSync } from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { STANDARD_CODING_SCHEMES } from "../../src/dicom/index.js";
import { RadzError } from "../../src/errors.js";
import {
  isSafeRelativePath,
  parseBundleManifest,
  type BundleManifest,
} from "../../src/model/index.js";
import { demoBundleDir, type Json } from "./bundle-fixtures.js";

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(RadzError);
    expect((err as RadzError).code).to.equal("BUNDLE_INVALID");
    return (err as RadzError).details!.problems as string[];
  }
  throw new Error("expected BUNDLE_INVALID");
}

describe("bundle.json schema", () => {
  let demo: Json;
  let remove: () => void;
  before(async () => {
    const b = await demoBundleDir();
    remove = b.remove;
    demo = JSON.parse(readFileSync(path.join(b.dir, "bundle.json"), "utf8")) as Json;
  });
  after(() => remove());
  const clone = (): Json => structuredClone(demo);

  it("accepts the generated demo manifest", () => {
    const m: BundleManifest = parseBundleManifest(clone());
    expect(m.schemaVersion).to.equal(2);
    expect(m.imageEncoder.spatialOutputName).to.equal("patch_embeddings");
    expect(m.identity.synthetic).to.equal(true);
    expect(m.identity.name).to.contain("not a medical device");
    expect(m.labels.map((l) => l.id)).to.deep.equal([
      "pleural_effusion",
      "pneumothorax",
      "cardiomegaly",
      "consolidation",
      "nodule",
    ]);
    expect(m.scoring.mode).to.equal("posneg-softmax");
    expect(
      m.labels.every(
        (l) =>
          l.prompts.positive.length > 0 && l.prompts.negative.length > 0 && l.knowledge.length > 0,
      ),
    ).to.equal(true);
    expect(m.codingSchemes.map((s) => s.designator)).to.include("99RADZ");
  });

  it("rejects a bad manifest listing every problem at once", () => {
    const m = clone();
    m.schemaVersion = 3;
    (m.imageEncoder as Json).file = "/etc/passwd";
    (m.imageEncoder as Json).sha256 = "abc";
    const labels = m.labels as Json[];
    labels[1]!.id = labels[0]!.id;
    (labels[2]!.concept as Json).scheme = "99OTHER";
    labels[3]!.threshold = 1.5;
    (m.scoring as Json).mode = "argmax";
    const problems = problemsOf(() => parseBundleManifest(m));
    expect(problems.join("\n")).to.match(/schemaVersion/);
    expect(problems.join("\n")).to.match(/imageEncoder\.file: must be a relative path/);
    expect(problems.join("\n")).to.match(/imageEncoder\.sha256/);
    expect(problems.join("\n")).to.match(/labels\[1\]\.id: duplicate label id "pleural_effusion"/);
    expect(problems.join("\n")).to.match(/labels\[3\]\.threshold/);
    expect(problems.join("\n")).to.match(/scoring\.mode/);
    expect(problems).to.have.length.of.at.least(6);
  });

  it("rejects undeclared private coding schemes and paths escaping the bundle", () => {
    const m = clone();
    (((m.labels as Json[])[0]!.concept as Json).scheme as string) = "99OTHER";
    ((m.textEncoder as Json).tokenizer as Json).file = "../tokenizer.json";
    const problems = problemsOf(() => parseBundleManifest(m));
    expect(
      problems.some((p) => p.startsWith("labels[0].concept.scheme") && p.includes("99OTHER")),
    ).to.equal(true);
    expect(problems.some((p) => p.startsWith("textEncoder.tokenizer.file"))).to.equal(true);
  });

  it("takes its coding schemes from the one DICOM table: every standard designator passes undeclared, a retired one fails even when declared", () => {
    for (const scheme of STANDARD_CODING_SCHEMES) {
      const m = clone();
      ((m.labels as Json[])[0]!.concept as Json).scheme = scheme;
      expect(() => parseBundleManifest(m), scheme).not.to.throw();
    }
    const m = clone();
    ((m.labels as Json[])[0]!.concept as Json).scheme = "SRT";
    ((m.labels as Json[])[1]!.concept as Json).scheme = "99SDM";
    (m.codingSchemes as Json[]).push({ designator: "99SDM", name: "SNOMED DICOM Microglossary" });
    const problems = problemsOf(() => parseBundleManifest(m));
    expect(problems.filter((p) => p.includes("is retired"))).to.have.length(2);
    expect(problems[0]).to.match(/^labels\[0\]\.concept\.scheme/);
  });

  it("checks calibration tables and precomputed embedding shapes", () => {
    const m = clone();
    (m.labels as Json[])[0]!.calibration = {
      method: "isotonic",
      x: [0, 0.5, 0.4],
      y: [0, 0.6, 0.5],
    };
    (m.labels as Json[])[1]!.calibration = { method: "platt", a: 1 };
    m.labelEmbeddings = {
      file: "e.bin",
      sha256: "0".repeat(64),
      shape: [3, 16],
      labelIds: ["pleural_effusion", "unknown_label"],
    };
    const problems = problemsOf(() => parseBundleManifest(m));
    const text = problems.join("\n");
    expect(text).to.match(/labels\[0\]\.calibration\.x\[2\]: x must be strictly increasing/);
    expect(text).to.match(/labels\[0\]\.calibration\.y\[2\]: y must be non-decreasing/);
    expect(text).to.match(/labels\[1\]\.calibration\.b/);
    expect(text).to.match(
      /labelEmbeddings\.shape: shape\[0\] is 3 but labelIds \+ negativeLabelIds name 2 rows/,
    );
    expect(text).to.match(
      /labelEmbeddings\.shape: shape\[1\] is 16 but imageEncoder\.embeddingSize is 32/,
    );
    expect(text).to.match(/labelEmbeddings\.labelIds\[1\]: unknown label id "unknown_label"/);
  });

  it("applies defaults for optional label fields", () => {
    const m = clone();
    const l = (m.labels as Json[])[0]!;
    delete l.calibration;
    delete l.combine;
    delete l.triageWeight;
    delete l.knowledge;
    const parsed = parseBundleManifest(m).labels[0]!;
    expect(parsed.calibration).to.deep.equal({ method: "none" });
    expect(parsed.combine).to.deep.equal({ promptWeight: 1, knowledgeWeight: 0 });
    expect(parsed.triageWeight).to.equal(1);
    expect(parsed.knowledge).to.deep.equal([]);
  });

  it("judges bundle-relative paths", () => {
    for (const ok of ["a.onnx", "models/a.onnx", "./a.onnx", "a/../b.onnx"])
      expect(isSafeRelativePath(ok), ok).to.equal(ok !== "a/../b.onnx");
    for (const bad of [
      "",
      "/abs.onnx",
      "../a.onnx",
      "a/../../b",
      "..",
      ".",
      "C:/x.onnx",
      "c:\\x.onnx",
      "a\\b.onnx",
      "a\0b",
    ]) {
      expect(isSafeRelativePath(bad), JSON.stringify(bad)).to.equal(false);
    }
  });
});
