import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { expect } from "chai";
import {
  DriftMonitor,
  DriftStore,
  type DriftAlert,
  type DriftSettings,
} from "../../src/drift/index.js";
import type { Job } from "../../src/jobs/index.js";
import { silentLogger } from "../../src/observability/index.js";
import { Prng } from "../../src/synthetic/index.js";

const SETTINGS: DriftSettings = {
  referenceSize: 60,
  windowSize: 60,
  minWindowSize: 40,
  bins: 5,
  watchLevel: 0.3,
  alertLevel: 0.6,
};
const LABELS = [
  { id: "nodule", display: "Nodule" },
  { id: "pneumothorax", display: "Pneumothorax" },
];

function job(id: number, scores: Record<string, number>, key = "k1"): Job {
  return {
    id,
    orthancStudyId: `0000000${id}`.slice(-8) + "-00000000-00000000-00000000-00000000",
    studyInstanceUid: `2.25.${id}`,
    state: "done",
    attempts: 1,
    source: "changes",
    lastError: null,
    notBefore: 0,
    createdAt: 0,
    updatedAt: 0,
    startedAt: 0,
    finishedAt: 0,
    result: {
      studyInstanceUid: `2.25.${id}`,
      findings: Object.entries(scores).map(([labelId, probability]) => ({
        labelId,
        display: labelId,
        probability,
        threshold: 0.5,
        positive: probability >= 0.5,
      })),
      priority: "routine",
      triageScore: 0,
      model: { id: "demo", version: "1", labelSetHash: key },
      images: [],
      sr: null,
      timings: {},
    },
    skipReason: null,
    recheck: false,
  };
}

describe("drift/monitor", () => {
  let dir: string;
  let path: string;
  const stores: DriftStore[] = [];
  let rng: Prng;
  /** Nodule from `noduleAt` ± 0.1, pneumothorax always about 0.05. */
  const scores = (noduleAt: number) => ({
    nodule: noduleAt + (rng.next() - 0.5) * 0.2,
    pneumothorax: 0.05 + rng.next() * 0.02,
  });

  function monitor(alerts: DriftAlert[], key = "k1", settings = SETTINGS): DriftMonitor {
    const store = new DriftStore({ path });
    stores.push(store);
    return new DriftMonitor({
      store,
      settings,
      referenceKey: key,
      labels: LABELS,
      logger: silentLogger(),
      onAlert: (a) => alerts.push(a),
      historyPoints: 20,
    });
  }

  beforeEach(() => {
    rng = new Prng(11, 0, 0); // each test its own seeded draws
    dir = mkdtempSync(join(tmpdir(), "radz-drift-"));
    path = join(dir, "radz.sqlite");
  });
  afterEach(() => {
    while (stores.length) stores.pop()!.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("fills the reference, waits for minWindowSize, then reports a PSI per label", () => {
    const m = monitor([]);
    let id = 1;
    for (; id <= 60; id++) m.observe(job(id, scores(0.3)));
    expect(m.snapshot().labels.map((l) => l.level)).to.deep.equal(["collecting", "collecting"]);
    expect(monitor([]).snapshot().referenceCount).to.equal(60);
    for (; id <= 60 + 39; id++) m.observe(job(id, scores(0.3)));
    expect(m.psiByLabel().size).to.equal(0);
    m.observe(job(id, scores(0.3)));
    const s = m.snapshot();
    expect(s.windowCount).to.equal(40);
    expect([...m.psiByLabel().keys()]).to.deep.equal(["nodule", "pneumothorax"]);
    for (const l of s.labels) {
      expect(l.psi).to.be.a("number").and.below(SETTINGS.watchLevel);
      expect(l.level).to.equal("ok");
      expect(l.history).to.have.length(1);
      expect(l.bins!.reference).to.have.length(5);
    }
  });

  it("before the reference is complete the level is 'reference'", () => {
    const m = monitor([]);
    for (let id = 1; id <= 10; id++) m.observe(job(id, scores(0.3)));
    expect(m.snapshot().labels[0]!.level).to.equal("reference");
    expect(m.snapshot().referenceCount).to.equal(10);
  });

  it("alerts once per crossing, stored: no repeat per study, none after a restart; re-armed below watchLevel", () => {
    const alerts: DriftAlert[] = [];
    let m = monitor(alerts);
    let id = 1;
    for (; id <= 120; id++) m.observe(job(id, scores(0.3)));
    expect(alerts).to.deep.equal([]);
    for (; id <= 160; id++) m.observe(job(id, scores(0.7)));
    expect(alerts.map((a) => a.label)).to.deep.equal(["nodule"]);
    const first = alerts[0]!;
    expect(first.psi).to.be.at.least(SETTINGS.alertLevel);
    expect(first.referenceKey).to.equal("k1");
    expect(first.job.id).to.be.within(121, 160);
    expect(m.snapshot().labels.map((l) => [l.level, l.alerting])).to.deep.equal([
      ["alert", true],
      ["ok", false],
    ]);

    // Restart: the stored state keeps the alert; more drifted studies do not repeat it.
    const again: DriftAlert[] = [];
    m = monitor(again);
    expect(m.psiByLabel().get("nodule")).to.be.at.least(SETTINGS.alertLevel);
    for (; id <= 200; id++) m.observe(job(id, scores(0.7)));
    expect(again).to.deep.equal([]);
    expect(m.snapshot().labels[0]!.alerting).to.equal(true);

    // Back to the reference's distribution: re-armed once below watchLevel, then a new crossing alerts.
    for (; id <= 260; id++) m.observe(job(id, scores(0.3)));
    expect(m.snapshot().labels[0]!.alerting).to.equal(false);
    for (; id <= 320; id++) m.observe(job(id, scores(0.7)));
    expect(again.map((a) => a.label)).to.deep.equal(["nodule"]);
  });

  it("counts a study once per reference key, ignores other keys' results, and a new key starts a new reference", () => {
    const m = monitor([]);
    for (let id = 1; id <= 60; id++) m.observe(job(id, scores(0.3)));
    m.observe(job(61, scores(0.3)));
    m.observe(job(61, scores(0.9))); // the same study again (reprocessed): not a second sample
    m.observe(job(62, scores(0.9), "other-key"));
    m.observe({ ...job(63, scores(0.9)), state: "failed", result: null });
    expect(m.snapshot().windowCount).to.equal(1);

    const next = monitor([], "k2");
    expect(next.snapshot().referenceCount).to.equal(0);
    expect(next.snapshot().labels[0]!.level).to.equal("reference");
    // Going back to k1 resumes its windows.
    expect(monitor([]).snapshot()).to.deep.include({ referenceCount: 60, windowCount: 1 });
  });

  it("keeps the stored samples bounded: the reference plus the window and the chart's history", () => {
    const m = monitor([]);
    for (let id = 1; id <= 400; id++) m.observe(job(id, scores(0.3)));
    const db = new Database(path, { readonly: true });
    const n = (db.prepare("SELECT COUNT(*) AS n FROM drift_samples").get() as { n: number }).n;
    db.close();
    expect(n).to.equal(60 + 60 + 20 - 1);
    const s = m.snapshot();
    expect(s.windowCount).to.equal(60);
    expect(s.labels[0]!.history).to.have.length(20);
  });
});
