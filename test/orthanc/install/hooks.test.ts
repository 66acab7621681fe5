/**
 * The hook scripts outside Orthanc: the Python hook run by python3 against a
 * stub `orthanc` module, pushing to a fake RadZ that checks each signature
 * with the service's own verifyWebhook; the Lua literal encoder; the Explorer
 * panel's syntax. Orthanc itself runs them in install.int.test.ts.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Script } from "node:vm";
import { expect } from "chai";
import { ReplayGuard, verifyWebhook } from "../../../src/security/webhook-auth.js";
import {
  EXPLORER_MARKER,
  explorerPanelScript,
  luaHookScript,
  pythonHookScript,
} from "../../../src/orthanc/install/index.js";
import { luaString } from "../../../src/orthanc/install/lua-hook.js";
import { startFakeServer, type FakeServer } from "../../helpers/http.js";

const SECRET = "python-hook-test-secret-0123456789";
const STUDY = "0a1b2c3d-0a1b2c3d-0a1b2c3d-0a1b2c3d-0a1b2c3d";
const EXPLORER = {
  worklistUrl: "http://127.0.0.1:8700/worklist",
  metadata: {
    priority: "RadzPriority",
    findings: "RadzFindings",
    status: "RadzStatus",
    result: "RadzResult",
  },
  labelPrefix: "ai-",
};

const STUB_ORTHANC = `
class ChangeType:
    NEW_INSTANCE = 1
    STABLE_STUDY = 7
registered = {}
def RegisterOnChangeCallback(cb): registered["change"] = cb
def RegisterRestCallback(uri, cb): registered["rest"] = (uri, cb)
def ExtendOrthancExplorer(js): registered["js"] = js
def LogWarning(m): print("WARNING " + m, flush=True)
def LogError(m): print("ERROR " + m, flush=True)
`;

const DRIVER = `
import json, runpy, sys
sys.path.insert(0, sys.argv[1])
import orthanc
hook = runpy.run_path(sys.argv[2])
change = orthanc.registered["change"]
change(orthanc.ChangeType.NEW_INSTANCE, 0, "ffffffff-ffffffff-ffffffff-ffffffff-ffffffff")
change(orthanc.ChangeType.STABLE_STUDY, 0, sys.argv[3])
class Output:
    def AnswerBuffer(self, body, mime): print("ROUTE " + mime + " " + body, flush=True)
    def SendMethodNotAllowed(self, allowed): print("ROUTE 405 " + allowed, flush=True)
uri, route = orthanc.registered["rest"]
route(Output(), uri, method="GET")
route(Output(), uri, method="POST")
print("EXPLORER " + str(len(orthanc.registered["js"])), flush=True)
hook["_radz_pending"].join()
print("DONE", flush=True)
`;

function runPython(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn("python3", args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr.on("data", (c: Buffer) => (out += c.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

describe("orthanc/install hooks", function () {
  this.timeout(30_000);
  let work: string;
  let radz: FakeServer;

  beforeEach(async () => {
    work = mkdtempSync(join(tmpdir(), "radz-hooks-"));
    writeFileSync(join(work, "orthanc.py"), STUB_ORTHANC);
    writeFileSync(join(work, "driver.py"), DRIVER);
    radz = await startFakeServer();
  });
  afterEach(async () => {
    await radz.close();
    rmSync(work, { recursive: true, force: true });
  });

  async function runHook(): Promise<string> {
    const hook = join(work, "radz-hook.py");
    writeFileSync(
      hook,
      pythonHookScript({
        webhookUrl: `${radz.url}/webhook/orthanc`,
        secret: SECRET,
        version: "0.1.0-test",
        explorer: EXPLORER,
        timeoutSeconds: 2,
      }),
    );
    const r = await runPython([join(work, "driver.py"), work, hook, STUDY]);
    expect(r.code, r.out).to.equal(0);
    return r.out;
  }

  it("Python: pushes only StableStudy, signed so that RadZ's verifyWebhook accepts it", async () => {
    const guard = new ReplayGuard();
    radz.handler = (req, res, body) => {
      verifyWebhook(
        { headers: req.headers, body },
        { secret: SECRET, maxSkewSeconds: 300, acceptBearer: false, replayGuard: guard },
      );
      res.writeHead(202, { "content-type": "application/json" }).end('{"accepted":true}');
    };
    const out = await runHook();
    expect(radz.requests).to.have.length(1);
    const req = radz.requests[0]!;
    expect(req.method).to.equal("POST");
    expect(req.url).to.equal("/webhook/orthanc");
    expect(JSON.parse(req.body.toString())).to.deep.equal({ ChangeType: "StableStudy", ID: STUDY });
    expect(req.headers["x-radz-hook"]).to.equal("python/0.1.0-test");
    expect(req.headers.authorization).to.equal(undefined);
    // GET /radz/hook tells doctor the hook is loaded (no secret in it); other methods: 405.
    const route = /ROUTE application\/json (.*)/.exec(out)![1]!;
    expect(JSON.parse(route)).to.include({ hook: "python", version: "0.1.0-test" });
    expect(route).not.to.include(SECRET);
    expect(out).to.include("ROUTE 405 GET");
    expect(out).to.match(/EXPLORER \d{3,}/);
    expect(out).to.include("DONE");
  });

  it("Python: retries a 5xx with a fresh signature, and gives up at once on a 4xx", async () => {
    let calls = 0;
    radz.handler = (_req, res) => {
      calls++;
      res.writeHead(calls === 1 ? 503 : 202).end("{}");
    };
    await runHook();
    expect(radz.requests).to.have.length(2);
    const [a, b] = radz.requests;
    expect(a!.headers["x-radz-signature"]).not.to.equal(b!.headers["x-radz-signature"]);

    radz.requests.length = 0;
    radz.handler = (_req, res) => res.writeHead(401).end("{}");
    const out = await runHook();
    expect(radz.requests).to.have.length(1);
    expect(out).to.match(
      /push for study .* refused \(HTTP 401\); the polling feed will pick it up/,
    );
  });

  it("Python: a RadZ that is down costs Orthanc nothing but a warning", async () => {
    await radz.close();
    const out = await runHook();
    expect(out).to.match(/push for study .* failed \(\w+\); the polling feed will pick it up/);
  });

  it("Lua: string literals escape quotes and control characters; the script embeds the token and URL", () => {
    expect(luaString('a"b\\c\n')).to.equal('"a\\"b\\\\c\\010"');
    expect(() => luaString("é")).to.throw(TypeError);
    const lua = luaHookScript({
      webhookUrl: "http://127.0.0.1:8700/webhook/orthanc",
      bearerToken: "ab".repeat(32),
      version: "1.2.3",
    });
    expect(lua).to.include(`local radzAuthorization = "Bearer ${"ab".repeat(32)}"`);
    expect(lua).to.include("if SetHttpTimeout then SetHttpTimeout(2) end");
    expect(lua).to.match(/function OnStableStudy\(studyId, tags, metadata\)/);
    expect(() =>
      luaHookScript({ webhookUrl: "x", bearerToken: "not hex!", version: "1" }),
    ).to.throw(TypeError);
  });

  it("Explorer panel: valid JavaScript, settings as JSON, text inserted with .text()", () => {
    const js = explorerPanelScript({ ...EXPLORER, worklistUrl: 'http://x/"</script>' });
    expect(() => new Script(js, { filename: "explorer-panel.js" })).not.to.throw();
    expect(js).to.include(EXPLORER_MARKER);
    expect(js).to.include(JSON.stringify('http://x/"</script>'));
    expect(js).not.to.match(/\.html\(/);
  });
});
