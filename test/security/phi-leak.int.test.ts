/**
 * PHI leak test. Studies whose Patient Name, Patient ID, Accession Number and
 * Birth Date carry distinctive markers go through every path of the service
 * (success, parse failures on malformed elements that hold the markers,
 * truncated pixel data, transient DICOMweb errors whose bodies quote the
 * markers then success, retries exhausted, skipped) against a real Orthanc
 * with HTTP Basic authentication, reached through a DICOMweb proxy that
 * injects the faults. The service logs at trace level to a captured stream;
 * stdout/stderr (console, dcmjs) are captured too. Then every log line,
 * console line, the /metrics text, every API response (authenticated or not,
 * errors included, the live event stream, feedback given and listed), every
 * error message, and the bytes of the SQLite job store are scanned: no marker
 * may appear. The one exception is who a study is (GET
 * /api/studies/:id/identity, issue 21): read from Orthanc on demand, its
 * answers must hold the markers, and nothing else may after it was read.
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { Writable } from "node:stream";
import { expect } from "chai";
import type { Service } from "../../src/app.js";
import { RadzError } from "../../src/errors.js";
import { parseInstance } from "../../src/imaging/index.js";
import { isTerminal } from "../../src/jobs/index.js";
import { createLogger } from "../../src/observability/index.js";
import { OrthancClient } from "../../src/orthanc/index.js";
import { expectRadzError } from "../helpers/errors.js";
import { makeTestInstance, useOrthanc, type TestInstance } from "../helpers/orthanc.js";
import { useService } from "../helpers/service.js";
import { waitFor } from "../helpers/wait.js";
import { authHeaders } from "./fixtures.js";

const MARK = {
  name: "PHIMARK_NAME_7f3a",
  id: "PHIMARK_PID_7f3a",
  accession: "PHIMARK_ACC_7f3a", // SH: at most 16 characters
  birthDate: "18230719",
};
/**
 * Free-text DICOM values (issue 23): quoted nowhere — not in skip reasons,
 * failures, logs, API answers, the event stream or the store. CS values at
 * most 16 characters.
 */
const FREE_TEXT = {
  bodyPart: "FREEBODY_7F3A",
  modality: "FREEMOD_7F3A",
  photometric: "FREEPHOTO_7F3A",
  description: "FREEDESC_7F3A",
};
const MARKERS = [
  MARK.name,
  MARK.id,
  MARK.accession,
  MARK.birthDate,
  "PHIMARK",
  ...Object.values(FREE_TEXT),
  "7F3A",
];
const ORTHANC_USER = "radz";
const ORTHANC_PASSWORD = "orthanc-Pw-91";

function phiInstance(extra: Parameters<typeof makeTestInstance>[0] = {}): TestInstance {
  return makeTestInstance({
    patientName: `${MARK.name}^Given`,
    patientId: MARK.id,
    accessionNumber: MARK.accession,
    patientBirthDate: MARK.birthDate,
    ...extra,
  });
}

