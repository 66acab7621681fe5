/**
 * Finds a locally installed Orthanc and its DICOMweb plugin (Debian/Ubuntu
 * packages "orthanc" and "orthanc-dicomweb"), for tests and `radz demo`.
 */
import {
  accessSync,
  constants,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  statSync,
  symlinkSync,
} from "node:fs";
import { delimiter, dirname, join, relative, resolve, sep } from "node:path";
import { RadzError } from "../errors.js";

export const ORTHANC_INSTALL_HINT =
  "install with `sudo apt-get install -y orthanc orthanc-dicomweb`";

const BINARY_CANDIDATES = ["/usr/sbin/Orthanc", "/usr/local/sbin/Orthanc", "/usr/bin/Orthanc"];
const PLUGIN_DIRS = [
  "/usr/share/orthanc/plugins",
  "/usr/lib/orthanc",
  "/usr/local/share/orthanc/plugins",
];
const PLUGIN_FILE = /^libOrthancDicomWeb\.so(?:\.[0-9.]+)?$/;

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The Orthanc binary inside a root file system (for `chroot root Orthanc`):
 * the path inside it of the first of the usual Debian locations it holds.
 */
export function findOrthancBinaryIn(root: string): string {
  for (const candidate of BINARY_CANDIDATES) {
    if (isExecutableFile(join(root, candidate))) return candidate;
  }
  throw new RadzError(
    "DEMO_ORTHANC_MISSING",
    `no Orthanc binary in the root file system ${root} (tools/orthanc-trixie.sh builds one)`,
  );
}

/**
 * The command prefix that runs a program chrooted in `root` (a root file
 * system such as the Debian 13 tree tools/orthanc-trixie.sh builds), after
 * making host paths under `root` valid inside it too: `root` links its own
 * host path to its top (a relative link, so on the host it points back into
 * the tree). A configuration written on the host under `root` then works
 * unchanged inside.
 */
export function chrootPrefix(root: string): string[] {
  const top = resolve(root);
  const self = join(top, top);
  if (!isSymlink(self)) {
    mkdirSync(dirname(self), { recursive: true });
    symlinkSync(relative(dirname(self), top) || ".", self);
  }
  return ["chroot", top];
}

function isSymlink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

/** Whether `path` lies under `root` (not `root` itself). */
export function isUnder(root: string, path: string): boolean {
  const rel = relative(resolve(root), resolve(path));
  return rel !== "" && !rel.startsWith("..") && !rel.startsWith(sep);
}

/** The Orthanc server binary: `explicit` if given, else PATH, else the usual Debian locations. */
export function findOrthancBinary(explicit?: string): string {
  if (explicit !== undefined) {
    if (isExecutableFile(explicit)) return explicit;
    throw new RadzError(
      "DEMO_ORTHANC_MISSING",
      `Orthanc binary not found at ${explicit}; ${ORTHANC_INSTALL_HINT}`,
    );
  }
  const fromPath = (process.env.PATH ?? "")
    .split(delimiter)
    .filter((d) => d !== "")
    .map((d) => join(d, "Orthanc"));
  for (const candidate of [...fromPath, ...BINARY_CANDIDATES]) {
    if (isExecutableFile(candidate)) return candidate;
  }
  throw new RadzError(
    "DEMO_ORTHANC_MISSING",
    `Orthanc is not installed (looked in PATH and /usr/sbin); ${ORTHANC_INSTALL_HINT}`,
  );
}

/**
 * The DICOMweb plugin shared library: `explicit` if given, else the usual
 * Debian locations. With `root` (a root file system Orthanc runs chrooted
 * in), the locations are looked up under it and the path returned is the one
 * inside it.
 */
export function findDicomWebPlugin(explicit?: string, root?: string): string {
  if (explicit !== undefined) {
    if (existsSync(explicit)) return explicit;
    throw new RadzError(
      "DEMO_ORTHANC_MISSING",
      `Orthanc DICOMweb plugin not found at ${explicit}; ${ORTHANC_INSTALL_HINT}`,
    );
  }
  for (const dir of PLUGIN_DIRS) {
    let names: string[];
    try {
      names = readdirSync(root === undefined ? dir : join(root, dir));
    } catch {
      continue;
    }
    // Prefer the unversioned symlink, then the highest versioned file.
    const hits = names
      .filter((n) => PLUGIN_FILE.test(n))
      .sort((a, b) => a.length - b.length || b.localeCompare(a));
    const first = hits[0];
    if (first !== undefined) return join(dir, first);
  }
  throw new RadzError(
    "DEMO_ORTHANC_MISSING",
    `The Orthanc DICOMweb plugin (libOrthancDicomWeb.so) is not installed; ${ORTHANC_INSTALL_HINT}`,
  );
}
