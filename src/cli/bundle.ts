/**
 * `radz bundle demo <dir>`: write the synthetic demonstration bundle.
 * `radz bundle inspect <dir> [--json]`: manifest, files with verified hashes,
 *   labels and where their embeddings come from, and the execution provider
 *   the image encoder actually runs on.
 * `radz bundle embed-labels <dir> [--out file]`: compute label embeddings with
 *   the bundle's text encoder and store them as the bundle's precomputed
 *   Float32 file, updating bundle.json (file, sha256, shape, label ids).
 */
import { readFile, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Command } from "commander";
import { RadzError, toRadzError } from "../errors.js";
import {
  BUNDLE_MANIFEST_FILE,
  BundleTextEncoder,
  computeLabelEmbeddings,
  isSafeRelativePath,
  loadModel,
  mergeLabelDefinitions,
  modelOptionsFromConfig,
  parseBundleManifest,
  readBundleManifest,
  readPrecomputedEmbeddings,
  resolveBundleFile,
  sha256Bytes,
  sha256File,
  writeDemoBundle,
  type BundleManifest,
} from "../model/index.js";
import { registerExportTritonCommand } from "./bundle-export-triton.js";
import { addCommonOptions, configFrom, loggerFor, type CommonOptions } from "./common.js";

interface FileReport {
  readonly role: string;
  readonly file: string;
  readonly sha256: string;
  readonly bytes: number | null;
  readonly status: "ok" | "missing" | "hash-mismatch";
  readonly actualSha256?: string;
}

interface LabelReport {
  readonly id: string;
  readonly display: string;
  readonly concept: string;
  readonly prompts: { readonly positive: number; readonly negative: number };
  readonly knowledge: number;
  readonly combine: { readonly promptWeight: number; readonly knowledgeWeight: number };
  readonly calibration: string;
  readonly threshold: number;
  readonly triageWeight: number;
  /** Where its positive embedding comes from. */
  readonly embedding: "text" | "precomputed" | "missing";
  readonly fromConfig: boolean;
}

export interface BundleInspection {
  readonly dir: string;
  readonly identity: BundleManifest["identity"];
  readonly schemaVersion: number;
  readonly imageEncoder: BundleManifest["imageEncoder"];
  readonly textEncoder: { readonly file: string; readonly maxLength: number } | null;
  readonly preprocess: BundleManifest["preprocess"];
  readonly scoring: BundleManifest["scoring"];
  readonly files: readonly FileReport[];
  readonly filesOk: boolean;
  readonly labels: readonly LabelReport[];
  /** Result of loading the bundle (sessions, embeddings, warm-up), unless --no-load. */
  readonly load:
    | {
        readonly ok: true;
        readonly executionProvider: string;
        readonly labelSetHash: string;
        readonly warmupMs: number;
      }
    | { readonly ok: false; readonly code: string; readonly message: string }
    | null;
}

function fileRefs(m: BundleManifest): { role: string; file: string; sha256: string }[] {
  const ref = (role: string, r: { file: string; sha256: string }) => ({
    role,
    file: r.file,
    sha256: r.sha256,
  });
  const refs = [ref("image encoder", m.imageEncoder)];
  if (m.textEncoder) {
    refs.push(ref("text encoder", m.textEncoder), ref("tokenizer", m.textEncoder.tokenizer));
    if (m.textEncoder.tokenizer.config)
      refs.push(ref("tokenizer config", m.textEncoder.tokenizer.config));
  }
  if (m.labelEmbeddings) refs.push(ref("label embeddings", m.labelEmbeddings));
  return refs;
}

async function checkFile(
  dir: string,
  ref: { role: string; file: string; sha256: string },
): Promise<FileReport> {
  let full: string;
  try {
    full = await resolveBundleFile(dir, ref.file);
  } catch {
    return { ...ref, bytes: null, status: "missing" };
  }
  const [bytes, actual] = await Promise.all([stat(full).then((s) => s.size), sha256File(full)]);
  return actual.toLowerCase() === ref.sha256.toLowerCase()
    ? { ...ref, bytes, status: "ok" }
    : { ...ref, bytes, status: "hash-mismatch", actualSha256: actual };
}

