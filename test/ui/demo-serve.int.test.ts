/**
 * `radz demo --serve`: processes the synthetic studies, then keeps running and
 * prints a worklist URL whose fragment logs a browser in; Ctrl-C stops it.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { expect } from "chai";
import { waitFor } from "../helpers/wait.js";

describe("radz demo --serve", function () {
  this.timeout(180_000);
  let child: ChildProcess | null = null;
  after(() => {
    if (child && child.exitCode === null) child.kill("SIGKILL");
  });

  it("prints a worklist URL that logs in, serves the studies, and stops cleanly on SIGINT", async () => {
    child = spawn(
      process.execPath,
      ["--import", "tsx", "src/cli/main.ts", "demo", "--count", "2", "--size", "256", "--serve"],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    const proc = child;
    let out = "";
    proc.stdout?.on("data", (c: Buffer) => (out += c.toString()));
    proc.stderr?.resume();
    const exited = new Promise<number | null>((resolve) =>
      proc.once("exit", (code) => resolve(code)),
    );
    await waitFor(
      () => {
        if (proc.exitCode !== null) throw new Error(`radz demo exited:\n${out}`);
        return /^Worklist: (\S+)$/m.test(out);
      },
      150_000,
      `the worklist URL (output so far:\n${out})`,
      100,
    );
    const url = new URL(/^Worklist: (\S+)$/m.exec(out)![1]!);
    const token = /^#login=(.+)$/.exec(url.hash)?.[1];
    expect(token, "a login token in the fragment").to.match(/^radz_[A-Za-z0-9_-]+$/);
    expect(url.hostname).to.equal("127.0.0.1");

    const page = await fetch(new URL("/", url));
    expect(page.status).to.equal(200);
    expect((await fetch(new URL("/api/studies", url))).status).to.equal(401);
    const login = await fetch(new URL("/api/session", url), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ token }),
    });
    expect(login.status).to.equal(200);
    const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0]!;
    const studies = (await (
      await fetch(new URL("/api/studies", url), { headers: { cookie } })
    ).json()) as { studies: { state: string }[] };
    expect(studies.studies.map((s) => s.state)).to.deep.equal(["done", "done"]);

    proc.kill("SIGINT");
    expect(await exited).to.equal(0); // the process is gone, and its listening socket with it
    const stillUp = await fetch(new URL("/healthz", url)).then(
      () => true,
      () => false,
    );
    expect(stillUp, "the service stopped").to.equal(false);
  });
});
