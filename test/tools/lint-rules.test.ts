/**
 * The project's own lint rules, run through ESLint's Node API on small
 * fixtures with the repository's eslint.config.js: each rule refuses what it
 * should and lets the ordinary case through. Type-aware rules are switched off
 * (the fixtures are not files of the TypeScript project); the rules shown here
 * need no types. The dead-code check (knip, the last step of `npm run lint`)
 * runs on a small fixture project with the options of knip.jsonc.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ESLint } from "eslint";
import { expect } from "chai";
import tseslint from "typescript-eslint";
import { LAYERS, NO_IO_MODULES, layerBlocks } from "../../tools/lint/layers.js";

const ROOT = new URL("../../", import.meta.url).pathname;

let eslint: ESLint | undefined;
/** Messages of `ruleId` for `code` linted as if it were the file at `filePath`. */
async function lint(code: string, filePath: string, ruleId: string): Promise<string[]> {
  eslint ??= new ESLint({
    cwd: ROOT,
    overrideConfig: [{ files: ["**/*.ts"], ...tseslint.configs.disableTypeChecked }],
  });
  const [result] = await eslint.lintText(code, { filePath });
  const fatal = result!.messages.filter((m) => m.fatal);
  expect(fatal, "the fixture parses").to.deep.equal([]);
  return result!.messages.filter((m) => m.ruleId === ruleId).map((m) => m.message);
}

const importing = (from: string) => `import { x } from "${from}";\nexport const y = x;\n`;

