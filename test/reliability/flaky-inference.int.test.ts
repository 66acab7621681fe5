/**
 * Flaky inference: 30% of inference calls fail (INFERENCE_FAILED, transient).
 * Every study completes through retries, and the failures are visible in the
 * service's metrics (radz_job_errors_total{code="INFERENCE_FAILED"}, retries
 * in radz_jobs_settled_total{outcome="retry"}).
 */
import { expect } from "chai";
import { withInferenceFaults, type FaultyModel } from "../../mocks/index.js";
import { isTerminal } from "../../src/jobs/index.js";
import { useOrthanc } from "../helpers/orthanc.js";
import { useService } from "../helpers/service.js";
import { waitFor } from "../helpers/wait.js";
import {
  dicomweb,
  metricValue,
  smallStudies,
  srInstances,
  RELIABILITY_CONFIG,
  upload,
} from "./helpers.js";

describe("reliability: flaky inference (30% of calls fail)", function () {
  this.timeout(180_000);
  const orthanc = useOrthanc({ stableAgeSeconds: 1 });
  const radz = useService({
    prefix: "radz-flaky-",
    orthancUrl: () => orthanc.url,
    config: RELIABILITY_CONFIG,
  });

  it("completes every study through retries and counts the failures in metrics", async () => {
    // 8 attempts: the chance that one study meets 8 failures in a row is 0.3^8 ≈ 7e-5.
    let faulty: FaultyModel | null = null;
    const svc = await radz.start(
      { jobs: { maxAttempts: 8, backoffBaseMs: 100, backoffMaxMs: 500 } },
      {
        service: {
          wrapModel: (m) => (faulty = withInferenceFaults(m, { failureRate: 0.3, seed: 30 })),
        },
      },
    );
    const studies = smallStudies(20, 30, 128);
    const ids = [...(await upload(orthanc.url, studies)).values()];
    await waitFor(
      () => ids.every((id) => isTerminal(svc.store.getByStudy(id)?.state ?? "queued")),
      120_000,
      "every study to finish",
    );
    const jobs = ids.map((id) => svc.store.getByStudy(id)!);
    for (const j of jobs) expect(j.state, JSON.stringify(j.lastError)).to.equal("done");
    const stats = faulty!.faultStats;
    expect(stats.failures, "some calls failed").to.be.greaterThan(0);
    expect(stats.failures / stats.calls).to.be.within(0.1, 0.5);
    // Each failed call cost its study one attempt.
    const attempts = jobs.reduce((n, j) => n + j.attempts, 0);
    expect(attempts).to.equal(studies.length + stats.failures);

    const { body } = await svc.metrics.render();
    expect(metricValue(body, 'radz_job_errors_total{code="INFERENCE_FAILED"}')).to.equal(
      stats.failures,
    );
    expect(metricValue(body, 'radz_jobs_settled_total{outcome="retry"}')).to.equal(stats.failures);
    expect(metricValue(body, 'radz_jobs_settled_total{outcome="done"}')).to.equal(studies.length);

    const client = dicomweb(orthanc.dicomwebUrl);
    for (const s of studies) {
      expect(await srInstances(client, s.studyInstanceUid)).to.have.length(1);
    }
  });
});
