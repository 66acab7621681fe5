/**
 * Rewrites the generated docs: docs/configuration.md, docs/config.schema.json,
 * docs/bundle.schema.json, and the generated parts of plugin-manifest.json
 * (its version, from package.json, and configuration.schema; the rest of the
 * manifest is written by hand and kept as it is).
 */
import { readFileSync, writeFileSync } from "node:fs";
import * as prettier from "prettier";
import { configJsonSchema, configReferenceMarkdown } from "../src/config/reference.js";
import { bundleJsonSchema } from "../src/model/bundle-json-schema.js";

writeFileSync("docs/configuration.md", configReferenceMarkdown());
writeFileSync("docs/config.schema.json", JSON.stringify(configJsonSchema(), null, 2) + "\n");
// Formatted as prettier formats it, so `prettier --check .` passes on the generated file.
writeFileSync(
  "docs/bundle.schema.json",
  await prettier.format(JSON.stringify(bundleJsonSchema()), {
    ...(await prettier.resolveConfig("docs/bundle.schema.json")),
    parser: "json",
  }),
);

const MANIFEST = "plugin-manifest.json";
const pkg = JSON.parse(readFileSync("package.json", "utf8")) as { version: string };
const manifest = JSON.parse(readFileSync(MANIFEST, "utf8")) as {
  version: string;
  configuration: { schema: unknown };
};
manifest.version = pkg.version;
manifest.configuration.schema = configJsonSchema();
const options = (await prettier.resolveConfig(MANIFEST)) ?? {};
writeFileSync(
  MANIFEST,
  await prettier.format(JSON.stringify(manifest, null, 2), { ...options, filepath: MANIFEST }),
);
process.stdout.write(
  `wrote docs/configuration.md, docs/config.schema.json, docs/bundle.schema.json, ${MANIFEST} (version, configuration.schema)\n`,
);
