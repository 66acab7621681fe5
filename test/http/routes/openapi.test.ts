/**
 * The OpenAPI document against the real API: every route createApi() mounts is
 * documented, every documented operation is called here, and every response
 * (status, content type, JSON body) is validated against the document with
 * ajv (JSON Schema 2020-12, OpenAPI 3.1's dialect).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Express } from "express";
import { expect } from "chai";
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import { DriftMonitor, DriftStore } from "../../../src/drift/index.js";
import { createApi } from "../../../src/http/app.js";
import { EventBus } from "../../../src/http/events.js";
import { openApiDocument } from "../../../src/http/openapi.js";
import { createWebhookRouter } from "../../../src/http/webhook.js";
import { SqliteJobStore } from "../../../src/jobs/index.js";
import { NotificationLog } from "../../../src/notify/index.js";
import { silentLogger } from "../../../src/observability/index.js";
import {
  ADMIN_TOKEN,
  READ_TOKEN,
  REVIEWER_TOKEN,
  STUDY_IDS,
  completeNext,
  failNext,
  result,
  startApi,
  type RunningApi,
} from "./helpers.js";

type Doc = {
  paths: Record<
    string,
    Record<string, { responses: Record<string, { content?: Record<string, unknown> }> }>
  >;
};

const [S0, S1, S2, S3] = STUDY_IDS;
const PNG = Buffer.from("89504e470d0a1a0a", "hex");

/** JSON pointer segment, URI-encoded for a $ref fragment. */
const seg = (s: string) => encodeURIComponent(s.replaceAll("~", "~0").replaceAll("/", "~1"));

/** Every (method, path) an express app routes, with :params as {params}. */
function expressRoutes(app: Express): string[] {
  const out: string[] = [];
  const walk = (stack: unknown[]) => {
    for (const layer of stack as {
      route?: { path: string; methods: Record<string, boolean> };
      handle?: { stack?: unknown[] };
    }[]) {
      if (layer.route) {
        for (const m of Object.keys(layer.route.methods)) {
          out.push(`${m.toUpperCase()} ${layer.route.path.replace(/:([A-Za-z]+)/g, "{$1}")}`);
        }
      } else if (layer.handle?.stack) {
        walk(layer.handle.stack);
      }
    }
  };
  walk((app as unknown as { router: { stack: unknown[] } }).router.stack);
  return out;
}

/** The documented path template a concrete path matches ("/ui/worklist.css" -> "/ui/{file}"). */
function templateOf(doc: Doc, path: string): string | undefined {
  if (doc.paths[path]) return path;
  return Object.keys(doc.paths).find((t) =>
    new RegExp(`^${t.replace(/\{[^}]+\}/g, "[^/]+")}$`).test(path),
  );
}

