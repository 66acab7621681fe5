/**
 * Retry-After from 429/503 answers reaches the job runner as
 * details.retryAfterMs, from every client: QIDO-RS, WADO-RS, STOW-RS and
 * Orthanc REST (fake servers, no Orthanc needed).
 */
import { expect } from "chai";
import { DicomWebClient } from "../../src/dicomweb/index.js";
import { RadzError, parseRetryAfter, retryAfterMs } from "../../src/errors.js";
import { OrthancClient } from "../../src/orthanc/index.js";
import { startFakeServer, type FakeServer } from "../helpers/http.js";
import { makeTestInstance } from "../helpers/orthanc.js";

async function rejection(p: Promise<unknown>): Promise<RadzError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof RadzError) return err;
    throw err;
  }
  throw new Error("expected a rejection");
}

describe("reliability: Retry-After", () => {
  it("parses delay-seconds and HTTP dates; ignores junk", () => {
    expect(parseRetryAfter("120")).to.equal(120_000);
    expect(parseRetryAfter(" 0 ")).to.equal(0);
    const now = Date.parse("2024-01-01T00:00:00Z");
    expect(parseRetryAfter("Mon, 01 Jan 2024 00:00:30 GMT", now)).to.equal(30_000);
    expect(parseRetryAfter("Sun, 31 Dec 2023 23:00:00 GMT", now)).to.equal(0);
    expect(parseRetryAfter("soon")).to.equal(undefined);
    expect(parseRetryAfter(null)).to.equal(undefined);
    expect(retryAfterMs(new RadzError("INTERNAL", "x", { details: { retryAfterMs: 5 } }))).to.equal(
      5,
    );
    expect(retryAfterMs(new RadzError("INTERNAL", "x"))).to.equal(undefined);
    expect(retryAfterMs(new Error("x"))).to.equal(undefined);
  });

  describe("from the clients", () => {
    let server: FakeServer;
    before(async () => {
      server = await startFakeServer((_req, res) => {
        res.writeHead(429, { "content-type": "application/json", "retry-after": "7" });
        res.end("{}");
      });
    });
    after(() => server.close());

    const uid = "1.2.3";
    const dicomweb = () =>
      new DicomWebClient({
        url: `${server.url}/dicom-web`,
        timeoutMs: 5_000,
        maxInstanceBytes: 1e6,
      });

    it("QIDO-RS", async () => {
      const e = await rejection(dicomweb().searchForInstances(uid));
      expect(e.code).to.equal("DICOMWEB_HTTP_ERROR");
      expect(retryAfterMs(e)).to.equal(7_000);
    });

    it("WADO-RS", async () => {
      const e = await rejection(dicomweb().retrieveInstance(uid, uid, uid));
      expect(e.code).to.equal("DICOMWEB_HTTP_ERROR");
      expect(retryAfterMs(e)).to.equal(7_000);
    });

    it("STOW-RS", async () => {
      const e = await rejection(dicomweb().storeInstances([makeTestInstance().bytes], uid));
      expect(e.code).to.equal("DICOMWEB_HTTP_ERROR");
      expect(retryAfterMs(e)).to.equal(7_000);
    });

    it("Orthanc REST", async () => {
      const e = await rejection(
        new OrthancClient({ url: server.url, timeoutMs: 5_000 }).lastChange(),
      );
      expect(e.code).to.equal("ORTHANC_HTTP_ERROR");
      expect(retryAfterMs(e)).to.equal(7_000);
    });

    it("a 503 without Retry-After carries none", async () => {
      server.handler = (_req, res) => {
        res.writeHead(503);
        res.end();
      };
      const e = await rejection(dicomweb().searchForInstances(uid));
      expect(e.code).to.equal("DICOMWEB_HTTP_ERROR");
      expect(retryAfterMs(e)).to.equal(undefined);
    });
  });
});
