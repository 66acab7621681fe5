/**
 * Orthanc's configuration directory as Orthanc itself reads it: every
 * regular file whose name ends in ".json" (any case), each a JSON-with-comments
 * object; the top-level keys of all files are merged, and a key defined in two
 * files stops Orthanc at start ("defined in 2 different configuration files").
 * So RadZ may add a key in its own file only when no file defines it yet, and
 * must otherwise edit the file that does.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { RadzError } from "../../errors.js";
import {
  jsoncValue,
  JsoncSyntaxError,
  memberOf,
  parseJsonc,
  type JsoncMember,
  type JsoncObject,
} from "./jsonc.js";

export interface OrthancConfigFile {
  /** File name inside the directory. */
  readonly name: string;
  readonly path: string;
  readonly text: string;
  readonly root: JsoncObject;
}

export interface DefinedKey {
  readonly file: OrthancConfigFile;
  readonly member: JsoncMember;
  readonly value: unknown;
}

/** True for a name Orthanc loads from a configuration directory. */
export function isOrthancConfigName(name: string): boolean {
  return name.toLowerCase().endsWith(".json");
}

export function parseOrthancConfigFile(
  name: string,
  path: string,
  text: string,
): OrthancConfigFile {
  let root;
  try {
    root = parseJsonc(text);
  } catch (err) {
    const where = err instanceof JsoncSyntaxError ? ` (${err.message})` : "";
    throw new RadzError(
      "ORTHANC_INSTALL_FAILED",
      `${path} is not valid JSON-with-comments${where}; Orthanc would not start with it either`,
      { cause: err },
    );
  }
  if (root.kind !== "object") {
    throw new RadzError("ORTHANC_INSTALL_FAILED", `${path} is not a JSON object`);
  }
  return { name, path, text, root };
}

/** Reads and parses every configuration file of `dir`, sorted by name. */
export function readOrthancConfigDir(dir: string): OrthancConfigFile[] {
  let names: string[];
  try {
    if (!statSync(dir).isDirectory()) throw new Error("not a directory");
    names = readdirSync(dir);
  } catch (err) {
    throw new RadzError(
      "ORTHANC_INSTALL_FAILED",
      `cannot read Orthanc's configuration directory ${dir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      { cause: err },
    );
  }
  const files: OrthancConfigFile[] = [];
  for (const name of names.filter(isOrthancConfigName).sort()) {
    const path = join(dir, name);
    let text: string;
    try {
      if (!statSync(path).isFile()) continue;
      text = readFileSync(path, "utf8");
    } catch (err) {
      throw new RadzError(
        "ORTHANC_INSTALL_FAILED",
        `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
        { cause: err },
      );
    }
    files.push(parseOrthancConfigFile(name, path, text));
  }
  return files;
}

/** Where a top-level key is defined, or null. Two definitions: Orthanc would refuse to start. */
export function findKey(files: readonly OrthancConfigFile[], key: string): DefinedKey | null {
  const hits = files.flatMap((file) => {
    const member = memberOf(file.root, key);
    return member ? [{ file, member, value: jsoncValue(member.value) }] : [];
  });
  if (hits.length > 1) {
    throw new RadzError(
      "ORTHANC_INSTALL_CONFLICT",
      `"${key}" is defined in ${hits.map((h) => h.file.name).join(" and ")}; Orthanc refuses such a directory — fix that first`,
    );
  }
  return hits[0] ?? null;
}

/** The merged configuration (what Orthanc sees). */
export function mergedConfig(files: readonly OrthancConfigFile[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of files) Object.assign(out, jsoncValue(f.root) as Record<string, unknown>);
  return out;
}
