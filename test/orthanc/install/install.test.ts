import { spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { RadzError } from "../../../src/errors.js";
import { webhookBearerToken } from "../../../src/security/webhook-auth.js";
import { RADZ_USER_METADATA } from "../../../src/orthanc/index.js";
import {
  applyInstall,
  FRAGMENT_FILE,
  INSTALL_RECORD_FILE,
  installIntact,
  mergedConfig,
  planInstall,
  readOrthancConfigDir,
  renderPlan,
  uninstall,
  type HookKind,
  type InstallOptions,
} from "../../../src/orthanc/install/index.js";
import { snapshotDir, writeDebianLikeConfigDir } from "./fixtures.js";

const SECRET = "install-test-secret-0123456789abcdef";

function options(
  configDir: string,
  hook: HookKind,
  over: Partial<InstallOptions> = {},
): InstallOptions {
  return {
    configDir,
    hook,
    webhookUrl: "http://127.0.0.1:8700/webhook/orthanc",
    secret: SECRET,
    bearerToken: webhookBearerToken(SECRET),
    version: "0.1.0-test",
    userMetadata: RADZ_USER_METADATA,
    explorer: {
      worklistUrl: "http://127.0.0.1:8700/worklist",
      metadata: {
        priority: "RadzPriority",
        findings: "RadzFindings",
        status: "RadzStatus",
        result: "RadzResult",
      },
      labelPrefix: "ai-",
    },
    ...over,
  };
}

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(RadzError);
    return (err as RadzError).code + ": " + (err as RadzError).message;
  }
  expect.fail("expected a RadzError");
}

