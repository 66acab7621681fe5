/**
 * The configuration reference (docs/configuration.md) and JSON Schema are
 * generated from ConfigSchema, so they cannot drift: test/config/reference.test.ts
 * fails when the committed file is stale (`npm run docs:config` rewrites it).
 */
import { z } from "zod";
import { ConfigSchema } from "./schema.js";

interface JsonSchemaNode {
  type?: string | string[];
  description?: string;
  default?: unknown;
  enum?: unknown[];
  items?: JsonSchemaNode;
  properties?: Record<string, JsonSchemaNode>;
  minimum?: number;
  exclusiveMinimum?: number;
  maximum?: number;
}

export function configJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(ConfigSchema, { io: "input", unrepresentable: "any" });
}

function typeOf(n: JsonSchemaNode): string {
  if (n.enum) return n.enum.map((v) => JSON.stringify(v)).join(" \\| ");
  const t = Array.isArray(n.type) ? n.type.join(" \\| ") : (n.type ?? "any");
  if (t === "array" && n.items) return `${typeOf(n.items)}[]`;
  const max =
    n.maximum !== undefined && n.maximum < Number.MAX_SAFE_INTEGER ? n.maximum : undefined;
  const min = n.minimum ?? (n.exclusiveMinimum === 0 ? 1 : undefined);
  const range = min !== undefined || max !== undefined ? ` (${min ?? ""}..${max ?? ""})` : "";
  return t + range;
}

/** A node's default; an object's `{}` (prefault) spelled out with its properties' defaults. */
function defaultOf(n: JsonSchemaNode): unknown {
  const d = n.default;
  if (!n.properties || typeof d !== "object" || d === null || Array.isArray(d)) return d;
  const out: Record<string, unknown> = { ...(d as Record<string, unknown>) };
  for (const [key, p] of Object.entries(n.properties)) {
    const v = key in out ? undefined : defaultOf(p);
    if (v !== undefined) out[key] = v;
  }
  return out;
}

function envName(path: string[]): string {
  return "RADZ_" + path.map((p) => p.replace(/([A-Z])/g, "_$1").toUpperCase()).join("__");
}

export function configReferenceMarkdown(): string {
  const schema = configJsonSchema() as JsonSchemaNode;
  const lines = [
    "# Configuration reference",
    "",
    "<!-- Generated from src/config/schema.ts by `npm run docs:config`. Do not edit by hand. -->",
    "",
    "Set options in a JSON file (`radz serve --config radz.json` or `RADZ_CONFIG=radz.json`) and/or",
    "in environment variables named `RADZ_<SECTION>__<KEY>`; values of string options are taken",
    "verbatim, others are parsed as JSON (numbers, booleans, arrays). A variable ending in `_FILE`",
    "(e.g. `RADZ_ORTHANC__PASSWORD_FILE`) sets its option to the content of the named file, for",
    "secrets (docs/security.md). The environment wins over the file. Unknown keys are errors, and",
    "every problem is reported at once. `RADZ_` names without `__` are not options and are ignored",
    "(`RADZ_CONFIG`, and the variables of the test harness and benchmarks such as",
    "`RADZ_ORTHANC_1_12_ROOT`); so `RADZ_ORTHANC_URL` is not a typo the service can catch: use `__`.",
    "",
  ];
  for (const [section, node] of Object.entries(schema.properties ?? {})) {
    lines.push(
      `## \`${section}\``,
      "",
      "| key | type | default | environment | description |",
      "|---|---|---|---|---|",
    );
    for (const [key, leaf] of Object.entries(node.properties ?? {})) {
      const value = defaultOf(leaf);
      const def = value === undefined ? "—" : `\`${JSON.stringify(value)}\``;
      lines.push(
        `| \`${section}.${key}\` | ${typeOf(leaf)} | ${def} | \`${envName([section, key])}\` | ${(leaf.description ?? "").replace(/\|/g, "\\|")} |`,
      );
    }
    lines.push("");
  }
  return lines.join("\n");
}
