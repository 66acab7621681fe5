/**
 * The running service against a real Orthanc: /metrics (parsed with a
 * Prometheus text-format parser) has every listed series with values from
 * the study it just processed and no PHI; /readyz reports the model and
 * Orthanc; the study's log lines carry its correlation id (jobId + study).
 */
import { createRequire } from "node:module";
import { Writable } from "node:stream";
import { expect } from "chai";
import { isTerminal } from "../../src/jobs/index.js";
import { createLogger } from "../../src/observability/index.js";
import { OrthancClient } from "../../src/orthanc/index.js";
import { makeTestInstance, useOrthanc } from "../helpers/orthanc.js";
import { useService } from "../helpers/service.js";
import { waitFor } from "../helpers/wait.js";
import { authHeaders } from "../security/fixtures.js";

interface PromFamily {
  name: string;
  type: string;
  metrics: { labels?: Record<string, string>; value?: string }[];
}
const parsePrometheus = createRequire(import.meta.url)("parse-prometheus-text-format") as (
  text: string,
) => PromFamily[];

const LISTED = [
  "radz_jobs",
  "radz_queue_depth",
  "radz_jobs_settled_total",
  "radz_job_errors_total",
  "radz_orthanc_errors_total",
  "radz_dicomweb_errors_total",
  "radz_stage_duration_seconds",
  "radz_study_duration_seconds",
  "radz_inference_batch_size",
  "radz_execution_provider_info",
  "radz_orthanc_up",
  "radz_orthanc_last_contact_timestamp_seconds",
  "radz_change_feed_cursor",
  "radz_change_feed_lag_seconds",
  "radz_change_feed_polls_total",
  "radz_webhook_requests_total",
  "radz_build_info",
];

describe("service /metrics, /readyz and correlated logs (real Orthanc)", function () {
  this.timeout(120_000);
  const orthanc = useOrthanc({ stableAgeSeconds: 1 });
  const radz = useService({ prefix: "radz-metrics-int-", orthancUrl: () => orthanc.url });
  const logs: string[] = [];

  it("exposes the listed series with the processed study's values, and no PHI", async () => {
    const sink = new Writable({
      write(chunk: Buffer, _e, cb) {
        logs.push(...chunk.toString("utf8").split("\n").filter(Boolean));
        cb();
      },
    });
    const svc = await radz.start(
      {},
      { logger: createLogger({ level: "info", destination: sink }) },
    );
    const instance = makeTestInstance({
      patientName: "MARKER^PATIENTNAME",
      patientId: "MARKERPID77",
      accessionNumber: "MARKERACC77",
    });
    const client = new OrthancClient({ url: orthanc.url, timeoutMs: 10_000 });
    const id = (await client.uploadInstance(instance.bytes)).parentStudy;
    await waitFor(
      () => isTerminal(svc.store.getByStudy(id)?.state ?? "queued"),
      60_000,
      "the study to finish",
    );
    const job = svc.store.getByStudy(id)!;
    expect(job.state, JSON.stringify(job.lastError)).to.equal("done");

    const res = await fetch(`${svc.url}/metrics`, { headers: authHeaders("read") });
    expect(res.status).to.equal(200);
    expect(res.headers.get("content-type")).to.match(/^text\/plain; version=0\.0\.4/);
    const body = await res.text();
    const families = parsePrometheus(body);
    const names = new Set(families.map((f) => f.name));
    expect(
      LISTED.filter((n) => !names.has(n)),
      "missing series",
    ).to.deep.equal([]);
    const value = (name: string, labels: Record<string, string> = {}) =>
      Number(
        families
          .find((f) => f.name === name)!
          .metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))
          ?.value,
      );
    expect(value("radz_jobs", { state: "done" })).to.equal(1);
    expect(value("radz_jobs_settled_total", { outcome: "done" })).to.equal(1);
    expect(value("radz_orthanc_up")).to.equal(1);
    expect(value("radz_change_feed_cursor")).to.be.greaterThan(0);
    expect(value("radz_change_feed_lag_seconds")).to.be.within(0, 10);
    expect(value("radz_execution_provider_info", { provider: "cpu" })).to.equal(1);
    expect(body).to.match(/^radz_stage_duration_seconds_count\{stage="inference"\} 1$/m);
    expect(body).to.match(/^radz_stage_duration_seconds_count\{stage="stow"\} 1$/m);
    expect(body).to.match(/^radz_inference_batch_size_count \d+$/m);
    for (const marker of ["MARKER", id, instance.studyInstanceUid, instance.sopInstanceUid]) {
      expect(body, marker).not.to.include(marker);
    }

    const ready = await fetch(`${svc.url}/readyz`, { headers: authHeaders("read") });
    expect(ready.status).to.equal(200);
    expect(await ready.json()).to.deep.include({ ready: true, model: true });

    // Correlation: the job's lines carry its jobId and Orthanc study ID.
    const studyLines = logs
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.study === id);
    expect(studyLines.length).to.be.greaterThan(0);
    expect(studyLines.some((l) => l.jobId === job.id && l.msg === "study done")).to.equal(true);
    expect(logs.join("\n")).not.to.include("MARKER");
  });
});
