/**
 * OrthancClient against a tiny local node:http server: error mapping and
 * feature detection paths a real Orthanc 1.10.1 cannot show.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { expect } from "chai";
import { expectRadzError } from "../helpers/errors.js";
import { OrthancClient } from "../../src/orthanc/index.js";

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const STUDY_ID = "27276d59-9aac124e-7f8dc2d6-9af0dd08-9dc65ba4";

describe("orthanc/client (fake server)", () => {
  let server: Server;
  let handler: Handler;
  let url: string;

  before(async () => {
    server = createServer((req, res) => handler(req, res));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  function json(status: number, body: unknown): Handler {
    return (_req, res) => {
      res.writeHead(status, { "Content-Type": "application/json" });
      res.end(JSON.stringify(body));
    };
  }

  it("maps 503 and 429 to ORTHANC_HTTP_ERROR (transient)", async () => {
    const client = new OrthancClient({ url, timeoutMs: 2000 });
    handler = json(503, { OrthancError: "Service unavailable" });
    const e = await expectRadzError(client.listStudies(), "ORTHANC_HTTP_ERROR");
    expect(e.transient).to.equal(true);
    expect(e.message).to.contain("503");
    handler = json(429, {});
    await expectRadzError(client.listStudies(), "ORTHANC_HTTP_ERROR");
  });

  it("maps 401/400 to ORTHANC_REJECTED and 404 to ORTHANC_NOT_FOUND (permanent)", async () => {
    const client = new OrthancClient({ url, timeoutMs: 2000 });
    handler = json(401, {});
    const e = await expectRadzError(client.listStudies(), "ORTHANC_REJECTED");
    expect(e.transient).to.equal(false);
    handler = json(404, { OrthancError: "Unknown resource" });
    const nf = await expectRadzError(client.study(STUDY_ID), "ORTHANC_NOT_FOUND");
    expect(nf.message).to.contain(STUDY_ID).and.contain("Unknown resource");
  });

  it("maps a server that never answers to ORTHANC_TIMEOUT", async () => {
    const client = new OrthancClient({ url, timeoutMs: 150 });
    handler = () => undefined; // hold the request open
    const started = Date.now();
    await expectRadzError(client.listStudies(), "ORTHANC_TIMEOUT");
    expect(Date.now() - started).to.be.below(2000);
  });

  it("maps a body that stalls after the headers to ORTHANC_TIMEOUT", async () => {
    const client = new OrthancClient({ url, timeoutMs: 200 });
    handler = (_req, res) => {
      res.writeHead(200, { "Content-Type": "application/json" });
      res.write("[");
    };
    await expectRadzError(client.listStudies(), "ORTHANC_TIMEOUT");
  });

  it("rejects invalid JSON and wrong shapes without echoing values", async () => {
    const client = new OrthancClient({ url, timeoutMs: 2000 });
    handler = (_req, res) => {
      res.writeHead(200);
      res.end("not json");
    };
    await expectRadzError(client.listStudies(), "ORTHANC_HTTP_ERROR");
    handler = json(200, {
      ID: STUDY_ID,
      IsStable: "yes",
      LastUpdate: "x",
      MainDicomTags: { StudyInstanceUID: "1.2.3" },
      ParentPatient: "SECRET^NAME",
      Series: [],
    });
    const e = await expectRadzError(client.study(STUDY_ID), "ORTHANC_HTTP_ERROR");
    expect(e.message).to.contain("IsStable").and.not.contain("yes").and.not.contain("SECRET");
  });

  it("never returns patient tags from study()", async () => {
    const client = new OrthancClient({ url, timeoutMs: 2000 });
    handler = json(200, {
      ID: STUDY_ID,
      IsStable: true,
      LastUpdate: "20240101T120000",
      MainDicomTags: { StudyInstanceUID: "1.2.3", AccessionNumber: "ACC-SECRET" },
      PatientMainDicomTags: { PatientName: "DOE^JANE", PatientID: "PID-SECRET" },
      ParentPatient: "aaaaaaaa-bbbbbbbb-cccccccc-dddddddd-eeeeeeee",
      Series: ["s1"],
      Type: "Study",
    });
    const study = await client.study(STUDY_ID);
    expect(study).to.deep.equal({
      orthancId: STUDY_ID,
      studyInstanceUid: "1.2.3",
      seriesIds: ["s1"],
      patientOrthancId: "aaaaaaaa-bbbbbbbb-cccccccc-dddddddd-eeeeeeee",
      lastUpdate: "20240101T120000",
      isStable: true,
    });
    expect(JSON.stringify(study)).to.not.match(/SECRET|DOE/);
  });

  it("detects labels from HasLabels when present, else from the version", async () => {
    const client = new OrthancClient({ url, timeoutMs: 2000 });
    const system =
      (sys: Record<string, unknown>, plugins: string[]): Handler =>
      (req, res) => {
        res.writeHead(200, { "Content-Type": "application/json" });
        res.end(
          JSON.stringify(req.url === "/plugins" ? plugins : { ApiVersion: 22, Name: "X", ...sys }),
        );
      };
    handler = system({ Version: "1.12.1", HasLabels: false }, []);
    expect(await client.system()).to.include({ supportsLabels: false, dicomWebPlugin: false });
    handler = system({ Version: "1.12.1" }, ["dicom-web"]);
    expect(await client.system()).to.include({ supportsLabels: true, dicomWebPlugin: true });
    handler = system({ Version: "1.11.3" }, ["dicom-web"]);
    expect((await client.system()).supportsLabels).to.equal(false);
    handler = system({ Version: "mainline", HasLabels: true }, []);
    expect((await client.system()).supportsLabels).to.equal(true);
  });

  it("sends HTTP Basic credentials and keeps a path prefix", async () => {
    const client = new OrthancClient({
      url: `${url}/orthanc/`,
      username: "radz",
      password: "s3cret",
      timeoutMs: 2000,
    });
    let seen: { url?: string; auth?: string } = {};
    handler = (req, res) => {
      seen = { url: req.url, auth: req.headers.authorization };
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end("[]");
    };
    await client.listStudies();
    expect(seen.url).to.equal("/orthanc/studies");
    expect(seen.auth).to.equal(`Basic ${Buffer.from("radz:s3cret").toString("base64")}`);
  });

  it("refuses IDs, metadata names and labels that could escape the path", async () => {
    const client = new OrthancClient({ url, timeoutMs: 2000 });
    await expectRadzError(client.study("../system"), "INPUT_INVALID");
    await expectRadzError(client.getStudyMetadata(STUDY_ID, "a/b"), "INPUT_INVALID");
    await expectRadzError(client.addStudyLabel(STUDY_ID, "bad label"), "INPUT_INVALID");
    await expectRadzError(client.findStudyByUid("1.2.abc"), "INPUT_INVALID");
    await expectRadzError(client.changes(-1, 10), "INPUT_INVALID");
  });
});
