/**
 * The walking skeleton end to end against a real Orthanc: stable study →
 * change feed → job → QIDO/WADO → model → SR → STOW → job done; restart does
 * not reprocess — on Orthanc 1.10 and 1.12, each time checking that Orthanc's
 * log holds no error line, nor (1.12) a W001 warning that a query made it
 * read DICOM tags from storage.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "chai";
import { firstString } from "../src/dicom/index.js";
import { DicomWebClient } from "../src/dicomweb/index.js";
import { isTerminal } from "../src/jobs/index.js";
import { OrthancClient } from "../src/orthanc/index.js";
import { readStudyReport } from "../src/report/index.js";
import { generateSyntheticStudies, type SyntheticStudy } from "../src/synthetic/index.js";
import { dciodvfy } from "./helpers/dicom-tools.js";
import {
  makeTestInstance,
  ORTHANC_VERSIONS,
  orthancErrorLines,
  orthancStorageReadWarnings,
  useOrthanc,
} from "./helpers/orthanc.js";
import { intakeCaughtUp, stableStudyChanges, useService } from "./helpers/service.js";
import { waitFor } from "./helpers/wait.js";
import { authHeaders } from "./security/fixtures.js";

const SOP_CLASS_UID = "00080016";
const SERIES_INSTANCE_UID = "0020000E";
const COMPREHENSIVE_SR = "1.2.840.10008.5.1.4.1.1.88.33";

for (const version of ORTHANC_VERSIONS)
  describe(`service end to end (real Orthanc ${version})`, function () {
    this.timeout(180_000);
    const orthanc = useOrthanc({ stableAgeSeconds: 1, version });
    const radz = useService({ prefix: "radz-e2e-", orthancUrl: () => orthanc.url });
    const studies: SyntheticStudy[] = generateSyntheticStudies({
      count: 2,
      seed: 11,
      rows: 256,
      columns: 256,
    });
    const orthancIds = new Map<string, string>();

    it("writes exactly one SR into each stable study, with one finding group per label and the job's scores", async () => {
      const client = new OrthancClient({ url: orthanc.url, timeoutMs: 10_000 });
      const svc = await radz.start();
      for (const s of studies) {
        for (const bytes of s.instances)
          orthancIds.set(s.studyInstanceUid, (await client.uploadInstance(bytes)).parentStudy);
      }
      await waitFor(
        () =>
          studies.every((s) =>
            isTerminal(
              svc.store.getByStudy(orthancIds.get(s.studyInstanceUid)!)?.state ?? "queued",
            ),
          ),
        90_000,
        "studies to finish",
      );

      const dicomweb = new DicomWebClient({
        url: orthanc.dicomwebUrl,
        timeoutMs: 10_000,
        maxInstanceBytes: 1 << 28,
      });
      const labels = svc.model.labels.map((l) => l.id);
      let positives = 0;
      for (const s of studies) {
        const job = svc.store.getByStudy(orthancIds.get(s.studyInstanceUid)!)!;
        expect(job.state, JSON.stringify(job.lastError)).to.equal("done");
        // Series metadata, not an instance QIDO-RS: that draws W001 lines on 1.12.
        const instances = [];
        for (const series of await dicomweb.searchForSeries(s.studyInstanceUid))
          instances.push(
            ...(await dicomweb.retrieveSeriesMetadata(
              s.studyInstanceUid,
              firstString(series, SERIES_INSTANCE_UID)!,
            )),
          );
        // Count by SOP Class: the summary image shares the results series (Modality SR).
        const srs = instances.filter(
          (i) => (i[SOP_CLASS_UID]?.Value as string[] | undefined)?.[0] === COMPREHENSIVE_SR,
        );
        expect(srs, "SR instances in the study").to.have.length(1);
        const sr = job.result!.sr!;
        const bytes = await dicomweb.retrieveInstance(
          s.studyInstanceUid,
          sr.seriesInstanceUid,
          sr.sopInstanceUid,
        );
        const parsed = readStudyReport(bytes);
        expect(parsed.studyInstanceUid).to.equal(s.studyInstanceUid);
        expect(parsed.findings.map((f) => f.labelId)).to.deep.equal(labels);
        for (const f of job.result!.findings) {
          const inSr = parsed.findings.find((p) => p.labelId === f.labelId)!;
          expect(inSr.probability).to.be.closeTo(f.probability, 1e-12);
          expect(inSr.present).to.equal(f.positive);
          // The demo bundle has a spatial output: positive findings say where they are.
          if (f.positive) {
            positives++;
            expect(f.regions, `${f.labelId} regions`).to.have.length.greaterThan(0);
            for (const r of f.regions!) expect(s.sopInstanceUids).to.include(r.sopInstanceUID);
          } else expect(f.regions).to.equal(undefined);
        }
        expect(parsed.priority).to.equal(job.result!.priority);
        expect(parsed.referencedSopInstanceUids).to.include.members([...s.sopInstanceUids]);
        const file = join(radz.dir, `${sr.sopInstanceUid}.dcm`);
        writeFileSync(file, bytes);
        expect(dciodvfy(file).errors).to.deep.equal([]);
        // The API serves the same record.
        const api = (await (
          await fetch(`${svc.url}/api/studies/${job.orthancStudyId}`, {
            headers: authHeaders("read"),
          })
        ).json()) as {
          state: string;
          sr: { sopInstanceUid: string };
          findings: unknown;
        };
        expect(api.state).to.equal("done");
        expect(api.findings).to.deep.equal(JSON.parse(JSON.stringify(job.result!.findings)));
        expect(api.sr.sopInstanceUid).to.equal(sr.sopInstanceUid);
      }
      expect(positives, "positive findings (seed 11 draws a nodule)").to.be.greaterThan(0);
    });

    it("does not reprocess studies already done after a restart", async () => {
      const ids = studies.map((s) => orthancIds.get(s.studyInstanceUid)!);
      const service = await radz.create();
      const jobsBefore = ids.map((id) => service.store.getByStudy(id)!);
      await service.start();
      // Orthanc reported each study stable again after its SR; the feed has read
      // that (a second poll starts after any tick in flight) and the check ran.
      for (const id of ids)
        await waitFor(
          async () => (await stableStudyChanges(orthanc.url, id)) >= 2,
          15_000,
          "the study's StableStudy after its SR",
          200,
        );
      await intakeCaughtUp(service);
      for (const [i, id] of ids.entries()) {
        const now = service.store.getByStudy(id)!;
        expect(now.state).to.equal("done");
        expect(now.attempts).to.equal(jobsBefore[i]!.attempts);
        expect(now.updatedAt).to.equal(jobsBefore[i]!.updatedAt);
      }
      expect(service.store.list()).to.have.length(studies.length);
    });

    it("ends a study without a chest radiograph as skipped, with the reason", async () => {
      const client = new OrthancClient({ url: orthanc.url, timeoutMs: 10_000 });
      const svc = await radz.start();
      const ct = makeTestInstance({ modality: "CT", bodyPartExamined: "HEAD" });
      const id = (await client.uploadInstance(ct.bytes)).parentStudy;
      await waitFor(
        () => isTerminal(svc.store.getByStudy(id)?.state ?? "queued"),
        60_000,
        "the CT study",
      );
      const job = svc.store.getByStudy(id)!;
      expect(job.state).to.equal("skipped");
      expect(job.lastError?.code).to.equal("NO_ELIGIBLE_IMAGES");
      expect(job.skipReason).to.match(/no eligible chest radiograph/);
    });

    it("left no error-level line in Orthanc's log, nor a W001 storage read (1.12)", () => {
      expect(orthanc.server.log.length, "Orthanc's log was captured").to.be.greaterThan(0);
      expect(orthancErrorLines(orthanc.server.log)).to.deep.equal([]);
      expect(orthancStorageReadWarnings(orthanc.server.log)).to.deep.equal([]);
    });
  });
