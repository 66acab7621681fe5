/** Rewrites the generated docs: docs/configuration.md and docs/config.schema.json. */
import { writeFileSync } from "node:fs";
import { configJsonSchema, configReferenceMarkdown } from "../src/config/reference.js";

writeFileSync("docs/configuration.md", configReferenceMarkdown());
writeFileSync("docs/config.schema.json", JSON.stringify(configJsonSchema(), null, 2) + "\n");
process.stdout.write("wrote docs/configuration.md, docs/config.schema.json\n");
