import type { Command } from "commander";
import { createService } from "../app.js";
import type { Logger } from "../observability/index.js";
import { addCommonOptions, configFrom, loggerFor, type CommonOptions } from "./common.js";

export function registerServeCommand(program: Command): void {
  addCommonOptions(
    program
      .command("serve")
      .description(
        "Run the listener: watch Orthanc for stable studies, analyse them, write SRs back, serve the API.",
      )
      .option("--port <port>", "API port (overrides http.port)", (v) => Number(v)),
  ).action(async (opts: CommonOptions & { port?: number }) => {
    const config = configFrom(opts, opts.port !== undefined ? { http: { port: opts.port } } : {});
    const logger = loggerFor(config);
    const advice = mallocArenaAdvice(process.platform, process.env);
    if (advice !== null) logger.warn(advice);
    const shutdown = shutdownSignal(logger, config.jobs.shutdownDeadlineMs);
    try {
      const service = await createService(config, logger);
      await service.start();
      await shutdown.signal;
      await service.stop();
      logger.info("stopped");
    } finally {
      shutdown.dispose();
    }
  });
}

/**
 * On Linux (glibc), without MALLOC_ARENA_MAX every thread that allocates gets
 * its own malloc arena (up to 8 per core), and without a fixed
 * MALLOC_MMAP_THRESHOLD_ image-sized buffers end up in the main heap and
 * fragment it: RSS wanders or creeps up over a long run (docs/deploy.md,
 * "Memory"). deploy/radz.service sets both; a service started some other way
 * is told once, at start, which are missing.
 */
export function mallocArenaAdvice(platform: string, env: NodeJS.ProcessEnv): string | null {
  if (platform !== "linux") return null;
  const missing = [
    ["MALLOC_ARENA_MAX", "2"],
    ["MALLOC_MMAP_THRESHOLD_", "131072"],
  ].filter(([name]) => (env[name as string] ?? "") === "");
  if (missing.length === 0) return null;
  const names = missing.map(([name]) => name).join(" and ");
  const settings = missing.map(([name, value]) => `${name}=${value}`).join(" ");
  return `${names} ${missing.length === 1 ? "is" : "are"} not set: set ${settings} in the service's environment (as deploy/radz.service does) so memory stays flat over months (docs/deploy.md, Memory)`;
}

/**
 * SIGTERM / SIGINT: the first starts a graceful stop (in-flight studies get
 * `deadlineMs` to finish, the rest go back to queued); a second, or a stop
 * that hangs well past the deadline, exits at once. Either way nothing is
 * lost: a job left running is requeued at the next start (crash recovery).
 */
export function shutdownSignal(
  logger: Logger,
  deadlineMs: number,
): { signal: Promise<NodeJS.Signals>; dispose: () => void } {
  let first: NodeJS.Signals | null = null;
  let hardStop: NodeJS.Timeout | undefined;
  let resolveSignal!: (s: NodeJS.Signals) => void;
  const signal = new Promise<NodeJS.Signals>((resolve) => (resolveSignal = resolve));
  const onSignal = (s: NodeJS.Signals): void => {
    if (first !== null) {
      logger.warn(
        { signal: s },
        "second signal: exiting now; unfinished studies resume at the next start",
      );
      process.exit(130);
    }
    first = s;
    logger.info({ signal: s, deadlineMs }, "shutting down: draining in-flight studies");
    hardStop = setTimeout(() => {
      logger.error({ deadlineMs }, "shutdown did not finish in time; exiting");
      process.exit(1);
    }, deadlineMs + 15_000);
    hardStop.unref();
    resolveSignal(s);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return {
    signal,
    dispose: () => {
      clearTimeout(hardStop);
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    },
  };
}
