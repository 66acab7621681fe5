/**
 * The summary image (Secondary Capture) without screenshots:
 *  - dciodvfy reports no error and no warning for every case the issue lists
 *    (all present, all absent, one image, several images, ISO_IR 192 and
 *    ISO 2022 IR 87 sources);
 *  - the rendered picture is read back pixel by pixel: its size, the
 *    thumbnail region's mean against the source image's mean, text regions
 *    with a mix of dark and light pixels, the priority badge colour, the
 *    positive flag colour and the synthetic-model line;
 *  - with no usable system font (an empty fontconfig, in a child process) the
 *    renderer falls back to the built-in bitmap font and still draws text.
 *
 * docs/summary-example.png is the picture for the fixed inputs; regenerate
 * with UPDATE_GOLDEN=1 npx mocha test/report/summary-image.test.ts
 */
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { SopClassUid } from "../../src/dicom/index.js";
import sharp from "sharp";
import { decodeFrame, parseInstance } from "../../src/imaging/index.js";
import type { LabelScore } from "../../src/model/types.js";
import { RADZ_EQUIPMENT_MODEL_NAME } from "../../src/report/codes.js";
import { readPart10 } from "../../src/report/dcmjs.js";
import { readSourceDataset } from "../../src/report/source-dataset.js";
import { buildStudyReport, reportUids } from "../../src/report/structured-report.js";
import {
  buildSummaryImage,
  type BuiltSummaryImage,
  type SummaryImageInput,
} from "../../src/report/summary-image.js";
import {
  findingColours,
  SUMMARY_LAYOUT,
  summaryHeight,
  thumbnailPlacement,
  type SummaryPicture,
} from "../../src/report/summary-render.js";
import { thumbnailOf } from "../../src/imaging/thumbnail.js";
import { triage } from "../../src/report/triage.js";
import { generateSyntheticStudies } from "../../src/synthetic/index.js";
import { dciodvfy, tempDir, writeTemp } from "../helpers/dicom-tools.js";
import {
  basicFindings,
  buildSourcePart10,
  CR_SOP_CLASS,
  displayImage,
  image,
  localisedFindings,
  MODEL,
  reportInput,
  SERIES2_UID,
  sourceDataset,
  STUDY_UID,
} from "./fixtures.js";

const EXAMPLE_PNG = fileURLToPath(new URL("../../docs/summary-example.png", import.meta.url));
const YAMADA_ISO2022 =
  "Yamada^Tarou=\x1b$B;3ED\x1b(B^\x1b$BB@O:\x1b(B=\x1b$B$d$^$@\x1b(B^\x1b$B$?$m$&\x1b(B";

function summaryInput(overrides: Partial<SummaryImageInput> = {}): SummaryImageInput {
  const base = reportInput();
  return {
    source: base.source,
    images: base.images,
    findings: base.findings,
    triage: base.triage,
    model: base.model,
    device: base.device,
    // The summary's own series (report.summarySeriesNumber).
    series: { ...base.series, number: 9901 },
    contentDateTime: base.contentDateTime!,
    thumbnail: thumbnailOf(displayImage()),
    textRenderer: "font",
    ...overrides,
  };
}

function withFindings(findings: LabelScore[]): Partial<SummaryImageInput> {
  return { findings, triage: triage(findings) };
}

/** dciodvfy: the SC Image IOD with no error and no warning. */
async function validate(input: SummaryImageInput): Promise<BuiltSummaryImage> {
  const built = await buildSummaryImage(input);
  const file = writeTemp(built.part10, "summary.dcm");
  const iod = dciodvfy(file);
  expect(iod.output, "dciodvfy checked the SC Image IOD").to.contain("SCImage");
  expect(iod.errors, iod.output).to.deep.equal([]);
  expect(iod.warnings, iod.output).to.deep.equal([]);
  return built;
}

interface Rgb {
  r: number;
  g: number;
  b: number;
}