function describeCalibration(c: BundleManifest["labels"][number]["calibration"]): string {
  switch (c.method) {
    case "none":
      return "none";
    case "platt":
      return `platt a=${c.a.toFixed(4)} b=${c.b.toFixed(4)}`;
    case "isotonic":
      return `isotonic (${c.x.length} points)`;
  }
}

export async function inspectBundle(
  dir: string,
  opts: CommonOptions & { load: boolean },
): Promise<BundleInspection> {
  const config = configFrom(
    { ...opts, logLevel: opts.logLevel ?? process.env.RADZ_LOG__LEVEL ?? "warn" },
    { model: { bundle: dir } },
  );
  const bundle = await readBundleManifest(dir);
  const files = await Promise.all(fileRefs(bundle).map((r) => checkFile(dir, r)));
  const filesOk = files.every((f) => f.status === "ok");
  const merged = mergeLabelDefinitions(bundle, config.model.labels);
  const precomputed = new Set(bundle.labelEmbeddings?.labelIds ?? []);
  const fromConfig = new Set([...merged.added, ...merged.overridden]);
  const labels: LabelReport[] = merged.manifest.labels.map((l) => {
    const hasText =
      (l.prompts.positive.length > 0 && l.combine.promptWeight > 0) ||
      (l.knowledge.length > 0 && l.combine.knowledgeWeight > 0);
    const embedding =
      bundle.textEncoder && hasText
        ? "text"
        : precomputed.has(l.id) && !merged.textChanged.has(l.id)
          ? "precomputed"
          : "missing";
    return {
      id: l.id,
      display: l.display,
      concept: `(${l.concept.value}, ${l.concept.scheme}, "${l.concept.meaning}")`,
      prompts: { positive: l.prompts.positive.length, negative: l.prompts.negative.length },
      knowledge: l.knowledge.length,
      combine: l.combine,
      calibration: describeCalibration(l.calibration),
      threshold: l.threshold,
      triageWeight: l.triageWeight,
      embedding,
      fromConfig: fromConfig.has(l.id),
    };
  });
  let load: BundleInspection["load"] = null;
  if (opts.load && filesOk) {
    const logger = loggerFor(config);
    const started = performance.now();
    try {
      const model = await loadModel(dir, modelOptionsFromConfig(config.model, logger));
      load = {
        ok: true,
        executionProvider: model.identity.executionProvider,
        labelSetHash: model.identity.labelSetHash,
        warmupMs: Math.round(performance.now() - started),
      };
      await model.close();
    } catch (err) {
      const e = toRadzError(err);
      load = { ok: false, code: e.code, message: e.message };
    }
  }
  return {
    dir,
    identity: bundle.identity,
    schemaVersion: bundle.schemaVersion,
    imageEncoder: bundle.imageEncoder,
    textEncoder: bundle.textEncoder
      ? { file: bundle.textEncoder.file, maxLength: bundle.textEncoder.maxLength }
      : null,
    preprocess: bundle.preprocess,
    scoring: bundle.scoring,
    files,
    filesOk,
    labels,
    load,
  };
}

