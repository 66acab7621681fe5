/**
 * The job store: its directory can be written, the disk has room, and an
 * existing database passes SQLite's quick_check (opened read-only: safe while
 * the service runs, WAL readers do not block it).
 */
import { accessSync, constants, existsSync, statfsSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import Database from "better-sqlite3";
import { result, type CheckResult } from "../types.js";

/** Below this much free space the store is a failure; below WARN, a warning. */
export const STORE_FAIL_FREE_BYTES = 100 * 1024 * 1024;
export const STORE_WARN_FREE_BYTES = 1024 * 1024 * 1024;

export type FreeSpace = (path: string) => number;

/** Bytes available to unprivileged users on the filesystem of `path`. */
export function freeBytes(path: string): number {
  const s = statfsSync(path);
  return Number(s.bavail) * Number(s.bsize);
}

function mib(bytes: number): string {
  return `${Math.round(bytes / (1024 * 1024))} MiB`;
}

export function checkStore(dbPath: string, options: { freeSpace?: FreeSpace } = {}): CheckResult {
  const path = resolve(dbPath);
  // The nearest existing ancestor: the service creates the missing directories.
  let dir = dirname(path);
  while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
  try {
    if (!statSync(dir).isDirectory())
      throw Object.assign(new Error("not a directory"), { code: "ENOTDIR" });
    accessSync(dir, constants.W_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "error";
    return result(
      "job-store",
      "fail",
      `cannot create or write the job store ${path}: ${dir} is not a writable directory (${code})`,
      {
        fix: "set jobs.dbPath to a path in a directory the service user owns (e.g. /var/lib/radz/radz.sqlite)",
        details: { path, dir, error: code },
      },
    );
  }
  const free = (options.freeSpace ?? freeBytes)(dir);
  const details: Record<string, unknown> = { path, freeBytes: free };
  let integrity = "not created yet";
  if (existsSync(path)) {
    try {
      const db = new Database(path, { readonly: true, fileMustExist: true });
      try {
        const rows = db.pragma("quick_check") as { quick_check: string }[];
        const verdict = rows.map((r) => r.quick_check).join("; ");
        details.quickCheck = verdict;
        if (verdict !== "ok") {
          return result(
            "job-store",
            "fail",
            `the job store ${path} is damaged (quick_check: ${verdict.slice(0, 200)})`,
            {
              fix: "stop the service, restore the last backup (docs/deploy.md#backup-of-the-job-store), start it again",
              details,
            },
          );
        }
        integrity = `intact (${statSync(path).size} bytes)`;
      } finally {
        db.close();
      }
    } catch (err) {
      return result(
        "job-store",
        "fail",
        `the job store ${path} cannot be opened: ${(err as Error).message}`,
        {
          fix: "check the file's owner and permissions; a file that is not SQLite must be moved away",
          details,
        },
      );
    }
  }
  if (free < STORE_FAIL_FREE_BYTES) {
    return result("job-store", "fail", `only ${mib(free)} free for the job store in ${dir}`, {
      fix: "free disk space or move jobs.dbPath to a larger filesystem",
      details,
    });
  }
  return result(
    "job-store",
    free < STORE_WARN_FREE_BYTES ? "warn" : "ok",
    `${path}: ${integrity}; ${mib(free)} free`,
    free < STORE_WARN_FREE_BYTES
      ? { fix: "free disk space: below 100 MiB the job store fails", details }
      : { details },
  );
}
