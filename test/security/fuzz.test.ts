/**
 * Fuzz suite (fast-check) over every input an outsider or a broken peer
 * controls: the webhook body and headers, API query parameters, path
 * segments and JSON bodies, WADO-RS multipart responses, and DICOM bytes.
 * Properties: no crash, no hang, no 5xx on bad input — a 4xx with an error
 * code and a message, or a RadzError with a code from the catalogue.
 */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { expect } from "chai";
import fc from "fast-check";
import { DicomWebClient } from "../../src/dicomweb/index.js";
import { ERROR_CATALOGUE, RadzError } from "../../src/errors.js";
import { createApi } from "../../src/http/app.js";
import { signWebhook } from "../../src/security/webhook-auth.js";
import { createWebhookRouter } from "../../src/http/webhook.js";
import { decodeFrame, parseInstance } from "../../src/imaging/index.js";
import { SqliteJobStore } from "../../src/jobs/index.js";
import { silentLogger } from "../../src/observability/index.js";
import { startFakeServer, type FakeServer } from "../helpers/http.js";
import { makeTestInstance } from "../helpers/orthanc.js";
import { authHeaders, TEST_API_SECURITY } from "./fixtures.js";

const SECRET = "fuzz-webhook-secret-0123456789";
const STUDY = "0a1b2c3d-0a1b2c3d-0a1b2c3d-0a1b2c3d-0a1b2c3d";
const RUNS = Number(process.env.RADZ_FUZZ_RUNS ?? 150);

interface Answer {
  status: number;
  body: string;
}

/** A 4xx must carry {error: {code, message}} with a catalogue code; nothing may be 5xx. */
function expectClientError(a: Answer, what: string): void {
  expect(a.status, `${what}: ${a.body.slice(0, 200)}`).to.be.lessThan(500);
  if (a.status >= 400) {
    const parsed = JSON.parse(a.body) as { error?: { code?: string; message?: string } };
    expect(Object.keys(ERROR_CATALOGUE), what).to.include(parsed.error?.code);
    expect(parsed.error?.message, what).to.be.a("string").and.not.equal("");
  }
}

