/**
 * Outbound requests never follow redirects: a DICOMweb or Orthanc server (or
 * something in between) answering 3xx must not make RadZ re-send its
 * credentials or custom headers to another address, nor loop. Covers the
 * global fetch (Orthanc REST, QIDO-RS), node:http (WADO-RS) and xhr2
 * (STOW-RS, which on its own follows every redirect with every header).
 */
import { expect } from "chai";
import { DicomWebClient } from "../../src/dicomweb/index.js";
import { RadzError } from "../../src/errors.js";
import { OrthancClient } from "../../src/orthanc/index.js";
import { createOutboundHttp } from "../../src/security/index.js";
import { startFakeServer, type FakeServer } from "../helpers/http.js";
import { makeTestInstance } from "../helpers/orthanc.js";

describe("security: outbound requests do not follow redirects", function () {
  this.timeout(20_000);
  let victim: FakeServer;
  let redirector: FakeServer;
  const instance = makeTestInstance({ rows: 8, columns: 8 });
  const http = createOutboundHttp({
    auth: { bearerToken: "outbound-secret", headers: { "X-Site-Key": "site-secret" } },
  });

  before(async () => {
    victim = await startFakeServer((_req, res) => res.end("{}"));
    redirector = await startFakeServer((req, res) => {
      res.writeHead(req.url?.includes("loop") ? 307 : 302, {
        Location: req.url?.includes("loop") ? req.url : `${victim.url}/stolen${req.url ?? ""}`,
      });
      res.end();
    });
  });
  after(async () => {
    http.close();
    await victim.close();
    await redirector.close();
  });

  async function code(p: Promise<unknown>): Promise<string> {
    const started = Date.now();
    const e = await p.then(
      () => null,
      (err: unknown) => err,
    );
    expect(Date.now() - started, "refused at once, not after a timeout").to.be.lessThan(3_000);
    expect(e, "expected a RadzError").to.be.instanceOf(RadzError);
    return (e as RadzError).code;
  }

  it("Orthanc REST, QIDO-RS, WADO-RS and STOW-RS refuse the redirect; nothing reaches the other host", async () => {
    const orthanc = new OrthancClient({ url: redirector.url, http, timeoutMs: 5_000 });
    expect(await code(orthanc.system())).to.equal("ORTHANC_HTTP_ERROR");
    const dw = new DicomWebClient({
      url: `${redirector.url}/dicom-web`,
      http,
      timeoutMs: 5_000,
      maxInstanceBytes: 1 << 20,
    });
    expect(await code(dw.searchForInstances(instance.studyInstanceUid))).to.equal(
      "DICOMWEB_BAD_RESPONSE",
    );
    expect(
      await code(
        dw.retrieveInstance(
          instance.studyInstanceUid,
          instance.seriesInstanceUid,
          instance.sopInstanceUid,
        ),
      ),
    ).to.equal("DICOMWEB_BAD_RESPONSE");
    expect(await code(dw.storeInstances([instance.bytes], instance.studyInstanceUid))).to.equal(
      "DICOMWEB_BAD_RESPONSE",
    );
    expect(victim.requests).to.deep.equal([]);
    // The redirector saw each request once, with the credentials meant for it.
    expect(redirector.requests.length).to.be.at.least(4);
    for (const r of redirector.requests)
      expect(r.headers.authorization).to.equal("Bearer outbound-secret");
  });

  it("a redirect loop on STOW-RS ends at once", async () => {
    const dw = new DicomWebClient({
      url: `${redirector.url}/loop/dicom-web`,
      http,
      timeoutMs: 5_000,
      maxInstanceBytes: 1 << 20,
    });
    const before = redirector.requests.length;
    expect(await code(dw.storeInstances([instance.bytes]))).to.equal("DICOMWEB_BAD_RESPONSE");
    expect(redirector.requests.length - before).to.equal(1);
  });
});
