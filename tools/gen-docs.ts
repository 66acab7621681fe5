/** Rewrites the generated docs: docs/configuration.md, docs/config.schema.json and docs/bundle.schema.json. */
import { writeFileSync } from "node:fs";
import { configJsonSchema, configReferenceMarkdown } from "../src/config/reference.js";
import { bundleJsonSchema } from "../src/model/bundle-json-schema.js";

writeFileSync("docs/configuration.md", configReferenceMarkdown());
writeFileSync("docs/config.schema.json", JSON.stringify(configJsonSchema(), null, 2) + "\n");
writeFileSync("docs/bundle.schema.json", JSON.stringify(bundleJsonSchema(), null, 2) + "\n");
process.stdout.write(
  "wrote docs/configuration.md, docs/config.schema.json, docs/bundle.schema.json\n",
);
