/**
 * QIDO-RS and STOW-RS (through dicomweb-client + xhr2) against a tiny
 * node:http server: wire format, response interpretation, error mapping.
 */
import { expect } from "chai";
import { type DicomJsonObject, Tag } from "../../src/dicom/index.js";
import getPort from "get-port";
import { DicomWebClient } from "../../src/dicomweb/index.js";
import { parseMediaType } from "../../src/dicomweb/media-type.js";
import { MultipartRelatedReader } from "../../src/dicomweb/multipart.js";
import { interpretStowResponse } from "../../src/dicomweb/stow-rs.js";
import { expectRadzError } from "../helpers/errors.js";
import { startFakeServer, type FakeServer } from "../helpers/http.js";
import { makeTestInstance } from "../helpers/orthanc.js";

function uiItem(sopUid: string, extra: DicomJsonObject = {}): DicomJsonObject {
  return {
    [Tag.ReferencedSOPClassUID]: { vr: "UI", Value: ["1.2.840.10008.5.1.4.1.1.1.1"] },
    [Tag.ReferencedSOPInstanceUID]: { vr: "UI", Value: [sopUid] },
    ...extra,
  };
}

function stowResponse(stored: DicomJsonObject[], failed: DicomJsonObject[]): DicomJsonObject {
  return {
    [Tag.ReferencedSOPSequence]: stored.length > 0 ? { vr: "SQ", Value: stored } : { vr: "SQ" },
    [Tag.FailedSOPSequence]: failed.length > 0 ? { vr: "SQ", Value: failed } : { vr: "SQ" },
  };
}

const FAILURE = (code: number): DicomJsonObject => ({
  [Tag.FailureReason]: { vr: "US", Value: [code] },
});

