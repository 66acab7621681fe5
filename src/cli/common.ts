import type { Command } from "commander";
import { loadConfig, type Config } from "../config/index.js";
import { createLogger, type Logger } from "../observability/index.js";

export interface CommonOptions {
  config?: string;
  logLevel?: string;
}

export function addCommonOptions(cmd: Command): Command {
  return cmd
    .option("-c, --config <file>", "JSON configuration file (default: $RADZ_CONFIG)")
    .option("--log-level <level>", "log level: fatal, error, warn, info, debug, trace, silent");
}

export function configFrom(opts: CommonOptions, overrides: Record<string, unknown> = {}): Config {
  const log = opts.logLevel ? { log: { level: opts.logLevel } } : {};
  return loadConfig({ file: opts.config, overrides: { ...overrides, ...log } });
}

/** Logs go to stderr so stdout stays clean for tables and JSON. */
export function loggerFor(config: Config): Logger {
  return createLogger({ level: config.log.level, destination: process.stderr });
}
