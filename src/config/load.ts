/**
 * Config is read once: defaults < JSON file < RADZ_* environment variables
 * (RADZ_SECTION__KEY, e.g. RADZ_ORTHANC__URL, RADZ_JOBS__CONCURRENCY), then
 * validated as a whole so every problem is reported at once, then frozen.
 */
import { readFileSync } from "node:fs";
import { RadzError } from "../errors.js";
import { type Config, ConfigSchema } from "./schema.js";

export interface LoadConfigOptions {
  file?: string | undefined;
  env?: NodeJS.ProcessEnv;
  overrides?: Record<string, unknown>;
}

const ENV_PREFIX = "RADZ_";

/** Parses a scalar from the environment: JSON where it parses (numbers, booleans, arrays), else the raw string. */
function parseEnvValue(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

function camel(s: string): string {
  return s.toLowerCase().replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

export function envToObject(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(env)) {
    if (!key.startsWith(ENV_PREFIX) || raw === undefined || key === "RADZ_CONFIG") continue;
    const path = key.slice(ENV_PREFIX.length).split("__").map(camel);
    let node = out;
    for (const part of path.slice(0, -1)) {
      const next = node[part];
      node =
        typeof next === "object" && next !== null
          ? (next as Record<string, unknown>)
          : (node[part] = {});
    }
    const leaf = path[path.length - 1];
    if (leaf) node[leaf] = parseEnvValue(raw);
  }
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function deepMerge(
  base: Record<string, unknown>,
  over: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const prev = out[k];
    out[k] = isPlainObject(prev) && isPlainObject(v) ? deepMerge(prev, v) : v;
  }
  return out;
}

function deepFreeze<T>(o: T): T {
  if (typeof o === "object" && o !== null) {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

export function loadConfig(options: LoadConfigOptions = {}): Config {
  const env = options.env ?? process.env;
  const file = options.file ?? env.RADZ_CONFIG;
  let fromFile: Record<string, unknown> = {};
  if (file) {
    try {
      const parsed: unknown = JSON.parse(readFileSync(file, "utf8"));
      if (!isPlainObject(parsed)) throw new Error("top level must be a JSON object");
      fromFile = parsed;
    } catch (err) {
      throw new RadzError(
        "CONFIG_FILE_UNREADABLE",
        `cannot read config file ${file}: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
  }
  const merged = deepMerge(deepMerge(fromFile, envToObject(env)), options.overrides ?? {});
  const result = ConfigSchema.safeParse(merged);
  if (!result.success) {
    const problems = result.error.issues.map(
      (i) => `  - ${i.path.join(".") || "(root)"}: ${i.message}`,
    );
    throw new RadzError(
      "CONFIG_INVALID",
      `configuration has ${problems.length} problem(s):\n${problems.join("\n")}`,
      {
        details: {
          problems: result.error.issues.map((i) => ({
            path: i.path.join("."),
            message: i.message,
          })),
        },
      },
    );
  }
  return deepFreeze(result.data);
}

/** The DICOMweb root: configured, or Orthanc's DICOMweb plugin default path. */
export function dicomwebUrl(config: Config): string {
  return config.dicomweb.url ?? `${config.orthanc.url.replace(/\/$/, "")}/dicom-web`;
}
