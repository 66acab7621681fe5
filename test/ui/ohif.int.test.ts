/**
 * Issue 19's viewer acceptance: RadZ's results in the OHIF Viewer 3.13.
 *
 * A real Orthanc (1.10 with DICOMweb 1.7, and 1.12 with DICOMweb 1.20 when
 * its tree is built), the whole service processing a synthetic study with two
 * positive findings with the demo bundle, and OHIF 3.13's built `dist/` from
 * npm (tools/ohif-fetch.sh; test/helpers/ohif.ts serves it with Orthanc's
 * DICOMweb behind a same-origin proxy) in Debian's Chromium:
 *
 *  - the study opens: the source image in the viewport, the summary image as
 *    an image thumbnail of its own OT series (colour pixels: the rendered
 *    page, not a grey placeholder);
 *  - the SR opened from the study browser draws, over the source image, every
 *    region of every positive finding: its label "<concept meaning>: <p> {probability}"
 *    (OHIF's NUM label, p to two decimals) is in the page once per region, and
 *    pixels inside each region's box (mapped to the screen by cornerstone's
 *    own image→canvas transform) changed from the bare image, in colour;
 *  - the summary opens in the viewport as an image;
 *  - no page error, console error, failed request, or failed proxied DICOMweb
 *    request along the way.
 *
 * Screenshots go to test-output/ohif-*.png; UPDATE_GOLDEN=1 also rewrites the
 * ones docs/report.md shows (docs/ohif-sr.png, docs/ohif-summary.png).
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { expect } from "chai";
import { type Browser, type Page } from "playwright-core";
import { CHROMIUM, launchChromium } from "../helpers/chromium.js";
import sharp from "sharp";
import { readStudyReport } from "../../src/report/index.js";
import { OrthancClient } from "../../src/orthanc/index.js";
import { generateSyntheticStudy, type SyntheticStudy } from "../../src/synthetic/index.js";
import { ohifDist, serveOhif, type OhifServer } from "../helpers/ohif.js";
import { ORTHANC_VERSIONS, useOrthanc } from "../helpers/orthanc.js";
import { useService } from "../helpers/service.js";
import { waitFor } from "../helpers/wait.js";

const VIEWPORT = { width: 1280, height: 800 };
/** Series numbers of RadZ's results (report.seriesNumber, report.summarySeriesNumber defaults). */
const SR_SERIES = 9900;
const SUMMARY_SERIES = 9901;
const LABELS = ["pneumothorax", "nodule"] as const;

/** The first synthetic study (seed 5, 256×256) whose drawn findings are exactly `labels`. */
function studyWith(labels: readonly string[]): SyntheticStudy {
  for (let i = 0; i < 300; i++) {
    const s = generateSyntheticStudy({ count: 1, seed: 5, rows: 256, columns: 256 }, i);
    if (s.labels.length === labels.length && labels.every((l) => s.labels.includes(l as never)))
      return s;
  }
  throw new Error(`no synthetic study with exactly ${labels.join(",")}`);
}

interface Rgba {
  readonly data: Buffer;
  readonly width: number;
  readonly height: number;
}

