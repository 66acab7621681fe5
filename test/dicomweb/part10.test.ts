import { expect } from "chai";
import { hasPart10Prefix, readPart10Meta } from "../../src/dicomweb/part10.js";
import {
  DX_FOR_PRESENTATION,
  EXPLICIT_VR_LITTLE_ENDIAN,
  makeTestInstance,
} from "../helpers/orthanc.js";

describe("dicomweb/part10", () => {
  it("reads the File Meta Information of a Part-10 file", () => {
    const inst = makeTestInstance();
    expect(hasPart10Prefix(inst.bytes)).to.equal(true);
    expect(readPart10Meta(inst.bytes)).to.deep.equal({
      mediaStorageSopClassUid: DX_FOR_PRESENTATION,
      mediaStorageSopInstanceUid: inst.sopInstanceUid,
      transferSyntaxUid: EXPLICIT_VR_LITTLE_ENDIAN,
    });
  });

  it("works on a view with a byte offset", () => {
    const inst = makeTestInstance();
    const padded = new Uint8Array(inst.bytes.length + 7);
    padded.set(inst.bytes, 7);
    expect(readPart10Meta(padded.subarray(7))?.mediaStorageSopInstanceUid).to.equal(
      inst.sopInstanceUid,
    );
  });

  it("returns null for bytes that are not Part-10 or are cut inside the meta header", () => {
    expect(readPart10Meta(new TextEncoder().encode("hello"))).to.equal(null);
    expect(readPart10Meta(new Uint8Array(200))).to.equal(null);
    const inst = makeTestInstance();
    expect(readPart10Meta(inst.bytes.subarray(0, 150))).to.equal(null);
  });
});
