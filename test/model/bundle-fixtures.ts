/** Test helpers: a generated demo bundle, copied and broken in its own temp dir per test. */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import os from "node:os";
import path from "node:path";
import { writeDemoBundle } from "../../src/model/index.js";

export function tempDir(prefix = "radz-model-"): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Writes the demo bundle once into a fresh temp dir; returns a remover too. */
export async function demoBundleDir(): Promise<{ dir: string; remove: () => void }> {
  const dir = tempDir("radz-demo-bundle-");
  await writeDemoBundle(dir);
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A copy of `source` in a new temp dir. */
export function copyBundle(source: string): string {
  const dir = tempDir("radz-bundle-copy-");
  cpSync(source, dir, { recursive: true });
  return dir;
}

export type Json = Record<string, unknown>;

export function readManifest(dir: string): Json {
  return JSON.parse(readFileSync(path.join(dir, "bundle.json"), "utf8")) as Json;
}

export function writeManifest(dir: string, manifest: unknown): void {
  writeFileSync(path.join(dir, "bundle.json"), JSON.stringify(manifest, null, 2));
}

/** Edits bundle.json in place. */
export function editManifest(dir: string, edit: (m: Json) => void): void {
  const m = readManifest(dir);
  edit(m);
  writeManifest(dir, m);
}

export function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Replaces a bundle file and updates its sha256 wherever bundle.json references it. */
export function replaceFile(dir: string, file: string, bytes: Uint8Array): void {
  writeFileSync(path.join(dir, file), bytes);
  const hash = sha256(bytes);
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(visit);
    else if (node && typeof node === "object") {
      const o = node as Json;
      if (o.file === file && typeof o.sha256 === "string") o.sha256 = hash;
      Object.values(o).forEach(visit);
    }
  };
  editManifest(dir, visit);
}
