/**
 * Every fault class mocks/faulty-pacs.ts injects, each shown to get the right
 * retry/fail behaviour from the running service (real Orthanc behind the
 * fault proxy; RadZ talks only to the proxy). Each test uploads its own study
 * and scripts faults on that study's URLs only, so the tests do not interfere.
 */
import { createHash } from "node:crypto";
import { expect } from "chai";
import { startFaultyPacs, type FaultRule, type FaultyPacs } from "../../mocks/index.js";
import type { Service } from "../../src/app.js";
import type { ConfigInput } from "../../src/config/index.js";
import { INDEX_RESET_CURSOR, CHANGES_CURSOR } from "../../src/intake/index.js";
import { isTerminal, type Job } from "../../src/jobs/index.js";
import { makeTestInstance, readPart10, useOrthanc } from "../helpers/orthanc.js";
import { stableStudyChanges, useService } from "../helpers/service.js";
import { waitFor } from "../helpers/wait.js";
import {
  dicomweb,
  metricValue,
  smallStudies,
  srInstances,
  RELIABILITY_CONFIG,
  today,
  upload,
} from "./helpers.js";

/** Orthanc's study ID: SHA-1 of "PatientID|StudyInstanceUID" in five dash-separated groups. */
function orthancStudyId(instance: Uint8Array): string {
  const { dataset } = readPart10(instance);
  const hex = createHash("sha1")
    .update(`${String(dataset.PatientID)}|${String(dataset.StudyInstanceUID)}`)
    .digest("hex");
  return hex.match(/.{8}/g)!.join("-");
}

