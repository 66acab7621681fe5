/**
 * WADO-RS retrieveInstance against a tiny node:http server: multipart edge
 * cases, limits, timeouts and status mapping.
 */
import type { ServerResponse } from "node:http";
import { expect } from "chai";
import getPort from "get-port";
import { DicomWebClient } from "../../src/dicomweb/index.js";
import { expectRadzError } from "../helpers/errors.js";
import { waitFor } from "../helpers/wait.js";
import { startFakeServer, type FakeServer } from "../helpers/http.js";
import { makeTestInstance } from "../helpers/orthanc.js";

const STUDY = "1.2.3";
const SERIES = "1.2.3.4";
const SOP = "1.2.3.4.5";

function multipart(boundary: string, payload: Uint8Array, partType = "application/dicom"): Buffer {
  return Buffer.concat([
    Buffer.from(
      `--${boundary}\r\nContent-Type: ${partType}\r\nContent-Length: ${payload.length}\r\n\r\n`,
    ),
    payload,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
}

describe("dicomweb/wado-rs retrieveInstance (fake server)", () => {
  let fake: FakeServer;
  const instance = makeTestInstance();
  before(async () => {
    fake = await startFakeServer();
  });
  after(() => fake.close());
  beforeEach(() => {
    fake.requests.length = 0;
  });

  function client(
    overrides: { timeoutMs?: number; maxInstanceBytes?: number } = {},
  ): DicomWebClient {
    return new DicomWebClient({
      url: `${fake.url}/dicom-web/`,
      username: "u",
      password: "p",
      headers: { "X-Site": "test" },
      timeoutMs: overrides.timeoutMs ?? 3000,
      maxInstanceBytes: overrides.maxInstanceBytes ?? 1 << 20,
    });
  }

  function serve(contentType: string, body: Buffer, status = 200): void {
    fake.handler = (_req, res) => {
      res.writeHead(status, { "Content-Type": contentType, "Content-Length": body.length });
      res.end(body);
    };
  }

  it("asks for the stored transfer syntax and returns the Part-10 bytes", async () => {
    serve(
      'multipart/related; type="application/dicom"; boundary=abc-123',
      multipart("abc-123", instance.bytes),
    );
    const bytes = await client().retrieveInstance(STUDY, SERIES, SOP);
    expect(Buffer.compare(Buffer.from(bytes), Buffer.from(instance.bytes))).to.equal(0);
    const req = fake.requests[0];
    expect(req?.url).to.equal(`/dicom-web/studies/${STUDY}/series/${SERIES}/instances/${SOP}`);
    expect(req?.headers.accept).to.equal(
      'multipart/related; type="application/dicom"; transfer-syntax=*',
    );
    expect(req?.headers.authorization).to.equal(`Basic ${Buffer.from("u:p").toString("base64")}`);
    expect(req?.headers["x-site"]).to.equal("test");
  });

  for (const [name, boundary, header] of [
    ["quoted", "simple", 'boundary="simple"'],
    ["unquoted, first parameter", "tok.en_1", "boundary=tok.en_1"],
    ["quoted with special characters", "a'()+_,-./:=? z", `boundary="a'()+_,-./:=? z"`],
    ["quoted with an escaped quote", 'we"ird', 'boundary="we\\"ird"'],
    ["upper-case parameter name", "UPPER", "BOUNDARY=UPPER"],
  ] as const) {
    it(`accepts a boundary that is ${name}`, async () => {
      const ct = header.startsWith("boundary=tok")
        ? `multipart/related; ${header}; type="application/dicom"`
        : `multipart/related; type="application/dicom"; ${header}`;
      serve(ct, multipart(boundary, instance.bytes));
      const bytes = await client().retrieveInstance(STUDY, SERIES, SOP);
      expect(bytes.length).to.equal(instance.bytes.length);
    });
  }

  it("accepts a preamble and a single-part application/dicom answer", async () => {
    const withPreamble = Buffer.concat([
      Buffer.from("This is a preamble.\r\n"),
      multipart("pre", instance.bytes),
    ]);
    serve('multipart/related; type="application/dicom"; boundary=pre', withPreamble);
    expect((await client().retrieveInstance(STUDY, SERIES, SOP)).length).to.equal(
      instance.bytes.length,
    );
    serve("application/dicom", Buffer.from(instance.bytes));
    expect((await client().retrieveInstance(STUDY, SERIES, SOP)).length).to.equal(
      instance.bytes.length,
    );
  });

  it("writes the instance into the memory `allocate` gives, multipart or single-part", async () => {
    for (const [ct, payload] of [
      [
        'multipart/related; type="application/dicom"; boundary=pool',
        multipart("pool", instance.bytes),
      ],
      ["application/dicom", Buffer.from(instance.bytes)],
    ] as const) {
      serve(ct, payload);
      const memory = new ArrayBuffer(instance.bytes.length + 100);
      const asked: number[] = [];
      const bytes = await client().retrieveInstance(STUDY, SERIES, SOP, {
        allocate: (n) => {
          asked.push(n);
          return new Uint8Array(memory, 0, n);
        },
      });
      expect(asked, ct).to.deep.equal([instance.bytes.length]);
      expect(bytes.buffer).to.equal(memory);
      expect(Buffer.compare(Buffer.from(bytes), Buffer.from(instance.bytes))).to.equal(0);
    }
  });

  it("falls back to a plain application/dicom request when the server answers 406", async () => {
    fake.handler = (req, res) => {
      if (req.headers.accept?.includes("transfer-syntax")) {
        res.writeHead(406);
        res.end();
        return;
      }
      const body = multipart("fb", instance.bytes);
      res.writeHead(200, {
        "Content-Type": 'multipart/related; type="application/dicom"; boundary=fb',
      });
      res.end(body);
    };
    const bytes = await client().retrieveInstance(STUDY, SERIES, SOP);
    expect(bytes.length).to.equal(instance.bytes.length);
    expect(fake.requests.map((r) => r.headers.accept)).to.deep.equal([
      'multipart/related; type="application/dicom"; transfer-syntax=*',
      'multipart/related; type="application/dicom"',
    ]);
  });

  it("reports a multipart body without its closing boundary as DICOMWEB_BAD_RESPONSE", async () => {
    const full = multipart("cut", instance.bytes);
    serve(
      'multipart/related; type="application/dicom"; boundary=cut',
      full.subarray(0, full.length - 40),
    );
    await expectRadzError(client().retrieveInstance(STUDY, SERIES, SOP), "DICOMWEB_BAD_RESPONSE");
  });

  it("reports a connection closed mid-body as DICOMWEB_BAD_RESPONSE", async () => {
    const full = multipart("cut", instance.bytes);
    fake.handler = (_req, res) => {
      res.writeHead(200, {
        "Content-Type": 'multipart/related; type="application/dicom"; boundary=cut',
        "Content-Length": full.length,
      });
      res.write(full.subarray(0, 2000), () => res.destroy());
    };
    const e = await expectRadzError(
      client().retrieveInstance(STUDY, SERIES, SOP),
      "DICOMWEB_BAD_RESPONSE",
    );
    expect(e.message).to.contain("truncated");
  });

  it("reports a wrong content type, a non-DICOM part and a missing boundary as DICOMWEB_BAD_RESPONSE", async () => {
    serve("text/html", Buffer.from("<html>login</html>"));
    await expectRadzError(client().retrieveInstance(STUDY, SERIES, SOP), "DICOMWEB_BAD_RESPONSE");
    serve(
      'multipart/related; type="application/dicom"; boundary=x',
      multipart("x", new Uint8Array(300)),
    );
    await expectRadzError(client().retrieveInstance(STUDY, SERIES, SOP), "DICOMWEB_BAD_RESPONSE");
    serve('multipart/related; type="application/dicom"', multipart("x", instance.bytes));
    await expectRadzError(client().retrieveInstance(STUDY, SERIES, SOP), "DICOMWEB_BAD_RESPONSE");
    serve(
      'multipart/related; type="application/dicom"; boundary=x',
      multipart("x", instance.bytes, "image/jpeg"),
    );
    await expectRadzError(client().retrieveInstance(STUDY, SERIES, SOP), "DICOMWEB_BAD_RESPONSE");
  });

  it("aborts a streaming download that exceeds maxInstanceBytes (DICOMWEB_INSTANCE_TOO_LARGE)", async () => {
    let written = 0;
    let serverSawClose = false;
    const chunk = Buffer.alloc(64 * 1024, 7);
    fake.handler = (_req, res: ServerResponse) => {
      res.writeHead(200, {
        "Content-Type": 'multipart/related; type="application/dicom"; boundary=big',
      });
      res.write("--big\r\nContent-Type: application/dicom\r\n\r\n");
      res.on("close", () => {
        serverSawClose = true;
      });
      const pump = (): void => {
        // An endless body: only the client's abort ends it.
        while (!res.destroyed && written < 512 * 1024 * 1024) {
          written += chunk.length;
          if (!res.write(chunk)) {
            res.once("drain", pump);
            return;
          }
        }
      };
      pump();
    };
    const e = await expectRadzError(
      client({ maxInstanceBytes: 256 * 1024 }).retrieveInstance(STUDY, SERIES, SOP),
      "DICOMWEB_INSTANCE_TOO_LARGE",
    );
    expect(e.transient).to.equal(false);
    await waitFor(() => serverSawClose, 2_000, "the server to see the connection close");
    expect(written).to.be.below(64 * 1024 * 1024);
  });

  it("refuses a declared Content-Length far above the limit before reading", async () => {
    fake.handler = (_req, res) => {
      res.writeHead(200, {
        "Content-Type": 'multipart/related; type="application/dicom"; boundary=x',
        "Content-Length": 50 * 1024 * 1024,
      });
      res.write("--x\r\n");
    };
    await expectRadzError(
      client({ maxInstanceBytes: 1024 }).retrieveInstance(STUDY, SERIES, SOP),
      "DICOMWEB_INSTANCE_TOO_LARGE",
    );
  });

  it("maps 503 and 429 to DICOMWEB_HTTP_ERROR, 404 to DICOMWEB_REJECTED", async () => {
    serve("application/json", Buffer.from("{}"), 503);
    const e = await expectRadzError(
      client().retrieveInstance(STUDY, SERIES, SOP),
      "DICOMWEB_HTTP_ERROR",
    );
    expect(e.transient).to.equal(true);
    serve("application/json", Buffer.from("{}"), 429);
    await expectRadzError(client().retrieveInstance(STUDY, SERIES, SOP), "DICOMWEB_HTTP_ERROR");
    serve("application/json", Buffer.from("{}"), 404);
    await expectRadzError(client().retrieveInstance(STUDY, SERIES, SOP), "DICOMWEB_REJECTED");
  });

  it("maps no answer, and a body that stalls, to DICOMWEB_TIMEOUT", async () => {
    fake.handler = () => undefined;
    const started = Date.now();
    await expectRadzError(
      client({ timeoutMs: 200 }).retrieveInstance(STUDY, SERIES, SOP),
      "DICOMWEB_TIMEOUT",
    );
    expect(Date.now() - started).to.be.below(2000);
    fake.handler = (_req, res) => {
      res.writeHead(200, {
        "Content-Type": 'multipart/related; type="application/dicom"; boundary=x',
      });
      res.write("--x\r\nContent-Type: application/dicom\r\n\r\n");
    };
    await expectRadzError(
      client({ timeoutMs: 200 }).retrieveInstance(STUDY, SERIES, SOP),
      "DICOMWEB_TIMEOUT",
    );
  });

  it("maps a closed port to DICOMWEB_UNREACHABLE", async () => {
    const port = await getPort();
    const dead = new DicomWebClient({
      url: `http://127.0.0.1:${port}`,
      timeoutMs: 2000,
      maxInstanceBytes: 1000,
    });
    const e = await expectRadzError(
      dead.retrieveInstance(STUDY, SERIES, SOP),
      "DICOMWEB_UNREACHABLE",
    );
    expect(e.message).to.contain("ECONNREFUSED");
  });

  it("refuses UIDs that are not UIDs before any request", async () => {
    await expectRadzError(client().retrieveInstance("1.2/../x", SERIES, SOP), "INPUT_INVALID");
    expect(fake.requests).to.have.length(0);
  });
});
