/**
 * radz doctor against a scripted Orthanc (each failure provoked on purpose),
 * with the model loader and the free-space probe injected where a real one
 * cannot be made to fail on demand. doctor.int.test.ts uses a real Orthanc
 * and the real loader.
 */
import { spawnSync } from "node:child_process";
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { loadConfig, type Config, type ConfigInput } from "../../src/config/index.js";
import {
  CHECK_IDS,
  runDoctor,
  type CheckId,
  type CheckResult,
  type DoctorOptions,
  type DoctorReport,
  type ModelLoader,
} from "../../src/doctor/index.js";
import { RadzError } from "../../src/errors.js";
import type { ZeroShotModel } from "../../src/model/index.js";
import { orthancInstallPlan } from "../../src/cli/orthanc.js";
import { applyInstall } from "../../src/orthanc/install/index.js";
import { startFakeServer, type FakeServer } from "../helpers/http.js";
import { writeDebianLikeConfigDir } from "../orthanc/install/fixtures.js";

const SECRET = "doctor-test-webhook-secret-0123456789";
const PASSWORD = "doctor-test-orthanc-password";

interface FakeOrthanc {
  version: string;
  plugins: string[];
  requireAuth: string | null;
  stowStatus: number;
  qidoStatus: number;
  nowOffsetMs: number;
}

function orthancHandler(server: FakeServer, state: FakeOrthanc): void {
  server.handler = (req, res) => {
    if (state.requireAuth !== null && req.headers.authorization !== state.requireAuth) {
      res.writeHead(401, { "WWW-Authenticate": 'Basic realm="Orthanc"' }).end();
      return;
    }
    const url = req.url ?? "";
    const json = (status: number, body: unknown) =>
      res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
    if (url === "/system")
      return json(200, { Version: state.version, ApiVersion: 16, Name: "FAKE" });
    if (url === "/plugins") return json(200, state.plugins);
    if (url === "/tools/now") {
      const d = new Date(Date.now() + state.nowOffsetMs).toISOString();
      return res.end(d.replace(/[-:]/g, "").slice(0, 15));
    }
    if (url.startsWith("/dicom-web/studies") && req.method === "GET") {
      return json(state.qidoStatus, state.qidoStatus === 200 ? [] : { error: "no" });
    }
    if (url === "/dicom-web/studies" && req.method === "POST") return json(state.stowStatus, {});
    return json(404, {});
  };
}

const fakeModel = (ep = "cpu") =>
  ({
    identity: {
      id: "fake",
      name: "Fake",
      version: "1",
      labelSetHash: "h",
      synthetic: true,
      executionProvider: ep,
    },
    labels: [{ id: "a" }, { id: "b" }],
    close: async () => undefined,
  }) as unknown as ZeroShotModel;

function status(report: DoctorReport, id: CheckId): CheckResult {
  const c = report.checks.find((x) => x.id === id);
  expect(c, id).to.not.equal(undefined);
  return c!;
}

