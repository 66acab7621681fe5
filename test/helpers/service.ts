/**
 * The one way an integration test runs the service (src/app.ts's createService):
 *
 *   const orthanc = useOrthanc({ stableAgeSeconds: 1 });
 *   const radz = useService({ prefix: "radz-e2e-", orthancUrl: () => orthanc.url });
 *   it("…", async () => {
 *     const svc = await radz.start({ jobs: { concurrency: 3 } });
 *     …
 *   });
 *
 * `useService` adds mocha hooks: `before` makes a temp work dir with the demo
 * model bundle in it, `afterEach` (or `after`, with `stopAfter: "all"`) stops
 * every service the harness created, in reverse order, and `after` removes the
 * work dir. Configs are the test base (every-second polling from the first
 * change, a job store in the work dir, a free API port, the test API tokens,
 * silent logs) deep-merged with the harness's `config` and then the call's
 * overrides (the later wins).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createService, type Service, type ServiceOptions } from "../../src/app.js";
import { deepMerge, loadConfig, type Config, type ConfigInput } from "../../src/config/index.js";
import { writeDemoBundle } from "../../src/model/index.js";
import { silentLogger, type Logger } from "../../src/observability/index.js";
import { TEST_API_TOKENS } from "../security/fixtures.js";

export interface ServiceHarnessOptions {
  /** Prefix of the temp work dir's name. */
  readonly prefix: string;
  /** Orthanc's base URL, read when a config is built (e.g. `() => orthanc.url` of useOrthanc). */
  readonly orthancUrl?: () => string;
  /** Overrides every config of this harness starts from (the call's overrides win). */
  readonly config?: ConfigInput;
  /** When the services a test created are stopped: after each test (default) or after the suite. */
  readonly stopAfter?: "each" | "all";
}

export interface StartOptions {
  /** Environment variables loadConfig reads (RADZ_*; default: none). */
  readonly env?: Record<string, string>;
  /** The service's logger (default: silent). */
  readonly logger?: Logger;
  /** createService's test hooks (e.g. wrapModel). */
  readonly service?: ServiceOptions;
}

export interface ServiceHarness {
  /** The suite's temp work dir (set once `before` ran). */
  readonly dir: string;
  /** The demo model bundle in `dir`. */
  readonly bundle: string;
  /** The config input: test base, then the harness's `config`, then `overrides`. */
  configInput(overrides?: ConfigInput): ConfigInput;
  /** `configInput(overrides)` loaded and validated with `env` (default: no environment). */
  config(overrides?: ConfigInput, env?: Record<string, string>): Config;
  /** createService with `config(overrides)`, not started (stopped like a started one). */
  create(overrides?: ConfigInput, opts?: StartOptions): Promise<Service>;
  /** create, then start. */
  start(overrides?: ConfigInput, opts?: StartOptions): Promise<Service>;
  /** Stops `service` now (or every service still running); each service is stopped once. */
  stop(service?: Service): Promise<void>;
}

export function useService(opts: ServiceHarnessOptions): ServiceHarness {
  let dir = "";
  const running: Service[] = [];

  const stopAll = async (): Promise<void> => {
    while (running.length > 0) await running.pop()!.stop();
  };

  const harness: ServiceHarness = {
    get dir() {
      return dir;
    },
    get bundle() {
      return join(dir, "bundle");
    },
    configInput(overrides = {}) {
      const base: ConfigInput = {
        ...(opts.orthancUrl ? { orthanc: { url: opts.orthancUrl() } } : {}),
        jobs: { dbPath: join(dir, "radz.sqlite"), backoffBaseMs: 200 },
        intake: { startFrom: "beginning", pollCron: "* * * * * *" },
        model: { bundle: harness.bundle },
        http: { port: 0, tokens: TEST_API_TOKENS },
        log: { level: "silent" },
      };
      // The config loader's own merge (the one it layers file, env and overrides with).
      return deepMerge(deepMerge(base, opts.config ?? {}), overrides);
    },
    config(overrides = {}, env = {}) {
      return loadConfig({ env, overrides: harness.configInput(overrides) });
    },
    async create(overrides = {}, startOpts = {}) {
      const service = await createService(
        harness.config(overrides, startOpts.env),
        startOpts.logger ?? silentLogger(),
        startOpts.service,
      );
      running.push(service);
      return service;
    },
    async start(overrides = {}, startOpts = {}) {
      const service = await harness.create(overrides, startOpts);
      await service.start();
      return service;
    },
    async stop(service) {
      if (!service) return stopAll();
      const i = running.indexOf(service);
      if (i < 0) return;
      running.splice(i, 1);
      await service.stop();
    },
  };

  before(async function () {
    this.timeout(60_000);
    dir = mkdtempSync(join(tmpdir(), opts.prefix));
    await writeDemoBundle(harness.bundle);
  });
  const stopHook = async function (this: Mocha.Context) {
    this.timeout(60_000);
    await stopAll();
  };
  if ((opts.stopAfter ?? "each") === "each") afterEach(stopHook);
  after(async function () {
    this.timeout(60_000);
    try {
      await stopAll();
    } finally {
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  });
  return harness;
}

/**
 * Resolves once the service's intake has caught up: a feed poll that started
 * after every change Orthanc had logged so far has finished (a second poll,
 * since the first may be a tick already in flight), and the re-processing
 * check it triggered has run.
 */
export async function intakeCaughtUp(service: Service): Promise<void> {
  await service.feed.poll();
  await service.feed.poll();
  await service.reprocess.idle();
}

/** How many StableStudy changes Orthanc has logged for a study (its /changes feed). */
export async function stableStudyChanges(orthancUrl: string, orthancId: string): Promise<number> {
  const res = await fetch(`${orthancUrl}/changes?since=0&limit=10000`);
  const body = (await res.json()) as { Changes: { ChangeType: string; ID: string }[] };
  return body.Changes.filter((c) => c.ChangeType === "StableStudy" && c.ID === orthancId).length;
}
