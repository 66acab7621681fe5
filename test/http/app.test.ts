import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { expect } from "chai";
import { createApi } from "../../src/http/app.js";
import { SqliteJobStore } from "../../src/jobs/index.js";
import { silentLogger } from "../../src/observability/index.js";
import { authHeaders, TEST_API_SECURITY } from "../security/fixtures.js";

/** fetch with the read-only test token. */
function authed(url: string, init: RequestInit = {}): Promise<Response> {
  return fetch(url, {
    ...init,
    headers: authHeaders("read", init.headers as Record<string, string>),
  });
}

const STUDY = "0a1b2c3d-0a1b2c3d-0a1b2c3d-0a1b2c3d-0a1b2c3d";

describe("http/app", () => {
  let store: SqliteJobStore;
  let server: Server;
  let base: string;

  before(async () => {
    store = new SqliteJobStore({ path: ":memory:" });
    store.enqueueBatch([STUDY, "11111111-11111111-11111111-11111111-11111111"], "changes");
    const job = store.claimNext(Date.now())!;
    store.complete(job.id, {
      studyInstanceUid: "1.2.3",
      findings: [
        {
          labelId: "pneumothorax",
          display: "Pneumothorax",
          probability: 0.93,
          threshold: 0.5,
          positive: true,
        },
      ],
      priority: "urgent",
      triageScore: 0.93,
      model: { id: "demo", version: "1", labelSetHash: "h" },
      images: ["1.2.3.4"],
      sr: { sopInstanceUid: "2.25.1", seriesInstanceUid: "2.25.2" },
      timings: { inference: 5 },
    });
    const app = createApi({
      store,
      logger: silentLogger(),
      ready: () => true,
      model: () => null,
      security: TEST_API_SECURITY,
    });
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, "127.0.0.1", () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.close();
    store.close();
  });

  it("answers /healthz and /readyz", async () => {
    expect((await fetch(`${base}/healthz`)).status).to.equal(200);
    expect(await (await authed(`${base}/readyz`)).json()).to.deep.equal({ ready: true });
  });

  it("lists studies, urgent first, with counts", async () => {
    const body = (await (await authed(`${base}/api/studies`)).json()) as {
      studies: { orthancStudyId: string; priority: string | null }[];
      counts: Record<string, number>;
    };
    expect(body.studies[0]).to.include({ orthancStudyId: STUDY, priority: "urgent" });
    expect(body.counts).to.include({ done: 1, queued: 1 });
  });

  it("filters by state and validates parameters", async () => {
    const body = (await (await authed(`${base}/api/studies?state=queued`)).json()) as {
      studies: unknown[];
    };
    expect(body.studies).to.have.length(1);
    const bad = await authed(`${base}/api/studies?state=nonsense&limit=5`);
    expect(bad.status).to.equal(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).to.equal(
      "INPUT_INVALID",
    );
    expect((await authed(`${base}/api/studies?limit=-1`)).status).to.equal(400);
  });

  it("returns one study with scores and SR UIDs, 404 for unknown, 400 for malformed ids", async () => {
    const one = (await (await authed(`${base}/api/studies/${STUDY}`)).json()) as {
      sr: { sopInstanceUid: string };
      findings: { probability: number }[];
    };
    expect(one.sr.sopInstanceUid).to.equal("2.25.1");
    expect(one.findings[0]?.probability).to.equal(0.93);
    expect(
      (await authed(`${base}/api/studies/22222222-22222222-22222222-22222222-22222222`)).status,
    ).to.equal(404);
    expect((await authed(`${base}/api/studies/..%2F..%2Fetc`)).status).to.equal(400);
  });

  it("rejects malformed JSON bodies with 4xx, not 5xx", async () => {
    const r = await fetch(`${base}/api/studies`, {
      method: "POST",
      headers: authHeaders("admin", { "content-type": "application/json" }),
      body: "{",
    });
    expect(r.status).to.be.within(400, 499);
  });
});
