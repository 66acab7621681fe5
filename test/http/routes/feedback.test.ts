/**
 * Feedback from the worklist (POST/GET /api/studies/:id/feedback) and who a
 * study is (GET /api/studies/:id/identity), on a real createApi(): roles,
 * validation, the audit line, the session cookie's CSRF rule, no-store.
 */
import { Writable } from "node:stream";
import { expect } from "chai";
import { SqliteJobStore, studyFeedbackKey } from "../../../src/jobs/index.js";
import { createLogger } from "../../../src/observability/index.js";
import { waitFor } from "../../helpers/wait.js";
import {
  READ_TOKEN,
  REVIEWER_TOKEN,
  STUDY_IDS,
  completeNext,
  result,
  startApi,
  type RunningApi,
} from "./helpers.js";

const [S0, S1] = STUDY_IDS;
const LABELS = [
  { id: "pneumothorax", display: "Pneumothorax" },
  { id: "pleural_effusion", display: "Pleural effusion" },
  { id: "cardiomegaly", display: "Cardiomegaly" },
  { id: "nodule", display: "Nodule" },
];
const PHI = {
  patientName: "FEEDBACKTEST^PATIENT",
  patientId: "FBPID-0042",
  accessionNumber: "FBACC-0042",
  studyDescription: "CHEST PA FBDESC",
  studyDate: "20240105",
};

