/**
 * PACS outage: Orthanc is stopped for 30 s in the middle of a run and started
 * again (same ports, same storage). The job runner notices (its probe of
 * GET /system fails), pauses without spending attempts, and resumes when
 * Orthanc answers; every study completes, each with exactly one SR.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { expect } from "chai";
import { withInferenceFaults } from "../../mocks/index.js";
import { isTerminal } from "../../src/jobs/index.js";
import { useOrthanc } from "../helpers/orthanc.js";
import { useService } from "../helpers/service.js";
import { waitFor } from "../helpers/wait.js";
import { dicomweb, RELIABILITY_CONFIG, smallStudies, srInstances, upload } from "./helpers.js";

const OUTAGE_MS = 30_000;

describe("reliability: PACS outage (Orthanc stopped for 30 s mid-run)", function () {
  this.timeout(240_000);
  const orthanc = useOrthanc({ stableAgeSeconds: 1 });
  const radz = useService({
    prefix: "radz-outage-",
    orthancUrl: () => orthanc.url,
    config: RELIABILITY_CONFIG,
  });

  it("pauses during the outage without spending attempts, then completes every study once", async () => {
    const overrides = {
      orthanc: { timeoutMs: 2_000 },
      dicomweb: { timeoutMs: 2_000 },
      // Defaults apart from speed: 5 attempts would not survive 30 s of failures
      // without the outage pause (backoff 200 ms .. 2 s).
      jobs: { maxAttempts: 5, backoffBaseMs: 200, backoffMaxMs: 2_000 },
    };
    // Slow inference a little so work is still queued when Orthanc goes away.
    const svc = await radz.start(overrides, {
      service: { wrapModel: (m) => withInferenceFaults(m, { latencyMs: 350 }) },
    });
    const studies = smallStudies(24, 7, 128);
    const ids = await upload(orthanc.url, studies);
    const orthancIds = [...ids.values()];
    // Every study is stable and has its job before the outage (Orthanc does not
    // report a study stable again after a restart; the sweep would catch it).
    await waitFor(
      () => orthancIds.every((id) => svc.store.getByStudy(id) !== null),
      30_000,
      "all studies enqueued",
    );
    await waitFor(() => svc.store.countInState("done") >= 3, 60_000, "a few studies done");

    orthanc.server.kill("SIGTERM");
    const downAt = Date.now();
    await waitFor(() => svc.runner.pausedForOutage, 15_000, "the runner to pause");
    const doneAtOutage = svc.store.countInState("done");
    expect(doneAtOutage, "work left for after the outage").to.be.lessThan(studies.length);
    await sleep(OUTAGE_MS - (Date.now() - downAt)); // the outage itself, not a wait for state
    expect(svc.store.countInState("failed"), "nothing failed during the outage").to.equal(0);
    expect(svc.runner.pausedForOutage).to.equal(true);
    await orthanc.server.restart();

    await waitFor(
      () => orthancIds.every((id) => isTerminal(svc.store.getByStudy(id)?.state ?? "queued")),
      120_000,
      "every study to finish",
    );
    expect(svc.runner.pausedForOutage).to.equal(false);
    const jobs = orthancIds.map((id) => svc.store.getByStudy(id)!);
    for (const j of jobs) expect(j.state, JSON.stringify(j.lastError)).to.equal("done");
    // Attempts that met the outage were not counted.
    expect(Math.max(...jobs.map((j) => j.attempts))).to.be.at.most(2);
    expect(svc.store.list({ limit: 1000 })).to.have.length(studies.length);
    const client = dicomweb(orthanc.dicomwebUrl);
    for (const s of studies) {
      const srs = await srInstances(client, s.studyInstanceUid);
      expect(srs, `SRs in ${s.studyInstanceUid}`).to.have.length(1);
    }
  });
});
