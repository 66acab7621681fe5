/** `radz bundle inspect` and `radz bundle embed-labels`. */
import { spawnSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { embedLabels, formatInspection, inspectBundle } from "../../src/cli/bundle.js";
import { loadModel, readBundleManifest } from "../../src/model/index.js";
import { silentLogger } from "../../src/observability/logger.js";
import { generateSyntheticStudies } from "../../src/synthetic/index.js";
import { copyBundle, demoBundleDir, editManifest, sha256 } from "./bundle-fixtures.js";
import { tensorFromPart10 } from "./helpers.js";

function radz(args: string[]) {
  const r = spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], {
    encoding: "utf8",
    env: { ...process.env, RADZ_LOG__LEVEL: "silent", RADZ_MODEL__EMBEDDING_CACHE_DIR: "" },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const CPU = { executionProviders: ["cpu" as const], requireGpu: false, logger: silentLogger() };

describe("cli: radz bundle inspect / embed-labels", function () {
  this.timeout(120_000);
  let demo: string;
  let remove: () => void;
  const dirs: string[] = [];
  const savedCacheDir = process.env.RADZ_MODEL__EMBEDDING_CACHE_DIR;
  before(async () => {
    // In-process commands read the environment: no embedding cache in the working directory.
    process.env.RADZ_MODEL__EMBEDDING_CACHE_DIR = "";
    const b = await demoBundleDir();
    demo = b.dir;
    remove = b.remove;
  });
  after(() => {
    if (savedCacheDir === undefined) delete process.env.RADZ_MODEL__EMBEDDING_CACHE_DIR;
    else process.env.RADZ_MODEL__EMBEDDING_CACHE_DIR = savedCacheDir;
    remove();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it("inspect: identity, files with verified hashes, labels with their embedding source, the execution provider", async () => {
    const r = await inspectBundle(demo, { load: true });
    expect(r.identity.id).to.equal("radz-demo-synthetic");
    expect(r.filesOk).to.equal(true);
    expect(r.files.map((f) => [f.role, f.status])).to.deep.equal([
      ["image encoder", "ok"],
      ["text encoder", "ok"],
      ["tokenizer", "ok"],
      ["tokenizer config", "ok"],
    ]);
    expect(r.labels.map((l) => l.embedding)).to.deep.equal(Array(5).fill("text"));
    expect(r.load).to.include({ ok: true, executionProvider: "cpu" });
    const text = formatInspection(r);
    expect(text).to.contain("SYNTHETIC");
    expect(text).to.contain("execution provider cpu");
    expect(text).to.match(/pneumothorax\s+\(36118008, SCT, "Pneumothorax"\)\s+3\/3\/2\s+platt/);

    const cli = radz(["bundle", "inspect", demo, "--json"]);
    expect(cli.status, cli.stderr).to.equal(0);
    const json = JSON.parse(cli.stdout) as {
      filesOk: boolean;
      load: { executionProvider: string };
    };
    expect(json.filesOk).to.equal(true);
    expect(json.load.executionProvider).to.equal("cpu");
  });

  it("inspect names a modified and a missing file and does not load; exit code 1", async () => {
    const dir = copyBundle(demo);
    dirs.push(dir);
    writeFileSync(path.join(dir, "tokenizer_config.json"), "{}\n");
    rmSync(path.join(dir, "text-encoder.onnx"));
    const r = await inspectBundle(dir, { load: true });
    expect(r.filesOk).to.equal(false);
    expect(r.load).to.equal(null);
    const byFile = Object.fromEntries(r.files.map((f) => [f.file, f.status]));
    expect(byFile["tokenizer_config.json"]).to.equal("hash-mismatch");
    expect(byFile["text-encoder.onnx"]).to.equal("missing");
    expect(formatInspection(r)).to.contain("HASH MISMATCH");
    const cli = radz(["bundle", "inspect", dir]);
    expect(cli.status).to.equal(1);
    expect(cli.stdout).to.contain("MISSING");
  });

  it("embed-labels writes the Float32 rows and bundle.json; without its text encoder the bundle then scores the same", async () => {
    const dir = copyBundle(demo);
    dirs.push(dir);
    const r = await embedLabels(dir, {});
    expect(r).to.deep.include({ file: "label-embeddings.bin", rows: 10 });
    const m = await readBundleManifest(dir);
    const bytes = readFileSync(path.join(dir, "label-embeddings.bin"));
    expect(bytes.byteLength).to.equal(10 * 32 * 4);
    expect(m.labelEmbeddings).to.deep.include({
      file: "label-embeddings.bin",
      sha256: sha256(bytes),
    });
    expect(m.labelEmbeddings!.shape).to.deep.equal([10, 32]);
    expect(m.labelEmbeddings!.labelIds).to.deep.equal(m.labels.map((l) => l.id));

    const [study] = generateSyntheticStudies({
      count: 1,
      seed: 8,
      rows: 128,
      columns: 128,
      findingRate: 1,
    });
    const input = tensorFromPart10(study!.instances[0]!, m.preprocess);
    const withText = await loadModel(dir, CPU);
    const [a] = await withText.scoreImages([input]);
    await withText.close();
    editManifest(dir, (x) => delete x.textEncoder);
    const precomputed = await loadModel(dir, CPU);
    const [b] = await precomputed.scoreImages([input]);
    await precomputed.close();
    a!.forEach((s, k) => expect(b![k]!.logit).to.be.closeTo(s.logit, 1e-5));
    expect(
      (await inspectBundle(dir, { load: false })).labels.map((l) => l.embedding),
    ).to.deep.equal(Array(5).fill("precomputed"));

    const refused = radz(["bundle", "embed-labels", dir]);
    expect(refused.status).to.equal(1);
    expect(refused.stderr).to.contain("no text encoder");
    const outside = radz(["bundle", "embed-labels", demo, "--out", "/tmp/elsewhere.bin"]);
    expect(outside.status).to.equal(1);
    expect(outside.stderr).to.contain("inside the bundle directory");
  });
});