function indexOfBytes(hay: Uint8Array, needle: number[]): number {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** (0010,0010) PN with a value length far past the end of the file: the malformed element holds the name. */
function overlongPatientName(bytes: Uint8Array): Uint8Array {
  const out = bytes.slice();
  const at = indexOfBytes(out, [0x10, 0x00, 0x10, 0x00, 0x50, 0x4e]);
  expect(at).to.be.greaterThan(0);
  out[at + 6] = 0xff;
  out[at + 7] = 0xff;
  return out;
}

/** (0008,0050) Accession Number with its VR bytes destroyed. */
function brokenAccessionVr(bytes: Uint8Array): Uint8Array {
  const out = bytes.slice();
  const at = indexOfBytes(out, [0x08, 0x00, 0x50, 0x00, 0x53, 0x48]);
  expect(at).to.be.greaterThan(0);
  out[at + 4] = 0x01;
  out[at + 5] = 0x7f;
  return out;
}

function multipart(boundary: string, payload: Uint8Array): Buffer {
  return Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`),
    payload,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
}

interface Proxy {
  url: string;
  /** SOP Instance UID -> bytes served by WADO-RS instead of Orthanc's. */
  replace: Map<string, Uint8Array>;
  /** Study UID -> QIDO requests to fail with 503 (Infinity: always). */
  failQido: Map<string, number>;
  close(): Promise<void>;
}

/** A DICOMweb proxy in front of Orthanc that injects faults; error bodies quote the markers. */
async function startProxy(target: string): Promise<Proxy> {
  const proxy = {
    replace: new Map<string, Uint8Array>(),
    failQido: new Map<string, number>(),
  } as Proxy;
  const targetUrl = new URL(target);
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = req.url ?? "/";
    const studyUid = /\/studies\/([0-9.]+)/.exec(path)?.[1];
    const isQido = req.method === "GET" && /\/instances(\?|$)/.test(path);
    if (isQido && studyUid !== undefined) {
      const left = proxy.failQido.get(studyUid) ?? 0;
      if (left > 0) {
        proxy.failQido.set(studyUid, left - 1);
        res.writeHead(503, { "Content-Type": "application/json" });
        res.end(
          JSON.stringify({ error: `backend busy for ${MARK.name} ${MARK.id} ${MARK.accession}` }),
        );
        req.resume();
        return;
      }
    }
    const sop = /\/instances\/([0-9.]+)$/.exec(path.split("?")[0] ?? "")?.[1];
    const replacement = sop === undefined ? undefined : proxy.replace.get(sop);
    if (req.method === "GET" && replacement !== undefined) {
      res.writeHead(200, {
        "Content-Type": 'multipart/related; type="application/dicom"; boundary=phiBoundary',
      });
      res.end(multipart("phiBoundary", replacement));
      req.resume();
      return;
    }
    const upstream = httpRequest(
      {
        host: targetUrl.hostname,
        port: targetUrl.port,
        method: req.method,
        path: `${targetUrl.pathname.replace(/\/$/, "")}${path}`,
        headers: { ...req.headers, host: targetUrl.host },
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on("error", () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.close = async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  };
  return proxy;
}

function findMarkers(text: string): string[] {
  return MARKERS.filter((m) => text.includes(m));
}

describe("security: no PHI in logs, metrics, errors, API responses or job records", function () {
  this.timeout(240_000);
  const orthanc = useOrthanc({
    stableAgeSeconds: 1,
    username: ORTHANC_USER,
    password: ORTHANC_PASSWORD,
  });
  const radz = useService({ prefix: "radz-phi-", orthancUrl: () => orthanc.url });
  let proxy: Proxy;

  before(async function () {
    this.timeout(120_000);
    proxy = await startProxy(orthanc.dicomwebUrl);
  });
  after(async () => {
    await proxy?.close();
  });

  it("Orthanc with HTTP Basic: refused without credentials, served with them", async () => {
    const anonymous = new OrthancClient({ url: orthanc.url, timeoutMs: 5_000 });
    await expectRadzError(anonymous.system(), "ORTHANC_REJECTED");
    const authed = new OrthancClient({
      url: orthanc.url,
      username: ORTHANC_USER,
      password: ORTHANC_PASSWORD,
      timeoutMs: 5_000,
    });
    expect((await authed.system()).dicomWebPlugin).to.equal(true);
  });

  it("keeps every marker out of every output on the success, failure, retry and skip paths", async () => {
    const uploader = new OrthancClient({
      url: orthanc.url,
      username: ORTHANC_USER,
      password: ORTHANC_PASSWORD,
      timeoutMs: 10_000,
    });
    const described = {
      StudyDescription: `CHEST ${FREE_TEXT.description}`,
      SeriesDescription: `PA ${FREE_TEXT.description}`,
    };
    const ok = phiInstance({ extra: described });
    const overlong = phiInstance();
    const badVr = phiInstance();
    const truncated = phiInstance();
    const retried = phiInstance();
    const exhausted = phiInstance();
    const skipped = phiInstance({ modality: "CT", bodyPartExamined: "HEAD" });
    const skippedBodyPart = phiInstance({ bodyPartExamined: FREE_TEXT.bodyPart, extra: described });
    const skippedModality = phiInstance({ modality: FREE_TEXT.modality });
    const badPhotometric = phiInstance({
      extra: { ...described, PhotometricInterpretation: FREE_TEXT.photometric },
    });

    // The fault-injected bytes: each malformed element sits next to (or is) a marker.
    proxy.replace.set(overlong.sopInstanceUid, overlongPatientName(overlong.bytes));
    proxy.replace.set(badVr.sopInstanceUid, brokenAccessionVr(badVr.bytes));
    proxy.replace.set(
      truncated.sopInstanceUid,
      phiInstance({
        studyInstanceUid: truncated.studyInstanceUid,
        seriesInstanceUid: truncated.seriesInstanceUid,
        sopInstanceUid: truncated.sopInstanceUid,
        extra: { Rows: 512, Columns: 512 },
      }).bytes,
    );
    proxy.failQido.set(retried.studyInstanceUid, 2);
    proxy.failQido.set(exhausted.studyInstanceUid, Number.POSITIVE_INFINITY);
    for (const b of proxy.replace.values())
      expect(findMarkers(Buffer.from(b).toString("latin1"))).to.not.be.empty;

    // Secrets from files, as in production.
    const passwordFile = join(radz.dir, "orthanc-password");
    writeFileSync(passwordFile, `${ORTHANC_PASSWORD}\n`);
    const env = {
      RADZ_ORTHANC__PASSWORD_FILE: passwordFile,
      RADZ_DICOMWEB__PASSWORD_FILE: passwordFile,
    };
    const overrides = {
      orthanc: { username: ORTHANC_USER },
      dicomweb: { url: `${proxy.url}`, username: ORTHANC_USER },
      jobs: { backoffBaseMs: 100, backoffMaxMs: 400, maxAttempts: 3 },
      log: { level: "trace" as const },
    };

    const logChunks: string[] = [];
    const logger = createLogger({
      level: "trace",
      destination: new Writable({
        write(chunk: Buffer, _e, cb) {
          logChunks.push(chunk.toString("utf8"));
          cb();
        },
      }),
    });
    // Anything written to stdout/stderr meanwhile (console.*, dcmjs' loglevel, warnings).
    const consoleChunks: string[] = [];
    const stdoutWrite = process.stdout.write.bind(process.stdout);
    const stderrWrite = process.stderr.write.bind(process.stderr);
    const capture = ((chunk: string | Uint8Array) => {
      consoleChunks.push(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
      return true;
    }) as typeof process.stdout.write;
    process.stdout.write = capture;
    process.stderr.write = capture;

    const apiTexts: string[] = [];
    const identityTexts: string[] = [];
    const errorTexts: string[] = [];
    const events: string[] = [];
    const eventsAbort = new AbortController();
    let eventsDone: Promise<void> = Promise.resolve();
    const ids = new Map<TestInstance, string>();
    let started: Service | undefined;
    try {
      const svc = await radz.start(overrides, { env, logger });
      started = svc;

      // The live event stream, read while the studies are processed.
      eventsDone = fetch(`${svc.url}/api/events`, {
        headers: authHeaders("read"),
        signal: eventsAbort.signal,
      })
        .then(async (res) => {
          const reader = res.body!.getReader();
          for (;;) {
            const { done, value } = await reader.read();
            if (done) break;
            events.push(Buffer.from(value).toString("utf8"));
          }
        })
        .catch(() => undefined);

      for (const inst of [
        ok,
        overlong,
        badVr,
        truncated,
        retried,
        exhausted,
        skipped,
        skippedBodyPart,
        skippedModality,
        badPhotometric,
      ]) {
        ids.set(inst, (await uploader.uploadInstance(inst.bytes)).parentStudy);
      }
      await waitFor(
        () =>
          [...ids.values()].every((id) => isTerminal(svc.store.getByStudy(id)?.state ?? "queued")),
        150_000,
        "every study to end",
      );

      const job = (i: TestInstance) => svc.store.getByStudy(ids.get(i)!)!;
      // Each path was really taken.
      expect(job(ok).state, JSON.stringify(job(ok).lastError)).to.equal("done");
      expect(job(overlong).state).to.equal("failed");
      expect(job(overlong).lastError?.code).to.equal("DICOM_PARSE_ERROR");
      expect(job(overlong).lastError?.message).to.match(/\(0010,0010\)/);
      expect(job(badVr).lastError?.code).to.equal("DICOM_PARSE_ERROR");
      expect(job(truncated).state).to.equal("failed");
      expect(job(retried).state, JSON.stringify(job(retried).lastError)).to.equal("done");
      expect(job(retried).attempts).to.be.greaterThan(1);
      expect(job(exhausted).state).to.equal("failed");
      expect(job(exhausted).lastError?.code).to.equal("DICOMWEB_HTTP_ERROR");
      expect(job(exhausted).attempts).to.equal(3);
      expect(job(skipped).state).to.equal("skipped");
      expect(job(skippedBodyPart).state).to.equal("skipped");
      expect(job(skippedBodyPart).skipReason).to.match(/\(0018,0015\) BodyPartExamined/);
      expect(job(skippedModality).state).to.equal("skipped");
      expect(job(skippedModality).skipReason).to.match(/\(0008,0060\) Modality \(a value/);
      expect(job(badPhotometric).state).to.equal("failed");
      expect(job(badPhotometric).lastError?.code).to.equal("DICOM_UNSUPPORTED_PIXEL_FORMAT");
      expect(job(badPhotometric).lastError?.message).to.match(/\(0028,0004\)/);

      for (const j of svc.store.list()) {
        errorTexts.push(JSON.stringify(j.lastError), j.skipReason ?? "");
      }

      // Every API response: authenticated GET routes for every study and job, unauthenticated and error answers.
      const get = async (path: string, headers: Record<string, string> = authHeaders("read")) => {
        const res = await fetch(`${svc.url}${path}`, { headers });
        const body = Buffer.from(await res.arrayBuffer()).toString("latin1");
        // The request path is not scanned (one deliberately carries a marker); the answer is.
        apiTexts.push(`${res.status} ${JSON.stringify([...res.headers])} ${body}`);
        return res.status;
      };
      expect(await get("/metrics")).to.equal(200);
      for (const p of [
        "/healthz",
        "/readyz",
        "/api/studies?limit=1000",
        "/api/jobs/failed",
        "/api/notifications",
        "/api/drift",
        "/api/openapi.json",
      ]) {
        await get(p);
      }
      for (const id of ids.values()) {
        expect(await get(`/api/studies/${id}`)).to.equal(200);
        await get(`/api/studies/${id}/preview`);
        expect(await get(`/api/studies/${id}`, {})).to.equal(401);
      }
      // Issue 21: who each study is — the one answer that must carry the markers (read from
      // Orthanc on demand); kept apart from the scanned answers, and checked to hold them.
      for (const id of ids.values()) {
        const res = await fetch(`${svc.url}/api/studies/${id}/identity`, {
          headers: authHeaders("read"),
        });
        expect(res.status).to.equal(200);
        expect(res.headers.get("cache-control")).to.equal("no-store");
        identityTexts.push(await res.text());
        await get(`/api/studies/${id}/feedback`);
        expect(await get(`/api/studies/${id}/identity`, {})).to.equal(401);
      }
      await get("/api/studies/ffffffff-ffffffff-ffffffff-ffffffff-ffffffff/identity");
      // Feedback from a reviewer and an admin on the study that was read, and the feedback lists.
      for (const role of ["reviewer", "admin"] as const) {
        const res = await fetch(`${svc.url}/api/studies/${ids.get(ok)}/feedback`, {
          method: "POST",
          headers: authHeaders(role, { "content-type": "application/json" }),
          body: JSON.stringify({ findings: [{ label: "pneumothorax", verdict: "absent" }] }),
        });
        expect(res.status).to.equal(201);
        apiTexts.push(await res.text());
      }
      expect(await get("/api/feedback?all=1")).to.equal(200);
      await get("/api/studies/not-an-id");
      await get("/api/studies/ffffffff-ffffffff-ffffffff-ffffffff-ffffffff");
      await get(`/api/studies?state=${MARK.name}`);
      const reprocess = await fetch(`${svc.url}/api/studies/${ids.get(overlong)}/reprocess`, {
        method: "POST",
        headers: authHeaders("admin", { "content-type": "application/json" }),
        body: JSON.stringify({ reason: "leak test" }),
      });
      apiTexts.push(await reprocess.text());

      // An error made straight from the malformed bytes, with its whole cause chain and details.
      for (const bytes of proxy.replace.values()) {
        try {
          parseInstance(bytes);
        } catch (e) {
          let cur: unknown = e;
          while (cur instanceof Error) {
            errorTexts.push(cur.message, String(cur.stack), JSON.stringify(cur));
            if (cur instanceof RadzError) errorTexts.push(JSON.stringify(cur.details ?? {}));
            cur = cur.cause;
          }
        }
      }
    } finally {
      eventsAbort.abort();
      await eventsDone;
      process.stdout.write = stdoutWrite;
      process.stderr.write = stderrWrite;
      if (started) await radz.stop(started);
    }

    const logLines = logChunks
      .join("")
      .split("\n")
      .filter((l) => l !== "");
    expect(logLines.length, "trace logging produced lines").to.be.greaterThan(20);
    for (const line of logLines) {
      expect(findMarkers(line), `log line: ${line.slice(0, 300)}`).to.deep.equal([]);
      expect(line.length, "a log line carries no pixel data").to.be.lessThan(16_384);
      const parsed = JSON.parse(line) as Record<string, unknown>;
      expect(parsed).to.not.have.any.keys(
        "PatientName",
        "PatientID",
        "AccessionNumber",
        "PatientBirthDate",
      );
    }
    expect(findMarkers(consoleChunks.join("")), "stdout/stderr").to.deep.equal([]);
    expect(findMarkers(events.join("")), "event stream").to.deep.equal([]);
    for (const t of apiTexts) expect(findMarkers(t), `API: ${t.slice(0, 200)}`).to.deep.equal([]);
    // The identity answers did carry them (so the scans above would have found a leak of them).
    expect(identityTexts).to.have.length(ids.size);
    const shown = JSON.parse(identityTexts[[...ids.keys()].indexOf(ok)]!) as Record<string, string>;
    expect(shown).to.deep.include({
      patientName: `${MARK.name}^Given`,
      patientId: MARK.id,
      accessionNumber: MARK.accession,
      studyDescription: `CHEST ${FREE_TEXT.description}`,
    });
    for (const t of errorTexts)
      expect(findMarkers(t), `error: ${t.slice(0, 200)}`).to.deep.equal([]);
    // The Orthanc password (from a *_FILE secret) is never logged either.
    expect(logChunks.join("")).to.not.include(ORTHANC_PASSWORD);

    // The job store's bytes on disk (database, WAL, shared memory).
    const dbFiles = readdirSync(radz.dir).filter((f) => f.startsWith("radz.sqlite"));
    expect(dbFiles).to.include("radz.sqlite");
    for (const f of dbFiles) {
      const bytes = readFileSync(join(radz.dir, f));
      expect(findMarkers(bytes.toString("latin1")), `job store file ${f}`).to.deep.equal([]);
    }

    // The same markers are in Orthanc (the scan would have found them had they leaked).
    const stored = await fetch(`${orthanc.url}/studies/${ids.get(ok)}/patient`, {
      headers: {
        Authorization: `Basic ${Buffer.from(`${ORTHANC_USER}:${ORTHANC_PASSWORD}`).toString("base64")}`,
      },
    });
    expect(await stored.text()).to.include(MARK.id);
    const tags = await fetch(`${orthanc.url}/studies/${ids.get(skippedBodyPart)}/shared-tags`, {
      headers: {
        Authorization: `Basic ${Buffer.from(`${ORTHANC_USER}:${ORTHANC_PASSWORD}`).toString("base64")}`,
      },
    });
    const tagText = await tags.text();
    expect(tagText).to.include(FREE_TEXT.bodyPart).and.include(FREE_TEXT.description);
  });
});
