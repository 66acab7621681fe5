import type { Command } from "commander";
import { loadConfig, type Config } from "../config/index.js";
import { RadzError } from "../errors.js";
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

/** Option value parsers shared by the commands: a bad value is a usage error (INPUT_INVALID). */
export const positiveInt = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1)
    throw new RadzError("INPUT_INVALID", `not a positive integer: ${v}`);
  return n;
};
/** A value in [0, 1]. */
export const fraction = (v: string): number => {
  const n = Number(v);
  if (!(n >= 0 && n <= 1)) throw new RadzError("INPUT_INVALID", `not a value in [0, 1]: ${v}`);
  return n;
};
/** A value in (0, 1]. */
export const unit = (v: string): number => {
  const n = Number(v);
  if (!(n > 0 && n <= 1)) throw new RadzError("INPUT_INVALID", `not a value in (0, 1]: ${v}`);
  return n;
};

/** `--target label=metric:value`, repeatable: the per-label threshold targets of calibrate and adapt. */
export function addTargetOption(cmd: Command): Command {
  return cmd.option(
    "--target <label=metric:value>",
    "per-label target, e.g. pneumothorax=sensitivity:0.98 (repeatable)",
    (v: string, prev: string[]) => [...prev, v],
    [] as string[],
  );
}
