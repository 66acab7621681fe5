/**
 * Write-back against a real Orthanc (1.10 + DICOMweb plugin), through the
 * service's own study processor (src/pipeline/process-study.ts):
 *
 *  - the SR and the summary image land in the source study, under the same
 *    patient, each in a new series of its own (SR: Modality SR, Series
 *    Number 9900; summary: Modality OT, 9901); both pass dciodvfy, and the
 *    SR carries a drawable region for each positive finding;
 *  - processing the same study twice leaves exactly one RadZ SR and one
 *    summary image for the key (Orthanc keeps the first copy of a re-sent
 *    SOP Instance UID: OverwriteInstances is false by default);
 *  - a process SIGKILLed between STOW-RS and the job commit (a real child
 *    process running the JobRunner + SQLite store, killed by itself the
 *    moment the STOW-RS answer arrives) leaves the job "running"; the next
 *    start requeues it, re-sends the same UIDs, and the study still holds
 *    exactly one SR and one summary image;
 *  - a re-run with a changed label set writes a new SR that names the old
 *    one in Predecessor Documents Sequence; "keep" leaves the old objects,
 *    "delete" removes them through Orthanc's REST API.
 */
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { type DicomJsonObject, firstString, SopClassUid, Tag } from "../../src/dicom/index.js";
import { join } from "node:path";
import { SqliteJobStore, type Job } from "../../src/jobs/index.js";
import { silentLogger } from "../../src/observability/index.js";
import { JobRunner } from "../../src/pipeline/job-runner.js";
import { RADZ_EQUIPMENT_MODEL_NAME, readStudyReport, reportUids } from "../../src/report/index.js";
import { writeDemoBundle } from "../../src/model/index.js";
import { generateSyntheticStudies, type SyntheticStudy } from "../../src/synthetic/index.js";
import { dciodvfy, writeTemp } from "../helpers/dicom-tools.js";
import { useOrthanc } from "../helpers/orthanc.js";
import {
  createHarness,
  processOnce,
  type Harness,
  type HarnessOptions,
} from "./pipeline-harness.js";
import { waitFor } from "../helpers/wait.js";

interface ResultInstance {
  sopInstanceUid: string;
  seriesInstanceUid: string;
  sopClassUid: string;
  contentTime: string | undefined;
}

