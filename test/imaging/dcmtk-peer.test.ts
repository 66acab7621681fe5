/**
 * A real peer: DCMTK.
 *  - dcm2pnm with no modality LUT (-M) and no VOI (-W), writing an ASCII PGM
 *    of Bits Stored bits (+opn n), outputs stored value - smallest
 *    representable value (0 for unsigned, -2^(n-1) for signed), so its
 *    numbers must equal readStoredValues' output shifted by that amount.
 *  - dcm2pnm with the modality LUT and a VOI (+Wi n window, +Wl n VOI LUT,
 *    +Wm min-max) writing 16-bit output must agree with decodeFrame's display
 *    values * 65535 to within one output step (DCMTK truncates/rounds to an
 *    integer). DCMTK scales a VOI LUT of n bits by shifting (value * 2^(16-n)),
 *    where we divide by 2^n - 1, so that case gets a tolerance of 2^(16-n).
 *    (This DCMTK version does not know LINEAR_EXACT, so that function is
 *    checked against hand-computed values only, in decode-grayscale.test.ts.)
 *  - dcmconv re-encodes our fixture in Implicit VR, Big Endian and Deflated
 *    (files written by another toolkit, not by dcmjs), and we must read the
 *    same stored values back.
 * Skipped when DCMTK is not installed.
 */
import { expect } from "chai";
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { decodeFrame, parseInstance, readStoredValues } from "../../src/imaging/index.js";
import { TS, gray16 } from "./fixtures.js";

const hasDcmtk = spawnSync("dcm2pnm", ["--version"]).status === 0;

function readAsciiPgm(file: string): {
  width: number;
  height: number;
  max: number;
  values: number[];
} {
  const tokens = fs
    .readFileSync(file, "latin1")
    .split("\n")
    .filter((l) => !l.startsWith("#"))
    .join(" ")
    .trim()
    .split(/\s+/);
  expect(tokens[0]).to.equal("P2");
  const [width, height, max] = tokens.slice(1, 4).map(Number) as [number, number, number];
  return { width, height, max, values: tokens.slice(4).map(Number) };
}

