import { readFileSync } from "node:fs";
import { expect } from "chai";
import { ERROR_CATALOGUE, RadzError, isTransient, toRadzError } from "../src/errors.js";

describe("errors", () => {
  it("documents every code in docs/errors.md", () => {
    const doc = readFileSync("docs/errors.md", "utf8");
    const missing = Object.keys(ERROR_CATALOGUE).filter((code) => !doc.includes(`### ${code}\n`));
    expect(missing, "codes without a docs/errors.md section").to.deep.equal([]);
  });

  it("classes codes as transient or permanent with an HTTP status", () => {
    expect(new RadzError("ORTHANC_TIMEOUT", "x").transient).to.equal(true);
    expect(new RadzError("DICOM_PARSE_ERROR", "x").transient).to.equal(false);
    expect(new RadzError("JOB_NOT_FOUND", "x").httpStatus).to.equal(404);
    expect(isTransient(new Error("plain"))).to.equal(true);
  });

  it("wraps foreign errors without losing them", () => {
    const cause = new TypeError("boom");
    const e = toRadzError(cause, "DICOM_PARSE_ERROR");
    expect(e.code).to.equal("DICOM_PARSE_ERROR");
    expect(e.cause).to.equal(cause);
    expect(toRadzError(e)).to.equal(e);
    expect(JSON.parse(JSON.stringify(e))).to.deep.equal({
      code: "DICOM_PARSE_ERROR",
      message: "boom",
    });
  });
});
