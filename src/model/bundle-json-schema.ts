/**
 * The published JSON Schema of bundle.json (docs/bundle.schema.json),
 * generated from BundleManifestSchema so it cannot drift: `npm run docs:config`
 * rewrites it and test/model/bundle-json-schema.test.ts fails when the
 * committed file is stale. Cross-field rules (embedding shapes, declared coding
 * schemes, duplicate ids) are checked by RadZ at load and are described in
 * docs/models.md, not in the JSON Schema.
 */
import { z } from "zod";
import { BundleManifestSchema } from "./bundle-schema.js";

export const BUNDLE_SCHEMA_ID = "https://radz.invalid/schemas/bundle.schema.json";

export function bundleJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(BundleManifestSchema, { io: "input", unrepresentable: "any" });
  return {
    ...schema,
    $id: BUNDLE_SCHEMA_ID,
    title: "RadZ model bundle manifest (bundle.json), schemaVersion 2",
    description:
      "A model bundle is a directory: bundle.json plus the files it names by relative path, each with its sha256. See docs/models.md.",
  };
}