function pixel(p: SummaryPicture, x: number, y: number): Rgb {
  const i = (y * p.width + x) * 3;
  return { r: p.rgb[i] ?? 0, g: p.rgb[i + 1] ?? 0, b: p.rgb[i + 2] ?? 0 };
}

interface RegionStats {
  meanGrey: number;
  light: number;
  dark: number;
  count: number;
  matching: number;
}

/** Statistics of the rectangle [x0, x1) x [y0, y1); `match` counts pixels of interest. */
function region(
  p: SummaryPicture,
  x0: number,
  y0: number,
  x1: number,
  y1: number,
  match: (c: Rgb) => boolean = () => false,
): RegionStats {
  let sum = 0;
  let light = 0;
  let dark = 0;
  let matching = 0;
  let count = 0;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const c = pixel(p, x, y);
      const grey = (c.r + c.g + c.b) / 3;
      sum += grey;
      if (grey > 170) light++;
      if (grey < 60) dark++;
      if (match(c)) matching++;
      count++;
    }
  }
  return { meanGrey: sum / count, light, dark, count, matching };
}

const isRed = (c: Rgb): boolean => c.r > 170 && c.g < 110 && c.b < 110;
const isGreen = (c: Rgb): boolean => c.g > 100 && c.r < 80 && c.b < 80;
const isSyntheticPink = (c: Rgb): boolean => c.r > 200 && c.g > 100 && c.g < 170 && c.b > 100;

/** A row of the findings table: its top and bottom y. */
function tableRow(i: number): { top: number; bottom: number } {
  const t = SUMMARY_LAYOUT.table;
  const top = t.top + t.headerHeight + i * t.rowHeight;
  return { top, bottom: top + t.rowHeight };
}

function expectTextDrawn(p: SummaryPicture, what: string): void {
  // Title "RadZ AI findings" in the header band.
  const title = region(p, 24, 12, 320, 56);
  expect(title.light, `${what}: light title pixels`).to.be.greaterThan(400);
  expect(title.dark, `${what}: dark pixels between letters`).to.be.greaterThan(2000);
  // "MACHINE-GENERATED, NOT VERIFIED" warning line: amber pixels.
  const warning = region(p, 24, 76, 700, 102, (c) => c.r > 200 && c.g > 160 && c.b < 140);
  expect(warning.matching, `${what}: warning text`).to.be.greaterThan(500);
  // Each finding's label cell has text.
  for (let i = 0; i < 3; i++) {
    const row = tableRow(i);
    const cell = region(
      p,
      SUMMARY_LAYOUT.table.left + 8,
      row.top + 4,
      SUMMARY_LAYOUT.table.left + 240,
      row.bottom - 4,
    );
    expect(cell.light, `${what}: label text in row ${i}`).to.be.greaterThan(100);
  }
}