describe("report write-back (real Orthanc)", function () {
  this.timeout(180_000);
  const orthanc = useOrthanc();
  let work: string;
  let studies: SyntheticStudy[];
  const orthancIds = new Map<string, string>();
  const harnesses: Harness[] = [];

  async function harness(bundle: "a" | "b", extra: Partial<HarnessOptions> = {}): Promise<Harness> {
    const h = await createHarness({
      orthancUrl: orthanc.url,
      dicomwebUrl: orthanc.dicomwebUrl,
      bundleDir: join(work, `bundle-${bundle}`),
      dbPath: join(work, `jobs-${harnesses.length}.sqlite`),
      ...extra,
    });
    harnesses.push(h);
    return h;
  }

  /** The RadZ SRs and summary images in a study (by SOP Class and Manufacturer's Model Name). */
  async function results(
    h: Harness,
    study: SyntheticStudy,
  ): Promise<{ srs: ResultInstance[]; summaries: ResultInstance[]; all: DicomJsonObject[] }> {
    const all = await h.dicomweb.searchForInstances(study.studyInstanceUid, undefined, [
      Tag.SOPClassUID,
      Tag.SeriesInstanceUID,
      "00081090",
      "00080033",
    ]);
    const mine = all
      .filter((i) => firstString(i, "00081090") === RADZ_EQUIPMENT_MODEL_NAME)
      .map((i) => ({
        sopInstanceUid: firstString(i, Tag.SOPInstanceUID)!,
        seriesInstanceUid: firstString(i, Tag.SeriesInstanceUID)!,
        sopClassUid: firstString(i, Tag.SOPClassUID)!,
        contentTime: firstString(i, "00080033"),
      }));
    return {
      srs: mine.filter((i) => i.sopClassUid === SopClassUid.ComprehensiveSRStorage),
      summaries: mine.filter((i) => i.sopClassUid === SopClassUid.SecondaryCaptureImageStorage),
      all,
    };
  }

  before(async function () {
    this.timeout(120_000);
    work = mkdtempSync(join(tmpdir(), "radz-writeback-"));
    await writeDemoBundle(join(work, "bundle-a"));
    // Bundle b: the same model with one threshold changed, so its label-set hash differs.
    await writeDemoBundle(join(work, "bundle-b"));
    const manifestPath = join(work, "bundle-b", "bundle.json");
    const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as {
      labels: Array<{ threshold: number }>;
    };
    manifest.labels[0]!.threshold = Math.min(0.99, manifest.labels[0]!.threshold + 0.05);
    writeFileSync(manifestPath, JSON.stringify(manifest, null, 2));

    studies = generateSyntheticStudies({ count: 4, seed: 23, rows: 256, columns: 256 });
    const h = await harness("a");
    for (const s of studies) {
      for (const bytes of s.instances)
        orthancIds.set(s.studyInstanceUid, (await h.orthanc.uploadInstance(bytes)).parentStudy);
    }
  });

  after(async () => {
    for (const h of harnesses) await h.close();
    rmSync(work, { recursive: true, force: true });
  });

  it("stores SR (series 9900, SR) + summary (series 9901, OT) in the source study; twice → still one of each", async () => {
    const study = studies[0]!;
    const id = orthancIds.get(study.studyInstanceUid)!;
    // The processor's injected clock: the re-run's objects carry a later Content Time.
    let clock = new Date("2026-01-01T12:00:00Z");
    const h = await harness("a", { now: () => clock });
    const store = new SqliteJobStore({ path: h.config.jobs.dbPath });
    try {
      const first = await processOnce(store, h.processor(), id);
      const uids = reportUids(study.studyInstanceUid, h.model.identity);
      expect(first.result?.sr?.sopInstanceUid).to.equal(uids.sopInstanceUid);

      const once = await results(h, study);
      expect(once.srs.map((i) => i.sopInstanceUid)).to.deep.equal([uids.sopInstanceUid]);
      expect(once.summaries.map((i) => i.sopInstanceUid)).to.deep.equal([
        uids.summarySopInstanceUid,
      ]);
      expect(once.srs[0]!.seriesInstanceUid).to.equal(uids.seriesInstanceUid);
      expect(once.summaries[0]!.seriesInstanceUid).to.equal(uids.summarySeriesInstanceUid);
      // Two new series: the SR's (Modality SR, 9900) and the summary's (Modality OT, 9901).
      const series = await h.dicomweb.searchForSeries(study.studyInstanceUid);
      const described = series
        .map((s) => [
          firstString(s, Tag.SeriesInstanceUID),
          firstString(s, Tag.Modality),
          firstString(s, Tag.SeriesNumber),
        ])
        .filter(([uid]) => uid === uids.seriesInstanceUid || uid === uids.summarySeriesInstanceUid);
      expect(described).to.have.deep.members([
        [uids.seriesInstanceUid, "SR", "9900"],
        [uids.summarySeriesInstanceUid, "OT", "9901"],
      ]);
      // Same patient and study: Orthanc filed both under the source's study.
      const orthancStudy = await h.orthanc.study(id);
      const seriesIds = orthancStudy.seriesIds;
      expect(seriesIds, "source series + SR series + summary series").to.have.length(3);
      expect((await h.orthanc.studyInstances(id)).length).to.equal(study.instances.length + 2);
      expect(await h.orthanc.listStudies(), "no new study or patient").to.have.length(
        studies.length,
      );
      // Both objects as stored pass dciodvfy.
      for (const [what, seriesUid, sop] of [
        ["SR", uids.seriesInstanceUid, uids.sopInstanceUid],
        ["summary", uids.summarySeriesInstanceUid, uids.summarySopInstanceUid],
      ] as const) {
        const bytes = await h.dicomweb.retrieveInstance(study.studyInstanceUid, seriesUid, sop);
        const iod = dciodvfy(writeTemp(bytes, `${what}.dcm`));
        expect(iod.errors, `${what}: ${iod.output}`).to.deep.equal([]);
      }

      clock = new Date(clock.getTime() + 60_000); // a later Content Time for the re-run
      const second = await processOnce(store, h.processor(), id);
      expect(second.state).to.equal("done");
      expect(second.result?.sr?.sopInstanceUid).to.equal(uids.sopInstanceUid);
      const twice = await results(h, study);
      expect(twice.srs, "one SR").to.deep.equal(once.srs);
      expect(twice.summaries, "one summary image").to.deep.equal(once.summaries);
      const sr = readStudyReport(
        await h.dicomweb.retrieveInstance(
          study.studyInstanceUid,
          uids.seriesInstanceUid,
          uids.sopInstanceUid,
        ),
      );
      expect(sr.predecessorSopInstanceUid, "a same-key re-run is not its own predecessor").to.equal(
        undefined,
      );
      // The SR draws what the job found: the same regions per label (the demo bundle has a
      // spatial output), on the positive findings only.
      expect(sr.findings.map((f) => [f.labelId, f.regions.length])).to.deep.equal(
        first.result!.findings.map((f) => [f.labelId, f.regions?.length ?? 0]),
      );
      expect(sr.findings.filter((f) => !f.present).flatMap((f) => f.regions)).to.deep.equal([]);
      expect(
        sr.findings.some((f) => f.regions.length > 0),
        "this study has a positive finding the demo encoder localises",
      ).to.equal(true);
    } finally {
      store.close();
    }
  });

  it("a process SIGKILLed between STOW-RS and the job commit leaves one SR and one summary after restart", async () => {
    const study = studies[1]!;
    const id = orthancIds.get(study.studyInstanceUid)!;
    const dbPath = join(work, "crash.sqlite");
    const options = {
      orthancUrl: orthanc.url,
      dicomwebUrl: orthanc.dicomwebUrl,
      bundleDir: join(work, "bundle-a"),
      dbPath,
      orthancStudyId: id,
    };
    const child = spawnSync(
      process.execPath,
      ["--import", "tsx", "test/report/tools/crash-after-stow.ts", JSON.stringify(options)],
      { encoding: "utf8", timeout: 90_000 },
    );
    expect(child.signal, `child: ${child.stderr}`).to.equal("SIGKILL");
    expect(child.stdout).to.contain("stored 2");

    const store = new SqliteJobStore({ path: dbPath });
    const h = await harness("a", { dbPath });
    const runner = new JobRunner({
      store,
      process: h.processor(),
      logger: silentLogger(),
      concurrency: 1,
      maxAttempts: 3,
      backoffBaseMs: 100,
      backoffMaxMs: 1_000,
      idlePollMs: 100,
    });
    try {
      const killed = store.getByStudy(id)!;
      expect(killed.state, "the kill came before the commit").to.equal("running");
      const before = await results(h, study);
      expect(before.srs).to.have.length(1);
      expect(before.summaries).to.have.length(1);

      runner.start(); // requeues the job left running, then processes it again
      let job: Job | null = null;
      await waitFor(
        () => {
          job = store.getByStudy(id);
          return job?.state === "done" || job?.state === "failed";
        },
        60_000,
        "the requeued job",
      );
      const done = store.getByStudy(id)!;
      expect(done.state, JSON.stringify(done.lastError)).to.equal("done");
      const uids = reportUids(study.studyInstanceUid, h.model.identity);
      expect(done.result?.sr?.sopInstanceUid).to.equal(uids.sopInstanceUid);
      const after = await results(h, study);
      expect(after.srs, "exactly one SR").to.deep.equal(before.srs);
      expect(after.summaries, "exactly one summary image").to.deep.equal(before.summaries);
    } finally {
      await runner.stop(2_000);
      store.close();
    }
  });

  it("a changed label set writes a new SR naming its predecessor; keep leaves the old one", async () => {
    const study = studies[2]!;
    const id = orthancIds.get(study.studyInstanceUid)!;
    const a = await harness("a");
    const b = await harness("b");
    expect(b.model.identity.labelSetHash).to.not.equal(a.model.identity.labelSetHash);
    const store = new SqliteJobStore({ path: a.config.jobs.dbPath });
    try {
      await processOnce(store, a.processor(), id);
      await processOnce(store, b.processor(), id);
      const oldUids = reportUids(study.studyInstanceUid, a.model.identity);
      const newUids = reportUids(study.studyInstanceUid, b.model.identity);
      const found = await results(a, study);
      expect(found.srs.map((i) => i.sopInstanceUid)).to.have.members([
        oldUids.sopInstanceUid,
        newUids.sopInstanceUid,
      ]);
      expect(found.summaries).to.have.length(2);
      const newSr = readStudyReport(
        await a.dicomweb.retrieveInstance(
          study.studyInstanceUid,
          newUids.seriesInstanceUid,
          newUids.sopInstanceUid,
        ),
      );
      expect(newSr.predecessorSopInstanceUid).to.equal(oldUids.sopInstanceUid);
      expect(newSr.model.labelSetHash).to.equal(b.model.identity.labelSetHash);
      const file = writeTemp(
        await a.dicomweb.retrieveInstance(
          study.studyInstanceUid,
          newUids.seriesInstanceUid,
          newUids.sopInstanceUid,
        ),
      );
      expect(dciodvfy(file).errors).to.deep.equal([]);
    } finally {
      store.close();
    }
  });

  it("with previousResults = delete, the earlier SR and summary are removed once the new ones are stored", async () => {
    const study = studies[3]!;
    const id = orthancIds.get(study.studyInstanceUid)!;
    const a = await harness("a", { previousResults: "delete" });
    const b = await harness("b", { previousResults: "delete" });
    const store = new SqliteJobStore({ path: a.config.jobs.dbPath });
    try {
      await processOnce(store, a.processor(), id);
      const oldUids = reportUids(study.studyInstanceUid, a.model.identity);
      expect((await results(a, study)).srs.map((i) => i.sopInstanceUid)).to.deep.equal([
        oldUids.sopInstanceUid,
      ]);

      const job = await processOnce(store, b.processor(), id);
      expect(job.state).to.equal("done");
      const newUids = reportUids(study.studyInstanceUid, b.model.identity);
      const found = await results(a, study);
      expect(found.srs.map((i) => i.sopInstanceUid)).to.deep.equal([newUids.sopInstanceUid]);
      expect(found.summaries.map((i) => i.sopInstanceUid)).to.deep.equal([
        newUids.summarySopInstanceUid,
      ]);
      const newSr = readStudyReport(
        await a.dicomweb.retrieveInstance(
          study.studyInstanceUid,
          newUids.seriesInstanceUid,
          newUids.sopInstanceUid,
        ),
      );
      expect(newSr.predecessorSopInstanceUid, "still names what it replaced").to.equal(
        oldUids.sopInstanceUid,
      );
      // The source images are untouched.
      const images = found.all.filter(
        (i) => firstString(i, "00081090") !== RADZ_EQUIPMENT_MODEL_NAME,
      );
      expect(images).to.have.length(study.instances.length);
      // A third run with the same bundle changes nothing (nothing earlier left to delete).
      await processOnce(store, b.processor(), id);
      expect((await results(a, study)).srs.map((i) => i.sopInstanceUid)).to.deep.equal([
        newUids.sopInstanceUid,
      ]);
    } finally {
      store.close();
    }
  });
});
