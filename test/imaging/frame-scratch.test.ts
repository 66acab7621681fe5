/**
 * FrameScratch: compressed frames decoded into memory reused from one image
 * to the next give exactly what fresh buffers give, and the memory is reused.
 */
import { expect } from "chai";
import { decodeFrame, FrameScratch, parseInstance } from "../../src/imaging/index.js";
import {
  HAS_DCMTK,
  HAS_GDCM,
  gdcmconv,
  runTool,
  sourceImage,
  type SourceSpec,
  codecSuiteFolder,
  GREY12,
} from "./codec-fixtures.js";

const A: SourceSpec = GREY12;
/** Another image of the same size (other values), and a larger one. */
const B: SourceSpec = { ...A, name: "16-bit signed", bitsStored: 16, signed: true };
const C: SourceSpec = { ...A, name: "12-bit, larger", rows: 61, columns: 45 };

describe("imaging/FrameScratch", function () {
  this.timeout(60_000);
  const folder = codecSuiteFolder("radz-scratch-");

  it("hands out views of one buffer, grown only for a larger frame", () => {
    const s = new FrameScratch();
    const a = s.bytes(100);
    const b = s.bytes(60);
    expect(b.buffer).to.equal(a.buffer);
    expect(s.capacity).to.equal(100);
    const c = s.bytes(200);
    expect(c.byteLength).to.equal(200);
    expect(s.capacity).to.equal(200);
  });

  const encoders: ReadonlyArray<readonly [string, "dcmtk" | "gdcm", string, readonly string[]]> = [
    ["RLE Lossless (dcmjs-codecs)", "dcmtk", "dcmcrle", []],
    ["JPEG Lossless (DCMTK IJG)", "dcmtk", "dcmcjpeg", ["+e1"]],
    ["JPEG-LS (CharLS)", "dcmtk", "dcmcjpls", []],
    ["JPEG 2000 (OpenJPEG)", "gdcm", "gdcmconv", ["--j2k"]],
  ];
  for (const [name, needs, tool, args] of encoders) {
    it(`${name}: the same display values as fresh buffers, one image after another in one scratch`, function () {
      if ((needs === "dcmtk" && !HAS_DCMTK) || (needs === "gdcm" && !HAS_GDCM)) this.skip();
      const encode = (spec: SourceSpec, tag: string) =>
        needs === "gdcm"
          ? gdcmconv(folder(), args, sourceImage(spec).file, tag)
          : runTool(folder(), tool, args, sourceImage(spec).file, tag);
      const files = [encode(A, `${tool}-a`), encode(B, `${tool}-b`), encode(C, `${tool}-c`)];
      const fresh = files.map((f) =>
        Array.from(decodeFrame(parseInstance(f), { maxPixels: 1e6 }).data),
      );
      const scratch = new FrameScratch();
      let firstBuffer: ArrayBufferLike | undefined;
      files.forEach((f, i) => {
        const image = decodeFrame(parseInstance(f), { maxPixels: 1e6, scratch });
        // Read before the next decode: that is the scratch's contract.
        expect(Array.from(image.data), `image ${i}`).to.deep.equal(fresh[i]);
        const words = image.pixels.kind === "lookup" ? image.pixels.words : undefined;
        expect(words, "grayscale frames stay lookups of the decoded words").not.to.equal(undefined);
        if (i === 0) firstBuffer = words!.buffer;
        if (i === 1)
          expect(words!.buffer, "the same memory for a frame of the same size").to.equal(
            firstBuffer,
          );
      });
      expect(scratch.capacity).to.equal(C.rows * C.columns * 2);
    });
  }
});