describe("dicomweb QIDO-RS / STOW-RS (fake server)", () => {
  let fake: FakeServer;
  before(async () => {
    fake = await startFakeServer();
  });
  after(() => fake.close());
  beforeEach(() => {
    fake.requests.length = 0;
  });

  function client(timeoutMs = 3000): DicomWebClient {
    return new DicomWebClient({
      url: `${fake.url}/dicom-web`,
      timeoutMs,
      maxInstanceBytes: 1 << 20,
    });
  }

  function json(status: number, body: unknown): void {
    fake.handler = (_req, res) => {
      res.writeHead(status, { "Content-Type": "application/dicom+json" });
      res.end(typeof body === "string" ? body : JSON.stringify(body));
    };
  }

  describe("QIDO-RS", () => {
    it("sends the query and returns DICOM JSON datasets", async () => {
      const study: DicomJsonObject = { [Tag.StudyInstanceUID]: { vr: "UI", Value: ["1.2.3"] } };
      json(200, [study]);
      const result = await client().searchForStudies({
        StudyInstanceUID: "1.2.3",
        PatientName: "DOE^J*",
        limit: "5",
      });
      expect(result).to.deep.equal([study]);
      const url = new URL(fake.requests[0]?.url ?? "", fake.url);
      expect(url.pathname).to.equal("/dicom-web/studies");
      expect(url.searchParams.get("PatientName")).to.equal("DOE^J*");
      expect(url.searchParams.get("limit")).to.equal("5");
      // One media type: Orthanc logs a list (even with q-values) at error level.
      expect(fake.requests[0]?.headers.accept).to.equal("application/dicom+json");
    });

    it("leaves ^ , * raw (Orthanc 1.10 does not decode them) but encodes what would break the query", async () => {
      json(200, []);
      await client().searchForStudies({
        PatientName: "DOE^J*",
        StudyDescription: "a&b+c#d%e=f g\u00e9",
      });
      const raw = fake.requests[0]?.url ?? "";
      expect(raw).to.contain("PatientName=DOE^J*");
      const url = new URL(raw, fake.url);
      expect(url.searchParams.get("StudyDescription")).to.equal("a&b+c#d%e=f g\u00e9");
      await client().searchForInstances("1.2.3", undefined, ["00280010", "ViewPosition"]);
      expect(fake.requests[1]?.url).to.contain("includefield=00280010,ViewPosition");
    });

    it("builds series and instance URLs with includefield", async () => {
      json(200, []);
      expect(await client().searchForSeries("1.2.3", { Modality: "DX" })).to.deep.equal([]);
      await client().searchForInstances("1.2.3", "1.2.3.4", ["00280010", "ViewPosition"]);
      await client().searchForInstances("1.2.3");
      const urls = fake.requests.map((r) => new URL(r.url, fake.url));
      expect(urls[0]?.pathname).to.equal("/dicom-web/studies/1.2.3/series");
      expect(urls[0]?.searchParams.get("Modality")).to.equal("DX");
      expect(urls[1]?.pathname).to.equal("/dicom-web/studies/1.2.3/series/1.2.3.4/instances");
      expect(urls[1]?.searchParams.get("includefield")).to.equal("00280010,ViewPosition");
      expect(urls[2]?.pathname).to.equal("/dicom-web/studies/1.2.3/instances");
      expect(urls[2]?.search).to.equal("");
    });

    it("treats 204 No Content as no matches", async () => {
      fake.handler = (_req, res) => {
        res.writeHead(204);
        res.end();
      };
      expect(await client().searchForStudies()).to.deep.equal([]);
    });

    it("maps non-JSON answers, 503, 400, silence and a closed port", async () => {
      json(200, "<html>");
      await expectRadzError(client().searchForStudies(), "DICOMWEB_BAD_RESPONSE");
      json(200, { not: "an array" });
      await expectRadzError(client().searchForStudies(), "DICOMWEB_BAD_RESPONSE");
      json(503, {});
      await expectRadzError(client().searchForStudies(), "DICOMWEB_HTTP_ERROR");
      json(400, {});
      await expectRadzError(client().searchForStudies(), "DICOMWEB_REJECTED");
      fake.handler = () => undefined;
      await expectRadzError(client(200).searchForStudies(), "DICOMWEB_TIMEOUT");
      const port = await getPort();
      const dead = new DicomWebClient({
        url: `http://127.0.0.1:${port}`,
        timeoutMs: 2000,
        maxInstanceBytes: 1,
      });
      const e = await expectRadzError(dead.searchForStudies(), "DICOMWEB_UNREACHABLE");
      expect(e.message).to.contain("ECONNREFUSED");
      await expectRadzError(
        dead.storeInstances([makeTestInstance().bytes]),
        "DICOMWEB_UNREACHABLE",
      );
    });

    it("refuses query keys and UIDs that could alter the URL", async () => {
      await expectRadzError(client().searchForStudies({ "a&b": "x" }), "INPUT_INVALID");
      await expectRadzError(client().searchForSeries("1.2.3/../4"), "INPUT_INVALID");
      await expectRadzError(
        client().searchForInstances("1.2.3", undefined, ["x&y"]),
        "INPUT_INVALID",
      );
      expect(fake.requests).to.have.length(0);
    });
  });

  describe("STOW-RS", () => {
    it("posts one multipart/related body with a quoted boundary and a Content-Length, no global XMLHttpRequest", async () => {
      const a = makeTestInstance();
      const b = makeTestInstance({ studyInstanceUid: a.studyInstanceUid });
      json(200, stowResponse([uiItem(a.sopInstanceUid), uiItem(b.sopInstanceUid)], []));
      const result = await client().storeInstances([a.bytes, b.bytes], a.studyInstanceUid);
      expect(result).to.deep.equal({
        stored: [a.sopInstanceUid, b.sopInstanceUid],
        failed: [],
        warnings: [],
      });

      const req = fake.requests[0];
      expect(req?.method).to.equal("POST");
      expect(req?.url).to.equal(`/dicom-web/studies/${a.studyInstanceUid}`);
      expect(req?.headers["transfer-encoding"]).to.equal(undefined);
      expect(Number(req?.headers["content-length"])).to.equal(req?.body.length);
      expect(req?.headers.accept).to.equal("application/dicom+json");
      const ct = req?.headers["content-type"] ?? "";
      expect(ct).to.match(/boundary="[^"]+"/);
      const mt = parseMediaType(ct);
      expect(mt?.essence).to.equal("multipart/related");
      expect(mt?.params.get("type")).to.equal("application/dicom");
      const reader = new MultipartRelatedReader(
        mt?.params.get("boundary") ?? "",
        { maxPartBytes: 1 << 20, maxParts: 10 },
        "t",
      );
      reader.write(req?.body ?? Buffer.alloc(0));
      const parts = reader.finish();
      expect(parts.map((p) => Buffer.from(p.bytes).equals(Buffer.from(a.bytes)))).to.deep.equal([
        true,
        false,
      ]);
      expect(Buffer.from(parts[1]?.bytes ?? []).equals(Buffer.from(b.bytes))).to.equal(true);
    });

    it("throws STOW_FAILED for a 409 with a Failed SOP Sequence", async () => {
      const a = makeTestInstance();
      json(409, stowResponse([], [uiItem(a.sopInstanceUid, FAILURE(0x0110))]));
      const e = await expectRadzError(client().storeInstances([a.bytes]), "STOW_FAILED");
      expect(e.message).to.contain(a.sopInstanceUid).and.contain("0x0110");
      expect(e.details?.failed).to.deep.equal([
        { sopInstanceUid: a.sopInstanceUid, reason: "0x0110 Processing failure" },
      ]);
    });

    it("throws STOW_FAILED for a 200 whose only instance is in the Failed SOP Sequence", async () => {
      const a = makeTestInstance();
      json(200, stowResponse([], [uiItem(a.sopInstanceUid, FAILURE(0xa900))]));
      await expectRadzError(client().storeInstances([a.bytes]), "STOW_FAILED");
    });

    it("returns partial success (202) with the failures and warnings listed", async () => {
      const a = makeTestInstance();
      const b = makeTestInstance();
      json(
        202,
        stowResponse(
          [uiItem(a.sopInstanceUid, { [Tag.WarningReason]: { vr: "US", Value: [0xb000] } })],
          [uiItem(b.sopInstanceUid, FAILURE(0xc000))],
        ),
      );
      const result = await client().storeInstances([a.bytes, b.bytes]);
      expect(result.stored).to.deep.equal([a.sopInstanceUid]);
      expect(result.failed).to.deep.equal([
        { sopInstanceUid: b.sopInstanceUid, reason: "0xC000 Error: cannot understand" },
      ]);
      expect(result.warnings.join("\n")).to.contain("0xB000").and.contain("HTTP 202");
    });

    it("maps 503 to DICOMWEB_HTTP_ERROR, 415 and an empty 400 to DICOMWEB_REJECTED, a bodiless 200 to BAD_RESPONSE", async () => {
      const a = makeTestInstance();
      json(503, "");
      await expectRadzError(client().storeInstances([a.bytes]), "DICOMWEB_HTTP_ERROR");
      json(415, "");
      await expectRadzError(client().storeInstances([a.bytes]), "DICOMWEB_REJECTED");
      json(400, stowResponse([], []));
      await expectRadzError(client().storeInstances([a.bytes]), "DICOMWEB_REJECTED");
      json(200, "");
      await expectRadzError(client().storeInstances([a.bytes]), "DICOMWEB_BAD_RESPONSE");
    });

    it("refuses input that is not Part-10 before any request", async () => {
      await expectRadzError(client().storeInstances([new Uint8Array(10)]), "INPUT_INVALID");
      await expectRadzError(client().storeInstances([]), "INPUT_INVALID");
      expect(fake.requests).to.have.length(0);
    });
  });

  describe("interpretStowResponse", () => {
    it("counts an instance the server never mentions as failed", () => {
      const body = JSON.stringify(stowResponse([uiItem("1.1")], []));
      const r = interpretStowResponse(200, body, ["1.1", "1.2"]);
      expect(r.stored).to.deep.equal(["1.1"]);
      expect(r.failed).to.deep.equal([
        { sopInstanceUid: "1.2", reason: "not acknowledged by the server" },
      ]);
    });

    it("accepts an already-parsed body and a one-element array", () => {
      const r = interpretStowResponse(200, [stowResponse([uiItem("1.1")], [])], ["1.1"]);
      expect(r.stored).to.deep.equal(["1.1"]);
    });
  });
});
