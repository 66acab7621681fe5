import { readFileSync } from "node:fs";
import { expect } from "chai";
import { configJsonSchema, configReferenceMarkdown } from "../../src/config/reference.js";

describe("config reference docs", () => {
  it("docs/configuration.md is up to date with the schema (npm run docs:config)", () => {
    expect(readFileSync("docs/configuration.md", "utf8")).to.equal(configReferenceMarkdown());
  });
  it("docs/config.schema.json is up to date with the schema (npm run docs:config)", () => {
    expect(JSON.parse(readFileSync("docs/config.schema.json", "utf8"))).to.deep.equal(
      configJsonSchema(),
    );
  });
  it("documents every option with a description", () => {
    const md = configReferenceMarkdown();
    for (const line of md.split("\n").filter((l) => l.startsWith("| `"))) {
      expect(line.trimEnd().endsWith("|  |"), line).to.equal(false);
    }
    expect(md).to.include("`RADZ_JOBS__MAX_ATTEMPTS`");
  });
});
