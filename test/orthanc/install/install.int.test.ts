/**
 * `radz orthanc install` against a real Orthanc started — as Debian's service
 * starts it — on the configuration directory the install wrote: with polling
 * off, a stable study reaches RadZ by the hook's push alone and gets its SR,
 * for the Lua hook and for the Python hook (Debian's orthanc-python); the
 * Python hook's Explorer extension is served by Orthanc and renders the
 * "AI findings" panel in headless Chromium; uninstall then leaves the
 * directory byte-identical to before. On Orthanc 1.10 (the host's) and 1.12
 * (Debian 13's, chrooted).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { expect } from "chai";
import getPort from "get-port";
import { chromium } from "playwright-core";
import { orthancInstallPlan } from "../../../src/cli/orthanc.js";
import type { ConfigInput } from "../../../src/config/index.js";
import { DicomWebClient } from "../../../src/dicomweb/index.js";
import { isTerminal } from "../../../src/jobs/index.js";
import { OrthancClient } from "../../../src/orthanc/index.js";
import {
  applyInstall,
  EXPLORER_MARKER,
  EXPLORER_PANEL_ID,
  uninstall,
  type HookKind,
} from "../../../src/orthanc/install/index.js";
import { generateSyntheticStudies } from "../../../src/synthetic/index.js";
import {
  checkOrthancVersion,
  ORTHANC_VERSIONS,
  orthancRoot,
  type OrthancVersion,
} from "../../helpers/orthanc.js";
import { useService, type ServiceHarness } from "../../helpers/service.js";
import { waitFor } from "../../helpers/wait.js";
import { authHeaders } from "../../security/fixtures.js";
import {
  findDicomWebPlugin,
  freePorts,
  snapshotDir,
  startOrthancOnDir,
  writeDebianLikeConfigDir,
  type DirOrthanc,
} from "./fixtures.js";

const SECRET = "install-int-test-secret-0123456789abcdef";
const CHROMIUM = "/usr/bin/chromium";
const PYTHON_PLUGIN = "/usr/share/orthanc/plugins/libOrthancPython.so";

interface Setup {
  etc: string;
  before: ReturnType<typeof snapshotDir>;
  /** The service's config overrides (the install plan was built from them). */
  overrides: ConfigInput;
  orthanc: DirOrthanc;
}

/** A Debian-like config dir, `radz orthanc install` into it, Orthanc started on it. */
async function installAndStart(
  radz: ServiceHarness,
  hook: HookKind,
  name: string,
  orthanc: OrthancUnderTest,
): Promise<Setup> {
  const base = join(orthanc.work ?? radz.dir, name);
  const etc = join(base, "etc");
  const storage = join(base, "storage");
  mkdirSync(storage, { recursive: true });
  const { httpPort, dicomPort } = await freePorts();
  const radzPort = await getPort({ exclude: [httpPort, dicomPort] });
  writeDebianLikeConfigDir(etc, {
    httpPort,
    dicomPort,
    storageDir: storage,
    dicomWebPlugin: findDicomWebPlugin(undefined, orthanc.rootDir),
    python: hook === "python",
    stableAge: 1,
  });
  const before = snapshotDir(etc);
  const overrides: ConfigInput = {
    orthanc: { url: `http://127.0.0.1:${httpPort}` },
    jobs: { dbPath: join(base, "radz.sqlite") },
    intake: { poll: false, webhookSecret: SECRET },
    http: { port: radzPort },
  };
  // The same plan `radz orthanc install --orthanc-config-dir <etc> --hook <hook>` builds.
  applyInstall(orthancInstallPlan({ orthancConfigDir: etc, hook }, radz.config(overrides)));
  const server = await startOrthancOnDir(etc, httpPort, undefined, orthanc.rootDir);
  await checkOrthancVersion(server.url, orthanc.version);
  return { etc, before, overrides, orthanc: server };
}

/** Which Orthanc; chrooted (1.12), its configuration directories lie under its tree. */
interface OrthancUnderTest {
  version: OrthancVersion;
  rootDir?: string;
  /** A work dir under the tree (chrooted Orthanc sees host paths there as they are). */
  work?: string;
}

