import { createRequire } from "node:module";
import { expect } from "chai";
import { SqliteJobStore, type JobResult } from "../../src/jobs/index.js";
import {
  observeBatchSizes,
  observeChangeSource,
  ReadinessProbe,
  ServiceMetrics,
} from "../../src/observability/index.js";

interface PromSample {
  labels?: Record<string, string>;
  value?: string;
  buckets?: Record<string, string>;
  count?: string;
  sum?: string;
}
interface PromFamily {
  name: string;
  help: string;
  type: string;
  metrics: PromSample[];
}
const parsePrometheus = createRequire(import.meta.url)("parse-prometheus-text-format") as (
  text: string,
) => PromFamily[];

const STUDY_A = "0a1b2c3d-0a1b2c3d-0a1b2c3d-0a1b2c3d-0a1b2c3d";
const STUDY_B = "11111111-22222222-33333333-44444444-55555555";
const STUDY_C = "aaaaaaaa-bbbbbbbb-cccccccc-dddddddd-eeeeeeee";
const STUDY_UID = "2.25.123456789012345678901234567890";

function result(): JobResult {
  return {
    studyInstanceUid: STUDY_UID,
    findings: [
      {
        labelId: "pneumothorax",
        display: "Pneumothorax",
        probability: 0.9,
        threshold: 0.5,
        positive: true,
      },
    ],
    priority: "urgent",
    triageScore: 0.9,
    model: { id: "demo", version: "1", labelSetHash: "h" },
    images: ["2.25.1"],
    sr: { sopInstanceUid: "2.25.2", seriesInstanceUid: "2.25.3" },
    timings: { qido: 12, wado: 40, decode: 8, preprocess: 3, inference: 25, srBuild: 2, stow: 30 },
  };
}

function family(families: PromFamily[], name: string): PromFamily {
  const f = families.find((x) => x.name === name);
  expect(f, `series ${name}`).to.not.equal(undefined);
  return f!;
}

