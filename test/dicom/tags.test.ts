import { createRequire } from "node:module";
import { expect } from "chai";
import { Tag, formatTag, hexTag, tagLabel, type TagKeyword } from "../../src/dicom/index.js";

interface DictionaryEntry {
  readonly tag: string;
}
const dcmjs = createRequire(import.meta.url)("dcmjs") as {
  data: { DicomMetaDictionary: { nameMap: Record<string, DictionaryEntry | undefined> } };
};

describe("dicom/tags", () => {
  it("every row of the tag table is the PS3.6 tag of its keyword (dcmjs' dictionary)", () => {
    const wrong: string[] = [];
    for (const [keyword, hex] of Object.entries(Tag)) {
      const entry = dcmjs.data.DicomMetaDictionary.nameMap[keyword];
      if (entry?.tag !== formatTag(hex)) wrong.push(`${keyword}: ${hex} vs ${entry?.tag}`);
    }
    expect(wrong).to.deep.equal([]);
    expect(Object.keys(Tag).length).to.be.greaterThan(60);
  });

  it("spells tags as 8 upper-case hex digits, each once", () => {
    const hexes = Object.values(Tag);
    expect(hexes.filter((h) => !/^[0-9A-F]{8}$/.test(h))).to.deep.equal([]);
    expect(new Set(hexes).size).to.equal(hexes.length);
  });

  it("formats tags for messages and builds them from group and element", () => {
    expect(tagLabel("Rows" satisfies TagKeyword)).to.equal("(0028,0010) Rows");
    expect(hexTag(0x7fe0, 0x0010)).to.equal(Tag.PixelData);
    expect(hexTag(0x0020, 0x000d)).to.equal(Tag.StudyInstanceUID);
    expect(formatTag("fffee000")).to.equal("(FFFE,E000)");
  });
});
