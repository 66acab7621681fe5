import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { pathToFileURL } from "node:url";
import { mkdirSync } from "node:fs";
import {
  orthancPreviewSource,
  uiAssets,
  type PreviewSource,
} from "../../../src/http/routes/index.js";
import { SqliteJobStore } from "../../../src/jobs/index.js";
import { reportUids } from "../../../src/report/index.js";
import { startFakeServer } from "../../helpers/http.js";
import { STUDY_IDS, completeNext, result, startApi } from "./helpers.js";

const PNG = Buffer.from("89504e470d0a1a0a0000000d49484452", "hex");
const INSTANCE = "abcdef01-23456789-abcdef01-23456789-abcdef01";

describe("http/routes preview", () => {
  it("orthancPreviewSource finds the instance by SOP Instance UID and proxies Orthanc's preview", async () => {
    const orthanc = await startFakeServer((req, res, body) => {
      if (req.method === "POST" && req.url === "/tools/lookup") {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(
          JSON.stringify(
            body.toString() === "2.25.100" ? [{ ID: INSTANCE, Type: "Instance", Path: "/x" }] : [],
          ),
        );
      } else if (req.method === "GET" && req.url === `/instances/${INSTANCE}/preview`) {
        res.writeHead(200, { "content-type": "image/png" });
        res.end(PNG);
      } else {
        res.writeHead(404);
        res.end();
      }
    });
    try {
      const source = orthancPreviewSource({
        url: `${orthanc.url}/`,
        http: { fetch: (u, i) => fetch(u, i), headers: { Authorization: "Basic cmFkejpwdw==" } },
        timeoutMs: 5_000,
      });
      const image = await source.preview("2.25.100");
      expect(image?.contentType).to.equal("image/png");
      expect(Buffer.from(image!.body).equals(PNG)).to.equal(true);
      expect(
        orthanc.requests.every((r) => r.headers.authorization === "Basic cmFkejpwdw=="),
      ).to.equal(true);
      expect(await source.preview("2.25.999")).to.equal(null);
      let refused = false;
      await source.preview("../../etc/passwd").catch(() => (refused = true));
      expect(refused).to.equal(true);
      expect(orthanc.requests.map((r) => r.url)).to.deep.equal([
        "/tools/lookup",
        `/instances/${INSTANCE}/preview`,
        "/tools/lookup",
      ]);
    } finally {
      await orthanc.close();
    }
  });

  it("GET /api/studies/:id/preview serves the image of the job's own instance", async () => {
    const store = new SqliteJobStore({ path: ":memory:" });
    const asked: string[] = [];
    const preview: PreviewSource = {
      async preview(uid) {
        asked.push(uid);
        return uid === "2.25.55" ? { contentType: "image/png", body: PNG } : null;
      },
    };
    store.enqueue(STUDY_IDS[0], "changes");
    store.enqueue(STUDY_IDS[1], "changes");
    completeNext(
      store,
      STUDY_IDS[0],
      // A recorded summary image wins over the images read.
      {
        ...result("urgent", { pneumothorax: 0.9 }),
        summary: { sopInstanceUid: "2.25.55" },
      } as never,
      Date.now(),
    );
    completeNext(store, STUDY_IDS[1], result("routine", {}, { images: ["2.25.77"] }), Date.now());
    const api = await startApi(store, { preview });
    try {
      const res = await api.fetch(`/api/studies/${STUDY_IDS[0]}/preview`);
      expect(res.status).to.equal(200);
      expect(res.headers.get("content-type")).to.equal("image/png");
      expect(Buffer.from(await res.arrayBuffer()).equals(PNG)).to.equal(true);
      expect((await api.fetch(`/api/studies/${STUDY_IDS[1]}/preview`)).status).to.equal(404);
      // Without a recorded summary: the summary UID the report module derives, then the image read.
      const second = store.getByStudy(STUDY_IDS[1])!.result!;
      const derived = reportUids(second.studyInstanceUid, second.model).summarySopInstanceUid;
      expect(asked).to.deep.equal(["2.25.55", derived, "2.25.77"]);
      expect((await api.fetch(`/api/studies/${STUDY_IDS[2]}/preview`)).status).to.equal(404);
      expect(
        (await api.fetch(`/api/studies/${STUDY_IDS[0]}/preview`, { token: null })).status,
      ).to.equal(401);
    } finally {
      await api.close();
      store.close();
    }
  });
});