describe("observability/metrics", () => {
  let store: SqliteJobStore;
  let metrics: ServiceMetrics;
  let now: number;

  beforeEach(() => {
    now = 1_700_000_000_000;
    store = new SqliteJobStore({ path: ":memory:" });
    metrics = new ServiceMetrics({
      sources: { countByState: () => store.countByState(), feedCursor: () => 42 },
      version: "0.1.0-test",
      now: () => now,
    });
  });
  afterEach(() => store.close());

  it("exposes every listed series in valid Prometheus text format, with values from real work", async () => {
    store.enqueueBatch([STUDY_A, STUDY_B, STUDY_C], "changes");
    const a = store.claimNext(now)!;
    metrics.jobSettled(store.complete(a.id, result()));
    const b = store.claimNext(now)!;
    metrics.jobSettled(
      store.fail(b.id, { code: "DICOMWEB_REJECTED", message: "STOW refused (HTTP 403)" }),
    );
    const c = store.claimNext(now)!;
    metrics.jobSettled(
      store.retryLater(c.id, { code: "ORTHANC_TIMEOUT", message: "t" }, now + 1000),
    );
    metrics.setModel({ id: "demo-bundle", version: "2", executionProvider: "cpu" });
    const model = observeBatchSizes(
      { scoreImages: async (x: readonly Float32Array[]) => x.length, name: "m" },
      metrics,
    );
    expect(await model.scoreImages([new Float32Array(1), new Float32Array(1)])).to.equal(2);
    expect(model.name).to.equal("m");
    const source = observeChangeSource(
      {
        changes: async () => ({ changes: [], last: 7, done: true }),
        lastChange: async () => 7,
      },
      metrics,
      () => "X",
    );
    await source.changes(0, 100);
    now += 5_000;
    metrics.webhookRequest("accepted");
    metrics.webhookRequest("unauthorized");

    const { contentType, body } = await metrics.render();
    expect(contentType).to.match(/^text\/plain/);
    const families = parsePrometheus(body);

    const jobs = family(families, "radz_jobs");
    expect(jobs.type).to.equal("GAUGE");
    const byState = Object.fromEntries(jobs.metrics.map((m) => [m.labels!.state, Number(m.value)]));
    expect(byState).to.include({ done: 1, failed: 1, queued: 1 });
    expect(Number(family(families, "radz_queue_depth").metrics[0]!.value)).to.equal(1);

    // The parser flattens labelled histograms (a limitation of
    // parse-prometheus-text-format), so per-label histogram lines are read from the text.
    expect(family(families, "radz_stage_duration_seconds").type).to.equal("HISTOGRAM");
    const stageCounts = [
      ...body.matchAll(/^radz_stage_duration_seconds_count\{stage="(\w+)"\} (\d+)$/gm),
    ];
    expect(stageCounts.map((m) => m[1]).sort()).to.deep.equal(
      ["decode", "inference", "preprocess", "qido", "srBuild", "stow", "wado"].sort(),
    );
    expect(stageCounts.every((m) => m[2] === "1")).to.equal(true);
    const inferenceSum = /^radz_stage_duration_seconds_sum\{stage="inference"\} (\S+)$/m.exec(body);
    expect(Number(inferenceSum?.[1])).to.be.closeTo(0.025, 1e-9);
    expect(body).to.match(
      /^radz_stage_duration_seconds_bucket\{le="0\.025",stage="inference"\} 1$/m,
    );

    const batch = family(families, "radz_inference_batch_size");
    expect(batch.type).to.equal("HISTOGRAM");
    expect(Number(batch.metrics[0]!.sum)).to.equal(2);
    expect(Number(batch.metrics[0]!.count)).to.equal(1);
    const ep = family(families, "radz_execution_provider_info").metrics[0]!;
    expect(ep.labels).to.deep.equal({
      provider: "cpu",
      bundle_id: "demo-bundle",
      bundle_version: "2",
    });

    const settled = Object.fromEntries(
      family(families, "radz_jobs_settled_total").metrics.map((m) => [
        m.labels!.outcome,
        Number(m.value),
      ]),
    );
    expect(settled).to.deep.equal({ done: 1, failed: 1, retry: 1 });
    expect(
      family(families, "radz_dicomweb_errors_total").metrics.map((m) => [m.labels!.code, m.value]),
    ).to.deep.equal([["DICOMWEB_REJECTED", "1"]]);
    expect(
      family(families, "radz_orthanc_errors_total").metrics.map((m) => [m.labels!.code, m.value]),
    ).to.deep.equal([["ORTHANC_TIMEOUT", "1"]]);
    expect(family(families, "radz_job_errors_total").metrics).to.have.length(2);

    expect(Number(family(families, "radz_change_feed_cursor").metrics[0]!.value)).to.equal(42);
    expect(Number(family(families, "radz_change_feed_lag_seconds").metrics[0]!.value)).to.equal(5);
    expect(family(families, "radz_change_feed_polls_total").metrics[0]!.labels).to.deep.equal({
      result: "ok",
    });
    expect(family(families, "radz_webhook_requests_total").metrics).to.have.length(2);
    expect(family(families, "radz_build_info").metrics[0]!.labels).to.deep.equal({
      version: "0.1.0-test",
    });
    family(families, "radz_orthanc_up");
    family(families, "radz_orthanc_last_contact_timestamp_seconds");
    family(families, "radz_study_duration_seconds");
    family(families, "process_cpu_user_seconds_total");

    // No Orthanc ID, UID or free text in any label or line.
    for (const marker of [STUDY_A, STUDY_B, STUDY_C, STUDY_UID, "STOW refused", "Pneumothorax"]) {
      expect(body, marker).not.to.include(marker);
    }
  });

  it("reports the change-feed lag as -1 until the feed has drained, and counts failed polls by code", async () => {
    const source = observeChangeSource(
      {
        changes: async () => {
          throw Object.assign(new Error("refused"), { code: "ECONNREFUSED" });
        },
        lastChange: async () => 0,
      },
      metrics,
      () => "ORTHANC_UNREACHABLE",
    );
    await source.changes(0, 10).catch(() => undefined);
    const families = parsePrometheus((await metrics.render()).body);
    expect(Number(family(families, "radz_change_feed_lag_seconds").metrics[0]!.value)).to.equal(-1);
    expect(Number(family(families, "radz_orthanc_up").metrics[0]!.value)).to.equal(0);
    expect(
      family(families, "radz_orthanc_errors_total").metrics.map((m) => m.labels!.code),
    ).to.deep.equal(["ORTHANC_UNREACHABLE"]);
  });

  it("folds label values that are not code-defined names into a fixed bucket", async () => {
    store.enqueue(STUDY_A, "changes");
    const a = store.claimNext(now)!;
    const r = result();
    metrics.jobSettled(
      store.complete(a.id, { ...r, timings: { [`stage ${STUDY_A}`]: 1, ok_stage: 2 } }),
    );
    metrics.webhookRequest(`x ${STUDY_B}`);
    const { body } = await metrics.render();
    expect(body).not.to.include(STUDY_A);
    expect(body).not.to.include(STUDY_B);
    expect(body).to.include('stage="other"');
    expect(body).to.include('stage="ok_stage"');
  });
});

