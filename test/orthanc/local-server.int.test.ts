import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "chai";
import { RadzError } from "../../src/errors.js";
import { OrthancClient, startLocalOrthanc } from "../../src/orthanc/index.js";
import { makeTestInstance } from "../helpers/orthanc.js";
import { waitFor } from "../helpers/wait.js";

const REPO = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("orthanc/local-server (real Orthanc)", function () {
  this.timeout(60_000);

  it("starts on free loopback ports with the DICOMweb plugin, and stop() removes everything", async () => {
    const orthanc = await startLocalOrthanc({ stableAgeSeconds: 3 });
    const pid = orthanc.process.pid ?? -1;
    try {
      expect(orthanc.httpPort).to.not.equal(orthanc.dicomPort);
      expect(orthanc.url).to.equal(`http://127.0.0.1:${orthanc.httpPort}`);
      expect(orthanc.dicomwebUrl).to.equal(`${orthanc.url}/dicom-web`);
      const config = JSON.parse(readFileSync(orthanc.configPath, "utf8")) as Record<
        string,
        unknown
      >;
      expect(config).to.include({
        StableAge: 3,
        RemoteAccessAllowed: false,
        AuthenticationEnabled: false,
      });
      expect(config.Plugins).to.be.an("array").with.length(1);
      const system = await new OrthancClient({ url: orthanc.url, timeoutMs: 5000 }).system();
      expect(system.dicomWebPlugin).to.equal(true);
      const qido = await fetch(`${orthanc.dicomwebUrl}/studies`, {
        headers: { Accept: "application/dicom+json" },
      });
      expect(qido.status).to.equal(200);
      await qido.arrayBuffer();
    } finally {
      await orthanc.stop();
    }
    expect(alive(pid)).to.equal(false);
    expect(existsSync(orthanc.configPath)).to.equal(false);
    expect(existsSync(orthanc.storageDir)).to.equal(false);
    await orthanc.stop(); // idempotent
  });

  it("keeps a caller's storage across restart() and after stop()", async () => {
    const storageDir = mkdtempSync(join(tmpdir(), "radz-test-"));
    const orthanc = await startLocalOrthanc({ storageDir, dicomWeb: false });
    try {
      const client = new OrthancClient({ url: orthanc.url, timeoutMs: 5000 });
      const up = await client.uploadInstance(makeTestInstance().bytes);
      const firstPid = orthanc.process.pid;
      await orthanc.restart();
      expect(orthanc.process.pid).to.not.equal(firstPid);
      expect(await client.listStudies()).to.deep.equal([up.parentStudy]);
      expect((await client.system()).dicomWebPlugin).to.equal(false);
    } finally {
      await orthanc.stop();
    }
    expect(existsSync(storageDir)).to.equal(true);
    rmSync(storageDir, { recursive: true, force: true });
  });

  it("enables HTTP Basic authentication when given credentials", async () => {
    const orthanc = await startLocalOrthanc({ username: "radz", password: "pw", dicomWeb: false });
    try {
      const anonymous = await fetch(`${orthanc.url}/system`);
      await anonymous.arrayBuffer();
      expect(anonymous.status).to.equal(401);
      const client = new OrthancClient({
        url: orthanc.url,
        username: "radz",
        password: "pw",
        timeoutMs: 5000,
      });
      expect((await client.system()).version).to.be.a("string");
    } finally {
      await orthanc.stop();
    }
  });

  it("reports a missing Orthanc or plugin as DEMO_ORTHANC_MISSING with the install command", async () => {
    for (const opts of [
      { orthancBinary: "/nonexistent/Orthanc" },
      { dicomWebPluginPath: "/nonexistent/libOrthancDicomWeb.so" },
    ]) {
      try {
        await startLocalOrthanc(opts);
        expect.fail("should have thrown");
      } catch (err) {
        expect(err).to.be.instanceOf(RadzError);
        expect((err as RadzError).code).to.equal("DEMO_ORTHANC_MISSING");
        expect((err as RadzError).message).to.contain(
          "sudo apt-get install -y orthanc orthanc-dicomweb",
        );
      }
    }
  });

  it("does not outlive its Node process, even when Node is SIGKILLed", async () => {
    const script = [
      `import { startLocalOrthanc } from ${JSON.stringify(join(REPO, "src/orthanc/index.ts"))};`,
      `const o = await startLocalOrthanc({ dicomWeb: false });`,
      `console.log(JSON.stringify({ pid: o.process.pid, storageDir: o.storageDir }));`,
      `setInterval(() => {}, 1000);`,
    ].join("\n");
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "--input-type=module", "-e", script],
      {
        cwd: REPO,
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    const line = await new Promise<string>((resolve, reject) => {
      let out = "";
      child.stdout.on("data", (d: Buffer) => {
        out += d.toString();
        if (out.includes("\n")) resolve(out.trim());
      });
      child.once("exit", (code) => reject(new Error(`helper exited early (${code})`)));
    });
    const { pid, storageDir } = JSON.parse(line) as { pid: number; storageDir: string };
    expect(alive(pid)).to.equal(true);
    child.kill("SIGKILL");
    await waitFor(() => !alive(pid), 5_000, "Orthanc to exit after its parent died", 50);
    rmSync(dirname(storageDir), { recursive: true, force: true });
  });
});
