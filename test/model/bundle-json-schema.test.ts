import { readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { expect } from "chai";
import Ajv2020 from "ajv/dist/2020.js";
import { bundleJsonSchema } from "../../src/model/bundle-json-schema.js";
import { demoBundleDir, readManifest } from "./bundle-fixtures.js";

describe("docs/bundle.schema.json", () => {
  it("is up to date with BundleManifestSchema (npm run docs:config)", () => {
    expect(JSON.parse(readFileSync("docs/bundle.schema.json", "utf8"))).to.deep.equal(
      bundleJsonSchema(),
    );
  });

  it("accepts the demo bundle.json and rejects a broken one (checked with ajv)", async () => {
    const { dir, remove } = await demoBundleDir();
    try {
      const ajv = new Ajv2020.default({ strict: false, allErrors: true });
      const validate = ajv.compile(
        JSON.parse(readFileSync(path.resolve("docs/bundle.schema.json"), "utf8")) as object,
      );
      const manifest = readManifest(dir);
      expect(validate(manifest), JSON.stringify(validate.errors)).to.equal(true);
      const broken = { ...manifest, scoring: { similarity: "dot", logitScale: 0, mode: "x" } };
      expect(validate(broken)).to.equal(false);
      const paths = (validate.errors ?? []).map((e) => e.instancePath);
      expect(paths).to.include("/scoring/similarity");
      expect(paths).to.include("/scoring/mode");
    } finally {
      remove();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
