/**
 * The `radz orthanc` commands as a user runs them (a child process): --dry-run
 * prints and writes nothing; install then uninstall leaves Orthanc's
 * configuration directory byte-identical; the secret never reaches stdout.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { snapshotDir, writeDebianLikeConfigDir } from "./fixtures.js";

const SECRET = "cli-test-webhook-secret-0123456789abcdef";

function radz(args: string[], env: Record<string, string> = {}) {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith("RADZ_")),
  );
  const r = spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], {
    encoding: "utf8",
    env: { ...clean, ...env },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("radz orthanc install / uninstall (CLI)", function () {
  this.timeout(60_000);
  let work: string;
  let etc: string;

  beforeEach(() => {
    work = mkdtempSync(join(tmpdir(), "radz-install-cli-"));
    etc = join(work, "etc");
    writeDebianLikeConfigDir(etc);
  });
  afterEach(() => rmSync(work, { recursive: true, force: true }));

  it("--dry-run prints the new hook and the diff, writes nothing, never shows the secret", () => {
    const before = snapshotDir(etc);
    const r = radz(["orthanc", "install", "--orthanc-config-dir", etc, "--dry-run"], {
      RADZ_INTAKE__WEBHOOK_SECRET: SECRET,
    });
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.include(`create ${join(etc, "radz-hook.lua")}`);
    expect(r.stdout).to.include(`+    "${join(etc, "radz-hook.lua")}"`);
    expect(r.stdout).to.include("--dry-run: nothing was written.");
    expect(r.stdout).not.to.include(SECRET);
    expect(snapshotDir(etc)).to.deep.equal(before);
  });

  it("install then uninstall leaves the directory byte-identical", () => {
    const before = snapshotDir(etc);
    const config = join(work, "radz.json");
    writeFileSync(config, JSON.stringify({ http: { port: 8711 } }));
    const install = radz(["orthanc", "install", "--orthanc-config-dir", etc, "-c", config], {
      RADZ_INTAKE__WEBHOOK_SECRET: SECRET,
    });
    expect(install.status, install.stderr).to.equal(0);
    expect(install.stdout).to.include("Installed.");
    expect(readFileSync(join(etc, "radz-hook.lua"), "utf8")).to.include(
      '"http://127.0.0.1:8711/webhook/orthanc"',
    );
    expect(existsSync(join(etc, "orthanc.json.radz-backup"))).to.equal(true);
    expect(snapshotDir(etc)).not.to.deep.equal(before);

    const uninstall = radz(["orthanc", "uninstall", "--orthanc-config-dir", etc]);
    expect(uninstall.status, uninstall.stderr).to.equal(0);
    expect(uninstall.stdout).to.include("restore orthanc.json from orthanc.json.radz-backup");
    expect(snapshotDir(etc)).to.deep.equal(before);
  });

  it("refuses to install without intake.webhookSecret", () => {
    const none = radz(["orthanc", "install", "--orthanc-config-dir", etc]);
    expect(none.status).to.equal(1);
    expect(none.stderr).to.match(/INPUT_INVALID: set intake\.webhookSecret first/);
  });
});