describe("report/summary-image", function () {
  this.timeout(60_000);

  describe("validates with dciodvfy (no errors, no warnings)", () => {
    it("basic input (mixed present/absent, one image)", async () => {
      const built = await validate(summaryInput());
      const { meta, dataset } = readPart10(built.part10);
      expect(meta.MediaStorageSOPClassUID).to.equal(SopClassUid.SecondaryCaptureImageStorage);
      expect(dataset).to.include({
        SOPClassUID: SopClassUid.SecondaryCaptureImageStorage,
        Modality: "OT",
        SeriesNumber: 9901,
        InstanceNumber: 1,
        ConversionType: "WSD",
        PhotometricInterpretation: "RGB",
        SamplesPerPixel: 3,
        BitsAllocated: 8,
        Rows: built.picture.height,
        Columns: built.picture.width,
        PatientID: "PAT-0001",
        StudyInstanceUID: STUDY_UID,
        BurnedInAnnotation: "NO",
        ManufacturerModelName: RADZ_EQUIPMENT_MODEL_NAME,
      });
      const pixels = new Uint8Array((dataset.PixelData as ArrayBuffer[])[0]!);
      expect(Buffer.from(pixels).equals(Buffer.from(built.picture.rgb)), "pixel data").to.equal(
        true,
      );
      expect(dataset.SpecificCharacterSet, "ASCII only: no character set").to.equal(undefined);
    });

    it("all labels present", async () => {
      const findings = basicFindings().map((f) => ({ ...f, probability: 0.95, positive: true }));
      await validate(summaryInput(withFindings(findings)));
    });

    it("all labels absent", async () => {
      const findings = basicFindings().map((f) => ({ ...f, probability: 0.05, positive: false }));
      await validate(summaryInput(withFindings(findings)));
    });

    it("no labels at all", async () => {
      await validate(summaryInput(withFindings([])));
    });

    it("several images in two series (all listed in Source Image Sequence)", async () => {
      const images = [image(1), image(2), image(7, SERIES2_UID, CR_SOP_CLASS)];
      const built = await validate(summaryInput({ images }));
      const { dataset } = readPart10(built.part10);
      const sources = dataset.SourceImageSequence as Array<Record<string, unknown>>;
      expect(sources.map((s) => s.ReferencedSOPInstanceUID)).to.deep.equal(
        images.map((i) => i.sopInstanceUid),
      );
    });

    it("ISO_IR 192 source with a non-ASCII Patient Name", async () => {
      const source = sourceDataset({
        SpecificCharacterSet: "ISO_IR 192",
        PatientName: [{ Alphabetic: "Müller^Zoë" }],
      });
      const built = await validate(summaryInput({ source }));
      const { dataset } = readPart10(built.part10);
      expect(dataset.SpecificCharacterSet).to.equal("ISO_IR 192");
      expect(dataset.PatientName).to.deep.equal([{ Alphabetic: "Müller^Zoë" }]);
    });

    it("ISO 2022 IR 87 source, as DICOM JSON and as Part-10 bytes with escape sequences", async () => {
      const json = sourceDataset({
        SpecificCharacterSet: ["", "ISO 2022 IR 87"],
        PatientName: [
          { Alphabetic: "Yamada^Tarou", Ideographic: "山田^太郎", Phonetic: "やまだ^たろう" },
        ],
      });
      const fromPart10 = readSourceDataset(
        buildSourcePart10({
          SpecificCharacterSet: ["", "ISO 2022 IR 87"],
          PatientName: YAMADA_ISO2022,
        }),
      );
      for (const source of [json, fromPart10]) {
        const built = await validate(summaryInput({ source }));
        const { dataset } = readPart10(built.part10);
        expect(dataset.SpecificCharacterSet).to.equal("ISO_IR 192");
        expect(JSON.stringify(dataset.PatientName)).to.contain("山田^太郎");
      }
    });

    it("a non-synthetic model with a private-scheme label, bitmap text", async () => {
      const concept = {
        value: "RADZ-0001",
        scheme: "99RADZ",
        meaning: "Support device malposition",
      };
      const findings: LabelScore[] = [
        ...basicFindings(),
        {
          labelId: "device_malposition",
          display: "Support device malposition (long name that is cut)",
          concept,
          logit: 0,
          probability: 0.7,
          threshold: 0.5,
          positive: true,
          triageWeight: 1,
        },
      ];
      await validate(
        summaryInput({
          ...withFindings(findings),
          model: { ...MODEL, synthetic: false },
          textRenderer: "bitmap",
        }),
      );
    });
  });

  describe("identity", () => {
    it("has a series of its own and a deterministic SOP Instance UID, kept across re-runs", async () => {
      const sr = buildStudyReport(reportInput());
      const a = await buildSummaryImage(summaryInput());
      const b = await buildSummaryImage(
        summaryInput({ contentDateTime: new Date(Date.UTC(2025, 1, 1)) }),
      );
      expect(a.seriesInstanceUid).to.not.equal(sr.seriesInstanceUid);
      expect(a.seriesInstanceUid).to.equal(reportUids(STUDY_UID, MODEL).summarySeriesInstanceUid);
      expect(b.seriesInstanceUid).to.equal(a.seriesInstanceUid);
      expect(a.sopInstanceUid).to.equal(reportUids(STUDY_UID, MODEL).summarySopInstanceUid);
      expect(a.sopInstanceUid).to.not.equal(sr.sopInstanceUid);
      expect(b.sopInstanceUid).to.equal(a.sopInstanceUid);
      const other = await buildSummaryImage(
        summaryInput({ model: { ...MODEL, labelSetHash: "fedcba9876543210" } }),
      );
      expect(other.sopInstanceUid).to.not.equal(a.sopInstanceUid);
      expect(other.seriesInstanceUid).to.not.equal(a.seriesInstanceUid);
    });

    it("refuses input without images or with an empty thumbnail", async () => {
      for (const bad of [
        summaryInput({ images: [] }),
        summaryInput({ thumbnail: { rows: 0, columns: 0, data: new Uint8Array() } }),
      ]) {
        let thrown: unknown;
        try {
          await buildSummaryImage(bad);
        } catch (err) {
          thrown = err;
        }
        expect((thrown as { code?: string }).code).to.equal("SUMMARY_RENDER_FAILED");
      }
    });
  });

  describe("pixels (screenshot-free check)", () => {
    for (const renderer of ["font", "bitmap"] as const) {
      it(`${renderer} text: size, thumbnail mean, text, badge and flag colours`, async () => {
        const source = displayImage();
        const built = await buildSummaryImage(summaryInput({ textRenderer: renderer }));
        const p = built.picture;
        expect(p.textRenderer).to.equal(renderer);
        expect([p.width, p.height]).to.deep.equal([SUMMARY_LAYOUT.width, summaryHeight(3)]);
        expect(p.rgb.length).to.equal(p.width * p.height * 3);

        // The thumbnail: grey (R = G = B) and the same mean brightness as the source.
        const place = thumbnailPlacement(thumbnailOf(source));
        const inner = region(
          p,
          place.left + 2,
          place.top + 2,
          place.left + place.width - 2,
          place.top + place.height - 2,
        );
        let sourceSum = 0;
        for (const v of source.data) sourceSum += v;
        const sourceMean = (sourceSum / source.data.length) * 255;
        expect(inner.meanGrey).to.be.closeTo(sourceMean, 3);
        const centre = pixel(p, place.left + place.width / 2, place.top + place.height / 2);
        expect(centre.r).to.equal(centre.g);
        expect(centre.g).to.equal(centre.b);

        expectTextDrawn(p, renderer);

        // Priority badge: urgent = red.
        const badge = region(p, 710, 14, 994, 50, isRed);
        expect(badge.matching / badge.count, "red badge").to.be.greaterThan(0.5);
        // Rows 0 (pneumothorax 0.81) and 2 (pulmonary edema 0.60) are positive: red flag text;
        // row 1 (pleural effusion 0.25) is not.
        const flagCell = (i: number): RegionStats => {
          const row = tableRow(i);
          return region(
            p,
            SUMMARY_LAYOUT.table.left + 440,
            row.top + 4,
            SUMMARY_LAYOUT.width - 24,
            row.bottom - 4,
            isRed,
          );
        };
        expect(flagCell(0).matching, "POSITIVE in row 0").to.be.greaterThan(60);
        expect(flagCell(1).matching, "no flag in row 1").to.equal(0);
        expect(flagCell(2).matching, "POSITIVE in row 2").to.be.greaterThan(60);
        // The synthetic-model line.
        expect(region(p, 24, 108, 800, 134, isSyntheticPink).matching).to.be.greaterThan(300);
      });
    }

    it("routine priority is green, and a non-synthetic model has no synthetic line", async () => {
      const findings = basicFindings().map((f) => ({ ...f, probability: 0.05, positive: false }));
      const built = await buildSummaryImage(
        summaryInput({ ...withFindings(findings), model: { ...MODEL, synthetic: false } }),
      );
      const p = built.picture;
      const badge = region(p, 710, 14, 994, 50, isGreen);
      expect(badge.matching / badge.count, "green badge").to.be.greaterThan(0.5);
      expect(region(p, 24, 108, 800, 134, isSyntheticPink).matching).to.equal(0);
      expect(
        region(
          p,
          SUMMARY_LAYOUT.table.left,
          SUMMARY_LAYOUT.table.top,
          SUMMARY_LAYOUT.width,
          p.height - 100,
          isRed,
        ).matching,
      ).to.equal(0);
    });

    it("outlines each positive finding's regions on the image in its table colour, with a legend", async () => {
      // The fixture's regions are in the source pixels of a 2000 x 2500 image; the thumbnail
      // (displayImage: 240 x 300) has the same aspect ratio.
      const source = { ...image(1), columns: 2000, rows: 2500 };
      const findings = localisedFindings();
      const plain = await buildSummaryImage(summaryInput({ images: [source] }));
      const built = await buildSummaryImage(
        summaryInput({ images: [source], ...withFindings(findings) }),
      );
      const p = built.picture;
      // Two positive findings with regions: two legend rows.
      expect(p.height).to.equal(summaryHeight(3, 2));
      const colours = findingColours(findings);
      expect([...colours.keys()]).to.deep.equal(["pneumothorax", "pulmonary_edema"]);
      const place = thumbnailPlacement(thumbnailOf(displayImage()));
      const at = (x: number, y: number): [number, number] => [
        Math.round(place.left + (x * place.width) / 2000),
        Math.round(place.top + (y * place.height) / 2500),
      ];
      // Inside the first pneumothorax box: the outline in cyan (the first colour), and
      // pixels that differ from the summary without regions.
      const isCyan = (c: Rgb): boolean => c.r < 90 && c.g > 170 && c.b > 190;
      const [x0, y0] = at(1200, 400);
      const [x1, y1] = at(1700, 900);
      expect(region(p, x0 - 2, y0 - 2, x1 + 3, y1 + 3, isCyan).matching).to.be.greaterThan(60);
      expect(region(plain.picture, x0 - 2, y0 - 2, x1 + 3, y1 + 3, isCyan).matching).to.equal(0);
      let differing = 0;
      for (let y = y0; y <= y1; y++)
        for (let x = x0; x <= x1; x++) {
          const a = pixel(p, x, y);
          const b = pixel(plain.picture, x, y);
          if (a.r !== b.r || a.g !== b.g || a.b !== b.b) differing++;
        }
      expect(differing, "the region is tinted").to.be.greaterThan(((x1 - x0) * (y1 - y0)) / 2);
      // Far from every region: the same pixels.
      const [fx, fy] = at(100, 100);
      expect(pixel(p, fx, fy)).to.deep.equal(pixel(plain.picture, fx, fy));
      // The table's swatch of row 0 (pneumothorax) is cyan; row 1 (absent) has none.
      const t = SUMMARY_LAYOUT.table;
      expect(
        region(p, t.left + 2, tableRow(0).top + 6, t.left + 8, tableRow(0).bottom - 6, isCyan)
          .matching,
      ).to.be.greaterThan(50);
      expect(
        region(p, t.left + 2, tableRow(1).top + 6, t.left + 8, tableRow(1).bottom - 6, isCyan)
          .matching,
      ).to.equal(0);
      // The legend under the image: a cyan swatch in its first row.
      const legendTop = SUMMARY_LAYOUT.thumbnail.top + SUMMARY_LAYOUT.thumbnail.size + 44;
      const box = SUMMARY_LAYOUT.thumbnail;
      expect(
        region(p, box.left, legendTop, box.left + 28, legendTop + 4, isCyan).matching,
      ).to.equal(28 * 4);
      await validate(summaryInput({ images: [source], ...withFindings(findings) }));
    });

    it("grows the page with the label count so every row fits", async () => {
      const many = Array.from({ length: 20 }, (_, i) => ({
        ...basicFindings()[i % 3]!,
        labelId: `label_${i}`,
      }));
      const built = await buildSummaryImage(summaryInput(withFindings(many)));
      expect(built.picture.height).to.equal(summaryHeight(20));
      expect(tableRow(19).bottom).to.be.lessThan(
        built.picture.height - SUMMARY_LAYOUT.footerHeight,
      );
      const last = tableRow(19);
      expect(
        region(
          built.picture,
          SUMMARY_LAYOUT.table.left + 8,
          last.top + 4,
          SUMMARY_LAYOUT.table.left + 240,
          last.bottom - 4,
        ).light,
      ).to.be.greaterThan(100);
    });

    it("falls back to the bitmap font when fontconfig has no fonts (child process)", () => {
      const dir = tempDir();
      const conf = join(dir, "fonts.conf");
      writeFileSync(
        conf,
        `<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig><cachedir>${join(dir, "cache")}</cachedir></fontconfig>`,
      );
      const script = `
        import { renderSummaryPicture, systemFontsRenderText } from "./src/report/summary-render.ts";
        import { triage } from "./src/report/triage.ts";
        import { thumbnailOf } from "./src/imaging/thumbnail.ts";
        import { floatPixels } from "./src/imaging/display-pixels.ts";
        const thumbnail = thumbnailOf({ rows: 8, columns: 8, pixels: floatPixels(new Float32Array(64).fill(0.5), 8) });
        const p = await renderSummaryPicture({ findings: [], triage: triage([]), model: ${JSON.stringify(MODEL)},
          thumbnail, imageCount: 1, softwareVersion: "0.1.0", createdAt: new Date(0) });
        let light = 0;
        for (let y = 12; y < 56; y++) for (let x = 24; x < 320; x++) if (p.rgb[(y * p.width + x) * 3] > 170) light++;
        console.log(JSON.stringify({ fonts: await systemFontsRenderText(), renderer: p.textRenderer, light }));
      `;
      const child = spawnSync(
        process.execPath,
        ["--import", "tsx", "--input-type=module", "-e", script],
        {
          encoding: "utf8",
          env: { ...process.env, FONTCONFIG_FILE: conf },
        },
      );
      expect(child.status, child.stderr).to.equal(0);
      const out = JSON.parse(child.stdout.trim().split("\n").pop()!) as {
        fonts: boolean;
        renderer: string;
        light: number;
      };
      expect(out).to.include({ fonts: false, renderer: "bitmap" });
      expect(out.light, "the title is drawn with the bitmap font").to.be.greaterThan(400);
    });
  });

  describe("docs/summary-example.png", () => {
    it("is the picture for fixed inputs and a synthetic phantom (regenerate with UPDATE_GOLDEN=1)", async () => {
      const [study] = generateSyntheticStudies({ count: 1, seed: 3, rows: 512, columns: 512 });
      const instance = parseInstance(study!.instances[0]!, { maxBytes: 1 << 26 });
      const thumbnail = thumbnailOf(decodeFrame(instance, { maxPixels: 1 << 22 }));
      // The fixture's regions (source pixels of a 2000 x 2500 image) shown on the phantom.
      const findings = localisedFindings();
      const built = await buildSummaryImage(
        summaryInput({
          textRenderer: "font",
          thumbnail,
          images: [{ ...image(1), columns: 2000, rows: 2500 }],
          ...withFindings(findings),
        }),
      );
      const { width, height, rgb } = built.picture;
      if (process.env.UPDATE_GOLDEN === "1") {
        await sharp(Buffer.from(rgb), { raw: { width, height, channels: 3 } })
          .png({ compressionLevel: 9 })
          .toFile(EXAMPLE_PNG);
      }
      expect(existsSync(EXAMPLE_PNG), "docs/summary-example.png exists").to.equal(true);
      const meta = await sharp(readFileSync(EXAMPLE_PNG)).metadata();
      expect([meta.format, meta.width, meta.height]).to.deep.equal(["png", width, height]);
    });
  });
});