async function decodePng(png: Buffer): Promise<Rgba> {
  const { data, info } = await sharp(png).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

/** Pixels of `[x0, y0, x1, y1]` (clamped) for which `test(offset)` holds. */
function countIn(img: Rgba, rect: readonly number[], test: (o: number) => boolean): number {
  const [x0, y0, x1, y1] = rect.map(Math.round) as [number, number, number, number];
  let n = 0;
  for (let y = Math.max(0, y0); y < Math.min(img.height, y1); y++)
    for (let x = Math.max(0, x0); x < Math.min(img.width, x1); x++)
      if (test((y * img.width + x) * 4)) n++;
  return n;
}

/** Chroma of the pixel at `o`: 0 for grey. */
function chroma(img: Rgba, o: number): number {
  const [r, g, b] = [img.data[o]!, img.data[o + 1]!, img.data[o + 2]!];
  return Math.max(r, g, b) - Math.min(r, g, b);
}

/** A screenshot of `clip` once two in a row are identical (rendering settled). */
async function settledShot(
  page: Page,
  clip: { x: number; y: number; width: number; height: number },
): Promise<Buffer> {
  let last = await page.screenshot({ clip });
  for (let i = 0; i < 30; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    const next = await page.screenshot({ clip });
    if (next.equals(last)) return next;
    last = next;
  }
  throw new Error("the viewport kept changing for 30 s");
}

/** What the page knows about OHIF's one viewport (window.cornerstone, exposed by OHIF). */
interface ViewportState {
  imageId: string;
  /** The canvas in page (CSS) pixels. */
  canvas: { x: number; y: number; width: number; height: number };
  /** Each asked image point [column, row] in canvas pixels. */
  points: [number, number][];
  /** The text of the annotations drawn over it (cornerstone-tools' SVG layer). */
  texts: string[];
}

/**
 * Reads the viewport in the page. A string, not a function: the test runs
 * through tsx, whose helpers (e.g. __name) do not exist in the page.
 */
function viewportState(
  page: Page,
  points: readonly (readonly [number, number])[],
): Promise<ViewportState | null> {
  return page.evaluate<ViewportState | null>(`(() => {
    const cs = globalThis.cornerstone;
    const enabled = cs ? cs.getEnabledElements() : [];
    if (enabled.length !== 1) return null;
    const vp = enabled[0].viewport;
    const imageId = vp.getCurrentImageId && vp.getCurrentImageId();
    if (!imageId || !vp.getImageData || !vp.getImageData()) return null;
    const r = vp.canvas.getBoundingClientRect();
    return {
      imageId,
      canvas: { x: r.x, y: r.y, width: r.width, height: r.height },
      points: ${JSON.stringify(points)}.map((p) =>
        Array.from(vp.worldToCanvas(cs.utilities.imageToWorldCoords(imageId, p)))),
      texts: Array.from(vp.element.querySelectorAll("svg text")).map((t) => t.textContent.trim()),
    };
  })()`);
}

describe("OHIF Viewer 3.13 shows RadZ's SR and summary (headless Chromium, real Orthanc)", function () {
  this.timeout(600_000);
  let dist = "";

  before(async function () {
    this.timeout(360_000);
    if (!existsSync(CHROMIUM)) {
      const why = `${CHROMIUM} is not installed (apt-get install -y chromium)`;
      if (process.env.CI === "true") throw new Error(why);
      console.warn(`    skipped: ${why}`);
      this.skip();
    }
    dist = await ohifDist(this);
  });

  for (const version of ORTHANC_VERSIONS) {
    describe(`Orthanc ${version}`, function () {
      const orthanc = useOrthanc({ stableAgeSeconds: 1, version });
      let browser: Browser | null = null;
      let ohif: OhifServer | null = null;
      // The browser and OHIF's server close before the service stops (registered first, run first).
      afterEach(async () => {
        await browser?.close();
        browser = null;
        await ohif?.close();
        ohif = null;
      });
      const radz = useService({ prefix: "radz-ohif-", orthancUrl: () => orthanc.url });

      it("draws each positive finding's label and probability at its region; the summary is an image", async () => {
        // A real pipeline run: the service notices the study, infers, writes SR + summary.
        const study = studyWith(LABELS);
        const client = new OrthancClient({ url: orthanc.url, timeoutMs: 10_000 });
        let studyId = "";
        for (const bytes of study.instances)
          studyId = (await client.uploadInstance(bytes)).parentStudy;
        const svc = await radz.start();
        await waitFor(() => svc.store.getByStudy(studyId)?.state === "done", 120_000, "processed");

        // The SR as stored in Orthanc: what OHIF will read.
        const series = (await (await fetch(`${orthanc.url}/studies/${studyId}/series`)).json()) as {
          MainDicomTags: { Modality: string; SeriesNumber: string };
          Instances: string[];
        }[];
        const byNumber = (n: number) =>
          series.filter((s) => Number(s.MainDicomTags.SeriesNumber) === n);
        expect(byNumber(SR_SERIES).map((s) => s.MainDicomTags.Modality)).to.deep.equal(["SR"]);
        expect(byNumber(SUMMARY_SERIES).map((s) => s.MainDicomTags.Modality)).to.deep.equal(["OT"]);
        const srId = byNumber(SR_SERIES)[0]!.Instances[0]!;
        const sr = readStudyReport(
          new Uint8Array(
            await (await fetch(`${orthanc.url}/instances/${srId}/file`)).arrayBuffer(),
          ),
        );
        const positives = sr.findings.filter((f) => f.present);
        expect(positives.map((f) => f.labelId).sort()).to.deep.equal([...LABELS].sort());
        // The one image read: every region is on it.
        expect(sr.referencedSopInstanceUids).to.have.length(1);
        const source = sr.referencedSopInstanceUids[0]!;
        const regions = positives.flatMap((f) =>
          f.regions.map((r) => {
            expect(r.sopInstanceUid).to.equal(source);
            expect(r.box, `${f.labelId}: a box`).to.not.equal(undefined);
            return {
              // OHIF's label of a NUM: "<concept meaning>: <value, 2 decimals> <unit code value>".
              label: `${f.concept.meaning}: ${f.probability.toFixed(2)} {probability}`,
              box: r.box!,
            };
          }),
        );
        expect(regions.length).to.be.at.least(positives.length);
        await radz.stop(svc); // OHIF reads Orthanc alone from here

        ohif = await serveOhif({ dist, orthancUrl: orthanc.url });
        browser = await launchChromium();
        const page = await browser.newPage({ viewport: VIEWPORT });
        page.setDefaultTimeout(120_000);
        const pageErrors: string[] = [];
        page.on("pageerror", (e) => pageErrors.push(e.message));
        page.on("console", (m) => {
          if (m.type() === "error") pageErrors.push(m.text());
        });
        page.on("response", (r) => {
          if (r.status() >= 400) pageErrors.push(`${r.status()} ${new URL(r.url()).pathname}`);
        });

        // The study, through OHIF's SPA route.
        await page.goto(`${ohif.url}/viewer?StudyInstanceUIDs=${study.studyInstanceUid}`);
        const thumb = (n: number) => `[data-cy="study-browser-thumbnail"][data-series="${n}"] img`;
        await page.waitForSelector(thumb(1));
        // The summary: an image thumbnail in its own series, in colour (badge, findings colours).
        await page.waitForSelector(thumb(SUMMARY_SERIES));
        const summaryThumb = await page.locator(thumb(SUMMARY_SERIES)).screenshot();
        const summaryPixels = await decodePng(summaryThumb);
        expect(
          countIn(
            summaryPixels,
            [0, 0, summaryPixels.width, summaryPixels.height],
            (o) => chroma(summaryPixels, o) > 60,
          ),
          "coloured pixels in the summary thumbnail",
        ).to.be.greaterThan(50);
        // The SR is listed as a document (no image thumbnail).
        await page.waitForSelector(
          `[data-cy="study-browser-thumbnail-no-image"][data-series="${SR_SERIES}"]`,
        );

        // The bare source image in the viewport, and where each region's box is on screen.
        const corners = regions.flatMap(({ box: [x0, y0, x1, y1] }) => [
          [x0, y0] as const,
          [x1, y1] as const,
        ]);
        await page.waitForFunction(
          `(() => { const e = globalThis.cornerstone?.getEnabledElements?.() ?? [];
             const id = e[0]?.viewport?.getCurrentImageId?.() ?? "";
             return e.length === 1 && id.includes(${JSON.stringify(source)}) && !!e[0].viewport.getImageData(); })()`,
        );
        const bareState = (await viewportState(page, corners))!;
        expect(bareState.texts, "no annotation before the SR is opened").to.deep.equal([]);
        const clip = bareState.canvas;
        const bare = await decodePng(await settledShot(page, clip));

        // Open the SR from the study browser.
        // OHIF 3.13 sometimes leaves a freshly opened SR unloaded (its viewport's "!" SR
        // badge, nothing drawn; seen on Orthanc 1.12 in three of five runs, the same SR
        // drawing on the next open), so the SR is opened again, up to three times.
        const drawnTexts = `document.querySelectorAll('[data-cy="viewport-pane"] svg text').length >= ${regions.length}`;
        for (let attempt = 1; ; attempt++) {
          await page.dblclick(`[data-series="${SR_SERIES}"]`);
          try {
            await page.waitForFunction(drawnTexts, undefined, { timeout: 40_000 });
            break;
          } catch (err) {
            if (attempt === 3) throw err;
            await page.dblclick(thumb(1));
          }
        }
        // OHIF asks whether to track the SR's measurements; the answer leaves them drawn.
        const no = page.getByRole("button", { name: "No", exact: true });
        try {
          await no.waitFor({ timeout: 15_000 });
          await no.click();
          await no.waitFor({ state: "detached", timeout: 15_000 });
        } catch {
          // no prompt: nothing to dismiss
        }
        const srState = (await viewportState(page, corners))!;
        expect(srState.imageId, "the SR is drawn over the source image").to.include(source);
        expect(srState.canvas).to.deep.equal(bareState.canvas);
        srState.points.forEach((p, i) => {
          expect(p[0]).to.be.closeTo(bareState.points[i]![0], 0.5);
          expect(p[1]).to.be.closeTo(bareState.points[i]![1], 0.5);
        });
        // Each finding's label with its probability, once per region.
        expect([...srState.texts].sort()).to.deep.equal(regions.map((r) => r.label).sort());
        const drawn = await decodePng(await settledShot(page, clip));
        const screenshots = "test-output";
        mkdirSync(screenshots, { recursive: true });
        const srPng = await page.screenshot();
        writeFileSync(`${screenshots}/ohif-sr-${version}.png`, srPng);

        // Inside each box (on screen, 2 px margin for the line width): pixels changed, in colour.
        regions.forEach((r, i) => {
          const [a, b] = [srState.points[2 * i]!, srState.points[2 * i + 1]!];
          const rect = [
            Math.min(a[0], b[0]) - 2,
            Math.min(a[1], b[1]) - 2,
            Math.max(a[0], b[0]) + 2,
            Math.max(a[1], b[1]) + 2,
          ];
          const changed = countIn(drawn, rect, (o) =>
            [0, 1, 2].some((c) => Math.abs(drawn.data[o + c]! - bare.data[o + c]!) > 40),
          );
          const colouredBefore = countIn(bare, rect, (o) => chroma(bare, o) > 60);
          const colouredAfter = countIn(drawn, rect, (o) => chroma(drawn, o) > 60);
          expect(colouredBefore, `${r.label}: the bare image is grey`).to.equal(0);
          expect(changed, `${r.label}: pixels changed inside its box`).to.be.at.least(8);
          expect(colouredAfter, `${r.label}: coloured outline inside its box`).to.be.at.least(8);
        });
        // Far from every box and label (the image's bottom rows, between the viewport's
        // corner overlays, which change with the SR's display set), nothing changed.
        const bottom = [clip.width * 0.15, clip.height * 0.8, clip.width * 0.85, clip.height];
        expect(
          countIn(drawn, bottom, (o) =>
            [0, 1, 2].some((c) => drawn.data[o + c] !== bare.data[o + c]),
          ),
          "unchanged away from the regions",
        ).to.equal(0);

        // The summary opens in the viewport as an image.
        await page.dblclick(`[data-cy="study-browser-thumbnail"][data-series="${SUMMARY_SERIES}"]`);
        await page.waitForFunction(
          `(() => { const e = globalThis.cornerstone?.getEnabledElements?.() ?? [];
             const vp = e[0]?.viewport; const id = vp?.getCurrentImageId?.() ?? "";
             return e.length === 1 && !id.includes(${JSON.stringify(source)}) && !!vp.getImageData(); })()`,
        );
        const summary = await decodePng(await settledShot(page, clip));
        expect(
          countIn(summary, [0, 0, summary.width, summary.height], (o) => chroma(summary, o) > 60),
          "the summary in the viewport, in colour",
        ).to.be.greaterThan(500);
        const summaryPng = await page.screenshot();
        writeFileSync(`${screenshots}/ohif-summary-${version}.png`, summaryPng);

        if (process.env.UPDATE_GOLDEN === "1" && version === "1.10") {
          // docs/report.md's pictures, as small palette PNGs.
          await sharp(srPng)
            .png({ palette: true, colours: 128, dither: 0, effort: 10 })
            .toFile("docs/ohif-sr.png");
          await sharp(summaryPng)
            .png({ palette: true, colours: 128, dither: 0, effort: 10 })
            .toFile("docs/ohif-summary.png");
        }
        expect(pageErrors, "no script errors or failed requests in the page").to.deep.equal([]);
        expect(ohif.proxyErrors, "no failed DICOMweb request").to.deep.equal([]);
      });
    });
  }
});