describe("observability/metrics: drift", () => {
  it("radz_drift_psi per label from the monitor, radz_drift_alerts_total per crossing", async () => {
    let psi = new Map<string, number>();
    const metrics = new ServiceMetrics({
      sources: { countByState: () => ({}), driftPsi: () => psi },
      version: "0.1.0-test",
      defaultMetrics: false,
    });
    let families = parsePrometheus((await metrics.render()).body);
    expect(family(families, "radz_drift_psi").metrics).to.deep.equal([]);
    psi = new Map([
      ["nodule", 0.31],
      ["pneumothorax", 0.02],
      [`bad ${STUDY_A}`, 1],
    ]);
    metrics.driftAlert("nodule");
    const { body } = await metrics.render();
    families = parsePrometheus(body);
    const byLabel = Object.fromEntries(
      family(families, "radz_drift_psi").metrics.map((m) => [m.labels!.label, Number(m.value)]),
    );
    expect(byLabel).to.deep.equal({ nodule: 0.31, pneumothorax: 0.02, other: 1 });
    expect(family(families, "radz_drift_alerts_total").metrics).to.deep.equal([
      { labels: { label: "nodule" }, value: "1" },
    ]);
    expect(body).to.not.include(STUDY_A);
  });
});

describe("observability/readiness", () => {
  it("is ready with a loaded model and a recent Orthanc contact, without probing", async () => {
    let probes = 0;
    const probe = new ReadinessProbe({
      modelLoaded: () => true,
      lastOrthancSuccessAt: () => 1_000,
      probeOrthanc: async () => {
        probes++;
      },
      now: () => 11_000,
    });
    expect(await probe.check()).to.deep.equal({
      ready: true,
      model: true,
      orthanc: { reachable: true, lastContactAgoMs: 10_000 },
    });
    expect(probes).to.equal(0);
  });

  it("probes Orthanc once when the last contact is stale, sharing the probe between callers", async () => {
    let probes = 0;
    const contacts: boolean[] = [];
    const probe = new ReadinessProbe({
      modelLoaded: () => true,
      lastOrthancSuccessAt: () => null,
      probeOrthanc: async () => {
        probes++;
        await new Promise((r) => setTimeout(r, 20));
        throw new Error("down");
      },
      recordContact: (ok) => contacts.push(ok),
    });
    const [a, b] = await Promise.all([probe.check(), probe.check()]);
    expect(probes).to.equal(1);
    expect(a.ready).to.equal(false);
    expect(b.orthanc).to.deep.equal({ reachable: false, lastContactAgoMs: null });
    expect(contacts).to.deep.equal([false]);
  });

  it("is not ready once the model is closed", async () => {
    const probe = new ReadinessProbe({
      modelLoaded: () => false,
      lastOrthancSuccessAt: () => Date.now(),
      probeOrthanc: async () => undefined,
    });
    expect((await probe.check()).ready).to.equal(false);
  });
});