describe("http/openapi: the document matches the real responses of every route", function () {
  this.timeout(30_000);
  let work: string;
  let store: SqliteJobStore;
  let log: NotificationLog;
  let driftStore: DriftStore;
  let api: RunningApi;
  let doc: Doc;
  let ajv: Ajv2020;
  const validators = new Map<string, ValidateFunction>();
  const exercised = new Set<string>();

  before(async () => {
    work = mkdtempSync(join(tmpdir(), "radz-openapi-"));
    const dbPath = join(work, "radz.sqlite");
    store = new SqliteJobStore({ path: dbPath });
    for (const id of [S0, S1, S2, S3]) store.enqueue(id, "changes");
    const urgent = completeNext(store, S0, result("urgent", { pneumothorax: 0.91 }), Date.now());
    const routine = completeNext(store, S1, result("routine", {}), Date.now());
    failNext(store, S2, Date.now());
    // Drift: two studies make the reference, a third (pneumothorax 0.91 again) the current window
    // (sizes this small only here): pneumothorax PSI 0.275, past the alert level.
    driftStore = new DriftStore({ path: dbPath });
    const drift = new DriftMonitor({
      store: driftStore,
      settings: {
        referenceSize: 2,
        windowSize: 1,
        minWindowSize: 1,
        bins: 2,
        watchLevel: 0.1,
        alertLevel: 0.25,
      },
      referenceKey: "abcd",
      labels: [
        { id: "pneumothorax", display: "Pneumothorax" },
        { id: "nodule", display: "Nodule" },
      ],
      logger: silentLogger(),
    });
    drift.observe(urgent);
    drift.observe(routine);
    drift.observe({ ...urgent, id: 999 });
    log = new NotificationLog({ path: dbPath });
    const base = { event: "study.urgent", jobId: urgent.id, orthancStudyId: S0, body: "{}" };
    log.create({ ...base, eventId: "7c3e1a52-2a8e-4e44-9a59-6f1f0f2f3b01" });
    const delivered = log.create({ ...base, eventId: "7c3e1a52-2a8e-4e44-9a59-6f1f0f2f3b02" });
    log.delivered(delivered.id, 204);
    const failed = log.create({ ...base, eventId: "7c3e1a52-2a8e-4e44-9a59-6f1f0f2f3b03" });
    log.attemptFailed(
      failed.id,
      null,
      { code: "NOTIFY_DELIVERY_FAILED", message: "timeout" },
      null,
    );
    api = await startApi(
      store,
      {
        events: new EventBus(),
        links: {
          orthancPublicUrl: "http://127.0.0.1:8042",
          viewerUrlTemplate: "https://viewer.example/?study={studyInstanceUID}",
          viewerName: "Stone",
        },
        preview: { preview: async () => ({ contentType: "image/png", body: PNG }) },
        notifications: log,
        feedback: store,
        identity: {
          identity: async () => ({
            patientName: "DOE^JANE",
            patientId: "P-1",
            accessionNumber: null,
            studyDescription: "CHEST PA",
            studyDate: "20240105",
          }),
        },
        studyExists: async () => false,
        drift,
      },
      {
        metrics: async () => ({ contentType: "text/plain; version=0.0.4", body: "radz_up 1\n" }),
        preBodyRouters: [
          createWebhookRouter({
            enqueue: (id, source) => store.enqueue(id, source),
            wake: () => undefined,
            logger: silentLogger(),
            secret: undefined,
            maxSkewSeconds: 300,
            acceptBearer: true,
          }),
        ],
      },
    );
    doc = (await (await api.fetch("/api/openapi.json")).json()) as Doc;
    ajv = new Ajv2020({ strict: false, allErrors: true });
    ajv.addFormat("date-time", (v: string) => !Number.isNaN(Date.parse(v)) && /T/.test(v));
    ajv.addFormat("uri", (v: string) => URL.canParse(v));
    ajv.addFormat("uuid", /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
    ajv.addSchema(doc, "radz-openapi");
  });
  after(async () => {
    await api.close();
    driftStore.close();
    log.close();
    store.close();
    rmSync(work, { recursive: true, force: true });
  });

  /** Calls a route and checks status, content type and (JSON) body against the document. */
  async function check(
    method: string,
    path: string,
    expectStatus: number,
    init: { token?: string | null; body?: string; stream?: boolean } = {},
  ): Promise<unknown> {
    const controller = new AbortController();
    const res = await api.fetch(path, {
      method,
      token: init.token === undefined ? ADMIN_TOKEN : init.token,
      signal: controller.signal,
      ...(init.body === undefined
        ? {}
        : { body: init.body, headers: { "content-type": "application/json" } }),
    });
    const label = `${method} ${path}`;
    expect(res.status, label).to.equal(expectStatus);
    const template = templateOf(doc, path.split("?")[0] ?? path);
    expect(template, `${label} is documented`).to.be.a("string");
    const op = doc.paths[template!]?.[method.toLowerCase()];
    expect(op, `${method} ${template} is documented`).to.not.equal(undefined);
    const response = op!.responses[String(res.status)];
    expect(response, `${label}: status ${res.status} is documented`).to.not.equal(undefined);
    exercised.add(`${method} ${template}`);
    const type = (res.headers.get("content-type") ?? "").split(";")[0]!.trim();
    if (response!.content === undefined) {
      expect(await res.text(), `${label}: no body documented`).to.equal("");
      return null;
    }
    expect(Object.keys(response!.content), `${label}: content type`).to.include(type);
    if (init.stream) {
      controller.abort();
      return null;
    }
    if (type !== "application/json") {
      expect((await res.arrayBuffer()).byteLength, label).to.be.greaterThan(0);
      return null;
    }
    const body: unknown = await res.json();
    const pointer = `radz-openapi#/paths/${seg(template!)}/${method.toLowerCase()}/responses/${res.status}/content/${seg(type)}/schema`;
    let validate = validators.get(pointer);
    if (!validate) {
      validate = ajv.compile({ $ref: pointer });
      validators.set(pointer, validate);
    }
    expect(validate(body), `${label}: ${ajv.errorsText(validate.errors)}`).to.equal(true);
    return body;
  }

  it("is an OpenAPI 3.1 document", () => {
    expect((doc as unknown as { openapi: string }).openapi).to.equal("3.1.0");
    expect(doc).to.deep.equal(openApiDocument()); // served as written
  });

  it("public routes: /healthz, the page and its files, the session, the webhook", async () => {
    await check("GET", "/healthz", 200, { token: null });
    await check("GET", "/", 200, { token: null });
    await check("GET", "/worklist", 200, { token: null });
    await check("GET", "/ui/worklist.css", 200, { token: null });
    await check("GET", "/ui/format.js", 200, { token: null });
    await check("GET", "/ui/missing.js", 404, { token: null });
    await check("POST", "/api/session", 200, {
      token: null,
      body: JSON.stringify({ token: READ_TOKEN }),
    });
    await check("POST", "/api/session", 401, {
      token: null,
      body: JSON.stringify({ token: "radz_nope-nope-nope" }),
    });
    await check("POST", "/api/session", 400, { token: null, body: JSON.stringify({}) });
    await check("GET", "/api/session", 200);
    await check("GET", "/api/session", 401, { token: null });
    await check("DELETE", "/api/session", 204, { token: null });
    await check("POST", "/webhook/orthanc", 404, { token: null, body: "{}" });
  });

  it("service routes: /readyz, /metrics, /api/openapi.json", async () => {
    await check("GET", "/readyz", 200);
    await check("GET", "/metrics", 200);
    await check("GET", "/api/openapi.json", 200);
    await check("GET", "/readyz", 401, { token: null });
  });

  it("study routes", async () => {
    const list = (await check("GET", "/api/studies", 200)) as { studies: unknown[] };
    expect(list.studies).to.have.length(4);
    await check(
      "GET",
      "/api/studies?priority=urgent&flag=pneumothorax&since=2020-01-01&limit=1",
      200,
    );
    await check("GET", "/api/studies?state=bogus", 400);
    await check("GET", "/api/studies", 401, { token: null });
    const one = (await check("GET", `/api/studies/${S0}`, 200)) as { notifications: unknown[] };
    expect(one.notifications).to.have.length(3);
    await check("GET", `/api/studies/${S2}`, 200);
    await check("GET", `/api/studies/${S3}`, 200);
    await check("GET", "/api/studies/nope", 400);
    await check("GET", `/api/studies/${STUDY_IDS[5]}`, 404);
    await check("GET", `/api/studies/${S0}/preview`, 200);
    await check("GET", `/api/studies/${S3}/preview`, 404);
    await check("POST", `/api/studies/${S1}/reprocess`, 403, { token: READ_TOKEN });
    await check("POST", `/api/studies/${STUDY_IDS[5]}/reprocess`, 404);
    await check("POST", `/api/studies/${S1}/reprocess`, 202);
    store.claimNext(Date.now() + 60_000); // S1 (requeued) or S3 running
    const running = store.list({ state: "running" })[0]!;
    await check("POST", `/api/studies/${running.orthancStudyId}/reprocess`, 409);
  });

  it("job and notification routes", async () => {
    const failed = (await check("GET", "/api/jobs/failed", 200)) as { jobs: { id: number }[] };
    expect(failed.jobs).to.have.length(1);
    const done = store.getByStudy(S0)!;
    await check("POST", `/api/jobs/${done.id}/retry`, 409);
    await check("POST", "/api/jobs/987654/retry", 404);
    await check("POST", `/api/jobs/${failed.jobs[0]!.id}/retry`, 202);
    await check("GET", "/api/notifications", 200);
    const f = (await check("GET", "/api/notifications?state=failed", 200)) as {
      notifications: { error: { code: string } }[];
    };
    expect(f.notifications.map((n) => n.error.code)).to.deep.equal(["NOTIFY_DELIVERY_FAILED"]);
    await check("GET", `/api/notifications?study=${S0}&state=pending`, 200);
    await check("GET", "/api/notifications?state=x", 400);
  });

  it("feedback route: current verdicts under hashed study keys, all entries with all=1", async () => {
    store.addFeedback(
      [
        { studyInstanceUid: "1.2.840.1", label: "nodule", verdict: "present" },
        { studyInstanceUid: "1.2.840.1", label: "nodule", verdict: "absent" },
      ],
      { author: "dr-a", source: "worklist" },
    );
    const current = (await check("GET", "/api/feedback", 200)) as {
      feedback: { verdict: string; studyKey: string }[];
    };
    expect(current.feedback.map((f) => f.verdict)).to.deep.equal(["absent"]);
    expect(JSON.stringify(current)).to.not.contain("1.2.840.1");
    const all = (await check("GET", "/api/feedback?all=1&label=nodule", 200)) as {
      feedback: unknown[];
    };
    expect(all.feedback).to.have.length(2);
    await check("GET", "/api/feedback?label=Not-A-Label", 400);
  });

  it("study feedback routes: the study's verdicts and label set; reviewer and admin may give it", async () => {
    const got = (await check("GET", `/api/studies/${S0}/feedback`, 200)) as {
      labels: { id: string }[];
    };
    expect(got.labels.map((l) => l.id)).to.include("pneumothorax");
    await check("GET", "/api/studies/nope/feedback", 400);
    await check("GET", `/api/studies/${STUDY_IDS[5]}/feedback`, 404);
    const body = (findings: unknown) => JSON.stringify({ findings });
    const ok = body([{ label: "pneumothorax", verdict: "present" }]);
    const posted = (await check("POST", `/api/studies/${S0}/feedback`, 201, {
      token: REVIEWER_TOKEN,
      body: ok,
    })) as { feedback: { author: string }[] };
    expect(posted.feedback.map((f) => f.author)).to.deep.equal(["reviewer"]);
    await check("POST", `/api/studies/${S0}/feedback`, 201, { body: ok });
    await check("POST", `/api/studies/${S0}/feedback`, 403, { token: READ_TOKEN, body: ok });
    await check("POST", `/api/studies/${S0}/feedback`, 401, { token: null, body: ok });
    await check("POST", `/api/studies/${S0}/feedback`, 400, {
      body: body([{ label: "no_such_label", verdict: "present" }]),
    });
    await check("POST", `/api/studies/${STUDY_IDS[5]}/feedback`, 404, { body: ok });
    await check("POST", `/api/studies/${S2}/feedback`, 409, { body: ok });
  });

  it("study identity route: read from the source on demand", async () => {
    const who = (await check("GET", `/api/studies/${S0}/identity`, 200, {
      token: READ_TOKEN,
    })) as { patientName: string };
    expect(who.patientName).to.equal("DOE^JANE");
    await check("GET", "/api/studies/nope/identity", 400);
    await check("GET", `/api/studies/${STUDY_IDS[5]}/identity`, 404);
    await check("GET", `/api/studies/${S0}/identity`, 401, { token: null });
  });

  it("drift route: per-label PSI, level and history", async () => {
    const body = (await check("GET", "/api/drift", 200)) as {
      labels: { label: string; psi: number | null; level: string }[];
    };
    expect(body.labels.map((l) => l.label)).to.deep.equal(["pneumothorax", "nodule"]);
    expect(body.labels[0]!.psi).to.be.closeTo(0.275, 0.001);
    expect(body.labels[0]!.level).to.equal("alert");
    expect(body.labels[1]!.psi).to.equal(0); // 0.05 every time: one bin
  });

  it("the live event stream", async () => {
    await check("GET", "/api/events", 200, { stream: true });
  });

  it("documents every route createApi mounts, and every documented operation was called", () => {
    const app = createApi({
      store,
      logger: silentLogger(),
      ready: () => true,
      model: () => null,
      metrics: async () => ({ contentType: "text/plain", body: "" }),
      preBodyRouters: [
        createWebhookRouter({
          enqueue: (id, source) => store.enqueue(id, source),
          wake: () => undefined,
          logger: silentLogger(),
          secret: undefined,
          maxSkewSeconds: 300,
          acceptBearer: true,
        }),
      ],
    });
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
    );
    for (const route of expressRoutes(app)) {
      const [method, path] = route.split(" ") as [string, string];
      const template = templateOf(doc, path);
      expect(documented, `${route} is in the OpenAPI document`).to.include(
        `${method} ${template ?? path}`,
      );
    }
    expect([...exercised].sort()).to.deep.equal([...documented].sort());
  });
});
