/**
 * Hostile input limits: DICOM structure (nesting, element and fragment
 * counts, lengths, deflate bombs, size) is refused with a code before dcmjs
 * allocates anything; model bundle paths cannot leave the bundle directory.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import zlib from "node:zlib";
import { expect } from "chai";
import { RadzError } from "../../src/errors.js";
import { parseInstance } from "../../src/imaging/index.js";
import { WALK_LIMITS } from "../../src/imaging/element-walker.js";
import { isSafeRelativePath } from "../../src/model/index.js";
import { resolveBundleFile } from "../../src/model/bundle-files.js";

const EXPLICIT_LE = "1.2.840.10008.1.2.1";
const DEFLATED = "1.2.840.10008.1.2.1.99";
const JPEG_BASELINE = "1.2.840.10008.1.2.4.50";

function u16(v: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(v);
  return b;
}
function u32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0);
  return b;
}
function tag(group: number, element: number): Buffer {
  return Buffer.concat([u16(group), u16(element)]);
}
/** Explicit VR LE element with a 2-byte length. */
function short(group: number, element: number, vr: string, value: Buffer): Buffer {
  return Buffer.concat([tag(group, element), Buffer.from(vr, "latin1"), u16(value.length), value]);
}
/** Explicit VR LE element with a 4-byte length (OB, SQ, UN, …); `length` overrides. */
function long(
  group: number,
  element: number,
  vr: string,
  value: Buffer,
  length = value.length,
): Buffer {
  return Buffer.concat([
    tag(group, element),
    Buffer.from(vr, "latin1"),
    u16(0),
    u32(length),
    value,
  ]);
}
function uid(v: string): Buffer {
  return Buffer.from(v.length % 2 === 0 ? v : `${v}\0`, "latin1");
}
function part10(transferSyntax: string, dataset: Buffer): Uint8Array {
  const meta = short(0x0002, 0x0010, "UI", uid(transferSyntax));
  return new Uint8Array(Buffer.concat([Buffer.alloc(128), Buffer.from("DICM"), meta, dataset]));
}
const item = (content: Buffer) =>
  Buffer.concat([tag(0xfffe, 0xe000), u32(content.length), content]);
const UNDEFINED = 0xffffffff;
const seqDelim = Buffer.concat([tag(0xfffe, 0xe0dd), u32(0)]);

function refused(bytes: Uint8Array, maxBytes?: number): RadzError {
  const started = Date.now();
  try {
    parseInstance(bytes, maxBytes === undefined ? {} : { maxBytes });
  } catch (e) {
    expect(Date.now() - started, "refused quickly").to.be.lessThan(5_000);
    expect(e).to.be.instanceOf(RadzError);
    return e as RadzError;
  }
  return expect.fail("expected a RadzError");
}

