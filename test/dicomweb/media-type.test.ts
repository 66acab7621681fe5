import { expect } from "chai";
import fc from "fast-check";
import {
  formatParamValue,
  isAcceptableBoundary,
  isRfc2046Boundary,
  parseMediaType,
} from "../../src/dicomweb/media-type.js";

describe("dicomweb/media-type", () => {
  it("reads Orthanc's multipart Content-Type (unquoted boundary)", () => {
    const mt = parseMediaType(
      'multipart/related; type="application/dicom"; boundary=ace54007-4f37-4ebe',
    );
    expect(mt?.essence).to.equal("multipart/related");
    expect(mt?.params.get("type")).to.equal("application/dicom");
    expect(mt?.params.get("boundary")).to.equal("ace54007-4f37-4ebe");
  });

  it("unescapes quoted boundaries with special characters", () => {
    const mt = parseMediaType(
      'Multipart/Related;BOUNDARY="a:b=c?d/e (f) \\"g\\" h";type=application/dicom',
    );
    expect(mt?.essence).to.equal("multipart/related");
    expect(mt?.params.get("boundary")).to.equal('a:b=c?d/e (f) "g" h');
    expect(mt?.params.get("type")).to.equal("application/dicom");
  });

  it("tolerates whitespace around separators and a trailing semicolon", () => {
    const mt = parseMediaType("  application/dicom ;\ttransfer-syntax=1.2.840.10008.1.2.1 ; ");
    expect(mt?.essence).to.equal("application/dicom");
    expect(mt?.params.get("transfer-syntax")).to.equal("1.2.840.10008.1.2.1");
  });

  it("rejects malformed values", () => {
    for (const bad of [
      "",
      "multipart",
      "/related",
      "multipart/related; boundary",
      'a/b; x="unterminated',
      "a/b; =v",
      "a/b junk",
    ]) {
      expect(parseMediaType(bad), bad).to.equal(null);
    }
  });

  it("round-trips any boundary through formatParamValue and parseMediaType", () => {
    const bchar = fc.constantFrom(..."0123456789abcXYZ'()+_,-./:=? ".split(""));
    const boundary = fc
      .array(bchar, { minLength: 1, maxLength: 70 })
      .map((a) => a.join(""))
      .filter((b) => !b.endsWith(" "));
    fc.assert(
      fc.property(boundary, (b) => {
        expect(isRfc2046Boundary(b)).to.equal(true);
        const mt = parseMediaType(
          `multipart/related; type="application/dicom"; boundary=${formatParamValue(b)}`,
        );
        expect(mt?.params.get("boundary")).to.equal(b);
      }),
    );
  });

  it("accepts long printable boundaries but not control characters", () => {
    expect(isAcceptableBoundary("x".repeat(150))).to.equal(true);
    expect(isAcceptableBoundary("a\r\nb")).to.equal(false);
    expect(isAcceptableBoundary("")).to.equal(false);
    expect(isRfc2046Boundary("ends with space ")).to.equal(false);
  });
});