for (const version of ORTHANC_VERSIONS)
  describe(`radz orthanc install into a real Orthanc ${version}`, function () {
    this.timeout(180_000);
    const radz = useService({ prefix: "radz-install-int-" });
    const under: OrthancUnderTest = { version };

    before(function () {
      under.rootDir = orthancRoot(this, version);
      if (under.rootDir !== undefined) {
        mkdirSync(join(under.rootDir, "tmp"), { recursive: true });
        under.work = mkdtempSync(join(under.rootDir, "tmp", "radz-install-int-"));
      }
      expect(
        existsSync(join(under.rootDir ?? "/", PYTHON_PLUGIN)),
        "Debian's orthanc-python (apt-get install orthanc-python)",
      ).to.equal(true);
    });
    after(() => {
      if (under.work !== undefined) rmSync(under.work, { recursive: true, force: true });
    });

    for (const hook of ["lua", "python"] as const) {
      it(`${hook} hook: a stable study reaches RadZ by push alone (polling off) and gets its SR; uninstall restores the directory byte for byte`, async () => {
        const { etc, before, overrides, orthanc } = await installAndStart(radz, hook, hook, under);
        try {
          const svc = await radz.start(overrides);
          const client = new OrthancClient({ url: orthanc.url, timeoutMs: 10_000 });
          const [study] = generateSyntheticStudies({ count: 1, seed: 7, rows: 256, columns: 256 });
          let orthancId = "";
          for (const bytes of study!.instances)
            orthancId = (await client.uploadInstance(bytes)).parentStudy;
          await waitFor(
            () => isTerminal(svc.store.getByStudy(orthancId)?.state ?? "queued"),
            60_000,
            `the pushed study (Orthanc log:\n${orthanc.log().slice(-2000)})`,
          );
          const job = svc.store.getByStudy(orthancId)!;
          expect(job.source, "enqueued by the hook's push").to.equal("webhook");
          expect(job.state, JSON.stringify(job.lastError)).to.equal("done");
          const sr = job.result!.sr!;
          const dicomweb = new DicomWebClient({
            url: `${orthanc.url}/dicom-web`,
            timeoutMs: 10_000,
            maxInstanceBytes: 1 << 26,
          });
          const inSeries = await dicomweb.searchForInstances(
            study!.studyInstanceUid,
            sr.seriesInstanceUid,
          );
          expect(JSON.stringify(inSeries)).to.include(sr.sopInstanceUid);

          if (hook === "python") {
            // Orthanc serves the plugins' Explorer extensions at /plugins/explorer.js.
            const explorer = await (await fetch(`${orthanc.url}/plugins/explorer.js`)).text();
            expect(explorer).to.include(EXPLORER_MARKER);
            expect(explorer).to.include("From plugin: python");
            const info = (await (await fetch(`${orthanc.url}/radz/hook`)).json()) as Record<
              string,
              unknown
            >;
            expect(info).to.include({ hook: "python" });
          }
          const metrics = await (
            await fetch(`${svc.url}/metrics`, { headers: authHeaders("read") })
          ).text();
          expect(metrics).to.match(/^radz_webhook_requests_total\{outcome="accepted"\} 1$/m);
        } finally {
          await radz.stop(); // before its Orthanc
          await orthanc.stop();
        }
        uninstall(etc);
        expect(snapshotDir(etc)).to.deep.equal(before);
      });
    }

    it("python hook: Orthanc Explorer's study page shows the AI findings panel (headless Chromium)", async function () {
      if (!existsSync(CHROMIUM)) this.skip();
      const { etc, orthanc } = await installAndStart(radz, "python", "explorer", under);
      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: [
          "--headless",
          "--no-sandbox",
          "--disable-gpu",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync",
        ],
      });
      try {
        const client = new OrthancClient({ url: orthanc.url, timeoutMs: 10_000 });
        const [study] = generateSyntheticStudies({ count: 1, seed: 3, rows: 64, columns: 64 });
        const id = (await client.uploadInstance(study!.instances[0]!)).parentStudy;
        await client.setStudyMetadata(id, "RadzPriority", "urgent");
        await client.setStudyMetadata(id, "RadzFindings", "pneumothorax=0.93;nodule=0.61");
        await client.setStudyMetadata(id, "RadzStatus", "done");
        const page = await browser.newPage();
        await page.goto(`${orthanc.url}/app/explorer.html#study?uuid=${id}`);
        const panel = page.locator(`#${EXPLORER_PANEL_ID}`);
        await panel.waitFor({ timeout: 15_000 });
        const text = await panel.innerText();
        expect(text).to.include("AI findings (RadZ, unverified)");
        expect(text).to.include("Priority: urgent");
        expect(text).to.include("pneumothorax 93%");
        expect(text).to.include("nodule 61%");
        const link = page.locator(`#${EXPLORER_PANEL_ID} a`);
        expect(await link.getAttribute("href")).to.match(/^http:\/\/127\.0\.0\.1:\d+\/worklist$/);
        mkdirSync("test-output", { recursive: true });
        await page.screenshot({ path: join("test-output", "orthanc-explorer-radz-panel.png") });
      } finally {
        await browser.close();
        await orthanc.stop();
        uninstall(etc);
      }
    });
  });
