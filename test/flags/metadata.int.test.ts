/**
 * Flags in a real Orthanc 1.10 (no labels: study user metadata), through the
 * whole service: a study with an urgent synthetic finding gets the metadata
 * flag; re-processing it after the finding is gone (a triage.labels threshold
 * override) removes the flag. The same through the labels API on 1.12:
 * labels.int.test.ts.
 */
import { expect } from "chai";
import { DEFAULT_METADATA_NAMES, StudyFlagger } from "../../src/flags/index.js";
import { silentLogger } from "../../src/observability/index.js";
import { OrthancClient } from "../../src/orthanc/index.js";
import { expectRadzError } from "../helpers/errors.js";
import { makeTestInstance, useOrthanc } from "../helpers/orthanc.js";
import { useService } from "../helpers/service.js";
import { waitFor } from "../helpers/wait.js";
import { authHeaders } from "../security/fixtures.js";
import { pneumothoraxOnlyStudy } from "./fixtures.js";

describe("flags in Orthanc 1.10 (study user metadata)", function () {
  this.timeout(180_000);
  const orthanc = useOrthanc({ stableAgeSeconds: 1 });
  const radz = useService({ prefix: "radz-flags-", orthancUrl: () => orthanc.url });

  it("sets RadzPriority/RadzFindings for an urgent finding and removes them when a re-run finds nothing", async () => {
    const client = new OrthancClient({ url: orthanc.url, timeoutMs: 10_000 });
    expect((await client.system()).supportsLabels).to.equal(false);
    const study = pneumothoraxOnlyStudy(5);

    const first = await radz.start();
    let id = "";
    for (const bytes of study.instances) id = (await client.uploadInstance(bytes)).parentStudy;
    await waitFor(() => first.store.getByStudy(id)?.state === "done", 90_000, "the first run");
    const job = first.store.getByStudy(id)!;
    expect(job.result?.priority, JSON.stringify(job.result?.findings)).to.equal("urgent");
    expect(job.result?.timings).to.have.property("flags");
    expect(await client.getStudyMetadata(id, "RadzPriority")).to.equal("urgent");
    expect(await client.getStudyMetadata(id, "RadzFindings")).to.match(
      /^pneumothorax=(0\.\d\d|1\.00)$/,
    );
    expect(await client.getStudyMetadata(id, "RadzStatus")).to.equal("done");
    expect(await client.getStudyMetadata(id, "RadzResult")).to.equal(
      job.result?.sr?.sopInstanceUid,
    );
    await radz.stop(first);

    // The finding is gone: a threshold no probability reaches.
    const second = await radz.start({ triage: { labels: { pneumothorax: { threshold: 1 } } } });
    const res = await fetch(`${second.url}/api/studies/${id}/reprocess`, {
      method: "POST",
      headers: authHeaders("admin"),
    });
    expect(res.status).to.equal(202);
    await waitFor(
      () => {
        const j = second.store.getByStudy(id);
        return j?.state === "done" && j.updatedAt > job.updatedAt;
      },
      90_000,
      "the re-run",
    );
    const rerun = second.store.getByStudy(id)!;
    expect(rerun.result?.priority).to.equal("routine");
    expect(rerun.result?.findings.find((f) => f.labelId === "pneumothorax")).to.include({
      threshold: 1,
      positive: false,
    });
    expect(await client.getStudyMetadata(id, "RadzPriority")).to.equal(null);
    expect(await client.getStudyMetadata(id, "RadzFindings")).to.equal(null);
    expect(await client.getStudyMetadata(id, "RadzStatus")).to.equal("done");
  });

  it("metadata names Orthanc does not know: 'auto' leaves the study unflagged, 'metadata' fails it", async () => {
    const client = new OrthancClient({ url: orthanc.url, timeoutMs: 10_000 });
    const id = (await client.uploadInstance(makeTestInstance().bytes)).parentStudy;
    const names = { ...DEFAULT_METADATA_NAMES, status: "RadzNotRegistered" };
    const input = {
      priority: "urgent" as const,
      findings: [{ labelId: "pneumothorax", probability: 0.9, positive: true }],
      sr: null,
    };
    const make = (mode: "auto" | "metadata") =>
      new StudyFlagger({
        orthanc: client,
        mode,
        labelPrefix: "ai-",
        metadataNames: names,
        logger: silentLogger(),
      });
    const auto = make("auto");
    expect((await auto.apply(id, input)).method).to.equal("none");
    expect((await auto.apply(id, input)).method).to.equal("none"); // remembered: no more attempts
    await expectRadzError(make("metadata").apply(id, input), "FLAGS_METADATA_NOT_REGISTERED");
    // An unknown study is not mistaken for an unregistered name.
    await expectRadzError(
      make("metadata").apply("0a0a0a0a-0a0a0a0a-0a0a0a0a-0a0a0a0a-0a0a0a0a", input),
      "ORTHANC_NOT_FOUND",
    );
  });
});
