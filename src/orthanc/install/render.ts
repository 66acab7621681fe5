/**
 * The plan as the user reads it before and while it is applied: every new
 * file in full, every edited file as a unified diff with the name of its
 * backup, then the notes. Secrets (the webhook secret and token) are shown
 * as "[redacted]": the files on disk hold them, the terminal does not.
 */
import { join } from "node:path";
import { unifiedDiff } from "./diff.js";
import type { InstallPlan } from "./plan.js";

export const REDACTED = "[redacted]";

function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s.length > 0) out = out.split(s).join(REDACTED);
  return out;
}

function octal(mode: number): string {
  return `0${mode.toString(8)}`;
}

export function renderPlan(plan: InstallPlan, options: { dryRun: boolean }): string {
  const lines: string[] = [
    `${options.dryRun ? "Would install" : "Installing"} the RadZ ${plan.hook} hook into ${plan.configDir}:`,
    "",
  ];
  for (const f of plan.files) {
    const path = join(plan.configDir, f.name);
    if (f.action === "create") {
      const group = f.group ? `, group ${f.group.name}` : "";
      lines.push(`create ${path} (mode ${octal(f.mode ?? 0o644)}${group})`);
    } else {
      lines.push(`modify ${path} (backup: ${join(plan.configDir, f.backup!)})`);
    }
    for (const c of f.changes) lines.push(`  - ${c}`);
  }
  lines.push("");
  for (const f of plan.files) {
    const path = join(plan.configDir, f.name);
    if (f.action === "create") {
      lines.push(`==> new file ${path}`, redact(f.after, plan.secrets).trimEnd(), "");
    } else {
      lines.push(
        `==> changes to ${path}`,
        redact(
          unifiedDiff(f.before!, f.after, `${path} (before)`, `${path} (after)`),
          plan.secrets,
        ).trimEnd(),
        "",
      );
    }
  }
  for (const n of plan.notes) lines.push(`note: ${n}`);
  if (options.dryRun) lines.push("", "--dry-run: nothing was written.");
  return lines.join("\n") + "\n";
}
