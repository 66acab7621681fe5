/**
 * Carrying out an install plan, and undoing it exactly.
 *
 * Install writes the record (radz-install.record: every file with its
 * sha256 before and after, and its backup) FIRST, then the backups, then the
 * files; so an interrupted install is rolled back by `uninstall` like a
 * finished one. Uninstall checks every file before it touches any: a file
 * edited after the install is a conflict (restoring the backup would lose the
 * edit), and nothing is changed. Restores are written in place, so each file
 * keeps its inode, owner and mode: the directory ends byte-identical.
 */
import { createHash } from "node:crypto";
import { chownSync, existsSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { z } from "zod";
import { RadzError } from "../../errors.js";
import { INSTALL_RECORD_FILE, type HookKind, type InstallPlan } from "./plan.js";

const SAFE_NAME = /^(?!\.\.?$)[A-Za-z0-9._-]{1,128}$/;

const RecordSchema = z
  .object({
    format: z.literal(1),
    radzVersion: z.string(),
    hook: z.enum(["lua", "python"]),
    webhookUrl: z.string(),
    installedAt: z.string(),
    state: z.enum(["installing", "installed"]),
    files: z.array(
      z
        .object({
          name: z.string().regex(SAFE_NAME),
          action: z.enum(["create", "modify"]),
          sha256Before: z
            .string()
            .regex(/^[0-9a-f]{64}$/)
            .nullable(),
          sha256After: z.string().regex(/^[0-9a-f]{64}$/),
          backup: z.string().regex(SAFE_NAME).nullable(),
        })
        .strict(),
    ),
  })
  .strict();

export type InstallRecord = z.infer<typeof RecordSchema>;

export interface UninstallResult {
  readonly configDir: string;
  readonly hook: HookKind;
  /** What was done, one line per file. */
  readonly actions: readonly string[];
}

function sha256(text: string | Buffer): string {
  return createHash("sha256").update(text).digest("hex");
}

function ioError(what: string, path: string, err: unknown): RadzError {
  const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
  const hint =
    code === "EACCES" || code === "EPERM" ? " (run as root or as the directory's owner)" : "";
  return new RadzError("ORTHANC_INSTALL_FAILED", `cannot ${what} ${path}: ${code}${hint}`, {
    cause: err,
  });
}

function readBytes(path: string): Buffer | null {
  try {
    return readFileSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw ioError("read", path, err);
  }
}

function write(path: string, content: string | Buffer, flag: "w" | "wx", mode?: number): void {
  try {
    writeFileSync(path, content, { flag, ...(mode === undefined ? {} : { mode }) });
  } catch (err) {
    throw ioError("write", path, err);
  }
}

/** Reads the install record of `configDir`, or null when RadZ is not installed there. */
export function readInstallRecord(configDir: string): InstallRecord | null {
  const path = join(resolve(configDir), INSTALL_RECORD_FILE);
  const bytes = readBytes(path);
  if (bytes === null) return null;
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString("utf8"));
  } catch (err) {
    throw new RadzError("ORTHANC_INSTALL_FAILED", `${path} is not valid JSON`, { cause: err });
  }
  const parsed = RecordSchema.safeParse(json);
  if (!parsed.success) {
    throw new RadzError("ORTHANC_INSTALL_FAILED", `${path} is not a RadZ install record`);
  }
  return parsed.data;
}

/** Writes the plan's files. Returns the record it left in the directory. */
export function applyInstall(plan: InstallPlan, now: Date = new Date()): InstallRecord {
  const dir = plan.configDir;
  const recordPath = join(dir, INSTALL_RECORD_FILE);
  // Nothing may have changed since the plan was made.
  for (const f of plan.files) {
    const current = readBytes(join(dir, f.name));
    const expected = f.before === null ? null : Buffer.from(f.before, "utf8");
    if (expected === null ? current !== null : current === null || !current.equals(expected)) {
      throw new RadzError(
        "ORTHANC_INSTALL_CONFLICT",
        `${join(dir, f.name)} changed while the install was being prepared; run it again`,
      );
    }
  }
  const record: InstallRecord = {
    format: 1,
    radzVersion: plan.version,
    hook: plan.hook,
    webhookUrl: plan.webhookUrl,
    installedAt: now.toISOString(),
    state: "installing",
    files: plan.files.map((f) => ({
      name: f.name,
      action: f.action,
      sha256Before: f.before === null ? null : sha256(f.before),
      sha256After: sha256(f.after),
      backup: f.backup,
    })),
  };
  write(recordPath, JSON.stringify(record, null, 2) + "\n", "wx", 0o644);
  for (const f of plan.files) {
    const path = join(dir, f.name);
    if (f.action === "modify") {
      const mode = statSync(path).mode & 0o777;
      write(join(dir, f.backup!), f.before!, "wx", mode);
      write(path, f.after, "w");
    } else {
      write(path, f.after, "wx", f.mode ?? 0o644);
      if (f.group !== null) {
        try {
          chownSync(path, -1, f.group.gid);
        } catch (err) {
          throw ioError(`give group ${f.group.name} to`, path, err);
        }
      }
    }
  }
  const done: InstallRecord = { ...record, state: "installed" };
  write(recordPath, JSON.stringify(done, null, 2) + "\n", "w");
  return done;
}

