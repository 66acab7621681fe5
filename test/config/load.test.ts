import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { dicomwebUrl, envToObject, loadConfig } from "../../src/config/index.js";
import { RadzError } from "../../src/errors.js";

describe("config", () => {
  it("has working defaults", () => {
    const c = loadConfig({ env: {} });
    expect(c.orthanc.url).to.equal("http://127.0.0.1:8042");
    expect(dicomwebUrl(c)).to.equal("http://127.0.0.1:8042/dicom-web");
    expect(Object.isFrozen(c.orthanc)).to.equal(true);
  });

  it("layers file < env < overrides", () => {
    const dir = mkdtempSync(join(tmpdir(), "radz-cfg-"));
    const file = join(dir, "c.json");
    writeFileSync(
      file,
      JSON.stringify({ orthanc: { url: "http://a:1" }, jobs: { concurrency: 3 } }),
    );
    const c = loadConfig({
      file,
      env: { RADZ_ORTHANC__URL: "http://b:2", RADZ_JOBS__MAX_ATTEMPTS: "9" },
      overrides: { jobs: { concurrency: 4 } },
    });
    expect(c.orthanc.url).to.equal("http://b:2");
    expect(c.jobs.maxAttempts).to.equal(9);
    expect(c.jobs.concurrency).to.equal(4);
  });

  it("maps RADZ_SECTION__KEY env names to nested camelCase keys", () => {
    expect(
      envToObject({ RADZ_MODEL__EXECUTION_PROVIDERS: '["cuda","cpu"]', OTHER: "x" }),
    ).to.deep.equal({
      model: { executionProviders: ["cuda", "cpu"] },
    });
  });

  it("leaves RADZ_ names without a section separator alone (RADZ_CONFIG, the test harness's own)", () => {
    const env = {
      RADZ_CONFIG: "/nonexistent.json",
      RADZ_ORTHANC_1_12_ROOT: "/srv/trixie",
      RADZ_CRASH_SEED: "7",
      RADZ_JOBS__MAX_ATTEMPTS: "3",
    };
    expect(envToObject(env)).to.deep.equal({ jobs: { maxAttempts: 3 } });
    const c = loadConfig({ env: { RADZ_ORTHANC_1_12_ROOT: "/srv/trixie", RADZ_OHIF_SKIP: "1" } });
    expect(c.orthanc.url).to.be.a("string");
  });

  it("still refuses an unknown option given as RADZ_SECTION__KEY", () => {
    expect(() => loadConfig({ env: { RADZ_ORTHANC__URLL: "http://x" } })).to.throw(/orthanc/);
  });

  it("reports every problem at once", () => {
    try {
      loadConfig({
        env: {},
        overrides: { orthanc: { url: "not a url" }, jobs: { concurrency: 0 }, bogus: 1 },
      });
      expect.fail("should throw");
    } catch (err) {
      expect(err).to.be.instanceOf(RadzError);
      const e = err as RadzError;
      expect(e.code).to.equal("CONFIG_INVALID");
      expect(e.message).to.include("orthanc.url");
      expect(e.message).to.include("jobs.concurrency");
      expect(e.message).to.match(/bogus/);
    }
  });

  it('takes imaging.yieldToInference as "auto", true or false (also from the environment) and says so otherwise', () => {
    expect(loadConfig({ env: {} }).imaging.yieldToInference).to.equal("auto");
    expect(
      loadConfig({ env: { RADZ_IMAGING__YIELD_TO_INFERENCE: "false" } }).imaging.yieldToInference,
    ).to.equal(false);
    expect(
      loadConfig({ env: {}, overrides: { imaging: { yieldToInference: true } } }).imaging
        .yieldToInference,
    ).to.equal(true);
    expect(() => loadConfig({ env: { RADZ_IMAGING__YIELD_TO_INFERENCE: "maybe" } }))
      .to.throw(RadzError, 'imaging.yieldToInference: expected "auto", true or false')
      .with.property("code", "CONFIG_INVALID");
  });

  it("names an unreadable file", () => {
    expect(() => loadConfig({ file: "/nonexistent/radz.json", env: {} }))
      .to.throw(RadzError)
      .with.property("code", "CONFIG_FILE_UNREADABLE");
  });
});