describe("orthanc/install (config directory edits)", () => {
  let work: string;
  let dir: string;
  let fakePythonPlugin: string;

  beforeEach(() => {
    work = mkdtempSync(join(tmpdir(), "radz-install-"));
    dir = join(work, "etc-orthanc");
    fakePythonPlugin = join(work, "plugins", "libOrthancPython.so");
    mkdirSync(join(work, "plugins"));
    writeFileSync(fakePythonPlugin, "not really a plugin");
  });
  afterEach(() => rmSync(work, { recursive: true, force: true }));

  it("Lua: adds the hook and RadZ's UserMetadata by small edits of the file that defines them, then uninstall restores the directory byte for byte", () => {
    writeDebianLikeConfigDir(dir);
    const before = snapshotDir(dir);
    const plan = planInstall(options(dir, "lua"));
    expect(plan.files.map((f) => [f.name, f.action])).to.deep.equal([
      ["radz-hook.lua", "create"],
      ["orthanc.json", "modify"],
    ]);
    applyInstall(plan);

    // What Orthanc will see: the hook is loaded, the metadata registered, no key defined twice.
    const merged = mergedConfig(readOrthancConfigDir(dir));
    expect(merged.LuaScripts).to.deep.equal([join(dir, "radz-hook.lua")]);
    expect(merged.UserMetadata).to.deep.equal({ ...RADZ_USER_METADATA });
    const orthancJson = readFileSync(join(dir, "orthanc.json"), "utf8");
    // Comments and the rest of the file are untouched.
    expect(orthancJson).to.include('// "Sample" : 1024');
    expect(orthancJson).to.include("// The logical name of this instance of Orthanc.");
    expect(readFileSync(join(dir, "orthanc.json.radz-backup"), "utf8")).to.equal(
      Buffer.from(before["orthanc.json"]!.bytes, "base64").toString("utf8"),
    );
    const hook = readFileSync(join(dir, "radz-hook.lua"), "utf8");
    expect(hook).to.include(webhookBearerToken(SECRET));
    expect(hook, "the Lua hook holds the derived token, not the secret").not.to.include(SECRET);
    expect(statSync(join(dir, "radz-hook.lua")).mode & 0o777).to.equal(0o640);
    expect(installIntact(dir).intact).to.equal(true);

    const result = uninstall(dir);
    expect(result.actions).to.include("remove radz-hook.lua");
    expect(snapshotDir(dir)).to.deep.equal(before);
  });

  it("Python: points PythonScript (Debian's sample) at the hook and loads the plugin, then uninstall restores everything", () => {
    writeDebianLikeConfigDir(dir, { python: true });
    const before = snapshotDir(dir);
    applyInstall(planInstall(options(dir, "python", { pythonPluginPath: fakePythonPlugin })));
    const merged = mergedConfig(readOrthancConfigDir(dir));
    expect(merged.PythonScript).to.equal(join(dir, "radz-hook.py"));
    expect(merged.Plugins).to.deep.equal([
      "/usr/share/orthanc/plugins/libOrthancDicomWeb.so",
      fakePythonPlugin,
    ]);
    expect(merged.UserMetadata).to.deep.equal({ ...RADZ_USER_METADATA });
    expect(readFileSync(join(dir, "radz-hook.py"), "utf8")).to.include(SECRET);
    uninstall(dir);
    expect(snapshotDir(dir)).to.deep.equal(before);
  });

  it("puts settings that no file defines into radz.json (a new file) instead", () => {
    mkdirSync(dir);
    writeFileSync(join(dir, "orthanc.json"), '{ "Name" : "bare", "HttpPort" : 8042 }\n');
    const before = snapshotDir(dir);
    const plan = planInstall(options(dir, "python", { pythonPluginPath: fakePythonPlugin }));
    expect(plan.files.map((f) => [f.name, f.action])).to.deep.equal([
      ["radz-hook.py", "create"],
      [FRAGMENT_FILE, "create"],
    ]);
    applyInstall(plan);
    expect(JSON.parse(readFileSync(join(dir, FRAGMENT_FILE), "utf8"))).to.deep.equal({
      UserMetadata: { ...RADZ_USER_METADATA },
      PythonScript: join(dir, "radz-hook.py"),
      Plugins: [fakePythonPlugin],
    });
    expect(readFileSync(join(dir, "orthanc.json"), "utf8")).to.equal(
      '{ "Name" : "bare", "HttpPort" : 8042 }\n',
    );
    uninstall(dir);
    expect(snapshotDir(dir)).to.deep.equal(before);
  });

  it("keeps UserMetadata entries that are already there and adds only the missing ones", () => {
    mkdirSync(dir);
    writeFileSync(
      join(dir, "orthanc.json"),
      '{\n  "UserMetadata" : { "Mine" : 2000, "RadzStatus" : 4201 },\n  "LuaScripts" : [ "/opt/mine.lua" ]\n}\n',
    );
    applyInstall(planInstall(options(dir, "lua")));
    const merged = mergedConfig(readOrthancConfigDir(dir));
    expect(merged.UserMetadata).to.deep.equal({ ...RADZ_USER_METADATA, Mine: 2000 });
    expect(
      merged.LuaScripts,
      "RadZ's script last, so it chains the user's OnStableStudy",
    ).to.deep.equal(["/opt/mine.lua", join(dir, "radz-hook.lua")]);
  });

  it("refuses conflicts and changes nothing: taken metadata index, user's own Python script, second install", () => {
    mkdirSync(dir);
    writeFileSync(join(dir, "orthanc.json"), '{ "UserMetadata" : { "Slides" : 4202 } }\n');
    expect(code(() => planInstall(options(dir, "lua")))).to.match(
      /ORTHANC_INSTALL_CONFLICT: .*index 4202 is used by "Slides"/,
    );
    writeFileSync(join(dir, "orthanc.json"), '{ "UserMetadata" : { "RadzPriority" : 5000 } }\n');
    expect(code(() => planInstall(options(dir, "lua")))).to.match(/"RadzPriority" is 5000/);

    writeFileSync(join(dir, "orthanc.json"), "{}\n");
    writeFileSync(join(dir, "python.json"), `{ "PythonScript" : "${join(dir, "mine.py")}" }\n`);
    writeFileSync(join(dir, "mine.py"), "import orthanc\n# my own plugin\n");
    expect(
      code(() => planInstall(options(dir, "python", { pythonPluginPath: fakePythonPlugin }))),
    ).to.match(/already runs .*mine\.py/);

    rmSync(join(dir, "python.json"));
    const snapshot = snapshotDir(dir);
    applyInstall(planInstall(options(dir, "lua")));
    expect(code(() => planInstall(options(dir, "lua")))).to.match(/already installed/);
    uninstall(dir);
    expect(snapshotDir(dir)).to.deep.equal(snapshot);
  });

  it("refuses a directory where a key is defined twice (Orthanc would not start)", () => {
    mkdirSync(dir);
    writeFileSync(join(dir, "a.json"), '{ "LuaScripts" : [] }');
    writeFileSync(join(dir, "b.json"), '{ "LuaScripts" : [] }');
    expect(code(() => planInstall(options(dir, "lua")))).to.match(/defined in a\.json and b\.json/);
  });

  it("names a file that is not JSON-with-comments", () => {
    mkdirSync(dir);
    writeFileSync(join(dir, "orthanc.json"), '{ "Name" : "x", }} ');
    expect(code(() => planInstall(options(dir, "lua")))).to.match(
      /ORTHANC_INSTALL_FAILED: .*orthanc\.json/,
    );
  });

  it("uninstall refuses, changing nothing, when a file was edited after the install", () => {
    writeDebianLikeConfigDir(dir);
    applyInstall(planInstall(options(dir, "lua")));
    const edited = readFileSync(join(dir, "orthanc.json"), "utf8").replace(
      '"StableAge" : 60',
      '"StableAge" : 5',
    );
    writeFileSync(join(dir, "orthanc.json"), edited);
    const snapshot = snapshotDir(dir);
    expect(code(() => uninstall(dir))).to.match(/orthanc\.json was edited after the install/);
    expect(snapshotDir(dir)).to.deep.equal(snapshot);
    expect(installIntact(dir).problems).to.deep.equal(["orthanc.json changed after the install"]);
  });

  it("uninstall rolls back an install that was interrupted half-way", () => {
    writeDebianLikeConfigDir(dir);
    const before = snapshotDir(dir);
    const plan = planInstall(options(dir, "lua"));
    // The record is written first; simulate a crash before any file was touched,
    // then one after the hook was written but before orthanc.json was.
    const record = applyInstall(plan);
    writeFileSync(
      join(dir, INSTALL_RECORD_FILE),
      JSON.stringify({ ...record, state: "installing" }),
    );
    writeFileSync(join(dir, "orthanc.json"), Buffer.from(before["orthanc.json"]!.bytes, "base64"));
    expect(installIntact(dir).problems).to.include("the install was interrupted");
    uninstall(dir);
    expect(snapshotDir(dir)).to.deep.equal(before);
  });

  it("the printed plan shows new files, a diff that `patch` applies, and never the secret", () => {
    writeDebianLikeConfigDir(dir, { python: true });
    const plan = planInstall(options(dir, "python", { pythonPluginPath: fakePythonPlugin }));
    const text = renderPlan(plan, { dryRun: true });
    expect(text).not.to.include(SECRET);
    expect(text).not.to.include(webhookBearerToken(SECRET));
    expect(text).to.include("[redacted]");
    expect(text).to.include("--dry-run: nothing was written.");
    expect(text).to.match(/modify .*python\.json \(backup: .*python\.json\.radz-backup\)/);
    expect(existsSync(join(dir, "radz-hook.py"))).to.equal(false);

    // The diff for orthanc.json, applied by GNU patch to a copy, gives the planned file.
    const modified = plan.files.find((f) => f.name === "orthanc.json")!;
    const diffStart = text.indexOf(`==> changes to ${join(dir, "orthanc.json")}`);
    const diff = text.slice(
      text.indexOf("\n", diffStart) + 1,
      text.indexOf("\n==> ", diffStart + 1) + 1,
    );
    const copy = join(work, "orthanc.copy.json");
    writeFileSync(copy, modified.before!);
    const r = spawnSync("patch", ["-s", copy], { input: diff, encoding: "utf8" });
    expect(r.status, r.stderr + r.stdout).to.equal(0);
    expect(readFileSync(copy, "utf8")).to.equal(modified.after);
  });
});
