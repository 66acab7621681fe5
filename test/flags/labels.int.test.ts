/**
 * Flags in a real Orthanc 1.12 (Debian 13's, chrooted: see
 * test/helpers/orthanc.ts), through the whole service and Orthanc's own labels
 * API: a study with an urgent synthetic finding gets `ai-urgent` and
 * `ai-pneumothorax`; re-processing it after the finding is gone (a
 * triage.labels threshold override) removes both, and a label RadZ did not
 * write stays. The same through study user metadata on 1.10:
 * metadata.int.test.ts.
 */
import { expect } from "chai";
import { OrthancClient } from "../../src/orthanc/index.js";
import { orthancErrorLines, useOrthanc } from "../helpers/orthanc.js";
import { useService } from "../helpers/service.js";
import { waitFor } from "../helpers/wait.js";
import { authHeaders } from "../security/fixtures.js";
import { pneumothoraxOnlyStudy } from "./fixtures.js";

describe("flags in Orthanc 1.12 (the labels API)", function () {
  this.timeout(180_000);
  const orthanc = useOrthanc({ stableAgeSeconds: 1, version: "1.12" });
  const radz = useService({ prefix: "radz-labels-", orthancUrl: () => orthanc.url });

  it("labels an urgent finding ai-urgent + ai-pneumothorax and removes both when a re-run finds nothing, keeping a foreign label", async () => {
    const client = new OrthancClient({ url: orthanc.url, timeoutMs: 10_000 });
    expect((await client.system()).supportsLabels).to.equal(true);
    const study = pneumothoraxOnlyStudy(5);

    const first = await radz.start();
    let id = "";
    for (const bytes of study.instances) id = (await client.uploadInstance(bytes)).parentStudy;
    await client.addStudyLabel(id, "reading-room-2");
    await waitFor(() => first.store.getByStudy(id)?.state === "done", 90_000, "the first run");
    const job = first.store.getByStudy(id)!;
    expect(job.result?.priority, JSON.stringify(job.result?.findings)).to.equal("urgent");
    expect((await client.studyLabels(id)).sort()).to.deep.equal([
      "ai-pneumothorax",
      "ai-urgent",
      "reading-room-2",
    ]);
    // Labels, not metadata: nothing was written as study user metadata.
    expect(await client.getStudyMetadata(id, "RadzPriority")).to.equal(null);
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
    expect(second.store.getByStudy(id)!.result?.priority).to.equal("routine");
    expect(await client.studyLabels(id)).to.deep.equal(["reading-room-2"]);
    expect(orthancErrorLines(orthanc.server.log)).to.deep.equal([]);
  });
});
