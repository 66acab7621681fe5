import { expect } from "chai";
import { EventBus, type RadzEvent } from "../../../src/http/events.js";
import { SqliteJobStore } from "../../../src/jobs/index.js";
import {
  READ_TOKEN,
  STUDY_IDS,
  completeNext,
  failNext,
  result,
  startApi,
  type RunningApi,
} from "./helpers.js";

const [S0, S1, S2, S3, S4, S5] = STUDY_IDS;
const T0 = Date.parse("2024-05-01T08:00:00Z");

interface Row {
  id: number;
  orthancStudyId: string;
  priority: string | null;
  state: string;
  findings: { labelId: string; probability: number; threshold: number; positive: boolean }[];
  links: { explorer: string | null; viewer: string | null; preview: string | null };
}
interface ListBody {
  studies: Row[];
  nextOffset: number | null;
  counts: Record<string, number>;
}

describe("http/routes/studies", () => {
  let clock = T0;
  let store: SqliteJobStore;
  let api: RunningApi;
  const events: RadzEvent[] = [];
  let woken = 0;
  const exists = new Set<string>([
    S0,
    S1,
    S2,
    S3,
    S4,
    S5,
    "66666666-66666666-66666666-66666666-66666666",
  ]);

  before(async () => {
    store = new SqliteJobStore({ path: ":memory:", now: () => clock });
    // Arrival order S1, S0, S2, S3, S4, S5 (one minute apart).
    for (const id of [S1, S0, S2, S3, S4, S5]) {
      store.enqueue(id, "changes");
      clock += 60_000;
    }
    completeNext(store, S1, result("routine", {}), clock);
    completeNext(store, S0, result("urgent", { pneumothorax: 0.93 }), clock);
    completeNext(store, S2, result("review", { cardiomegaly: 0.7 }), clock);
    completeNext(store, S3, result("urgent", { pneumothorax: 0.8, pleural_effusion: 0.6 }), clock);
    failNext(store, S4, clock);
    const bus = new EventBus();
    bus.subscribe((e) => events.push(e));
    api = await startApi(store, {
      events: bus,
      wake: () => woken++,
      links: {
        orthancPublicUrl: "https://pacs.example/orthanc/",
        viewerUrlTemplate: "https://ohif.example/viewer?StudyInstanceUIDs={studyInstanceUID}",
        viewerName: "OHIF",
      },
      studyExists: async (id) => exists.has(id),
    });
  });
  after(async () => {
    await api.close();
    store.close();
  });

  async function list(query = ""): Promise<ListBody> {
    const res = await api.fetch(`/api/studies${query}`);
    expect(res.status, await res.clone().text()).to.equal(200);
    return (await res.json()) as ListBody;
  }

  it("sorts by priority (urgent, review, routine, not analysed) then arrival", async () => {
    const body = await list();
    expect(body.studies.map((s) => s.orthancStudyId)).to.deep.equal([S0, S3, S2, S1, S4, S5]);
    expect(body.counts).to.include({ done: 4, failed: 1, queued: 1 });
    expect(body.nextOffset).to.equal(null);
  });

  it("filters by priority, state, flag (positive finding) and since", async () => {
    expect((await list("?priority=urgent")).studies.map((s) => s.orthancStudyId)).to.deep.equal([
      S0,
      S3,
    ]);
    expect((await list("?state=failed")).studies.map((s) => s.orthancStudyId)).to.deep.equal([S4]);
    expect(
      (await list("?flag=pleural_effusion")).studies.map((s) => s.orthancStudyId),
    ).to.deep.equal([S3]);
    // cardiomegaly is scored for every study but positive only in S2.
    expect((await list("?flag=cardiomegaly")).studies.map((s) => s.orthancStudyId)).to.deep.equal([
      S2,
    ]);
    const since = new Date(T0 + 3 * 60_000).toISOString(); // S3, S4, S5 arrived at or after
    expect((await list(`?since=${since}`)).studies.map((s) => s.orthancStudyId)).to.deep.equal([
      S3,
      S4,
      S5,
    ]);
    expect((await list(`?since=${T0 + 3 * 60_000}&priority=urgent`)).studies).to.have.length(1);
    expect((await list("?since=2024-05-02")).studies).to.have.length(0);
  });

  it("pages with limit/offset and says where the next page starts, also with a flag", async () => {
    const first = await list("?limit=2");
    expect(first.studies.map((s) => s.orthancStudyId)).to.deep.equal([S0, S3]);
    expect(first.nextOffset).to.equal(2);
    const last = await list("?limit=2&offset=4");
    expect(last.studies.map((s) => s.orthancStudyId)).to.deep.equal([S4, S5]);
    expect(last.nextOffset).to.equal(null);
    const flagged = await list("?flag=pneumothorax&limit=1&offset=1");
    expect(flagged.studies.map((s) => s.orthancStudyId)).to.deep.equal([S3]);
    expect(flagged.nextOffset).to.equal(null);
    expect((await list("?flag=pneumothorax&limit=1")).nextOffset).to.equal(1);
  });

  it("rejects bad filters with 400 INPUT_INVALID", async () => {
    for (const q of [
      "?priority=high",
      "?state=nonsense",
      "?flag=Bad-Label",
      "?flag=a&flag=b",
      "?since=yesterday",
      "?limit=0",
      "?limit=1001",
      "?offset=-1",
    ]) {
      const res = await api.fetch(`/api/studies${q}`);
      expect(res.status, q).to.equal(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).to.equal(
        "INPUT_INVALID",
      );
    }
  });

  it("needs a token (401 without)", async () => {
    expect((await api.fetch("/api/studies", { token: null })).status).to.equal(401);
    expect((await api.fetch("/api/studies", { token: READ_TOKEN })).status).to.equal(200);
  });

  it("one study: findings with probabilities and thresholds, SR UIDs, timings, links", async () => {
    const res = await api.fetch(`/api/studies/${S3}`);
    const s = (await res.json()) as Row & {
      sr: { sopInstanceUid: string };
      timings: Record<string, number>;
      notifications: unknown[];
      studyInstanceUID: string;
    };
    expect(s.findings.find((f) => f.labelId === "pneumothorax")).to.include({
      probability: 0.8,
      threshold: 0.5,
      positive: true,
    });
    expect(s.sr.sopInstanceUid).to.equal("2.25.200");
    expect(s.timings).to.include({ flags: 1.5 });
    expect(s.notifications).to.deep.equal([]);
    expect(s.links.explorer).to.equal(
      `https://pacs.example/orthanc/app/explorer.html#study?uuid=${S3}`,
    );
    expect(s.links.viewer).to.equal(
      `https://ohif.example/viewer?StudyInstanceUIDs=${s.studyInstanceUID}`,
    );
    expect(s.links.preview).to.equal(`/api/studies/${S3}/preview`);
    const failed = (await (await api.fetch(`/api/studies/${S4}`)).json()) as {
      error: { code: string };
      links: { preview: string | null };
    };
    expect(failed.error.code).to.equal("ORTHANC_REJECTED");
    expect(failed.links.preview).to.equal(null);
    expect(
      (await api.fetch(`/api/studies/${"9".repeat(8)}-99999999-99999999-99999999-99999999`)).status,
    ).to.equal(404);
    expect((await api.fetch("/api/studies/..%2F..%2Fetc")).status).to.equal(400);
  });

  it("reprocess: admin only; queues a settled study, publishes it and wakes the runner", async () => {
    expect(
      (await api.fetch(`/api/studies/${S1}/reprocess`, { method: "POST", token: READ_TOKEN }))
        .status,
    ).to.equal(403);
    expect(
      (await api.fetch(`/api/studies/${S1}/reprocess`, { method: "POST", token: null })).status,
    ).to.equal(401);
    const before = events.length;
    const wokenBefore = woken;
    const res = await api.fetch(`/api/studies/${S1}/reprocess`, { method: "POST" });
    expect(res.status).to.equal(202);
    expect(((await res.json()) as Row).state).to.equal("queued");
    expect(store.getByStudy(S1)?.state).to.equal("queued");
    expect(store.getByStudy(S1)?.source).to.equal("manual");
    expect(events.slice(before).map((e) => e.job.orthancStudyId)).to.deep.equal([S1]);
    expect(woken).to.equal(wokenBefore + 1);
  });

  it("reprocess: 409 while running, 404 for a study Orthanc lacks, 202 for one RadZ never saw", async () => {
    const running = store.claimNext(clock)!; // S5 (queued earliest)
    const r409 = await api.fetch(`/api/studies/${running.orthancStudyId}/reprocess`, {
      method: "POST",
    });
    expect(r409.status).to.equal(409);
    store.complete(running.id, result("routine", {}));
    const unknown = "77777777-77777777-77777777-77777777-77777777";
    expect(
      (await api.fetch(`/api/studies/${unknown}/reprocess`, { method: "POST" })).status,
    ).to.equal(404);
    const fresh = "66666666-66666666-66666666-66666666-66666666";
    const res = await api.fetch(`/api/studies/${fresh}/reprocess`, { method: "POST" });
    expect(res.status).to.equal(202);
    expect(store.getByStudy(fresh)?.state).to.equal("queued");
  });
});