describe("security: hostile DICOM input", function () {
  this.timeout(30_000);

  it(`refuses sequences nested deeper than ${WALK_LIMITS.maxDepth} with DICOM_LIMIT_EXCEEDED`, () => {
    let inner = short(0x0008, 0x0100, "SH", Buffer.from("CODE00"));
    for (let d = 0; d < WALK_LIMITS.maxDepth + 2; d++) {
      inner = long(0x0040, 0xa730, "SQ", item(inner)); // Content Sequence, defined lengths
    }
    const e = refused(part10(EXPLICIT_LE, inner));
    expect(e.code).to.equal("DICOM_LIMIT_EXCEEDED");
    expect(e.message).to.match(/nested deeper than 64/);
    // Undefined-length nesting as well.
    let open = Buffer.alloc(0);
    for (let d = 0; d < WALK_LIMITS.maxDepth + 2; d++) {
      open = Buffer.concat([open, long(0x0040, 0xa730, "SQ", Buffer.alloc(0), UNDEFINED)]);
      open = Buffer.concat([open, tag(0xfffe, 0xe000), u32(UNDEFINED)]);
    }
    expect(refused(part10(EXPLICIT_LE, open)).code).to.equal("DICOM_LIMIT_EXCEEDED");
  });

  it(`refuses more than ${WALK_LIMITS.maxElements} data elements before decoding any`, () => {
    const one = short(0x0009, 0x0010, "LO", Buffer.alloc(0)); // an 8-byte empty private element
    const many = Buffer.alloc(one.length * (WALK_LIMITS.maxElements + 1));
    for (let i = 0; i <= WALK_LIMITS.maxElements; i++) one.copy(many, i * one.length);
    const e = refused(part10(EXPLICIT_LE, many));
    expect(e.code).to.equal("DICOM_LIMIT_EXCEEDED");
    expect(e.message).to.match(/more than 1000000 data elements/);
  });

  it(`refuses more than ${WALK_LIMITS.maxFragments} pixel data fragments before decoding any`, () => {
    const emptyItem = item(Buffer.alloc(0));
    const n = WALK_LIMITS.maxFragments + 1;
    const fragments = Buffer.alloc(emptyItem.length * n);
    for (let i = 0; i < n; i++) emptyItem.copy(fragments, i * emptyItem.length);
    const pixelData = Buffer.concat([
      long(0x7fe0, 0x0010, "OB", Buffer.alloc(0), UNDEFINED),
      fragments,
      seqDelim,
    ]);
    const e = refused(part10(JPEG_BASELINE, pixelData));
    expect(e.code).to.equal("DICOM_LIMIT_EXCEEDED");
    expect(e.message).to.match(/pixel data fragments/);
  });

  it("refuses lengths past the end of the data without allocating them", () => {
    const huge = long(0x7fe0, 0x0010, "OB", Buffer.alloc(16), 0xfffffff0);
    const e = refused(part10(EXPLICIT_LE, huge));
    expect(e.code).to.equal("DICOM_PARSE_ERROR");
    expect(e.message).to.match(/\(7FE0,0010\).*exceeds/);
    const item0 = long(0x0040, 0xa730, "SQ", Buffer.concat([tag(0xfffe, 0xe000), u32(0x7ffffff0)]));
    expect(refused(part10(EXPLICIT_LE, item0)).code).to.equal("DICOM_PARSE_ERROR");
  });

  it("refuses files over maxBytes, and deflate bombs that inflate past it", () => {
    const bytes = part10(EXPLICIT_LE, short(0x0008, 0x0060, "CS", Buffer.from("DX")));
    expect(refused(bytes, 100).code).to.equal("DICOMWEB_INSTANCE_TOO_LARGE");
    const bomb = zlib.deflateRawSync(
      Buffer.concat([long(0x0009, 0x1010, "OB", Buffer.alloc(64 * 1024 * 1024))]),
    );
    expect(bomb.length).to.be.lessThan(200_000);
    const e = refused(part10(DEFLATED, bomb), 1024 * 1024);
    expect(e.code).to.equal("DICOMWEB_INSTANCE_TOO_LARGE");
  });
});

describe("security: model bundle paths stay inside the bundle", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "radz-bundle-paths-"));
    mkdirSync(join(dir, "bundle", "models"), { recursive: true });
    writeFileSync(join(dir, "bundle", "models", "image.onnx"), "x");
    writeFileSync(join(dir, "secret.txt"), "outside");
    symlinkSync(join(dir, "secret.txt"), join(dir, "bundle", "models", "link.onnx"));
    symlinkSync(join(dir), join(dir, "bundle", "up"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("accepts plain relative paths only", () => {
    for (const ok of ["image.onnx", "models/image.onnx", "a/b/c.json", "./x.bin"]) {
      expect(isSafeRelativePath(ok), ok).to.equal(true);
    }
    for (const bad of [
      "",
      "..",
      "../secret.txt",
      "models/../../secret.txt",
      "/etc/passwd",
      "C:/Windows/win.ini",
      "c:secret",
      "models\\..\\..\\secret.txt",
      "a\0b",
      "models/./../../x",
    ]) {
      expect(isSafeRelativePath(bad), JSON.stringify(bad)).to.equal(false);
    }
  });

  it("refuses files that resolve outside the bundle through symlinks", async () => {
    const bundle = join(dir, "bundle");
    expect(await resolveBundleFile(bundle, "models/image.onnx")).to.match(/image\.onnx$/);
    for (const escape of [
      "models/link.onnx",
      "up/secret.txt",
      "../secret.txt",
      "%2e%2e/secret.txt",
    ]) {
      const err = await resolveBundleFile(bundle, escape).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err, escape).to.be.instanceOf(RadzError);
      expect((err as RadzError).code, escape).to.be.oneOf([
        "BUNDLE_INVALID",
        "BUNDLE_FILE_MISSING",
      ]);
    }
  });
});