describe("http/routes ui (the worklist page's files)", () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), "radz-ui-"))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("serves the page without a token, with a strict CSP and no inline script or style", async () => {
    const store = new SqliteJobStore({ path: ":memory:" });
    const api = await startApi(store);
    try {
      for (const path of ["/", "/worklist"]) {
        const res = await api.fetch(path, { token: null });
        expect(res.status, path).to.equal(200);
        expect(res.headers.get("content-type")).to.match(/^text\/html/);
        const csp = res.headers.get("content-security-policy") ?? "";
        expect(csp).to.include("script-src 'self'");
        expect(csp).to.not.include("unsafe-inline");
        const html = await res.text();
        expect(html).to.include('<script type="module" src="/ui/worklist.js"></script>');
        expect(html).to.not.match(/<script(?![^>]*\bsrc=)[^>]*>/i);
        expect(html).to.not.match(/\son[a-z]+\s*=/i);
        expect(html).to.not.match(/\sstyle\s*=/i);
        expect(html).to.not.match(/https?:\/\//i); // no CDN
      }
      const css = await api.fetch("/ui/worklist.css", { token: null });
      expect(css.headers.get("content-type")).to.match(/^text\/css/);
      expect(await css.text()).to.include(".badge.urgent");
    } finally {
      await api.close();
      store.close();
    }
  });

  it("serves the browser modules as valid ES modules compiled from src/ui, and nothing else", async () => {
    const store = new SqliteJobStore({ path: ":memory:" });
    const api = await startApi(store);
    try {
      for (const name of ["worklist.js", "format.js"]) {
        const res = await api.fetch(`/ui/${name}`, { token: null });
        expect(res.status, name).to.equal(200);
        expect(res.headers.get("content-type")).to.match(/^text\/javascript/);
        const js = await res.text();
        expect(js).to.not.match(/\bimport type\b|: UiElement\b/);
        const file = join(dir, name.replace(".js", ".mjs"));
        writeFileSync(file, js);
        execFileSync(process.execPath, ["--check", file]); // throws on a syntax error
      }
      const worklist = await (await api.fetch("/ui/worklist.js", { token: null })).text();
      expect(worklist).to.include('from "./format.js"');
      expect(worklist).to.include("EventSource");
      for (const bad of ["/ui/nope.js", "/ui/..%2Fapp.js", "/ui/worklist.ts", "/ui/Worklist.js"]) {
        expect((await api.fetch(bad, { token: null })).status, bad).to.equal(404);
      }
    } finally {
      await api.close();
      store.close();
    }
  });

  it("can be switched off (ui.enabled false)", async () => {
    const store = new SqliteJobStore({ path: ":memory:" });
    const api = await startApi(store, { ui: { enabled: false } });
    try {
      expect((await api.fetch("/", { token: null })).status).to.not.equal(200);
      expect((await api.fetch("/ui/worklist.js")).status).to.equal(404);
    } finally {
      await api.close();
      store.close();
    }
  });
});

describe("http/routes ui assets in a compiled install (dist/)", () => {
  it("reads HTML/CSS from src/ui and the modules tsc emitted into dist/ui", async () => {
    const root = mkdtempSync(join(tmpdir(), "radz-dist-"));
    try {
      mkdirSync(join(root, "dist/http/routes"), { recursive: true });
      mkdirSync(join(root, "dist/ui"), { recursive: true });
      mkdirSync(join(root, "src/ui"), { recursive: true });
      writeFileSync(join(root, "src/ui/worklist.html"), "<p>page</p>");
      writeFileSync(join(root, "src/ui/worklist.css"), "p{}");
      writeFileSync(join(root, "src/ui/worklist.ts"), "not used in dist mode");
      writeFileSync(join(root, "dist/ui/worklist.js"), "export const compiled = true;");
      const assets = uiAssets(pathToFileURL(join(root, "dist/http/routes/ui.js")).href);
      expect(await assets.page()).to.equal("<p>page</p>");
      expect(await assets.stylesheet()).to.equal("p{}");
      expect(await assets.module("worklist.js")).to.equal("export const compiled = true;");
      expect(await assets.module("format.js")).to.equal(null);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