describe("tools/lint: layers and facades (no-restricted-imports)", function () {
  this.timeout(60_000);
  const rule = "no-restricted-imports";

  it("refuses an import past another part's facade", async () => {
    expect(await lint(importing("../pipeline/job-runner.js"), "src/cli/fixture.ts", rule))
      .to.have.length(1)
      .and.to.match(/through its facade \(src\/pipeline\/index\.ts\)/);
    expect(await lint(importing("./http/app.js"), "src/app.ts", rule)).to.have.length(1);
    expect(
      await lint(importing("../../model/types.js"), "src/http/routes/fixture.ts", rule),
    ).to.have.length(1);
    expect(await lint(importing("../client.js"), "src/orthanc/install/fixture.ts", rule))
      .to.have.length(1)
      .and.to.match(/src\/orthanc\/index\.ts/);
  });

  it("refuses an upward import, and a sideways one between parts that are not peers", async () => {
    expect(await lint(importing("../pipeline/index.js"), "src/jobs/fixture.ts", rule))
      .to.have.length(1)
      .and.to.match(/may not import pipeline/);
    expect(
      await lint(importing("../../app.js"), "src/http/routes/fixture.ts", rule),
    ).to.have.length(1);
    expect(
      await lint(importing("../intake/index.js"), "src/orthanc/fixture.ts", rule),
    ).to.have.length(1);
    expect(await lint(importing("../http/index.js"), "src/doctor/fixture.ts", rule))
      .to.have.length(1)
      .and.to.match(/doctor \(layer "surfaces"\) may not import http/);
    expect(await lint(importing("../errors.js"), "src/ui/fixture.ts", rule)).to.have.length(1);
    // The DICOM vocabulary is a leaf.
    expect(await lint(importing("../errors.js"), "src/dicom/fixture.ts", rule)).to.have.length(1);
  });

  it("keeps imaging/, model/ and report/ free of I/O", async () => {
    expect(await lint(importing("../dicomweb/index.js"), "src/imaging/fixture.ts", rule))
      .to.have.length(1)
      .and.to.match(/imaging does no I\/O/);
    expect(await lint(importing("../jobs/index.js"), "src/report/fixture.ts", rule)).to.have.length(
      1,
    );
    expect(await lint(importing("node:https"), "src/model/fixture.ts", rule)).to.have.length(1);
    expect(await lint(importing("node:https"), "src/orthanc/fixture.ts", rule)).to.deep.equal([]);
  });

  it("lets imports through a facade, down the layers, and within a part through", async () => {
    const ok: [string, string][] = [
      ["../pipeline/index.js", "src/cli/fixture.ts"],
      ["./pipeline/index.js", "src/app.ts"],
      ["../../security/index.js", "src/doctor/checks/fixture.ts"],
      ["../index.js", "src/orthanc/install/fixture.ts"],
      ["../../errors.js", "src/orthanc/install/fixture.ts"],
      ["../orthanc/install/index.js", "src/cli/fixture.ts"],
      ["../model/index.js", "src/report/fixture.ts"],
      ["../dicom/index.js", "src/imaging/fixture.ts"],
      ["../dicom/index.js", "src/observability/fixture.ts"],
      ["../jobs/index.js", "src/notify/fixture.ts"],
      ["../config/index.js", "src/security/fixture.ts"],
      ["../oip/types.js", "src/inference/worker/fixture.ts"],
      ["./routes/views.js", "src/http/fixture.ts"],
    ];
    for (const [from, file] of ok) {
      expect(await lint(importing(from), file, rule), `${file} imports ${from}`).to.deep.equal([]);
    }
  });

  it("places every folder of src/ in a layer", () => {
    const dir = mkdtempSync(join(tmpdir(), "radz-layers-"));
    try {
      mkdirSync(join(dir, "jobs"));
      writeFileSync(join(dir, "jobs", "a.ts"), "");
      expect(() => layerBlocks(dir)).not.to.throw();
      mkdirSync(join(dir, "newpart"));
      expect(() => layerBlocks(dir)).to.throw(/src\/newpart is in no layer/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("docs/architecture.md shows the layers the rule enforces", () => {
    const doc = readFileSync(join(ROOT, "docs/architecture.md"), "utf8");
    const section = doc.slice(doc.indexOf("## Layers"), doc.indexOf("## Data flow"));
    const rows = section
      .split("\n")
      .filter((l) => l.startsWith("|") && !/^\|\s*(layer|-)/.test(l))
      .map((l) => l.split("|").map((c) => c.trim()));
    const shown = rows.map(([, name, parts, peers]) => ({
      name,
      parts: parts!.split(", ").map((p) => p.replace(/`/g, "").replace(/\/$/, "")),
      peers: peers === "yes",
    }));
    expect(shown).to.deep.equal(
      LAYERS.map((l) => ({ name: l.name, parts: l.parts, peers: l.peers === true })),
    );
    for (const name of NO_IO_MODULES) expect(section).to.include(`\`${name}\``);
  });
});

describe("tools/lint: DICOM vocabulary, no bare hex tag outside src/dicom/ (no-restricted-syntax)", function () {
  this.timeout(60_000);
  const RULE = "no-restricted-syntax";
  const bare = [
    'export const PIXEL_DATA = "7FE00010";',
    'export const KEY = "x00100010";',
    "export const T = 0x00280010;",
    "export const T = 0x7fe00010;",
    "export const ITEM = 0xfffee000;",
    'export const LABEL = "(0010,0010)";',
    "export const q = (v: string): string => `/studies?0020000D=${v}`;",
    'export type Key = "0020000E";',
    'export const byTag = { "00100010": "PN" };',
    "export const k = (v: string): string => `00080060=${v}`;",
  ];

  for (const code of bare) {
    it(`reports ${code} in src/`, async () => {
      const messages = await lint(code, "src/intake/example.ts", RULE);
      expect(messages).to.have.length(1);
      expect(messages[0]).to.match(/bare hex DICOM tag/);
    });
  }

  it("reports none of them in src/dicom/", async () => {
    for (const code of bare) {
      expect(await lint(code, "src/dicom/example.ts", RULE), code).to.deep.equal([]);
    }
  });

  it("lets through what is not a tag: a coded concept's value, hash constants, decimal numbers, UIDs, dates in text", async () => {
    const fine = [
      'export const c = { value: "60046008", scheme: "SCT", meaning: "Pleural effusion" };',
      'export const u = { value: "C0034375", scheme: "UMLS", meaning: "Qualitative Evaluations" };',
      "export const GOLDEN = 0x9e3779b9;",
      "export const SEED = 0x12345678;",
      "export const MAX = 0xffffffff;",
      "export const N = 12345678;",
      'export const UID = "2.25.123456789012345678";',
      "export const s = (d: string): string => `2.25.${d}12345678`;",
      'export const msg = "Content Date 20240115 is in the past";',
      "import { Tag } from '../dicom/index.js';\nexport const t = Tag.PixelData;",
    ];
    for (const code of fine) {
      expect(await lint(code, "src/intake/example.ts", RULE), code).to.deep.equal([]);
    }
  });
});

describe("tools/lint: dead code (knip)", function () {
  this.timeout(60_000);

  /** knip's exit status and report on a fixture project whose a.ts exports `used` and `extra`. */
  function knip(extraUsedSomewhere: boolean): { status: number | null; out: string } {
    const dir = mkdtempSync(join(tmpdir(), "radz-knip-"));
    try {
      const repoConfig = readFileSync(join(ROOT, "knip.jsonc"), "utf8");
      expect(repoConfig).to.match(/"ignoreExportsUsedInFile": true/);
      writeFileSync(
        join(dir, "package.json"),
        JSON.stringify({ name: "fixture", private: true, type: "module", main: "index.ts" }),
      );
      writeFileSync(join(dir, "knip.json"), JSON.stringify({ ignoreExportsUsedInFile: true }));
      writeFileSync(
        join(dir, "a.ts"),
        "export const used = 1;\nexport const extra = 2;\nexport const local = 3;\nexport const sum = local + 1;\n",
      );
      writeFileSync(
        join(dir, "index.ts"),
        extraUsedSomewhere
          ? 'import { extra, sum, used } from "./a.js";\nconsole.log(used, extra, sum);\n'
          : 'import { sum, used } from "./a.js";\nconsole.log(used, sum);\n',
      );
      const r = spawnSync(
        process.execPath,
        [join(ROOT, "node_modules/knip/bin/knip.js"), "--no-progress"],
        { cwd: dir, encoding: "utf8" },
      );
      return { status: r.status, out: `${r.stdout}${r.stderr}` };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it("fails on an export nothing imports, and names it", () => {
    const r = knip(false);
    expect(r.status).to.equal(1);
    expect(r.out)
      .to.match(/Unused exports \(1\)/)
      .and.to.match(/extra\s+a\.ts:2/);
  });

  it("passes when every export is imported or used in its own file", () => {
    const r = knip(true);
    expect(r.out).to.equal("");
    expect(r.status).to.equal(0);
  });
});