/**
 * Removes what the install wrote and restores what it changed. Checks all
 * files first; any file changed since the install is a conflict and nothing
 * is touched. `dryRun` returns the actions without doing them.
 */
export function uninstall(configDir: string, options: { dryRun?: boolean } = {}): UninstallResult {
  const dir = resolve(configDir);
  const record = readInstallRecord(dir);
  if (record === null) {
    throw new RadzError(
      "ORTHANC_INSTALL_CONFLICT",
      `RadZ is not installed in ${dir} (no ${INSTALL_RECORD_FILE})`,
    );
  }
  type Step = { line: string; run: () => void };
  const steps: Step[] = [];
  const problems: string[] = [];
  for (const f of record.files) {
    const path = join(dir, f.name);
    const current = readBytes(path);
    const currentHash = current === null ? null : sha256(current);
    if (f.action === "create") {
      if (current === null) {
        steps.push({ line: `${f.name}: already absent`, run: () => undefined });
      } else if (currentHash === f.sha256After) {
        steps.push({ line: `remove ${f.name}`, run: () => rmSync(path) });
      } else {
        problems.push(`${f.name} was changed after the install`);
      }
      continue;
    }
    const backupPath = join(dir, f.backup!);
    const backup = readBytes(backupPath);
    const backupOk = backup !== null && sha256(backup) === f.sha256Before;
    if (currentHash === f.sha256Before) {
      // Never modified (interrupted install), or already restored.
      steps.push({
        line: `${f.name}: unchanged${backup !== null ? `; remove ${f.backup}` : ""}`,
        run: () => (backup !== null && backupOk ? rmSync(backupPath) : undefined),
      });
      if (backup !== null && !backupOk)
        problems.push(`${f.backup} does not match the file it backs up`);
    } else if (currentHash === f.sha256After) {
      if (!backupOk) {
        problems.push(`${f.backup} is missing or changed, so ${f.name} cannot be restored from it`);
      } else {
        steps.push({
          line: `restore ${f.name} from ${f.backup}, remove ${f.backup}`,
          run: () => {
            write(path, backup, "w");
            rmSync(backupPath);
          },
        });
      }
    } else {
      problems.push(
        `${f.name} was edited after the install; restoring ${f.backup} would lose that edit — undo RadZ's lines by hand, then delete ${f.backup} and ${INSTALL_RECORD_FILE}`,
      );
    }
  }
  if (problems.length > 0) {
    throw new RadzError(
      "ORTHANC_INSTALL_CONFLICT",
      `cannot uninstall safely from ${dir}: ${problems.join("; ")}. Nothing was changed.`,
    );
  }
  steps.push({
    line: `remove ${INSTALL_RECORD_FILE}`,
    run: () => rmSync(join(dir, INSTALL_RECORD_FILE)),
  });
  if (!options.dryRun) {
    for (const s of steps) {
      try {
        s.run();
      } catch (err) {
        throw err instanceof RadzError ? err : ioError("remove or restore a file in", dir, err);
      }
    }
  }
  return { configDir: dir, hook: record.hook, actions: steps.map((s) => s.line) };
}

/** True when every file of the record is as the install left it. */
export function installIntact(configDir: string): {
  intact: boolean;
  problems: string[];
  record: InstallRecord | null;
} {
  const dir = resolve(configDir);
  const record = readInstallRecord(dir);
  if (record === null) return { intact: false, problems: ["not installed"], record };
  const problems: string[] = [];
  if (record.state !== "installed") problems.push("the install was interrupted");
  for (const f of record.files) {
    const bytes = existsSync(join(dir, f.name)) ? readBytes(join(dir, f.name)) : null;
    if (bytes === null) problems.push(`${f.name} is missing`);
    else if (sha256(bytes) !== f.sha256After) problems.push(`${f.name} changed after the install`);
  }
  return { intact: problems.length === 0, problems, record };
}
