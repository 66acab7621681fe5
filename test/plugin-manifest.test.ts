/**
 * plugin-manifest.json: valid against docs/plugin-manifest.schema.json, its
 * version equal to package.json's, its configuration schema equal to the one
 * generated from src/config/schema.ts (`npm run docs:config` refreshes both),
 * and its facts (entry points, defaults, metadata indexes) equal to the code's.
 */
import { readFileSync } from "node:fs";
import { expect } from "chai";
import Ajv2020 from "ajv/dist/2020.js";
import { buildProgram } from "../src/cli/main.js";
import { configJsonSchema } from "../src/config/reference.js";
import { loadConfig } from "../src/config/index.js";
import { WEBHOOK_PATH } from "../src/http/webhook.js";
import {
  HOOK_FILES,
  INSTALL_RECORD_FILE,
  PYTHON_HOOK_ROUTE,
} from "../src/orthanc/install/index.js";
import { RADZ_USER_METADATA } from "../src/orthanc/index.js";
import { MIN_ORTHANC_VERSION } from "../src/doctor/index.js";

interface Manifest {
  version: string;
  name: string;
  entryPoints: Record<string, { command: string[] }>;
  requirements: { orthanc: { minVersion: string }; node: string };
  configuration: { schema: Record<string, unknown>; secrets: string[] };
  orthancConfiguration: {
    installRecord: string;
    settings: { UserMetadata: { entries: Record<string, number> } };
    hooks: Record<"lua" | "python", { file: string; restRoute?: string }>;
  };
  ports: { configKey: string; default: number }[];
  endpoints: Record<string, { path: string }>;
  outputs: {
    structuredReport: { seriesNumber: number; seriesDescription: string };
    flags: { userMetadata: Record<string, number>; labels: { prefix: string } };
  };
}

const read = (p: string): unknown => JSON.parse(readFileSync(p, "utf8"));
const manifest = read("plugin-manifest.json") as Manifest;
const pkg = read("package.json") as { name: string; version: string; engines: { node: string } };

function ajv() {
  return new Ajv2020.default({ strict: false, allErrors: true, validateFormats: false });
}

describe("plugin-manifest.json", () => {
  it("is valid against docs/plugin-manifest.schema.json (ajv, JSON Schema 2020-12)", () => {
    const validate = ajv().compile(read("docs/plugin-manifest.schema.json") as object);
    expect(validate(manifest), JSON.stringify(validate.errors, null, 2)).to.equal(true);
    // The schema can fail: a manifest without entry points or with a bad version is refused.
    const broken = structuredClone(manifest) as unknown as Record<string, unknown>;
    delete broken.entryPoints;
    broken.version = "one";
    expect(validate(broken)).to.equal(false);
  });

  it("has the version and name of package.json (npm run docs:config)", () => {
    expect(manifest.version).to.equal(pkg.version);
    expect(manifest.name).to.equal(pkg.name);
    expect(manifest.requirements.node).to.equal(pkg.engines.node);
  });

  it("embeds the configuration schema generated from src/config/schema.ts (npm run docs:config)", () => {
    expect(manifest.configuration.schema).to.deep.equal(configJsonSchema());
    // …and it is a usable schema: the defaults and a typical file validate, a bad one does not.
    const validate = ajv().compile(manifest.configuration.schema);
    expect(validate({}), JSON.stringify(validate.errors)).to.equal(true);
    expect(
      validate({
        orthanc: { url: "http://127.0.0.1:8042", username: "radz" },
        intake: { webhookSecret: "x".repeat(32) },
      }),
    ).to.equal(true);
    expect(validate({ orthanc: { url: 42 } })).to.equal(false);
  });

  it("names only secrets the configuration has", () => {
    const props = (
      configJsonSchema() as { properties: Record<string, { properties?: Record<string, unknown> }> }
    ).properties;
    for (const key of manifest.configuration.secrets) {
      const [section, name] = key.split(".");
      expect(props[section!]?.properties?.[name!], key).to.not.equal(undefined);
    }
  });

  it("states what the code does: entry points, Orthanc settings, hooks, ports, endpoints, outputs", () => {
    const commands = new Map(buildProgram().commands.map((c) => [c.name(), c]));
    for (const [role, ep] of Object.entries(manifest.entryPoints)) {
      const [bin, name, sub] = ep.command;
      expect(bin, role).to.equal("radz");
      const cmd = commands.get(name!);
      expect(cmd, `radz ${name}`).to.not.equal(undefined);
      if (sub !== undefined)
        expect(
          cmd!.commands.map((c) => c.name()),
          role,
        ).to.include(sub);
    }
    expect(manifest.requirements.orthanc.minVersion).to.equal(MIN_ORTHANC_VERSION);
    expect(manifest.orthancConfiguration.settings.UserMetadata.entries).to.deep.equal({
      ...RADZ_USER_METADATA,
    });
    expect(manifest.outputs.flags.userMetadata).to.deep.equal({ ...RADZ_USER_METADATA });
    expect(manifest.orthancConfiguration.installRecord).to.equal(INSTALL_RECORD_FILE);
    expect(manifest.orthancConfiguration.hooks.lua.file).to.equal(HOOK_FILES.lua);
    expect(manifest.orthancConfiguration.hooks.python.file).to.equal(HOOK_FILES.python);
    expect(manifest.orthancConfiguration.hooks.python.restRoute).to.equal(PYTHON_HOOK_ROUTE);
    expect(manifest.endpoints.webhook!.path).to.equal(WEBHOOK_PATH);
    const defaults = loadConfig({ env: {} });
    expect(manifest.ports[0]).to.include({ configKey: "http.port", default: defaults.http.port });
    expect(manifest.outputs.structuredReport.seriesNumber).to.equal(defaults.report.seriesNumber);
    expect(manifest.outputs.structuredReport.seriesDescription).to.equal(
      defaults.report.seriesDescription,
    );
    expect(manifest.outputs.flags.labels.prefix).to.equal(defaults.flags.labelPrefix);
  });
});