describe("security: fuzz (fast-check)", function () {
  this.timeout(120_000);
  let store: SqliteJobStore;
  let server: Server;
  let base: string;

  before(async () => {
    store = new SqliteJobStore({ path: ":memory:" });
    store.enqueueBatch([STUDY], "changes");
    const app = createApi({
      store,
      logger: silentLogger(),
      ready: () => true,
      model: () => null,
      security: TEST_API_SECURITY,
      preBodyRouters: [
        createWebhookRouter({
          enqueue: (id, source) => store.enqueue(id, source),
          wake: () => undefined,
          logger: silentLogger(),
          secret: SECRET,
          maxSkewSeconds: 300,
          acceptBearer: true,
        }),
      ],
    });
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, "127.0.0.1", () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
    store.close();
  });

  async function send(path: string, init: RequestInit): Promise<Answer> {
    const res = await fetch(`${base}${path}`, { ...init, signal: AbortSignal.timeout(5_000) });
    return { status: res.status, body: await res.text() };
  }

  /** JSON-ish bodies: valid pushes, near-misses, arbitrary JSON, arbitrary bytes. */
  const webhookBody = fc.oneof(
    fc
      .record({
        ChangeType: fc.oneof(fc.constant("StableStudy"), fc.string()),
        ID: fc.oneof(
          fc.constant(STUDY),
          fc.stringMatching(/^[0-9a-f]{8}(-[0-9a-f]{8}){4}$/),
          fc.webUrl(),
          fc.string(),
          fc.integer(),
          fc.constant(null),
        ),
        ResourceType: fc.option(fc.oneof(fc.constant("Study"), fc.string()), { nil: undefined }),
      })
      .map((o) => JSON.stringify(o)),
    fc.json(),
    fc.string({ maxLength: 300 }),
    fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString("latin1")),
    fc.string({ minLength: 4000, maxLength: 6000 }),
  );

  it("webhook: signed or not, any body and headers answer 2xx/4xx, never 5xx", async () => {
    await fc.assert(
      fc.asyncProperty(
        webhookBody,
        fc.constantFrom(
          "signed",
          "stale",
          "bad-signature",
          "none",
          "bearer-garbage",
          "header-garbage",
        ),
        fc.string({ maxLength: 80 }),
        async (body, auth, junk) => {
          const ts = String(Math.floor(Date.now() / 1000) - (auth === "stale" ? 10_000 : 0));
          const headers: Record<string, string> = { "Content-Type": "application/json" };
          if (auth === "signed" || auth === "stale") {
            headers["X-Radz-Timestamp"] = ts;
            headers["X-Radz-Signature"] = signWebhook(SECRET, ts, body);
          } else if (auth === "bad-signature") {
            headers["X-Radz-Timestamp"] = ts;
            headers["X-Radz-Signature"] = `sha256=${Buffer.from(junk).toString("hex")}`;
          } else if (auth === "bearer-garbage") {
            headers.Authorization = `Bearer ${encodeURIComponent(junk)}`;
          } else if (auth === "header-garbage") {
            headers["X-Radz-Timestamp"] = encodeURIComponent(junk);
            headers["X-Radz-Signature"] = encodeURIComponent(junk);
          }
          const a = await send("/webhook/orthanc", { method: "POST", headers, body });
          expectClientError(a, `webhook ${auth}`);
          if (auth !== "signed") expect(a.status).to.be.oneOf([401, 413]);
        },
      ),
      { numRuns: RUNS },
    );
  });

  const queryValue = fc.oneof(
    fc.constantFrom(
      "queued",
      "done",
      "failed",
      "urgent",
      "review",
      "1",
      "0",
      "-1",
      "1e3",
      "NaN",
      "",
    ),
    fc.string({ maxLength: 40 }),
    fc.integer().map(String),
    fc.string({ unit: "binary", maxLength: 20 }),
  );

  it("API query parameters: any combination answers 200 or 4xx with a code", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.tuple(
            fc.oneof(
              fc.constantFrom(
                "state",
                "priority",
                "limit",
                "offset",
                "sort",
                "q",
                "state[]",
                "limit[x]",
              ),
              fc.string({ maxLength: 12 }),
            ),
            queryValue,
          ),
          { maxLength: 6 },
        ),
        async (pairs) => {
          const qs = new URLSearchParams(pairs).toString();
          for (const path of ["/api/studies", "/api/jobs/failed", "/api/notifications"]) {
            const a = await send(`${path}?${qs}`, { headers: authHeaders("read") });
            expectClientError(a, `${path}?${qs}`);
          }
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("API path segments and JSON bodies: any value answers 2xx or 4xx with a code", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ maxLength: 60 }),
          fc.string({ unit: "binary", maxLength: 20 }),
          fc.constant(STUDY),
        ),
        fc.oneof(fc.json(), fc.string({ maxLength: 200 })),
        async (segment, body) => {
          const id = encodeURIComponent(segment);
          const reads = [`/api/studies/${id}`, `/api/studies/${id}/preview`];
          for (const p of reads)
            expectClientError(await send(p, { headers: authHeaders("read") }), p);
          const writes = [`/api/studies/${id}/reprocess`, `/api/jobs/${id}/retry`];
          for (const p of writes) {
            const a = await send(p, {
              method: "POST",
              headers: authHeaders("admin", { "content-type": "application/json" }),
              body,
            });
            expectClientError(a, `POST ${p} ${body.slice(0, 80)}`);
          }
        },
      ),
      { numRuns: RUNS },
    );
  });

  describe("WADO-RS multipart responses", () => {
    let fake: FakeServer;
    const instance = makeTestInstance({ rows: 16, columns: 16 });
    before(async () => {
      fake = await startFakeServer();
    });
    after(() => fake.close());

    function validBody(boundary: string): Buffer {
      return Buffer.concat([
        Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`),
        instance.bytes,
        Buffer.from(`\r\n--${boundary}--\r\n`),
      ]);
    }

    const mutation = fc.oneof(
      fc.record({
        kind: fc.constant("flip" as const),
        at: fc.nat(),
        byte: fc.integer({ min: 0, max: 255 }),
      }),
      fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
      fc.record({
        kind: fc.constant("insert" as const),
        at: fc.nat(),
        bytes: fc.uint8Array({ maxLength: 64 }),
      }),
      fc.record({
        kind: fc.constant("random" as const),
        bytes: fc.uint8Array({ maxLength: 2048 }),
      }),
    );

    it("resolve to Part-10 bytes or reject with a DICOMweb error code; never crash or hang", async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            fc.constant("b0undary"),
            fc.stringMatching(/^[A-Za-z0-9'()+_,./:=?-]{1,70}$/),
            fc.string({ maxLength: 80 }),
          ),
          fc.constantFrom(
            'multipart/related; type="application/dicom"; boundary=%B',
            'multipart/related; boundary="%B"',
            "multipart/related; type=application/json; boundary=%B",
            "application/dicom",
            "text/html",
            "multipart/related",
            "%B",
          ),
          fc.array(mutation, { maxLength: 3 }),
          fc.constantFrom(200, 200, 200, 204, 206, 301, 404, 500),
          async (boundary, contentType, mutations, status) => {
            let body = validBody(boundary);
            for (const m of mutations) {
              if (m.kind === "flip" && body.length > 0) body[m.at % body.length] = m.byte;
              else if (m.kind === "truncate") body = body.subarray(0, m.at % (body.length + 1));
              else if (m.kind === "insert") {
                const at = m.at % (body.length + 1);
                body = Buffer.concat([body.subarray(0, at), m.bytes, body.subarray(at)]);
              } else if (m.kind === "random") body = Buffer.from(m.bytes);
            }
            const ct = contentType.replace("%B", boundary);
            fake.handler = (_req, res) => {
              try {
                res.writeHead(status, { "Content-Type": ct });
              } catch {
                res.writeHead(status, { "Content-Type": "application/octet-stream" });
              }
              res.end(status === 204 ? undefined : body);
            };
            const client = new DicomWebClient({
              url: `${fake.url}/dicom-web`,
              timeoutMs: 3_000,
              maxInstanceBytes: 1 << 20,
            });
            const started = Date.now();
            try {
              const bytes = await client.retrieveInstance(
                instance.studyInstanceUid,
                instance.seriesInstanceUid,
                instance.sopInstanceUid,
              );
              expect(bytes.byteLength).to.be.greaterThan(132);
            } catch (e) {
              expect(e, String(e)).to.be.instanceOf(RadzError);
              expect((e as RadzError).code).to.match(/^DICOMWEB_/);
            }
            expect(Date.now() - started, "answered well before the timeout").to.be.lessThan(2_500);
          },
        ),
        { numRuns: RUNS },
      );
    });
  });

  describe("DICOM bytes", () => {
    const seeds = [
      makeTestInstance({ rows: 16, columns: 16 }).bytes,
      makeTestInstance({
        rows: 8,
        columns: 8,
        extra: {
          ReferencedImageSequence: [
            { ReferencedSOPInstanceUID: "1.2.3", ReferencedSOPClassUID: "1.2.4" },
          ],
        },
      }).bytes,
    ];

    const edit = fc.oneof(
      fc.record({
        kind: fc.constant("byte" as const),
        at: fc.nat(),
        value: fc.integer({ min: 0, max: 255 }),
      }),
      fc.record({
        kind: fc.constant("u32" as const),
        at: fc.nat(),
        value: fc.constantFrom(0, 1, 0x7fffffff, 0xfffffffe, 0xffffffff, 0x10000),
      }),
      fc.record({ kind: fc.constant("cut" as const), at: fc.nat() }),
      fc.record({
        kind: fc.constant("splice" as const),
        at: fc.nat(),
        bytes: fc.uint8Array({ maxLength: 32 }),
      }),
    );

    it("parse and decode to an image or a RadzError with a code, quickly", () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 0, max: seeds.length - 1 }),
          fc.array(edit, { minLength: 1, maxLength: 4 }),
          (seed, edits) => {
            let bytes = Buffer.from(seeds[seed]!);
            for (const e of edits) {
              // Mostly past the 132-byte preamble + prefix, where the structure is.
              const at = 128 + (e.at % Math.max(1, bytes.length - 128));
              if (e.kind === "byte") bytes[at] = e.value;
              else if (e.kind === "u32" && at + 4 <= bytes.length) bytes.writeUInt32LE(e.value, at);
              else if (e.kind === "cut") bytes = bytes.subarray(0, at);
              else if (e.kind === "splice")
                bytes = Buffer.concat([bytes.subarray(0, at), e.bytes, bytes.subarray(at)]);
            }
            const started = Date.now();
            try {
              const inst = parseInstance(new Uint8Array(bytes), { maxBytes: 1 << 20 });
              decodeFrame(inst, { maxPixels: 1 << 20 });
            } catch (err) {
              expect(err, String(err)).to.be.instanceOf(RadzError);
              expect(Object.keys(ERROR_CATALOGUE)).to.include((err as RadzError).code);
            }
            expect(Date.now() - started).to.be.lessThan(2_000);
          },
        ),
        { numRuns: RUNS },
      );
    });
  });
});
