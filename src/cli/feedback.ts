/**
 * `radz feedback import <truth.csv> [--author NAME]`: stores a site's existing
 * reads as feedback in the job store — per study and label, finding present
 * (1) or absent (0), in the CSV shape `radz eval` reads; unknown cells are
 * skipped. `radz feedback list [--label L] [--all] [--json]` prints the
 * current verdicts (or every entry). Studies are stored as hashed keys, never
 * as UIDs or patient data (src/jobs/feedback.ts).
 */
import path from "node:path";
import type { Command } from "commander";
import { readTruthCsv } from "../eval/index.js";
import { SqliteJobStore, type FeedbackInput } from "../jobs/index.js";
import { addCommonOptions, configFrom, type CommonOptions } from "./common.js";

interface ImportOptions extends CommonOptions {
  author?: string;
  json?: boolean;
}

interface ListOptions extends CommonOptions {
  label?: string;
  all?: boolean;
  json?: boolean;
}

/** Feedback entries from a truth table: one per known (study, label) cell. */
export async function feedbackFromTruthFile(file: string): Promise<FeedbackInput[]> {
  const truth = await readTruthCsv(file);
  const entries: FeedbackInput[] = [];
  for (const [studyInstanceUid, labels] of truth.studies) {
    for (const [label, present] of labels)
      entries.push({ studyInstanceUid, label, verdict: present ? "present" : "absent" });
  }
  return entries;
}

export function registerFeedbackCommands(program: Command): void {
  const feedback = program
    .command("feedback")
    .description("Radiologist feedback on findings, stored in the job store (radz adapt reads it)");
  addCommonOptions(
    feedback
      .command("import")
      .description(
        "Import a site's reads: truth.csv (studyInstanceUID,<label>,... with 1/0, as radz eval reads) " +
          "becomes one feedback entry per known (study, label)",
      )
      .argument("<truth.csv>", "ground truth file")
      .option("--author <name>", "who gave these reads (default: import <file name>)")
      .option("--json", "print the result as one JSON object"),
  ).action(async (file: string, opts: ImportOptions) => {
    const config = configFrom(opts);
    const entries = await feedbackFromTruthFile(file);
    const store = new SqliteJobStore({ path: config.jobs.dbPath });
    try {
      const stored = store.addFeedback(entries, {
        author: opts.author ?? `import ${path.basename(file)}`,
        source: "import",
      });
      const studies = new Set(entries.map((e) => e.studyInstanceUid)).size;
      if (opts.json) process.stdout.write(`${JSON.stringify({ stored, studies })}\n`);
      else process.stdout.write(`stored ${stored} feedback entries for ${studies} studies\n`);
    } finally {
      store.close();
    }
  });
  addCommonOptions(
    feedback
      .command("list")
      .description("Current feedback per (study, label), newest first (--all: every entry)")
      .option("--label <id>", "only this label")
      .option("--all", "every entry, not only the latest per (study, label)")
      .option("--json", "one JSON object per line"),
  ).action((opts: ListOptions) => {
    const config = configFrom(opts);
    const store = new SqliteJobStore({ path: config.jobs.dbPath });
    try {
      const rows = store.listFeedback({ label: opts.label, current: !opts.all });
      for (const r of rows) {
        process.stdout.write(
          opts.json
            ? `${JSON.stringify(r)}\n`
            : `${new Date(r.createdAt).toISOString()}  ${r.studyKey}  ${r.label}  ${r.verdict}  ${r.author}\n`,
        );
      }
    } finally {
      store.close();
    }
  });
}
