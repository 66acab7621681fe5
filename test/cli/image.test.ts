/**
 * `radz image`: --stored writes exactly readStoredValues (16-bit PGM, signed
 * offset stated in the header); --png writes exactly what the bundle's
 * preprocessing gives before normalisation (read back with sharp).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import sharp from "sharp";
import {
  decodeFrame,
  initCodecs,
  modelView,
  parseInstance,
  readStoredValues,
} from "../../src/imaging/index.js";
import { readBundleManifest, writeDemoBundle } from "../../src/model/index.js";
import { HAS_DCMTK, runTool, sourceImage } from "../imaging/codec-fixtures.js";

function radz(args: string[]) {
  const r = spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], {
    encoding: "utf8",
    env: { ...process.env, RADZ_LOG__LEVEL: "silent" },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface Pnm {
  magic: string;
  comment: string;
  width: number;
  height: number;
  maxval: number;
  samples: Uint16Array;
}

function readPnm(bytes: Buffer): Pnm {
  const lines: string[] = [];
  let at = 0;
  while (lines.length < 4) {
    const nl = bytes.indexOf(0x0a, at);
    lines.push(bytes.subarray(at, nl).toString("latin1"));
    at = nl + 1;
  }
  const [magic, comment, size, maxval] = lines as [string, string, string, string];
  const [width, height] = size.split(" ").map(Number) as [number, number];
  const n = (bytes.length - at) / 2;
  const samples = new Uint16Array(n);
  for (let i = 0; i < n; i++) samples[i] = bytes.readUInt16BE(at + 2 * i);
  return { magic, comment, width, height, maxval: Number(maxval), samples };
}

describe("cli: radz image", function () {
  this.timeout(120_000);
  let work: string;
  let bundle: string;
  before(async () => {
    await initCodecs();
    work = mkdtempSync(join(tmpdir(), "radz-image-"));
    bundle = join(work, "bundle");
    await writeDemoBundle(bundle);
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  it("--stored and --png of a signed 12-bit JPEG-LS image equal readStoredValues and the bundle's preprocessing", async function () {
    if (!HAS_DCMTK) this.skip();
    const src = sourceImage({
      name: "s12",
      rows: 300,
      columns: 251,
      bitsAllocated: 16,
      bitsStored: 12,
      signed: true,
      samplesPerPixel: 1,
    });
    const file = join(work, "s12.jls.dcm");
    writeFileSync(file, runTool(work, "dcmcjpls", [], src.file, "s12"));
    const pgm = join(work, "s12.pgm");
    const png = join(work, "s12.png");
    const r = radz(["image", file, "--stored", pgm, "--png", png, "--bundle", bundle]);
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.include("JPEG-LS Lossless").and.include("value + 2048");

    const instance = parseInstance(new Uint8Array(readFileSync(file)));
    const stored = readStoredValues(instance);
    const p = readPnm(readFileSync(pgm));
    expect([p.magic, p.width, p.height, p.maxval]).to.deep.equal(["P5", 251, 300, 65535]);
    expect(p.comment).to.include("stored = sample - 2048");
    expect(Array.from(p.samples, (s) => s - 2048)).to.deep.equal(Array.from(stored.data));

    const manifest = await readBundleManifest(bundle);
    const want = modelView(decodeFrame(instance, { maxPixels: 1e8 }), manifest.preprocess);
    const meta = await sharp(png).metadata();
    expect([meta.width, meta.height, meta.channels]).to.deep.equal([
      manifest.preprocess.size,
      manifest.preprocess.size,
      1,
    ]);
    const got = await sharp(png)
      .toColourspace(want.bits === 16 ? "grey16" : "b-w")
      .raw({ depth: want.bits === 16 ? "ushort" : "uchar" })
      .toBuffer();
    const values =
      want.bits === 16
        ? Array.from(new Uint16Array(got.buffer, got.byteOffset, got.byteLength / 2))
        : Array.from(got);
    expect(values).to.deep.equal(Array.from(want.data));
    expect(new Set(values).size, "a real image, not a flat one").to.be.greaterThan(10);
  });

  it("an 8-bit bundle (quantize8) gives an 8-bit PNG; RGB stored values give a 16-bit PPM", async () => {
    const b8 = join(work, "bundle8");
    await writeDemoBundle(b8);
    const manifestPath = join(b8, "bundle.json");
    const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as {
      preprocess: Record<string, unknown>;
    };
    manifest.preprocess = { ...manifest.preprocess, quantize8: true, size: 64 };
    writeFileSync(manifestPath, JSON.stringify(manifest));
    const src = sourceImage({
      name: "rgb",
      rows: 40,
      columns: 30,
      bitsAllocated: 8,
      bitsStored: 8,
      signed: false,
      samplesPerPixel: 3,
    });
    const file = join(work, "rgb.dcm");
    writeFileSync(file, src.file);
    const ppm = join(work, "rgb.ppm");
    const png = join(work, "rgb.png");
    const r = radz(["image", file, "--stored", ppm, "--png", png, "--bundle", b8]);
    expect(r.status, r.stderr).to.equal(0);
    const p = readPnm(readFileSync(ppm));
    expect([p.magic, p.width, p.height]).to.deep.equal(["P6", 30, 40]);
    expect(Array.from(p.samples)).to.deep.equal(Array.from(src.stored[0]!));
    const meta = await sharp(png).metadata();
    expect([meta.width, meta.depth, meta.channels]).to.deep.equal([64, "uchar", 1]);
  });

  it("usage errors: nothing to write, a frame past the end", () => {
    const src = sourceImage({
      name: "u8",
      rows: 4,
      columns: 4,
      bitsAllocated: 8,
      bitsStored: 8,
      signed: false,
      samplesPerPixel: 1,
    });
    const file = join(work, "u8.dcm");
    writeFileSync(file, src.file);
    const none = radz(["image", file]);
    expect(none.status).to.equal(1);
    expect(none.stderr).to.include("INPUT_INVALID").and.include("--png");
    const past = radz(["image", file, "--stored", join(work, "x.pgm"), "--frame", "3"]);
    expect(past.status).to.equal(1);
    expect(past.stderr).to.include("INPUT_INVALID").and.include("1 frame(s)");
  });
});
