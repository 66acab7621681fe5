/**
 * Outbound authentication and TLS through the one shared transport
 * (security/outbound.ts) for every client: OrthancClient (fetch),
 * DicomWebClient QIDO-RS (fetch), WADO-RS (node:https) and STOW-RS
 * (dicomweb-client + xhr2), against a local HTTPS server that requires a
 * client certificate signed by its own CA (mutual TLS).
 */
import { rmSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import type { TLSSocket } from "node:tls";
import { expect } from "chai";
import { loadConfig } from "../../src/config/index.js";
import { DicomWebClient } from "../../src/dicomweb/index.js";
import { RadzError } from "../../src/errors.js";
import { OrthancClient } from "../../src/orthanc/index.js";
import {
  createOutboundHttp,
  dicomwebOutboundOptions,
  loadTlsFiles,
  orthancOutboundOptions,
  outboundFromConfig,
  type OutboundHttp,
} from "../../src/security/index.js";
import { makeTestInstance } from "../helpers/orthanc.js";
import { hasOpenssl, makeTestPki, type TestPki } from "./pki.js";

interface Seen {
  method: string;
  url: string;
  authorization: string | undefined;
  custom: string | undefined;
  clientCn: string | undefined;
}

const INSTANCE = makeTestInstance();

function multipart(boundary: string, payload: Uint8Array): Buffer {
  return Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`),
    payload,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
}

/** A tiny Orthanc + DICOMweb impersonation. */
function answer(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
  const url = req.url ?? "";
  const json = (v: unknown, status = 200) => {
    res.writeHead(status, { "Content-Type": "application/json" });
    res.end(JSON.stringify(v));
  };
  if (url === "/system") return json({ Version: "1.12.4", ApiVersion: 24, Name: "TLS-TEST" });
  if (url === "/plugins") return json(["dicom-web"]);
  if (url === "/hang") return; // never answers
  if (url.startsWith("/dicom-web/studies/") && /\/instances(\?|$)/.test(url)) {
    return json([{ "00080018": { vr: "UI", Value: [INSTANCE.sopInstanceUid] } }]);
  }
  if (url.includes("/instances/")) {
    res.writeHead(200, {
      "Content-Type": 'multipart/related; type="application/dicom"; boundary=b0undary',
    });
    res.end(multipart("b0undary", INSTANCE.bytes));
    return;
  }
  if (req.method === "POST" && url.startsWith("/dicom-web/studies")) {
    expect(body.length).to.be.greaterThan(0);
    return json({
      "00081199": {
        vr: "SQ",
        Value: [
          {
            "00081150": { vr: "UI", Value: ["1.2.840.10008.5.1.4.1.1.1.1"] },
            "00081155": { vr: "UI", Value: [INSTANCE.sopInstanceUid] },
          },
        ],
      },
    });
  }
  json({ error: "no" }, 404);
}

describe("security/outbound: Basic, bearer, headers, custom CA and mutual TLS", function () {
  this.timeout(30_000);
  let pki: TestPki;
  let server: Server;
  let base: string;
  const seen: Seen[] = [];
  const transports: OutboundHttp[] = [];

  function transport(o: Parameters<typeof createOutboundHttp>[0]): OutboundHttp {
    const t = createOutboundHttp(o);
    transports.push(t);
    return t;
  }

  before(async function () {
    if (!hasOpenssl()) this.skip();
    pki = makeTestPki();
    server = createServer(
      {
        cert: pki.read(pki.serverCertFile),
        key: pki.read(pki.serverKeyFile),
        ca: pki.read(pki.clientCaFile),
        requestCert: true,
        rejectUnauthorized: true,
      },
      (req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => {
          const cert = (req.socket as TLSSocket).getPeerCertificate();
          seen.push({
            method: req.method ?? "",
            url: req.url ?? "",
            authorization: req.headers.authorization,
            custom: req.headers["x-site-key"] as string | undefined,
            clientCn: typeof cert.subject?.CN === "string" ? cert.subject.CN : undefined,
          });
          answer(req, res, Buffer.concat(chunks));
        });
      },
    );
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  beforeEach(() => {
    seen.length = 0;
  });

  after(async () => {
    for (const t of transports) t.close();
    if (server) {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
    if (pki) rmSync(pki.dir, { recursive: true, force: true });
  });

  function mtls(): { ca: string; cert: string; key: string } {
    return {
      ca: pki.read(pki.serverCaFile),
      cert: pki.read(pki.clientCertFile),
      key: pki.read(pki.clientKeyFile),
    };
  }

  it("OrthancClient: custom CA + client certificate + HTTP Basic", async () => {
    const http = transport({ auth: { username: "radz", password: "s3cret" }, tls: mtls() });
    const orthanc = new OrthancClient({ url: base, http, timeoutMs: 5_000 });
    const system = await orthanc.system();
    expect(system.name).to.equal("TLS-TEST");
    expect(system.dicomWebPlugin).to.equal(true);
    expect(seen.map((s) => s.url).sort()).to.deep.equal(["/plugins", "/system"]);
    for (const s of seen) {
      expect(s.clientCn).to.equal("radz-client");
      expect(s.authorization).to.equal(`Basic ${Buffer.from("radz:s3cret").toString("base64")}`);
    }
  });

  it("bearer token wins over Basic; custom headers travel; an explicit Authorization header is replaced", async () => {
    const http = transport({
      auth: {
        username: "ignored",
        bearerToken: "abc.DEF-123",
        headers: { "X-Site-Key": "k1", authorization: "Basic bogus" },
      },
      tls: mtls(),
    });
    await new OrthancClient({ url: base, http, timeoutMs: 5_000 }).system();
    expect(seen).to.have.length(2);
    for (const s of seen) {
      expect(s.authorization).to.equal("Bearer abc.DEF-123");
      expect(s.custom).to.equal("k1");
    }
  });

  it("DicomWebClient: QIDO (fetch), WADO (node:https agent) and STOW (xhr2) all use the CA, client certificate and token", async () => {
    const http = transport({ auth: { bearerToken: "dw-token" }, tls: mtls() });
    const dw = new DicomWebClient({
      url: `${base}/dicom-web`,
      http,
      timeoutMs: 5_000,
      maxInstanceBytes: 1 << 24,
    });
    const found = await dw.searchForInstances(INSTANCE.studyInstanceUid);
    expect(found).to.have.length(1);
    const bytes = await dw.retrieveInstance(
      INSTANCE.studyInstanceUid,
      INSTANCE.seriesInstanceUid,
      INSTANCE.sopInstanceUid,
    );
    expect(Buffer.from(bytes).equals(Buffer.from(INSTANCE.bytes))).to.equal(true);
    const stored = await dw.storeInstances([INSTANCE.bytes], INSTANCE.studyInstanceUid);
    expect(stored.stored).to.include(INSTANCE.sopInstanceUid);
    expect(seen.map((s) => s.method)).to.deep.equal(["GET", "GET", "POST"]);
    for (const s of seen) {
      expect(s.clientCn, s.url).to.equal("radz-client");
      expect(s.authorization, s.url).to.equal("Bearer dw-token");
    }
  });

  it("refuses a server whose certificate the configured CA did not sign (and the public roots are not used)", async () => {
    const http = transport({
      tls: {
        ca: pki.read(pki.otherCaFile),
        cert: pki.read(pki.clientCertFile),
        key: pki.read(pki.clientKeyFile),
      },
    });
    const err = await new OrthancClient({ url: base, http, timeoutMs: 5_000 }).system().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(RadzError);
    expect((err as RadzError).code).to.equal("ORTHANC_UNREACHABLE");
    expect(seen).to.have.length(0);
  });

  it("without the client certificate the server refuses the handshake (every client path)", async () => {
    const http = transport({ tls: { ca: pki.read(pki.serverCaFile) } });
    const orthanc = new OrthancClient({ url: base, http, timeoutMs: 5_000 });
    const e1 = await orthanc.system().then(
      () => null,
      (e: unknown) => e,
    );
    expect((e1 as RadzError).code).to.equal("ORTHANC_UNREACHABLE");
    const dw = new DicomWebClient({
      url: `${base}/dicom-web`,
      http,
      timeoutMs: 5_000,
      maxInstanceBytes: 1 << 24,
    });
    const e2 = await dw
      .retrieveInstance(
        INSTANCE.studyInstanceUid,
        INSTANCE.seriesInstanceUid,
        INSTANCE.sopInstanceUid,
      )
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect((e2 as RadzError).code).to.be.oneOf(["DICOMWEB_UNREACHABLE", "DICOMWEB_BAD_RESPONSE"]);
    expect(seen).to.have.length(0);
  });

  it("with Node's default trust store (no caFile) the private CA is not trusted", async () => {
    const http = transport({ auth: { bearerToken: "x" } });
    const err = await new OrthancClient({ url: base, http, timeoutMs: 5_000 }).system().then(
      () => null,
      (e: unknown) => e,
    );
    expect((err as RadzError).code).to.equal("ORTHANC_UNREACHABLE");
    expect((err as RadzError).message).to.match(/CERT|certificate|SELF_SIGNED|UNABLE/i);
  });

  it("reports a timeout through the TLS fetch as ORTHANC_TIMEOUT", async () => {
    const http = transport({ tls: mtls() });
    const client = new OrthancClient({ url: `${base}/hang#`, http, timeoutMs: 300 });
    const started = Date.now();
    const err = await client.system().then(
      () => null,
      (e: unknown) => e,
    );
    expect((err as RadzError).code).to.equal("ORTHANC_TIMEOUT");
    expect(Date.now() - started).to.be.lessThan(3_000);
  });

  describe("TLS files from the configuration", () => {
    it("loads caFile/clientCertFile/clientKeyFile and checks they form a TLS context", () => {
      const m = loadTlsFiles(
        {
          caFile: pki.serverCaFile,
          clientCertFile: pki.clientCertFile,
          clientKeyFile: pki.clientKeyFile,
        },
        "orthanc",
      );
      expect(m?.ca).to.match(/BEGIN CERTIFICATE/);
      expect(m?.key).to.match(/PRIVATE KEY/);
    });

    it("refuses a key that does not match the certificate, a lone certificate, and unreadable files", () => {
      const code = (fn: () => unknown) => {
        try {
          fn();
        } catch (e) {
          return (e as RadzError).code;
        }
        return null;
      };
      expect(
        code(() =>
          loadTlsFiles(
            { clientCertFile: pki.clientCertFile, clientKeyFile: pki.strayKeyFile },
            "orthanc",
          ),
        ),
      ).to.equal("CONFIG_INVALID");
      expect(code(() => loadTlsFiles({ clientCertFile: pki.clientCertFile }, "orthanc"))).to.equal(
        "CONFIG_INVALID",
      );
      expect(code(() => loadTlsFiles({ caFile: `${pki.dir}/missing.pem` }, "orthanc"))).to.equal(
        "SECRET_FILE_UNREADABLE",
      );
    });

    it("a whole service config: orthanc TLS + credentials reach both clients; dicomweb on another host inherits nothing", async () => {
      const config = loadConfig({
        env: {},
        overrides: {
          orthanc: {
            url: base,
            username: "radz",
            password: "pw",
            caFile: pki.serverCaFile,
            clientCertFile: pki.clientCertFile,
            clientKeyFile: pki.clientKeyFile,
          },
        },
      });
      const t = outboundFromConfig(config);
      transports.push(t.orthanc, t.dicomweb);
      await new OrthancClient({ url: base, http: t.orthanc, timeoutMs: 5_000 }).system();
      await new DicomWebClient({
        url: `${base}/dicom-web`,
        http: t.dicomweb,
        timeoutMs: 5_000,
        maxInstanceBytes: 1 << 24,
      }).searchForInstances(INSTANCE.studyInstanceUid);
      expect(seen).to.have.length(3);
      for (const s of seen) {
        expect(s.clientCn).to.equal("radz-client");
        expect(s.authorization).to.match(/^Basic /);
      }

      const elsewhere = loadConfig({
        env: {},
        overrides: {
          orthanc: { url: base, username: "radz", password: "pw", caFile: pki.serverCaFile },
          dicomweb: { url: "https://pacs.example.org/dicom-web" },
        },
      });
      const dw = dicomwebOutboundOptions(elsewhere);
      expect(dw.auth).to.equal(undefined);
      expect(dw.tls).to.equal(undefined);
      expect(orthancOutboundOptions(elsewhere).auth?.username).to.equal("radz");

      const ownToken = loadConfig({
        env: {},
        overrides: {
          orthanc: { url: base, username: "radz", password: "pw", caFile: pki.serverCaFile },
          dicomweb: { url: `${base}/dicom-web`, bearerToken: "own" },
        },
      });
      const own = dicomwebOutboundOptions(ownToken);
      expect(own.auth).to.deep.include({ bearerToken: "own", username: undefined });
      expect(own.tls?.ca).to.match(/BEGIN CERTIFICATE/); // same origin: TLS inherited
    });
  });
});
