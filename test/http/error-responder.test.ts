import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { expect } from "chai";
import express from "express";
import { RadzError } from "../../src/errors.js";
import { errorResponder, requestError } from "../../src/http/error-responder.js";
import { silentLogger } from "../../src/observability/index.js";

describe("http/error-responder", () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
  });

  async function serve(app: express.Express): Promise<string> {
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, "127.0.0.1", () => resolve(s));
    });
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  it("answers with the status of the error's code, whatever its message says", async () => {
    const app = express();
    app.get("/a", () => {
      throw new RadzError("INPUT_INVALID", "no such route");
    });
    app.get("/b", () => {
      throw new RadzError("JOB_NOT_FOUND", "malformed request");
    });
    app.get("/c", () => {
      throw new Error("boom");
    });
    const seen: string[] = [];
    app.use(
      errorResponder({
        logger: silentLogger(),
        logMessage: "test",
        onError: (e, from) => seen.push(`${e.code}:${from.parser}`),
      }),
    );
    const base = await serve(app);
    const a = await fetch(`${base}/a`);
    expect(a.status).to.equal(400);
    expect(await a.json()).to.deep.equal({
      error: { code: "INPUT_INVALID", message: "no such route" },
    });
    expect((await fetch(`${base}/b`)).status).to.equal(404);
    const c = await fetch(`${base}/c`);
    expect(c.status).to.equal(500);
    expect(((await c.json()) as { error: { code: string } }).error.code).to.equal("INTERNAL");
    expect(seen).to.deep.equal(["INPUT_INVALID:false", "JOB_NOT_FOUND:false", "INTERNAL:false"]);
  });

  it("maps body-parser refusals by their type: too large -> 413, malformed -> 400", async () => {
    const app = express();
    app.post("/j", express.json({ limit: 16 }), (_req, res) => {
      res.json({ ok: true });
    });
    const seen: string[] = [];
    app.use(
      errorResponder({
        logger: silentLogger(),
        logMessage: "test",
        onError: (e, from) => seen.push(`${e.code}:${from.parser}`),
      }),
    );
    const base = await serve(app);
    const post = (body: string) =>
      fetch(`${base}/j`, { method: "POST", body, headers: { "content-type": "application/json" } });
    const big = await post(JSON.stringify({ pad: "x".repeat(100) }));
    expect(big.status).to.equal(413);
    expect(await big.json()).to.deep.equal({
      error: { code: "INPUT_TOO_LARGE", message: "request body larger than 16 bytes" },
    });
    const bad = await post("{nope");
    expect(bad.status).to.equal(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).to.equal(
      "INPUT_INVALID",
    );
    expect(seen).to.deep.equal(["INPUT_TOO_LARGE:true", "INPUT_INVALID:true"]);
  });

  it("requestError keeps a RadzError as it is", () => {
    const e = new RadzError("AUTH_FORBIDDEN", "x");
    expect(requestError(e)).to.equal(e);
  });
});
