/** The doctor report as text for a terminal (stdout); `--json` prints the report itself. */
import { troubleshootingLink, type CheckStatus, type DoctorReport } from "./types.js";

const LABEL: Readonly<Record<CheckStatus, string>> = {
  ok: "ok  ",
  warn: "WARN",
  fail: "FAIL",
  skip: "skip",
};

export function formatReport(report: DoctorReport): string {
  const width = Math.max(...report.checks.map((c) => c.id.length));
  const lines = [`RadZ doctor (RadZ ${report.radzVersion})`, ""];
  for (const c of report.checks) {
    lines.push(`${LABEL[c.status]}  ${c.id.padEnd(width)}  ${c.summary}`);
    if ((c.status === "fail" || c.status === "warn") && c.fix !== undefined) {
      lines.push(`${" ".repeat(6 + width)}  fix: ${c.fix} (${troubleshootingLink(c.id)})`);
    }
  }
  const count = (s: CheckStatus) => report.checks.filter((c) => c.status === s).length;
  lines.push(
    "",
    `${count("fail")} failed, ${count("warn")} warning(s), ${count("ok")} ok, ${count("skip")} skipped`,
  );
  return lines.join("\n") + "\n";
}