describe("http/routes/feedback and identity", function () {
  this.timeout(20_000);
  let store: SqliteJobStore;
  let api: RunningApi;
  let lines: string[];
  let uid: string;
  let lookups: string[];

  beforeEach(async () => {
    store = new SqliteJobStore({ path: ":memory:" });
    store.enqueue(S0, "changes");
    store.enqueue(S1, "changes");
    const r = result("urgent", { pneumothorax: 0.9, nodule: 0.7 });
    uid = r.studyInstanceUid;
    completeNext(store, S0, r, Date.now());
    lines = [];
    lookups = [];
    const logger = createLogger({
      level: "trace",
      destination: new Writable({
        write(chunk: Buffer, _e, cb) {
          lines.push(...chunk.toString("utf8").split("\n").filter(Boolean));
          cb();
        },
      }),
    });
    api = await startApi(
      store,
      {
        feedback: store,
        labels: () => LABELS,
        identity: {
          identity: async (id) => {
            lookups.push(id);
            return PHI;
          },
        },
      },
      { logger },
    );
  });
  afterEach(async () => {
    await api.close();
    store.close();
  });

  const post = (findings: unknown, token: string | null = REVIEWER_TOKEN, study: string = S0) =>
    api.fetch(`/api/studies/${study}/feedback`, {
      method: "POST",
      token,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ findings }),
    });

  it("stores confirm, reject and a missed finding under the study's hashed key, author = the token's name", async () => {
    const res = await post([
      { label: "pneumothorax", verdict: "present" },
      { label: "nodule", verdict: "absent" },
      { label: "cardiomegaly", verdict: "present" },
    ]);
    expect(res.status).to.equal(201);
    const body = (await res.json()) as {
      stored: number;
      feedback: { label: string; verdict: string; author: string; source: string }[];
    };
    expect(body.stored).to.equal(3);
    expect(body.feedback.map((f) => [f.label, f.verdict]).sort()).to.deep.equal([
      ["cardiomegaly", "present"],
      ["nodule", "absent"],
      ["pneumothorax", "present"],
    ]);
    expect(new Set(body.feedback.map((f) => `${f.author}/${f.source}`))).to.deep.equal(
      new Set(["reviewer/worklist"]),
    );
    const stored = store.listFeedback({ studyKey: studyFeedbackKey(uid) });
    expect(stored).to.have.length(3);
    expect(stored[0]!.jobId).to.equal(store.getByStudy(S0)!.id);

    // A later verdict replaces the current one; GET shows the study's current verdicts.
    expect((await post([{ label: "nodule", verdict: "present" }])).status).to.equal(201);
    const got = (await (
      await api.fetch(`/api/studies/${S0}/feedback`, { token: READ_TOKEN })
    ).json()) as {
      labels: { id: string }[];
      feedback: { label: string; verdict: string }[];
    };
    expect(got.labels.map((l) => l.id)).to.deep.equal(LABELS.map((l) => l.id));
    expect(got.feedback.find((f) => f.label === "nodule")?.verdict).to.equal("present");
    expect(got.feedback).to.have.length(3);
    // GET /api/feedback has it too, no UID in it.
    const all = await (await api.fetch("/api/feedback?all=1", { token: READ_TOKEN })).text();
    expect((JSON.parse(all) as { feedback: unknown[] }).feedback).to.have.length(4);
    expect(all).to.not.include(uid);
  });

  it("writes one feedback.recorded audit line: who, study, labels and verdicts", async () => {
    expect((await post([{ label: "pneumothorax", verdict: "absent" }])).status).to.equal(201);
    // The line is written when the response finishes.
    await waitFor(() => lines.some((l) => l.includes('"audit":true')), 5_000, "the audit line");
    const audit = lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.audit === true);
    expect(audit).to.have.length(1);
    expect(audit[0]).to.deep.include({
      event: "feedback.recorded",
      actor: "reviewer",
      role: "reviewer",
      method: "POST",
      route: "/api/studies/:id/feedback",
      studies: [S0],
      status: 201,
    });
    expect(audit[0]!.detail).to.deep.equal({
      jobId: store.getByStudy(S0)!.id,
      studyKey: studyFeedbackKey(uid),
      findings: [{ label: "pneumothorax", verdict: "absent" }],
    });
    expect(lines.join("\n")).to.not.include(uid);
  });

  it("refuses a read-only token with 403 AUTH_FORBIDDEN, audit-logged as denied, nothing stored", async () => {
    const res = await post([{ label: "pneumothorax", verdict: "present" }], READ_TOKEN);
    expect(res.status).to.equal(403);
    expect(((await res.json()) as { error: { code: string } }).error.code).to.equal(
      "AUTH_FORBIDDEN",
    );
    expect(store.listFeedback()).to.deep.equal([]);
    await waitFor(() => lines.some((l) => l.includes('"audit":true')), 5_000, "the audit line");
    const denied = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.audit);
    expect(denied).to.deep.include({ event: "admin.denied", actor: "reader", status: 403 });
  });

  it("refuses unknown labels, duplicates, bad verdicts, empty bodies, studies without a result", async () => {
    for (const findings of [
      [{ label: "no_such_label", verdict: "present" }],
      [{ label: "Pneumothorax", verdict: "present" }],
      [
        { label: "nodule", verdict: "present" },
        { label: "nodule", verdict: "absent" },
      ],
      [{ label: "nodule", verdict: "maybe" }],
      [],
      "nodule",
    ]) {
      const res = await post(findings);
      expect(res.status, JSON.stringify(findings)).to.equal(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).to.equal(
        "INPUT_INVALID",
      );
    }
    expect(
      (await post([{ label: "nodule", verdict: "present" }], REVIEWER_TOKEN, S1)).status,
    ).to.equal(409);
    expect(store.listFeedback()).to.deep.equal([]);
  });

  it("with the session cookie: accepted from the service's own page, refused cross-site", async () => {
    const login = await fetch(`${api.base}/api/session`, {
      method: "POST",
      headers: { "content-type": "application/json", Origin: api.base },
      body: JSON.stringify({ token: REVIEWER_TOKEN }),
    });
    const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0]!;
    const send = (origin: string) =>
      api.fetch(`/api/studies/${S0}/feedback`, {
        method: "POST",
        token: null,
        headers: { "content-type": "application/json", Cookie: cookie, Origin: origin },
        body: JSON.stringify({ findings: [{ label: "nodule", verdict: "absent" }] }),
      });
    expect((await send("https://evil.example")).status).to.equal(403);
    expect(store.listFeedback()).to.deep.equal([]);
    expect((await send(api.base)).status).to.equal(201);
    expect(store.listFeedback().map((f) => f.author)).to.deep.equal(["reviewer"]);
  });

  it("identity: read from the source each time, no-store, for any authenticated role; no log line holds it", async () => {
    for (let i = 0; i < 2; i++) {
      const res = await api.fetch(`/api/studies/${S0}/identity`, { token: READ_TOKEN });
      expect(res.status).to.equal(200);
      expect(res.headers.get("cache-control")).to.equal("no-store");
      expect(await res.json()).to.deep.equal({ orthancStudyId: S0, ...PHI });
    }
    expect(lookups).to.deep.equal([S0, S0]);
    expect((await api.fetch(`/api/studies/${S0}/identity`, { token: null })).status).to.equal(401);
    // Only studies with a job are looked up.
    expect((await api.fetch(`/api/studies/${STUDY_IDS[4]}/identity`)).status).to.equal(404);
    expect(lookups).to.have.length(2);
    const text = lines.join("\n");
    for (const v of Object.values(PHI)) expect(text).to.not.include(v);
    // Each read is audit-logged: who, which study.
    const reads = lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.event === "identity.read");
    expect(reads.map((r) => [r.audit, r.actor, r.route, r.studies])).to.deep.equal(
      Array(2).fill([true, "reader", "/api/studies/:id/identity", [S0]]),
    );
  });
});
