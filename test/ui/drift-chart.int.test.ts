/**
 * The worklist's drift section in headless Chromium (playwright-core) against
 * a real API (createApi) with a real drift monitor: nothing is fetched before
 * login, then one chart per label with its PSI history, the watch and alert
 * lines, and the level; under the page's CSP, with no page error. A
 * screenshot of the section goes to test-output/drift-chart.png.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { type Browser } from "playwright-core";
import { CHROMIUM, launchChromium } from "../helpers/chromium.js";
import { DriftMonitor, DriftStore } from "../../src/drift/index.js";
import { SqliteJobStore, type Job } from "../../src/jobs/index.js";
import { silentLogger } from "../../src/observability/index.js";
import {
  READ_TOKEN,
  STUDY_IDS,
  result,
  startApi,
  type RunningApi,
} from "../http/routes/helpers.js";

const SCREENSHOT = "test-output/drift-chart.png";

describe("worklist drift chart in headless Chromium", function () {
  this.timeout(120_000);
  let work: string;
  let store: SqliteJobStore;
  let driftStore: DriftStore;
  let api: RunningApi;
  let browser: Browser | null = null;

  before(async function () {
    if (!existsSync(CHROMIUM)) {
      console.warn(`SKIPPED: ${CHROMIUM} is not installed (apt-get install -y chromium)`);
      this.skip();
    }
    work = mkdtempSync(join(tmpdir(), "radz-drift-ui-"));
    const dbPath = join(work, "radz.sqlite");
    store = new SqliteJobStore({ path: dbPath });
    driftStore = new DriftStore({ path: dbPath });
    const drift = new DriftMonitor({
      store: driftStore,
      settings: {
        referenceSize: 20,
        windowSize: 10,
        minWindowSize: 10,
        bins: 4,
        watchLevel: 0.1,
        alertLevel: 0.25,
      },
      referenceKey: "abcd",
      labels: [
        { id: "pneumothorax", display: "Pneumothorax" },
        { id: "nodule", display: "Nodule" },
      ],
      logger: silentLogger(),
    });
    // 20 reference studies, then 15 more: pneumothorax moves up, nodule stays.
    for (let i = 0; i < 35; i++) {
      const p = i < 20 ? 0.05 + (i % 10) / 100 : 0.6 + (i % 10) / 100;
      const job = { id: i + 1, orthancStudyId: STUDY_IDS[0], state: "done" } as Job;
      drift.observe({
        ...job,
        result: result("routine", { pneumothorax: p, nodule: 0.05 + (i % 7) / 100 }),
      });
    }
    api = await startApi(store, { drift });
  });
  after(async () => {
    await browser?.close();
    await api?.close();
    driftStore?.close();
    store?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("draws one chart per label after login, with the levels and the PSI history", async () => {
    browser = await launchChromium();
    const page = await (await browser.newContext()).newPage();
    const errors: string[] = [];
    const driftRequests: number[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(m.text());
    });
    page.on("response", (r) => {
      if (new URL(r.url()).pathname === "/api/drift") driftRequests.push(r.status());
      else if (r.status() >= 400) errors.push(`${r.status()} ${new URL(r.url()).pathname}`);
    });
    await page.goto(`${api.base}/`);
    await page.waitForSelector("#login:not([hidden])");
    await page.waitForTimeout(1_500);
    expect(driftRequests, "nothing fetched before login").to.deep.equal([]);
    errors.length = 0; // the page's own probe of /api/studies answered 401: that is how it knows
    await page.fill("#token", READ_TOKEN);
    await page.click("#login button[type=submit]");
    await page.waitForSelector("#drift:not([hidden]) #drift-labels li", { timeout: 10_000 });
    expect(driftRequests).to.deep.equal([200]);

    const items = await page.$$eval("#drift-labels li", (lis) =>
      lis.map((li) => {
        const e = li as unknown as {
          dataset: { label: string; level: string };
          querySelector(
            s: string,
          ): { getAttribute(n: string): string | null; textContent: string } | null;
          querySelectorAll(s: string): ArrayLike<unknown>;
        };
        return {
          label: e.dataset.label,
          level: e.dataset.level,
          text: e.querySelector(".drift-value")?.textContent,
          aria: e.querySelector("svg")?.getAttribute("aria-label"),
          points: (e.querySelector("polyline")?.getAttribute("points") ?? "").split(" ").length,
          lines: e.querySelectorAll("line").length,
        };
      }),
    );
    expect(items.map((i) => [i.label, i.level])).to.deep.equal([
      ["pneumothorax", "alert"],
      ["nodule", "ok"],
    ]);
    expect(items[0]!.text).to.match(/^PSI \d+\.\d\d · alert$/);
    expect(items[0]!.aria).to.match(
      /^Pneumothorax: PSI .* alert at 0\.25; PSI over the last 6 studies$/,
    );
    // The windows ending at the 10th … 15th study after the reference: 6 points.
    expect(items.map((i) => i.points)).to.deep.equal([6, 6]);
    expect(items.map((i) => i.lines)).to.deep.equal([2, 2]);
    expect(errors).to.deep.equal([]);
    mkdirSync("test-output", { recursive: true });
    await page.locator("#drift").screenshot({ path: SCREENSHOT });
  });
});
