// The layers of src/, top to bottom, as `npm run lint` enforces them; docs/architecture.md
// ("Layers") shows the same table, and test/tools/lint-rules.test.ts holds the two together.
//
// A part is a folder of src/ (or one file at its root, or a nested folder listed here).
// A module may import:
//  - its own part, freely;
//  - another part only through that part's facade, its index.ts (a file part is its own facade);
//  - only parts of a lower layer, or of its own layer where that layer says `peers: true`
//    (peers stay acyclic: `npm run cycles`).
// Parts named in NO_IO do no network or database I/O: they import only each other and the
// base and vocabulary layers, and none of the modules in NO_IO_MODULES.
//
// Plain JavaScript because eslint.config.js loads it without a TypeScript loader.
import { readdirSync } from "node:fs";
import { join, posix } from "node:path";

/** @typedef {{ name: string, parts: string[], peers?: boolean }} Layer */

/** @type {Layer[]} */
export const LAYERS = [
  { name: "entry", parts: ["cli"] },
  { name: "composition root", parts: ["app.ts"] },
  { name: "surfaces", parts: ["http", "doctor", "eval"] },
  { name: "pipeline", parts: ["pipeline"] },
  // Getting studies in: the change feed, reconciliation, selection rules; the push hooks' installer.
  { name: "intake", parts: ["intake", "orthanc/install"] },
  {
    name: "parts",
    parts: [
      "inference",
      "flags",
      "notify",
      "jobs",
      "report",
      "model",
      "imaging",
      "synthetic",
      "drift",
    ],
    peers: true,
  },
  { name: "PACS clients", parts: ["orthanc", "dicomweb"] },
  { name: "security", parts: ["security"] },
  {
    name: "base",
    parts: ["config", "observability", "errors.ts", "bytes.ts", "version.ts", "worker-entry.ts"],
    peers: true,
  },
  // The DICOM vocabulary: tags, VRs, UIDs, DICOM JSON, coding schemes. A leaf: imports nothing.
  { name: "vocabulary", parts: ["dicom"] },
  // Browser code (compiled by the project's tsc, served as files): imports no server part.
  { name: "browser", parts: ["ui"] },
];

/** Parts that do no network or database I/O (bytes and values in, bytes and values out). */
export const NO_IO = ["imaging", "model", "report", "synthetic"];

/** Modules that do network or database I/O; parts in NO_IO may not import them. */
export const NO_IO_MODULES = [
  "node:http",
  "node:https",
  "node:net",
  "node:tls",
  "node:dgram",
  "better-sqlite3",
  "dicomweb-client",
  "express",
  "xhr2",
];

/** The layers (besides each other) that parts in NO_IO may import. */
const NO_IO_MAY_IMPORT = ["base", "vocabulary"];

const isFilePart = (part) => part.endsWith(".ts");
const layerOf = new Map(LAYERS.flatMap((l, i) => l.parts.map((p) => [p, i])));

/** May a module of part `from` import part `to` (through its facade)? */
export function mayImport(from, to) {
  if (from === to) return true;
  const a = layerOf.get(from);
  const b = layerOf.get(to);
  if (a === undefined || b === undefined) return false;
  if (NO_IO.includes(from)) return NO_IO.includes(to) || NO_IO_MAY_IMPORT.includes(LAYERS[b].name);
  return b > a || (a === b && LAYERS[a].peers === true);
}

/** The part a path relative to src/ (a folder, or a root file) belongs to. */
export function partOf(relPath) {
  const parts = [...layerOf.keys()].sort((x, y) => y.length - x.length);
  return parts.find((p) => relPath === p || relPath.startsWith(`${p}/`));
}

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** How a module in folder `dir` (relative to src/) spells a path to `target` (relative to src/). */
function spell(dir, target) {
  const rel = posix.relative(dir, target);
  return rel === ".." || rel.startsWith("../") ? rel : `./${rel}`;
}

/** The no-restricted-imports patterns for a module of part `own` in folder `dir`. */
function patternsFor(own, dir) {
  const patterns = [];
  for (const [target] of layerOf) {
    if (target === own) continue;
    // A part nested inside this one (orthanc/install in orthanc) is spelled below it; one this
    // part is nested in (orthanc, for orthanc/install) is reached through "..".
    const spelled = isFilePart(target)
      ? spell(dir, target.replace(/\.ts$/, ".js"))
      : spell(dir, target);
    const whereabouts = `src/${target}`;
    if (!mayImport(own, target)) {
      const [a, b] = [layerOf.get(own), layerOf.get(target)];
      const rule =
        a === b
          ? "parts of this layer do not import each other; move what both need to a lower layer"
          : "imports point down the layers of docs/architecture.md";
      const why = NO_IO.includes(own)
        ? `${own} does no I/O: it imports only ${NO_IO.join("/")} and the base and vocabulary layers`
        : `${own} (layer "${LAYERS[a].name}") may not import ${target} (layer "${LAYERS[b].name}"): ${rule}`;
      patterns.push({
        regex: isFilePart(target) ? `^${escape(spelled)}$` : `^${escape(spelled)}/(?!\\.\\./)`,
        message: why,
      });
      continue;
    }
    if (isFilePart(target)) continue;
    // Past the facade: anything but index.js, a way back out (..), or a nested part's folder.
    const nested = [...layerOf.keys()]
      .filter((p) => p.startsWith(`${target}/`))
      .map((p) => `${escape(p.slice(target.length + 1))}/`);
    const allowed = ["index\\.js$", "\\.\\./", ...nested].join("|");
    patterns.push({
      regex: `^${escape(spelled)}/(?!${allowed})`,
      message: `import ${target} through its facade (${whereabouts}/index.ts), not its internals`,
    });
  }
  return patterns;
}

/** Folders under `root` (relative, posix), the root itself as "". */
function folders(root, rel = "") {
  const out = [rel];
  for (const e of readdirSync(join(root, rel), { withFileTypes: true })) {
    if (e.isDirectory()) out.push(...folders(root, rel ? `${rel}/${e.name}` : e.name));
  }
  return out;
}

/**
 * ESLint flat-config blocks, one per folder of `srcDir` (one per file at its root), each with
 * the import rules of the part it belongs to. Throws when a folder or root file is in no layer.
 */
export function layerBlocks(srcDir, srcPrefix = "src") {
  const blocks = [];
  for (const dir of folders(srcDir)) {
    const files =
      dir === "" ? readdirSync(srcDir).filter((f) => f.endsWith(".ts")) : [posix.join(dir, "*.ts")];
    for (const file of files) {
      const own = partOf(dir === "" ? file : dir);
      if (own === undefined) {
        throw new Error(
          `src/${dir || file} is in no layer: add it to LAYERS in tools/lint/layers.js`,
        );
      }
      const rules = {
        "no-restricted-imports": [
          "error",
          {
            patterns: patternsFor(own, dir),
            paths: NO_IO.includes(own)
              ? NO_IO_MODULES.map((name) => ({ name, message: `${own} does no I/O` }))
              : [],
          },
        ],
      };
      blocks.push({ files: [`${srcPrefix}/${file}`], rules });
    }
  }
  return blocks;
}
