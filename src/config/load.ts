/**
 * Config is read once: defaults < JSON file < RADZ_* environment variables
 * (RADZ_SECTION__KEY, e.g. RADZ_ORTHANC__URL, RADZ_JOBS__CONCURRENCY), then
 * validated as a whole so every problem is reported at once, then frozen.
 *
 * Secrets may come from files: an environment variable ending in `_FILE`
 * (RADZ_ORTHANC__PASSWORD_FILE=/run/secrets/orthanc) sets the key without the
 * suffix (orthanc.password) to the file's content, less one trailing newline.
 * Keys whose own name ends in "File" (orthanc.caFile) are paths, read as-is.
 * Values for string options are taken verbatim (never JSON-parsed), so a
 * numeric password stays a string. Error messages name keys, variables and
 * paths, never values.
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

interface SchemaNode {
  _zod: { def: { type: string; innerType?: SchemaNode; in?: SchemaNode; shape?: unknown } };
}

/** The schema at a config path, without optional/default wrappers; undefined when no such key. */
function schemaAt(path: readonly string[]): SchemaNode | undefined {
  const unwrap = (n: SchemaNode): SchemaNode => {
    let cur = n;
    for (let i = 0; i < 16; i++) {
      const def = cur._zod.def;
      const next = def.innerType ?? (def.type === "pipe" ? def.in : undefined);
      if (next === undefined) break;
      cur = next;
    }
    return cur;
  };
  let node: SchemaNode | undefined = unwrap(ConfigSchema);
  for (const part of path) {
    const shape = node?._zod.def.shape as Record<string, SchemaNode> | undefined;
    const child = shape !== undefined && Object.hasOwn(shape, part) ? shape[part] : undefined;
    node = child === undefined ? undefined : unwrap(child);
  }
  return node;
}

/** A value from the environment (or a *_FILE file), typed by the option it sets. */
function typedValue(path: readonly string[], raw: string): unknown {
  return schemaAt(path)?._zod.def.type === "string" ? raw : parseEnvValue(raw);
}

function readSecretFile(variable: string, file: string): string {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    throw new RadzError(
      "SECRET_FILE_UNREADABLE",
      `${variable}: cannot read ${file}${typeof code === "string" ? ` (${code})` : ""}`,
      { details: { variable, file } },
    );
  }
  return text.replace(/\r?\n$/, "");
}

export function envToObject(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, rawValue] of Object.entries(env)) {
    // Every option sits in a section, so a config variable always has a "__";
    // RADZ_ names without one (RADZ_CONFIG, and the test harness's and
    // benchmarks' own: RADZ_ORTHANC_1_12_ROOT, RADZ_OHIF_DIST, RADZ_CRASH_SEED …)
    // are not config and must not make a child `radz` refuse to start.
    if (!key.startsWith(ENV_PREFIX) || rawValue === undefined || !key.includes("__")) continue;
    let raw = rawValue;
    let path = key.slice(ENV_PREFIX.length).split("__").map(camel);
    // RADZ_X__Y_FILE: the content of the file is the value of x.y (unless x.yFile is itself an option).
    if (key.endsWith("_FILE") && schemaAt(path) === undefined) {
      const last = path[path.length - 1] ?? "";
      path = [...path.slice(0, -1), last.slice(0, -"File".length)];
      raw = readSecretFile(key, rawValue);
    }
    let node = out;
    for (const part of path.slice(0, -1)) {
      const next = node[part];
      node =
        typeof next === "object" && next !== null
          ? (next as Record<string, unknown>)
          : (node[part] = {});
    }
    const leaf = path[path.length - 1];
    if (leaf) node[leaf] = typedValue(path, raw);
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
        `cannot read config file ${file}: ${describeReadError(err)}`,
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

/**
 * Why a config file could not be used, without quoting its content: V8's
 * JSON.parse messages include a snippet of the text, which may be a secret.
 */
function describeReadError(err: unknown): string {
  if (err instanceof SyntaxError) {
    const at = /position (\d+)/.exec(err.message)?.[1];
    return at === undefined ? "not valid JSON" : `not valid JSON (near character ${at})`;
  }
  const code = (err as { code?: unknown }).code;
  if (typeof code === "string") return code;
  return err instanceof Error && err.message === "top level must be a JSON object"
    ? err.message
    : "unreadable";
}

/** The DICOMweb root: configured, or Orthanc's DICOMweb plugin default path. */
export function dicomwebUrl(config: Config): string {
  return config.dicomweb.url ?? `${config.orthanc.url.replace(/\/$/, "")}/dicom-web`;
}
