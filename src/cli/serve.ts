import type { Command } from "commander";
import { createService } from "../app.js";
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
    const service = await createService(config, logger);
    await service.start();
    await new Promise<void>((resolve) => {
      const onSignal = (signal: NodeJS.Signals) => {
        logger.info({ signal }, "shutting down");
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
        resolve();
      };
      process.on("SIGINT", onSignal);
      process.on("SIGTERM", onSignal);
    });
    await service.stop();
  });
}
