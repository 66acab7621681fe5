/**
 * The worklist in headless Chromium (Debian's chromium, driven by
 * playwright-core) against a real Orthanc and the whole service: the urgent
 * study is on top, a new study appears without a reload (Server-Sent Events),
 * its link opens Orthanc Explorer, the preview shows, the keyboard works; a
 * screenshot goes to test-output/worklist.png.
 */
import { existsSync, mkdirSync } from "node:fs";
import { expect } from "chai";
import { type Browser, type Page } from "playwright-core";
import { CHROMIUM, launchChromium } from "../helpers/chromium.js";
import { OrthancClient } from "../../src/orthanc/index.js";
import { generateSyntheticStudy, type SyntheticStudy } from "../../src/synthetic/index.js";
import { useOrthanc } from "../helpers/orthanc.js";
import { useService } from "../helpers/service.js";
import { waitFor } from "../helpers/wait.js";
import { TEST_READ_TOKEN } from "../security/fixtures.js";

export const SCREENSHOT = "test-output/worklist.png";

/** The first synthetic study (seed 5) whose drawn findings are exactly `labels`. */
function studyWith(
  labels: readonly string[],
  skip: readonly SyntheticStudy[] = [],
): SyntheticStudy {
  for (let i = 0; i < 300; i++) {
    const s = generateSyntheticStudy({ count: 1, seed: 5, rows: 256, columns: 256 }, i);
    if (skip.some((o) => o.studyInstanceUid === s.studyInstanceUid)) continue;
    if (s.labels.length === labels.length && labels.every((l) => s.labels.includes(l as never))) {
      return s;
    }
  }
  throw new Error(`no synthetic study with exactly ${labels.join(",")}`);
}

