import { expect } from "chai";
import {
  Tag,
  firstNumber,
  firstString,
  isDicomJsonObject,
  sequenceItems,
  strings,
  values,
  type DicomJsonObject,
} from "../../src/dicom/index.js";

describe("dicom/json (DICOM JSON Model readers)", () => {
  const obj: DicomJsonObject = {
    [Tag.SOPInstanceUID]: { vr: "UI", Value: [" 1.2.3 "] },
    [Tag.Modality]: { vr: "CS", Value: [""] },
    [Tag.ImageType]: { vr: "CS", Value: ["ORIGINAL ", 7, "PRIMARY"] },
    [Tag.Rows]: { vr: "US", Value: [512] },
    [Tag.InstanceNumber]: { vr: "IS", Value: [" 12 "] },
    [Tag.NumberOfFrames]: { vr: "IS", Value: ["many"] },
    "0020000e": { vr: "UI", Value: ["1.2.4"] },
    [Tag.ReferencedSOPSequence]: {
      vr: "SQ",
      Value: [{ [Tag.ReferencedSOPInstanceUID]: { vr: "UI", Value: ["1.2.5"] } }, "not an item"],
    },
  };

  it("reads first values as trimmed strings and finite numbers; empty or malformed reads as absent", () => {
    expect(firstString(obj, Tag.SOPInstanceUID)).to.equal("1.2.3");
    expect(firstString(obj, Tag.Modality)).to.equal(undefined);
    expect(firstString(obj, Tag.Rows)).to.equal("512");
    expect(firstString(obj, Tag.StudyInstanceUID)).to.equal(undefined);
    expect(firstNumber(obj, Tag.Rows)).to.equal(512);
    expect(firstNumber(obj, Tag.InstanceNumber)).to.equal(12);
    expect(firstNumber(obj, Tag.NumberOfFrames)).to.equal(undefined);
    expect(strings(obj, Tag.ImageType)).to.deep.equal(["ORIGINAL", "PRIMARY"]);
  });

  it("reads a lower-case key too", () => {
    expect(firstString(obj, Tag.SeriesInstanceUID)).to.equal("1.2.4");
    expect(values(obj, Tag.SeriesInstanceUID)).to.deep.equal(["1.2.4"]);
  });

  it("returns the dataset items of a sequence and recognises DICOM JSON objects", () => {
    const items = sequenceItems(obj, Tag.ReferencedSOPSequence);
    expect(items.map((i) => firstString(i, Tag.ReferencedSOPInstanceUID))).to.deep.equal(["1.2.5"]);
    expect(isDicomJsonObject(obj)).to.equal(true);
    expect(isDicomJsonObject({ [Tag.Rows]: { Value: [1] } })).to.equal(false);
    expect(isDicomJsonObject({ [Tag.Rows]: { vr: "US", Value: 1 } })).to.equal(false);
    expect(isDicomJsonObject([])).to.equal(false);
  });
});