export function formatInspection(r: BundleInspection): string {
  const id = r.identity;
  const out: string[] = [
    `${id.name} ${id.version} (${id.id})${id.synthetic ? "  [SYNTHETIC demonstration bundle]" : ""}`,
    `  license: ${id.license}`,
    `  intended use: ${id.intendedUse}`,
    `  source: ${id.source}`,
    ...(id.citation ? [`  citation: ${id.citation}`] : []),
    "",
    `image encoder: ${r.imageEncoder.file}  input "${r.imageEncoder.inputName}" [batch, ${r.preprocess.channels}, ${r.preprocess.size}, ${r.preprocess.size}]  output "${r.imageEncoder.outputName}" [batch, ${r.imageEncoder.embeddingSize}]`,
    `text encoder: ${r.textEncoder ? `${r.textEncoder.file} (max ${r.textEncoder.maxLength} tokens)` : "none (precomputed label embeddings only)"}`,
    `preprocess: ${r.preprocess.size}x${r.preprocess.size} ${r.preprocess.fit} ${r.preprocess.resize}, ${r.preprocess.channels} channel(s), scale ${r.preprocess.scale}, mean ${r.preprocess.mean.join("/")}, std ${r.preprocess.std.join("/")}`,
    `scoring: ${r.scoring.mode}, cosine x ${r.scoring.logitScale}${r.scoring.mode === "sigmoid" ? ` + ${r.scoring.bias}` : ""}`,
    "",
    "files:",
  ];
  for (const f of r.files) {
    const state =
      f.status === "ok"
        ? "ok"
        : f.status === "missing"
          ? "MISSING"
          : `HASH MISMATCH (actual ${f.actualSha256})`;
    out.push(
      `  ${f.role.padEnd(17)} ${f.file.padEnd(28)} ${f.bytes === null ? "-" : `${f.bytes} bytes`}  sha256 ${f.sha256.slice(0, 16)}…  ${state}`,
    );
  }
  out.push("", "labels:");
  const header = [
    "id",
    "concept",
    "pos/neg/knowl",
    "calibration",
    "threshold",
    "triage",
    "embedding",
  ];
  const rows = r.labels.map((l) => [
    `${l.id}${l.fromConfig ? " (config)" : ""}`,
    l.concept,
    `${l.prompts.positive}/${l.prompts.negative}/${l.knowledge}`,
    l.calibration,
    l.threshold.toFixed(3),
    String(l.triageWeight),
    l.embedding,
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((x) => x[c]!.length)));
  const line = (cells: string[]): string =>
    `  ${cells.map((c, i) => c.padEnd(widths[i]!)).join("  ")}`.trimEnd();
  out.push(line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line), "");
  if (r.load === null)
    out.push(r.filesOk ? "not loaded (--no-load)" : "not loaded: fix the files above first");
  else if (r.load.ok)
    out.push(
      `loaded: execution provider ${r.load.executionProvider}, label set ${r.load.labelSetHash}, ${r.load.warmupMs} ms including warm-up`,
    );
  else out.push(`load FAILED: ${r.load.code}: ${r.load.message}`);
  return `${out.join("\n")}\n`;
}