describe("reliability: fault classes (real Orthanc behind the fault proxy)", function () {
  this.timeout(60_000);
  const orthanc = useOrthanc({ stableAgeSeconds: 1 });
  let pacs: FaultyPacs;
  let service: Service | null = null;
  let seed = 100;

  const overrides: ConfigInput = {
    // Long enough that a loaded machine never times out a healthy request (which
    // would add an attempt), short enough for the timeout tests.
    orthanc: { timeoutMs: 4_000 },
    dicomweb: { timeoutMs: 4_000 },
    jobs: { maxAttempts: 4, backoffBaseMs: 100, backoffMaxMs: 400 },
  };
  // RadZ talks only to the fault proxy; one service for the whole suite.
  const radz = useService({
    prefix: "radz-faults-",
    orthancUrl: () => pacs.url,
    config: RELIABILITY_CONFIG,
    stopAfter: "all",
  });

  before(async function () {
    this.timeout(60_000);
    pacs = await startFaultyPacs({ target: orthanc.url });
    service = await radz.start(overrides);
  });
  after(async function () {
    this.timeout(30_000);
    await radz.stop();
    await pacs?.close();
  });
  afterEach(() => pacs.clear());

  /**
   * Uploads one small study with `rules` scripted on it (given its Study
   * Instance UID and the Orthanc ID it will get); waits until finished.
   */
  async function runStudy(
    rules: (uid: string, orthancId: string) => FaultRule[],
  ): Promise<{ job: Job; uid: string; states: ReturnType<FaultyPacs["script"]> }> {
    const [study] = smallStudies(1, ++seed);
    const uid = study!.studyInstanceUid;
    const expectedId = orthancStudyId(study!.instances[0]!);
    const states = pacs.script(rules(uid, expectedId));
    const ids = await upload(orthanc.url, [study!]);
    const id = ids.get(uid)!;
    expect(id, "Orthanc's study ID").to.equal(expectedId);
    const svc = service!;
    await waitFor(
      () => isTerminal(svc.store.getByStudy(id)?.state ?? "queued"),
      45_000,
      `study ${id} to finish`,
    );
    return { job: svc.store.getByStudy(id)!, uid, states };
  }

  async function errorsOf(code: string): Promise<number> {
    const { body } = await service!.metrics.render();
    return metricValue(body, `radz_job_errors_total{code="${code}"}`);
  }

  const wado = (uid: string) => `GET /dicom-web/studies/${uid}/series/*/instances/*`;

  async function expectOneSr(uid: string): Promise<void> {
    expect(await srInstances(dicomweb(orthanc.dicomwebUrl), uid)).to.have.length(1);
  }

  it("5xx: retried with backoff, then done", async () => {
    const before = await errorsOf("DICOMWEB_HTTP_ERROR");
    const { job, uid, states } = await runStudy((u) => [
      { match: wado(u), fault: "http-error", status: 503, times: 2 },
    ]);
    expect(job.state, JSON.stringify(job.lastError)).to.equal("done");
    expect(job.attempts).to.equal(3);
    expect(states[0]!.faulted).to.equal(2);
    expect((await errorsOf("DICOMWEB_HTTP_ERROR")) - before).to.equal(2);
    await expectOneSr(uid);
  });

  it("5xx that never ends: failed after jobs.maxAttempts with the last error", async () => {
    const { job, states } = await runStudy((u) => [
      { match: wado(u), fault: "http-error", status: 500 },
    ]);
    expect(job.state).to.equal("failed");
    expect(job.attempts).to.equal(4);
    expect(job.lastError?.code).to.equal("DICOMWEB_HTTP_ERROR");
    expect(states[0]!.faulted).to.equal(4);
  });

  it("4xx (not 429): permanent, failed at once without retry", async () => {
    const { job, states } = await runStudy((u) => [
      { match: wado(u), fault: "http-error", status: 403 },
    ]);
    expect(job.state).to.equal("failed");
    expect(job.attempts).to.equal(1);
    expect(job.lastError?.code).to.equal("DICOMWEB_REJECTED");
    expect(states[0]!.faulted).to.equal(1);
  });

  it("429 with Retry-After: the next attempt waits at least that long", async () => {
    const { job } = await runStudy((u) => [
      { match: wado(u), fault: "rate-limit", retryAfterSeconds: 2, times: 1 },
    ]);
    expect(job.state).to.equal("done");
    expect(job.attempts).to.equal(2);
    const limited = pacs.faults("rate-limit")[0]!;
    const next = pacs.log.find(
      (e) => e.at > limited.at && e.fault === null && e.url.split("?")[0] === limited.url,
    );
    expect(next, "the retried WADO-RS request").to.not.equal(undefined);
    // backoff alone would be <= 400 ms here
    expect(next!.at - limited.at).to.be.at.least(1_900);
  });

  it("timeout: DICOMWEB_TIMEOUT after dicomweb.timeoutMs, retried, then done", async () => {
    const before = await errorsOf("DICOMWEB_TIMEOUT");
    const { job, uid } = await runStudy((u) => [{ match: wado(u), fault: "timeout", times: 1 }]);
    expect(job.state).to.equal("done");
    expect(job.attempts).to.equal(2);
    expect((await errorsOf("DICOMWEB_TIMEOUT")) - before).to.equal(1);
    await expectOneSr(uid);
  });

  it("slow body within the timeout: tolerated, done at the first attempt", async () => {
    const { job } = await runStudy((u) => [
      { match: wado(u), fault: "slow", chunkBytes: 8_192, delayMs: 60 },
    ]);
    expect(job.state).to.equal("done");
    expect(job.attempts).to.equal(1);
    expect(pacs.faults("slow")).to.have.length(1);
  });

  it("slow body past the timeout: DICOMWEB_TIMEOUT, retried, then done", async () => {
    const before = await errorsOf("DICOMWEB_TIMEOUT");
    const { job } = await runStudy((u) => [
      { match: wado(u), fault: "slow", chunkBytes: 1_024, delayMs: 300, times: 1 },
    ]);
    expect(job.state).to.equal("done");
    expect(job.attempts).to.equal(2);
    expect((await errorsOf("DICOMWEB_TIMEOUT")) - before).to.equal(1);
  });

  it("truncated body: DICOMWEB_BAD_RESPONSE (transient), retried, then done", async () => {
    const before = await errorsOf("DICOMWEB_BAD_RESPONSE");
    const { job } = await runStudy((u) => [{ match: wado(u), fault: "truncate", times: 1 }]);
    expect(job.state).to.equal("done");
    expect(job.attempts).to.equal(2);
    expect((await errorsOf("DICOMWEB_BAD_RESPONSE")) - before).to.equal(1);
  });

  it("malformed multipart: DICOMWEB_BAD_RESPONSE, retried, then done", async () => {
    const before = await errorsOf("DICOMWEB_BAD_RESPONSE");
    const { job } = await runStudy((u) => [
      { match: wado(u), fault: "malformed-multipart", times: 1 },
    ]);
    expect(job.state).to.equal("done");
    expect(job.attempts).to.equal(2);
    expect((await errorsOf("DICOMWEB_BAD_RESPONSE")) - before).to.equal(1);
  });

  it("wrong content type: DICOMWEB_BAD_RESPONSE, retried, then done", async () => {
    const { job } = await runStudy((u) => [
      { match: wado(u), fault: "wrong-content-type", times: 2 },
    ]);
    expect(job.state).to.equal("done");
    expect(job.attempts).to.equal(3);
  });

  it("connection reset: DICOMWEB_UNREACHABLE, counted (Orthanc answers the probe), then done", async () => {
    const before = await errorsOf("DICOMWEB_UNREACHABLE");
    const { job } = await runStudy((u) => [{ match: wado(u), fault: "reset", times: 2 }]);
    expect(job.state).to.equal("done");
    expect(job.attempts).to.equal(3);
    expect((await errorsOf("DICOMWEB_UNREACHABLE")) - before).to.equal(2);
  });

  it("faults on QIDO-RS, Orthanc REST and STOW-RS: retried; the re-sent SR stays one", async () => {
    const { job, uid, states } = await runStudy((u, id) => [
      // The series-first instance search (QIDO-RS per eligible series on DICOMweb 1.7).
      { match: `GET /dicom-web/studies/${u}/series/*/instances`, fault: "http-error", times: 1 },
      // This study's only: another study's late requests must not take the fault.
      { match: `GET /studies/${id}`, fault: "http-error", status: 500, times: 1 },
      // Stored, but the answer is lost: the retry sends the same SR again.
      { match: `POST /dicom-web/studies/${u}`, fault: "truncate", times: 1 },
    ]);
    expect(job.state, JSON.stringify(job.lastError)).to.equal("done");
    expect(states.map((s) => s.faulted)).to.deep.equal([1, 1, 1]);
    expect(job.attempts).to.equal(4);
    await expectOneSr(uid);
  });

  it("changes feed going backwards (index replaced): cursor restarts, a QIDO-RS rescan finds the study the feed lost", async () => {
    const svc = service!;
    await runStudy(() => []); // the feed has read some history
    // A study that arrives and becomes stable while the feed is blind to it,
    // then Orthanc's index is "replaced": its history (with that study's
    // StableStudy) is gone. Only the rescan can find it.
    pacs.script([{ match: "GET /changes", fault: "http-error", status: 503 }]);
    const lost = makeTestInstance({ extra: { StudyDate: today() } });
    const ids = await upload(orthanc.url, [
      { instances: [lost.bytes], studyInstanceUid: lost.studyInstanceUid },
    ]);
    const lostId = ids.get(lost.studyInstanceUid)!;
    // Stable in Orthanc (StableAge 1 s) while the feed fails.
    await waitFor(
      async () => (await stableStudyChanges(orthanc.url, lostId)) >= 1,
      15_000,
      "the lost study's StableStudy",
      200,
    );
    const cursorBefore = svc.store.getCursor(CHANGES_CURSOR)!;
    expect(cursorBefore).to.be.greaterThan(0);
    pacs.script([{ match: "GET /changes", fault: "changes-backwards", times: 1 }]);
    await waitFor(
      () => isTerminal(svc.store.getByStudy(lostId)?.state ?? "queued"),
      30_000,
      "the lost study",
    );
    const job = svc.store.getByStudy(lostId)!;
    expect(job.source).to.equal("sweep");
    expect(job.state, JSON.stringify(job.lastError)).to.equal("done");
    expect(pacs.changesOffset).to.be.greaterThan(0);
    await waitFor(
      () => svc.store.getCursor(INDEX_RESET_CURSOR) === 0,
      10_000,
      "the rescan request to clear",
    );
    // The feed goes on in the new numbering: a later study comes through /changes.
    expect(svc.store.getCursor(CHANGES_CURSOR)!).to.be.lessThan(cursorBefore);
    const { job: later, uid } = await runStudy(() => []);
    expect(later.source).to.equal("changes");
    expect(later.state).to.equal("done");
    await expectOneSr(uid);
    await expectOneSr(lost.studyInstanceUid);
  });
});
