/**
 * Files named in a model bundle: path safety (relative, inside the bundle
 * directory) and integrity (sha256).
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { realpath, stat } from "node:fs/promises";
import path from "node:path";
import { RadzError } from "../errors.js";

/**
 * A bundle file reference must be a plain relative path that stays inside the
 * bundle directory: no absolute paths (POSIX or Windows), no backslashes, no
 * ".." segments, no NUL.
 */
export function isSafeRelativePath(p: string): boolean {
  if (p.length === 0 || p.includes("\0") || p.includes("\\")) return false;
  if (p.startsWith("/") || /^[A-Za-z]:/.test(p)) return false;
  const normalised = path.posix.normalize(p);
  if (normalised === "." || normalised === ".." || normalised.startsWith("../")) return false;
  return !p.split("/").includes("..");
}

/** Resolves a bundle-relative path, refusing anything (symlinks included) that leaves the bundle directory. */
export async function resolveBundleFile(bundleDir: string, rel: string): Promise<string> {
  if (!isSafeRelativePath(rel)) {
    throw new RadzError(
      "BUNDLE_INVALID",
      `bundle file path "${rel}" must be relative and inside the bundle directory`,
    );
  }
  const root = await realpath(bundleDir);
  const full = path.resolve(root, rel);
  let real: string;
  try {
    real = await realpath(full);
    const st = await stat(real);
    if (!st.isFile()) throw new Error("not a regular file");
  } catch (err) {
    throw new RadzError(
      "BUNDLE_FILE_MISSING",
      `bundle file "${rel}" is missing or not a regular file`,
      { cause: err, details: { file: rel } },
    );
  }
  if (real !== root && !real.startsWith(root + path.sep)) {
    throw new RadzError(
      "BUNDLE_INVALID",
      `bundle file "${rel}" resolves outside the bundle directory`,
    );
  }
  return real;
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

export function sha256Bytes(bytes: Uint8Array | string): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Resolves and verifies one bundle file; returns its absolute path. */
export async function verifiedBundleFile(
  bundleDir: string,
  ref: { file: string; sha256: string },
): Promise<string> {
  const full = await resolveBundleFile(bundleDir, ref.file);
  const actual = await sha256File(full);
  if (actual.toLowerCase() !== ref.sha256.toLowerCase()) {
    throw new RadzError(
      "BUNDLE_HASH_MISMATCH",
      `bundle file "${ref.file}" has sha256 ${actual}, bundle.json declares ${ref.sha256.toLowerCase()}`,
      { details: { file: ref.file, expected: ref.sha256.toLowerCase(), actual } },
    );
  }
  return full;
}
