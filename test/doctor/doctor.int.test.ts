/**
 * radz doctor against real Orthanc servers and the real bundle loader:
 * a healthy Orthanc (empty STOW accepted, clocks agree), a wrong password,
 * an Orthanc without the DICOMweb plugin, a demo bundle with a tampered
 * file, and the Python hook installed and loaded (credential compared) — on
 * Orthanc 1.10 and 1.12.
 */
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { orthancInstallPlan } from "../../src/cli/orthanc.js";
import { loadConfig, type Config, type ConfigInput } from "../../src/config/index.js";
import { runDoctor, type CheckId, type DoctorReport } from "../../src/doctor/index.js";
import { writeDemoBundle } from "../../src/model/index.js";
import { OrthancClient } from "../../src/orthanc/index.js";
import { applyInstall } from "../../src/orthanc/install/index.js";
import {
  checkOrthancVersion,
  ORTHANC_VERSIONS,
  orthancRoot,
  useOrthanc,
} from "../helpers/orthanc.js";
import {
  findDicomWebPlugin,
  freePorts,
  startOrthancOnDir,
  writeDebianLikeConfigDir,
} from "../orthanc/install/fixtures.js";

const SECRET = "doctor-int-webhook-secret-0123456789";

function check(report: DoctorReport, id: CheckId) {
  return report.checks.find((c) => c.id === id)!;
}

for (const version of ORTHANC_VERSIONS)
  describe(`doctor against real Orthanc ${version}`, function () {
    this.timeout(120_000);
    let work: string;
    let bundle: string;
    let rootDir: string | undefined;

    before(async function () {
      this.timeout(60_000);
      rootDir = orthancRoot(this, version);
      // Under the Debian 13 tree, the paths a configuration names are valid chrooted too.
      const tmp = rootDir === undefined ? tmpdir() : join(rootDir, "tmp");
      mkdirSync(tmp, { recursive: true });
      work = mkdtempSync(join(tmp, "radz-doctor-int-"));
      bundle = join(work, "bundle");
      await writeDemoBundle(bundle);
    });
    after(() => {
      if (work) rmSync(work, { recursive: true, force: true }); // unset when the version was skipped
    });

    function config(url: string, over: ConfigInput = {}): Config {
      return loadConfig({
        env: {},
        overrides: {
          orthanc: { url },
          jobs: { dbPath: join(work, "radz.sqlite") },
          model: { bundle },
          intake: { webhookSecret: SECRET },
          http: { port: 0 },
          log: { level: "silent" },
          ...over,
        },
      });
    }

    describe("with credentials", () => {
      const orthanc = useOrthanc({ username: "radz", password: "right-password", version });

      it("passes every Orthanc check, the real empty STOW stores nothing, and the bundle loads on cpu", async () => {
        const c = config(orthanc.url, {
          orthanc: { url: orthanc.url, username: "radz", password: "right-password" },
        });
        const r = await runDoctor(c, { orthancConfigDir: null });
        for (const id of [
          "orthanc-reachable",
          "orthanc-credentials",
          "orthanc-version",
          "dicomweb",
          "stow-allowed",
          "clock-skew",
          "bundle",
          "execution-provider",
          "job-store",
        ] as const) {
          expect(check(r, id).status, `${id}: ${check(r, id).summary}`).to.equal("ok");
        }
        expect(check(r, "execution-provider").summary).to.match(/runs on cpu/);
        const client = new OrthancClient({
          url: orthanc.url,
          username: "radz",
          password: "right-password",
          timeoutMs: 5_000,
        });
        expect(await client.listStudies(), "the STOW probe stored nothing").to.deep.equal([]);
      });

      it("fails orthanc-credentials with a wrong password", async () => {
        const c = config(orthanc.url, {
          orthanc: { url: orthanc.url, username: "radz", password: "wrong" },
        });
        const r = await runDoctor(c, { orthancConfigDir: null });
        expect(r.ok).to.equal(false);
        expect(check(r, "orthanc-credentials").status).to.equal("fail");
        expect(check(r, "dicomweb").status).to.equal("skip");
      });
    });

    describe("without the DICOMweb plugin", () => {
      const orthanc = useOrthanc({ dicomWeb: false, version });

      it("fails dicomweb and stow-allowed", async () => {
        const r = await runDoctor(config(orthanc.url), { orthancConfigDir: null });
        expect(check(r, "dicomweb").status).to.equal("fail");
        expect(check(r, "dicomweb").summary).to.match(/no DICOMweb plugin/);
        expect(check(r, "stow-allowed").status).to.equal("fail");
      });
    });

    it("fails bundle with BUNDLE_HASH_MISMATCH when a bundle file was changed (real loader)", async () => {
      const tampered = join(work, "tampered");
      await writeDemoBundle(tampered);
      const onnx = readdirSync(tampered).find((f) => f.endsWith(".onnx"))!;
      appendFileSync(join(tampered, onnx), Buffer.from([0]));
      const r = await runDoctor(config("http://127.0.0.1:9", { model: { bundle: tampered } }), {
        orthancConfigDir: null,
        timeoutMs: 500,
      });
      expect(check(r, "bundle").status).to.equal("fail");
      expect(check(r, "bundle").summary).to.match(/BUNDLE_HASH_MISMATCH/);
    });

    it("finds the installed Python hook loaded in Orthanc and compares its credential with the config", async () => {
      const etc = join(work, "etc-python");
      const storage = join(work, "storage-python");
      mkdirSync(storage);
      const { httpPort, dicomPort } = await freePorts();
      writeDebianLikeConfigDir(etc, {
        httpPort,
        dicomPort,
        storageDir: storage,
        dicomWebPlugin: findDicomWebPlugin(undefined, rootDir),
        python: true,
      });
      const url = `http://127.0.0.1:${httpPort}`;
      applyInstall(orthancInstallPlan({ orthancConfigDir: etc, hook: "python" }, config(url)));
      const server = await startOrthancOnDir(etc, httpPort, undefined, rootDir);
      try {
        await checkOrthancVersion(url, version);
        const good = await runDoctor(config(url), { orthancConfigDir: etc });
        expect(check(good, "hook").status, check(good, "hook").summary).to.equal("ok");
        expect(check(good, "hook").summary).to.match(/Python hook loaded in Orthanc/);
        expect(check(good, "webhook").status).to.equal("ok");
        expect(check(good, "webhook").summary).to.match(/matches intake\.webhookSecret/);

        const other = config(url, { intake: { webhookSecret: "a-different-secret-0123456789" } });
        const bad = await runDoctor(other, { orthancConfigDir: etc });
        expect(check(bad, "webhook").status).to.equal("fail");
        expect(JSON.stringify(bad)).not.to.include(SECRET);

        const off = await runDoctor(config(url, { intake: { webhookSecret: undefined } }), {
          orthancConfigDir: etc,
        });
        expect(check(off, "webhook").status).to.equal("fail");
        expect(check(off, "webhook").summary).to.match(/not set/);
      } finally {
        await server.stop();
      }
    });
  });
