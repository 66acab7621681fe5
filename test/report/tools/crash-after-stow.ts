/**
 * Child process for write-back.int.test.ts: runs the real JobRunner, SQLite
 * job store and study processor against Orthanc, and SIGKILLs itself the
 * moment the STOW-RS response arrives, i.e. after the SR and summary image
 * are in the PACS and before the job store commits "done". No handler runs,
 * nothing is flushed: the same as `kill -9` or a power cut at that point.
 *
 *   node --import tsx test/report/tools/crash-after-stow.ts '<json options>'
 *
 * Options: HarnessOptions + { orthancStudyId }. Exit code 3 means it was
 * NOT killed (the test fails on that).
 */
import { SqliteJobStore } from "../../../src/jobs/index.js";
import { silentLogger } from "../../../src/observability/index.js";
import { JobRunner } from "../../../src/pipeline/job-runner.js";
import { createHarness, type HarnessOptions } from "../pipeline-harness.js";

const options = JSON.parse(process.argv[2] ?? "{}") as HarnessOptions & {
  orthancStudyId: string;
};
const harness = await createHarness(options);
const store = new SqliteJobStore({ path: options.dbPath });
store.enqueue(options.orthancStudyId, "manual");

const runner = new JobRunner({
  store,
  process: harness.processor((dicomweb) => ({
    searchForInstances: (...a) => dicomweb.searchForInstances(...a),
    searchForSeries: (...a) => dicomweb.searchForSeries(...a),
    seriesInstances: (...a) => dicomweb.seriesInstances(...a),
    retrieveInstance: (...a) => dicomweb.retrieveInstance(...a),
    storeInstances: async (...a) => {
      const stored = await dicomweb.storeInstances(...a);
      process.stdout.write(`stored ${stored.stored.length}\n`);
      process.kill(process.pid, "SIGKILL");
      return stored;
    },
  })),
  logger: silentLogger(),
  concurrency: 1,
  maxAttempts: 3,
  backoffBaseMs: 100,
  backoffMaxMs: 1_000,
});
runner.start();
// Not killed within a minute: say so with exit code 3.
setTimeout(() => process.exit(3), 60_000);