/** Computes every label's embeddings with the text encoder and stores them as the bundle's precomputed file. */
export async function embedLabels(
  dir: string,
  opts: CommonOptions & { out?: string },
): Promise<{ file: string; rows: number; labelIds: string[]; negativeLabelIds: string[] }> {
  const config = configFrom(
    { ...opts, logLevel: opts.logLevel ?? process.env.RADZ_LOG__LEVEL ?? "warn" },
    { model: { bundle: dir } },
  );
  const logger = loggerFor(config);
  const manifest = await readBundleManifest(dir);
  const te = manifest.textEncoder;
  if (!te)
    throw new RadzError(
      "BUNDLE_LABEL_EMBEDDING_MISSING",
      "the bundle has no text encoder to compute label embeddings with (see docs/models.md)",
    );
  const rel = opts.out
    ? path.relative(path.resolve(dir), path.resolve(opts.out)).split(path.sep).join("/")
    : "label-embeddings.bin";
  if (!isSafeRelativePath(rel))
    throw new RadzError(
      "INPUT_INVALID",
      `--out must be a file inside the bundle directory, not ${opts.out}`,
    );
  const dim = manifest.imageEncoder.embeddingSize;
  const encoder = await BundleTextEncoder.open(dir, te, dim, {
    executionProviders: [...config.model.executionProviders],
    requireGpu: false,
    logger,
  });
  let computed;
  try {
    computed = await computeLabelEmbeddings(manifest.labels, (texts) => encoder.embed(texts));
  } finally {
    await encoder.close();
  }
  // Labels without text keep the rows they already have.
  let existing;
  if (manifest.labelEmbeddings) {
    try {
      existing = await readPrecomputedEmbeddings(
        await resolveBundleFile(dir, manifest.labelEmbeddings.file),
        manifest.labelEmbeddings,
      );
    } catch {
      existing = undefined;
    }
  }
  const labelIds: string[] = [];
  const negativeLabelIds: string[] = [];
  const rows: Float32Array[] = [];
  for (const l of manifest.labels) {
    const v = computed.positive.get(l.id) ?? existing?.positive.get(l.id);
    if (v) {
      labelIds.push(l.id);
      rows.push(v);
    }
  }
  for (const l of manifest.labels) {
    const v = computed.negative.get(l.id) ?? existing?.negative.get(l.id);
    if (v) {
      negativeLabelIds.push(l.id);
      rows.push(v);
    }
  }
  if (labelIds.length === 0)
    throw new RadzError(
      "BUNDLE_LABEL_EMBEDDING_MISSING",
      "no label has prompts or knowledge to embed",
    );
  const bytes = Buffer.alloc(rows.length * dim * 4);
  rows.forEach((row, r) => row.forEach((v, j) => bytes.writeFloatLE(v, (r * dim + j) * 4)));
  await writeFile(path.join(dir, rel), bytes);

  const manifestPath = path.join(dir, BUNDLE_MANIFEST_FILE);
  const raw = JSON.parse(await readFile(manifestPath, "utf8")) as Record<string, unknown>;
  raw.labelEmbeddings = {
    file: rel,
    sha256: sha256Bytes(bytes),
    shape: [rows.length, dim],
    labelIds,
    negativeLabelIds,
  };
  parseBundleManifest(raw); // refuse to write a manifest that would not load
  await writeFile(manifestPath, `${JSON.stringify(raw, null, 2)}\n`);
  return { file: rel, rows: rows.length, labelIds, negativeLabelIds };
}

export function registerBundleCommands(program: Command): void {
  const bundle = program.command("bundle").description("Model bundle tools.");
  bundle
    .command("demo")
    .description(
      "Write the synthetic demonstration bundle (generated from code; it recognises only the demo's drawn patterns).",
    )
    .argument("<dir>", "output directory")
    .action(async (dir: string) => {
      await writeDemoBundle(dir);
      process.stdout.write(`demo bundle written to ${dir}\n`);
    });
  addCommonOptions(
    bundle
      .command("inspect")
      .description(
        "Show a bundle: identity, encoders, files with verified sha256, labels (with config model.labels merged) " +
          "and where their embeddings come from, then load it and report the execution provider it runs on.",
      )
      .argument("<dir>", "bundle directory")
      .option("--json", "print one JSON object")
      .option("--no-load", "only check files and labels; do not open sessions"),
  ).action(async (dir: string, opts: CommonOptions & { json?: boolean; load: boolean }) => {
    const r = await inspectBundle(dir, opts);
    process.stdout.write(opts.json ? `${JSON.stringify(r)}\n` : formatInspection(r));
    process.exitCode = r.filesOk && (r.load === null || r.load.ok) ? 0 : 1;
  });
  addCommonOptions(
    bundle
      .command("embed-labels")
      .description(
        "Compute the bundle labels' embeddings with its text encoder and store them as its precomputed " +
          "Float32 file (default label-embeddings.bin), updating bundle.json's labelEmbeddings and sha256.",
      )
      .argument("<dir>", "bundle directory")
      .option("-o, --out <file>", "embeddings file, inside the bundle directory"),
  ).action(async (dir: string, opts: CommonOptions & { out?: string }) => {
    const r = await embedLabels(dir, opts);
    process.stdout.write(
      `wrote ${r.file}: ${r.rows} rows (${r.labelIds.length} labels, ${r.negativeLabelIds.length} negative) and updated ${BUNDLE_MANIFEST_FILE}\n`,
    );
  });
  registerExportTritonCommand(bundle);
}