/** WCAG contrast ratio of two CSS rgb() colours. */
function contrast(a: string, b: string): number {
  const lum = (c: string) => {
    const [r, g, bl] = (c.match(/[\d.]+/g) ?? []).slice(0, 3).map((v) => {
      const s = Number(v) / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * (r ?? 0) + 0.7152 * (g ?? 0) + 0.0722 * (bl ?? 0);
  };
  const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

describe("worklist in headless Chromium (real Orthanc)", function () {
  this.timeout(240_000);
  const orthanc = useOrthanc({ stableAgeSeconds: 1 });
  let browser: Browser | null = null;

  before(function () {
    if (!existsSync(CHROMIUM)) {
      // Skipped, not passed: the acceptance check needs Debian's chromium package.
      console.warn(`SKIPPED: ${CHROMIUM} is not installed (apt-get install -y chromium)`);
      this.skip();
    }
  });
  // The browser closes before the service stops (registered first, so it runs first).
  afterEach(async () => {
    await browser?.close();
    browser = null;
  });
  const radz = useService({ prefix: "radz-ui-e2e-", orthancUrl: () => orthanc.url });

  it("shows the urgent study on top, a new study without reload, opens Orthanc Explorer and the preview", async () => {
    const routine = studyWith([]);
    const urgent = studyWith(["pneumothorax"]);
    const later = studyWith(["cardiomegaly"]);
    const client = new OrthancClient({ url: orthanc.url, timeoutMs: 10_000 });
    const upload = async (s: SyntheticStudy) => {
      let id = "";
      for (const bytes of s.instances) id = (await client.uploadInstance(bytes)).parentStudy;
      return id;
    };

    const svc = await radz.start({
      ui: {
        viewerUrlTemplate: "https://ohif.example/viewer?StudyInstanceUIDs={studyInstanceUID}",
        viewerName: "OHIF",
      },
    });
    // The routine study arrives first; the urgent one must still be on top.
    const routineId = await upload(routine);
    await waitFor(() => svc.store.getByStudy(routineId)?.state === "done", 90_000, "routine");
    const urgentId = await upload(urgent);
    await waitFor(() => svc.store.getByStudy(urgentId)?.state === "done", 90_000, "urgent");
    expect(svc.store.getByStudy(urgentId)?.result?.priority).to.equal("urgent");

    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
    const page: Page = await context.newPage();
    const pageErrors: string[] = [];
    page.on("pageerror", (e) => pageErrors.push(e.message));
    page.on("console", (m) => {
      if (m.type() === "error") pageErrors.push(m.text());
    });
    page.on("response", (r) => {
      if (r.status() >= 400) pageErrors.push(`${r.status()} ${new URL(r.url()).pathname}`);
    });

    // The one-time login link (what `radz demo --serve` prints): token in the fragment.
    // It does not log in by itself: the page names the token's holder and waits for a click.
    await page.goto(`${svc.url}/#login=${TEST_READ_TOKEN}`);
    await page.waitForSelector("#login-link:not([hidden])");
    expect(await page.locator("#login-link-text").textContent()).to.contain("“test-reader”");
    expect(await page.locator("#rows tr[data-id]").count()).to.equal(0);
    expect((await context.cookies()).map((c) => c.name)).to.not.include("radz_session");
    await page.click("#login-link-accept");
    await page.waitForSelector("#rows tr[data-id]");
    const cookies = await context.cookies();
    const session = cookies.find((c) => c.name === "radz_session");
    expect(session?.value).to.match(/^rzs_/);
    expect(JSON.stringify(cookies)).to.not.include(TEST_READ_TOKEN);
    expect(new URL(page.url()).hash, "token removed from the URL").to.equal("");
    await page.waitForSelector("#live.on");

    const priorities = await page.$$eval("#rows tr", (rows) =>
      rows.map((r) => (r as unknown as { dataset: { priority: string } }).dataset.priority),
    );
    expect(priorities).to.deep.equal(["urgent", "routine"]);
    const top = page.locator("#rows tr").first();
    expect(await top.getAttribute("data-study")).to.equal(urgentId);
    expect(await top.locator(".finding").first().textContent()).to.match(
      /^Pneumothorax (>99|\d\d?)%$/,
    );
    expect(await top.locator(".badge").textContent()).to.equal("urgent");

    // Readable contrast of the urgent badge and body text.
    const colours = await top.locator(".badge").evaluate((e) => {
      const s = (
        globalThis as unknown as {
          getComputedStyle(x: unknown): { color: string; backgroundColor: string };
        }
      ).getComputedStyle(e);
      return [s.color, s.backgroundColor] as const;
    });
    expect(contrast(colours[0], colours[1])).to.be.greaterThan(4.5);

    // A new study appears without a reload (live update over SSE).
    await page.evaluate(() => {
      (globalThis as unknown as { __sameDocument: boolean }).__sameDocument = true;
    });
    const laterId = await upload(later);
    await page.waitForSelector(`#rows tr[data-study="${laterId}"]`, { timeout: 90_000 });
    expect(
      await page.evaluate(
        () => (globalThis as unknown as { __sameDocument?: boolean }).__sameDocument,
      ),
      "no reload",
    ).to.equal(true);
    expect(await page.locator("#rows tr").first().getAttribute("data-study")).to.equal(urgentId);
    await page.waitForSelector(`#rows tr[data-study="${laterId}"] .badge.review`, {
      timeout: 90_000,
    });

    // Links: the viewer template, and Orthanc Explorer opened from the keyboard.
    const viewerHref = await top.locator("a.viewer").getAttribute("href");
    expect(viewerHref).to.equal(
      `https://ohif.example/viewer?StudyInstanceUIDs=${encodeURIComponent(urgent.studyInstanceUid)}`,
    );
    await page.keyboard.press("j"); // focus the first row
    expect(
      await page.evaluate(() =>
        (
          globalThis as unknown as {
            document: { activeElement: { getAttribute(n: string): string | null } };
          }
        ).document.activeElement.getAttribute("data-study"),
      ),
    ).to.equal(urgentId);
    const [explorer] = await Promise.all([
      context.waitForEvent("page"),
      page.keyboard.press("Enter"),
    ]);
    await explorer.waitForLoadState("domcontentloaded");
    expect(explorer.url()).to.equal(`${orthanc.url}/app/explorer.html#study?uuid=${urgentId}`);
    expect(await explorer.title()).to.match(/Orthanc/i);
    await explorer.close();

    // The preview (Orthanc's rendering, proxied by RadZ) from the keyboard.
    await page.keyboard.press("p");
    await page.waitForSelector("#preview[open]");
    await page.waitForFunction(() => {
      const img = (
        globalThis as unknown as {
          document: {
            getElementById(id: string): { complete: boolean; naturalWidth: number } | null;
          };
        }
      ).document.getElementById("preview-img");
      return img !== null && img.complete && img.naturalWidth > 0;
    });
    await page.keyboard.press("Escape");
    await page.waitForSelector("#preview:not([open])", { state: "attached" });

    // A filter narrows the list.
    await page.selectOption("#f-priority", "urgent");
    await page.waitForFunction(
      () =>
        (
          globalThis as unknown as { document: { querySelectorAll(s: string): { length: number } } }
        ).document.querySelectorAll("#rows tr").length === 1,
    );
    expect(page.url()).to.match(/\?priority=urgent$/);
    await page.selectOption("#f-priority", "");
    await page.waitForFunction(
      () =>
        (
          globalThis as unknown as { document: { querySelectorAll(s: string): { length: number } } }
        ).document.querySelectorAll("#rows tr").length === 3,
    );

    mkdirSync("test-output", { recursive: true });
    await page.screenshot({ path: SCREENSHOT });
    expect(existsSync(SCREENSHOT)).to.equal(true);
    expect(pageErrors, "no script errors in the page").to.deep.equal([]);
  });
});
