/**
 * Runs the external validators on an SR written to a temp dir:
 * dciodvfy (dicom3tools), dsrdump / dsr2xml / xml2dsr (dcmtk).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface ToolRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function run(command: string, args: string[]): ToolRun {
  const result = spawnSync(command, args, { encoding: "utf8", maxBuffer: 16 * 1024 * 1024 });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A fresh temp dir per call (each test uses its own). */
export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "radz-report-"));
}

export function writeTemp(bytes: Uint8Array, name = "sr.dcm"): string {
  const file = join(tempDir(), name);
  writeFileSync(file, bytes);
  return file;
}

export interface DciodvfyReport {
  readonly errors: string[];
  readonly warnings: string[];
  readonly output: string;
}

/** dciodvfy prints "Error - ..." / "Warning - ..." lines (on stderr); the first line names the IOD it checked. */
export function dciodvfy(file: string): DciodvfyReport {
  const { stdout, stderr } = run("dciodvfy", [file]);
  const lines = `${stdout}\n${stderr}`.split("\n").map((l) => l.trim());
  return {
    errors: lines.filter((l) => l.startsWith("Error")),
    warnings: lines.filter((l) => l.startsWith("Warning")),
    output: `${stdout}${stderr}`,
  };
}

/** dcmsr logs warnings as "W: ..." and errors as "E: ..." on stderr. */
export function dcmtkDiagnostics(stderr: string): string[] {
  return stderr
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
}
