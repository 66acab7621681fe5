import { expect } from "chai";
import { codedLabel, isDefinedTerm, quotableValue } from "../../src/dicom/index.js";

describe("dicom/defined-terms: which coded values may be quoted", () => {
  it("quotes a Defined Term, and nothing else", () => {
    expect(quotableValue("PhotometricInterpretation", "YBR_ICT")).to.equal("YBR_ICT");
    expect(quotableValue("PhotometricInterpretation", " MONOCHROME1 ")).to.equal("MONOCHROME1");
    expect(quotableValue("Modality", "DX")).to.equal("DX");
    expect(quotableValue("Modality", "DOE JOHN")).to.equal("(a value that is not a Defined Term)");
    expect(quotableValue("PhotometricInterpretation", "monochrome2")).to.equal(
      "(a value that is not a Defined Term)",
    );
    expect(quotableValue("Modality", undefined)).to.equal("(absent)");
    expect(quotableValue("Modality", "  ")).to.equal("(absent)");
    expect(isDefinedTerm("Modality", "CR")).to.equal(true);
    expect(isDefinedTerm("Modality", "XRAY")).to.equal(false);
  });

  it("labels the tag with the quotable value", () => {
    expect(codedLabel("PhotometricInterpretation", "RGB")).to.equal(
      "(0028,0004) PhotometricInterpretation RGB",
    );
    expect(codedLabel("Modality", "SMITH")).to.equal(
      "(0008,0060) Modality (a value that is not a Defined Term)",
    );
  });
});