describe("doctor", function () {
  this.timeout(20_000);
  let work: string;
  let orthanc: FakeServer;
  let state: FakeOrthanc;

  beforeEach(async () => {
    work = mkdtempSync(join(tmpdir(), "radz-doctor-"));
    orthanc = await startFakeServer();
    state = {
      version: "1.10.1",
      plugins: ["explorer.js", "dicom-web"],
      requireAuth: null,
      stowStatus: 200,
      qidoStatus: 200,
      nowOffsetMs: 0,
    };
    orthancHandler(orthanc, state);
  });
  afterEach(async () => {
    await orthanc.close();
    rmSync(work, { recursive: true, force: true });
  });

  function config(over: ConfigInput = {}): Config {
    return loadConfig({
      env: {},
      overrides: {
        orthanc: { url: orthanc.url },
        jobs: { dbPath: join(work, "jobs", "radz.sqlite") },
        model: { bundle: join(work, "bundle") },
        intake: { webhookSecret: SECRET },
        http: { port: 0 },
        ...over,
      },
    });
  }

  function doctor(c: Config, over: Partial<DoctorOptions> = {}): Promise<DoctorReport> {
    return runDoctor(c, {
      orthancConfigDir: null,
      timeoutMs: 2_000,
      loadModel: (async () => fakeModel()) as unknown as ModelLoader,
      freeSpace: () => 50 * 1024 ** 3,
      ...over,
    });
  }

  it("passes a healthy installation (every check reported, none failed)", async () => {
    const r = await doctor(config());
    expect(r.checks.map((c) => c.id)).to.deep.equal([...CHECK_IDS]);
    expect(r.ok, JSON.stringify(r.checks.filter((c) => c.status === "fail"))).to.equal(true);
    for (const id of [
      "config",
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
      expect(status(r, id).status, `${id}: ${status(r, id).summary}`).to.equal("ok");
    }
    expect(status(r, "orthanc-version").summary).to.match(/labels: no/);
    expect(status(r, "hook").status).to.equal("warn"); // polling only
    // The empty STOW request stores nothing: a multipart body without parts.
    const stow = orthanc.requests.find((q) => q.method === "POST")!;
    expect(stow.body.toString()).to.equal("--radz-doctor-empty-stow--\r\n");
  });

  it("fails orthanc-reachable (and skips what depends on it) when nothing listens", async () => {
    await orthanc.close();
    const r = await doctor(config());
    expect(r.ok).to.equal(false);
    expect(status(r, "orthanc-reachable").status).to.equal("fail");
    expect(status(r, "orthanc-reachable").summary).to.match(/ECONNREFUSED/);
    expect(status(r, "orthanc-credentials").status).to.equal("skip");
    expect(status(r, "stow-allowed").status).to.equal("skip");
  });

  it("fails orthanc-credentials on a wrong password, and says when none are configured", async () => {
    state.requireAuth = `Basic ${Buffer.from(`radz:${PASSWORD}`).toString("base64")}`;
    const wrong = await doctor(
      config({ orthanc: { url: orthanc.url, username: "radz", password: "nope" } }),
    );
    expect(status(wrong, "orthanc-credentials").status).to.equal("fail");
    expect(status(wrong, "orthanc-credentials").summary).to.match(
      /refused RadZ's credentials \(HTTP 401\)/,
    );
    const none = await doctor(config());
    expect(status(none, "orthanc-credentials").summary).to.match(/none are configured/);
    const right = await doctor(
      config({ orthanc: { url: orthanc.url, username: "radz", password: PASSWORD } }),
    );
    expect(status(right, "orthanc-credentials").status).to.equal("ok");
  });

  it("fails orthanc-version below 1.10 and reports labels from 1.12", async () => {
    state.version = "1.9.7";
    expect(status(await doctor(config()), "orthanc-version").status).to.equal("fail");
    state.version = "1.12.4";
    const r = await doctor(config());
    expect(status(r, "orthanc-version").status).to.equal("ok");
    expect(status(r, "orthanc-version").summary).to.match(/labels: yes/);
  });

  it("fails dicomweb when Orthanc has no DICOMweb plugin", async () => {
    state.plugins = ["explorer.js"];
    state.qidoStatus = 404;
    const r = await doctor(config());
    expect(status(r, "dicomweb").status).to.equal("fail");
    expect(status(r, "dicomweb").summary).to.match(/no DICOMweb plugin/);
  });

  it("fails stow-allowed when the server refuses the store request", async () => {
    state.stowStatus = 403;
    const r = await doctor(config());
    expect(status(r, "stow-allowed").status).to.equal("fail");
    expect(status(r, "stow-allowed").summary).to.match(/HTTP 403/);
  });

  it("warns on a few seconds of clock skew and fails on minutes", async () => {
    state.nowOffsetMs = 15_000;
    expect(status(await doctor(config()), "clock-skew").status).to.equal("warn");
    state.nowOffsetMs = -180_000;
    const r = await doctor(config());
    expect(status(r, "clock-skew").status).to.equal("fail");
    expect(status(r, "clock-skew").summary).to.match(/18\d s behind/);
  });

  it("fails bundle on a hash mismatch, and execution-provider when a required GPU is missing", async () => {
    const hash = await doctor(config(), {
      loadModel: (async () => {
        throw new RadzError(
          "BUNDLE_HASH_MISMATCH",
          'bundle file "image.onnx" does not match its sha256',
        );
      }) as unknown as ModelLoader,
    });
    expect(status(hash, "bundle").status).to.equal("fail");
    expect(status(hash, "bundle").summary).to.match(/BUNDLE_HASH_MISMATCH/);
    expect(status(hash, "execution-provider").status).to.equal("skip");
    const gpu = await doctor(config(), {
      loadModel: (async () => {
        throw new RadzError("GPU_UNAVAILABLE", "CUDA execution provider could not be created");
      }) as unknown as ModelLoader,
    });
    expect(status(gpu, "bundle").status).to.equal("ok");
    expect(status(gpu, "execution-provider").status).to.equal("fail");
    const cpu = await doctor(
      config({ model: { bundle: join(work, "b"), executionProviders: ["cuda", "cpu"] } }),
    );
    expect(status(cpu, "execution-provider").status).to.equal("warn");
  });

  it("fails job-store when its directory cannot be written, the disk is nearly full, or the file is not SQLite", async () => {
    writeFileSync(join(work, "a-file"), "x");
    const notDir = await doctor(config({ jobs: { dbPath: join(work, "a-file", "radz.sqlite") } }));
    expect(status(notDir, "job-store").status).to.equal("fail");
    expect(status(notDir, "job-store").summary).to.match(/not a writable directory \(ENOTDIR\)/);
    const full = await doctor(config(), { freeSpace: () => 10 * 1024 * 1024 });
    expect(status(full, "job-store").status).to.equal("fail");
    expect(status(full, "job-store").summary).to.match(/only 10 MiB free/);
    const low = await doctor(config(), { freeSpace: () => 500 * 1024 * 1024 });
    expect(status(low, "job-store").status).to.equal("warn");
    writeFileSync(join(work, "garbage.sqlite"), "this is not a database, just text ".repeat(100));
    const garbage = await doctor(config({ jobs: { dbPath: join(work, "garbage.sqlite") } }));
    expect(status(garbage, "job-store").status).to.equal("fail");
  });

  it("fails hook when polling is off and no hook pushes", async () => {
    const r = await doctor(config({ intake: { poll: false, webhookSecret: SECRET } }));
    expect(status(r, "hook").status).to.equal("fail");
    expect(status(r, "hook").summary).to.match(/never hear of a new study/);
  });

  it("finds an installed Lua hook by its install record, and fails when its files changed or its token is refused", async () => {
    const etc = join(work, "etc");
    writeDebianLikeConfigDir(etc);
    applyInstall(orthancInstallPlan({ orthancConfigDir: etc, hook: "lua" }, config()));
    const r = await doctor(config(), { orthancConfigDir: etc });
    expect(status(r, "hook").status, status(r, "hook").summary).to.equal("ok");
    expect(status(r, "hook").summary).to.match(/Lua hook installed in/);
    expect(status(r, "webhook").summary).to.match(/matches intake\.webhookSecret \(bearer token\)/);
    const noBearer = await doctor(
      config({ intake: { webhookSecret: SECRET, webhookAcceptBearer: false } }),
      {
        orthancConfigDir: etc,
      },
    );
    expect(status(noBearer, "webhook").status).to.equal("fail");
    appendFileSync(join(etc, "radz-hook.lua"), "-- edited\n");
    const edited = await doctor(config(), { orthancConfigDir: etc });
    expect(status(edited, "hook").status).to.equal("fail");
    expect(status(edited, "hook").summary).to.match(/radz-hook\.lua changed after the install/);
  });

  it("redacts every secret from the configuration in the report", async () => {
    const r = await doctor(
      config({ orthanc: { url: orthanc.url, username: "radz", password: PASSWORD } }),
    );
    const text = JSON.stringify(r);
    expect(text).not.to.include(PASSWORD);
    expect(text).not.to.include(SECRET);
    expect((r.config as { intake: { webhookSecret: string } }).intake.webhookSecret).to.equal(
      "[redacted]",
    );
  });

  it("the CLI exits 1 with a failed config check (JSON) for an invalid configuration", () => {
    const bad = join(work, "bad.json");
    writeFileSync(bad, JSON.stringify({ orthanc: { url: "not a url" } }));
    const r = spawnSync(
      process.execPath,
      ["--import", "tsx", "src/cli/main.ts", "doctor", "--json", "-c", bad],
      {
        encoding: "utf8",
        env: Object.fromEntries(
          Object.entries(process.env).filter(([k]) => !k.startsWith("RADZ_")),
        ),
      },
    );
    expect(r.status, r.stderr).to.equal(1);
    const report = JSON.parse(r.stdout) as DoctorReport;
    expect(report.checks[0]).to.include({ id: "config", status: "fail" });
    expect(report.checks[0]!.summary).to.match(/CONFIG_INVALID[\s\S]*orthanc\.url/);
  });

  it("documents every check in docs/troubleshooting.md", () => {
    const doc = readFileSync("docs/troubleshooting.md", "utf8");
    const missing = CHECK_IDS.filter((id) => !new RegExp(`^### ${id}$`, "m").test(doc));
    expect(missing, "checks without a troubleshooting section").to.deep.equal([]);
  });
});