describe("imaging vs DCMTK", function () {
  let dir: string;
  before(function () {
    if (!hasDcmtk) this.skip();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "radz-imaging-dcmtk-"));
  });
  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const cases = [
    {
      name: "signed 12-bit with junk in the high bits",
      bitsStored: 12,
      signed: true,
      stored: [-2048, -1, 0, 1, 2047, 100, -100, 5, -777, 1234, 42, -42],
      junk: 0xa000,
    },
    {
      name: "unsigned 16-bit",
      bitsStored: 16,
      signed: false,
      stored: [0, 1, 65535, 32768, 4095, 12345, 54321, 7, 256, 255, 1000, 60000],
      junk: 0,
    },
    {
      name: "unsigned 10-bit",
      bitsStored: 10,
      signed: false,
      stored: [0, 1023, 512, 3, 700, 9, 1000, 100, 10, 1, 2, 4],
      junk: 0xfc00,
    },
  ];

  for (const c of cases) {
    it(`stored values match dcm2pnm: ${c.name}`, () => {
      const mask = 2 ** c.bitsStored - 1;
      const words = c.stored.map((v) => (v & mask) | c.junk);
      const file = path.join(dir, `${c.bitsStored}.dcm`);
      fs.writeFileSync(
        file,
        gray16(3, 4, words, {
          BitsStored: c.bitsStored,
          HighBit: c.bitsStored - 1,
          PixelRepresentation: c.signed ? 1 : 0,
        }),
      );
      const pgm = path.join(dir, `${c.bitsStored}.pgm`);
      execFileSync("dcm2pnm", ["-M", "-W", "+opn", String(c.bitsStored), file, pgm]);
      const peer = readAsciiPgm(pgm);
      expect([peer.width, peer.height, peer.max]).to.deep.equal([4, 3, mask]);

      const ours = readStoredValues(parseInstance(new Uint8Array(fs.readFileSync(file))));
      const offset = c.signed ? 2 ** (c.bitsStored - 1) : 0;
      expect(Array.from(ours.data, (v) => v + offset)).to.deep.equal(peer.values);
      expect(Array.from(ours.data)).to.deep.equal(c.stored);
    });
  }

  for (const [flag, ts] of [
    ["+ti", TS.implicitLE],
    ["+tb", TS.explicitBE],
    ["+td", TS.deflated],
  ] as const) {
    it(`reads a file DCMTK re-encoded as ${ts}`, () => {
      const stored = [-300, -1, 0, 1, 200, 100, -100, 5];
      const src = path.join(dir, `src-${flag}.dcm`);
      const out = path.join(dir, `out-${flag}.dcm`);
      fs.writeFileSync(
        src,
        gray16(
          2,
          4,
          stored.map((v) => v & 0xffff),
          {
            PixelRepresentation: 1,
            RescaleSlope: 2,
            PixelPaddingValue: -300,
            WindowCenter: [1, 2],
            WindowWidth: [10, 20],
            _vrMap: { PixelPaddingValue: "SS" },
          },
        ),
      );
      execFileSync("dcmconv", [flag, src, out]);
      const inst = parseInstance(new Uint8Array(fs.readFileSync(out)));
      expect(inst.transferSyntaxUid).to.equal(ts);
      expect(Array.from(readStoredValues(inst).data)).to.deep.equal(stored);
      expect(inst.dataset["PixelPaddingValue"]).to.be.oneOf([-300, 65236]);
    });
  }

  const ramp = Array.from({ length: 40 }, (_, i) => -2048 + i * 100);
  const windowed: [string, Record<string, unknown>, string[], number, number][] = [
    [
      "LINEAR window #1 after rescale",
      { RescaleSlope: 2, RescaleIntercept: 50, WindowCenter: [100, 0], WindowWidth: [1500, 4000] },
      ["+Wi", "1"],
      0,
      1,
    ],
    [
      "LINEAR window #2 (windowIndex 1)",
      { RescaleSlope: 2, RescaleIntercept: 50, WindowCenter: [100, 0], WindowWidth: [1500, 4000] },
      ["+Wi", "2"],
      1,
      1,
    ],
    [
      "SIGMOID",
      { WindowCenter: 100, WindowWidth: 1500, VOILUTFunction: "SIGMOID" },
      ["+Wi", "1"],
      0,
      1,
    ],
    [
      "MONOCHROME1",
      { WindowCenter: 100, WindowWidth: 1500, PhotometricInterpretation: "MONOCHROME1" },
      ["+Wi", "1"],
      0,
      1,
    ],
    ["no window: min-max of the modality output", { RescaleSlope: 3 }, ["+Wm"], 0, 1],
    [
      "Modality LUT Sequence",
      {
        ModalityLUTSequence: [
          {
            LUTDescriptor: [4096, -2048, 16],
            ModalityLUTType: "US",
            LUTData: Array.from({ length: 4096 }, (_, i) => (i * 13) % 65536),
            _vrMap: { LUTDescriptor: "SS", LUTData: "US" },
          },
        ],
        WindowCenter: 30000,
        WindowWidth: 40000,
      },
      ["+Wi", "1"],
      0,
      1,
    ],
    [
      "VOI LUT Sequence (12-bit entries)",
      {
        VOILUTSequence: [
          {
            LUTDescriptor: [4096, -2048, 12],
            LUTData: Array.from({ length: 4096 }, (_, i) => 4095 - i),
            _vrMap: { LUTDescriptor: "SS", LUTData: "US" },
          },
        ],
      },
      ["+Wl", "1"],
      0,
      16,
    ],
  ];

  for (const [name, ds, args, windowIndex, tolerance] of windowed) {
    it(`display values match dcm2pnm: ${name}`, () => {
      const bytes = gray16(
        5,
        8,
        ramp.map((v) => v & 0xfff),
        { BitsStored: 12, HighBit: 11, PixelRepresentation: 1, ...ds },
      );
      const file = path.join(dir, "w.dcm");
      const pgm = path.join(dir, "w.pgm");
      fs.writeFileSync(file, bytes);
      execFileSync("dcm2pnm", [...args, "+opn", "16", file, pgm]);
      const peer = readAsciiPgm(pgm);
      const ours = decodeFrame(parseInstance(bytes), { maxPixels: 1000, windowIndex }).data;
      expect(peer.values).to.have.length(ours.length);
      peer.values.forEach((v, i) =>
        // +0.01: our values are Float32, DCMTK truncates exact doubles.
        expect((ours[i] as number) * 65535, `pixel ${i}`).to.be.closeTo(v, tolerance + 0.01),
      );
    });
  }
});
