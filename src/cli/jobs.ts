/**
 * `radz jobs list [--state S] [--priority P] [--limit N] [--json]` and
 * `radz jobs retry <orthancStudyId...> | --all-failed`: read the job store and
 * put finished jobs back to queued (source "manual"). Works beside a running
 * `radz serve` (SQLite WAL): the service picks retried jobs up within a second.
 * Output names Orthanc IDs, UIDs and error codes only, never patient data.
 */
import type { Command } from "commander";
import { InvalidArgumentError, Option } from "commander";
import { RadzError } from "../errors.js";
import { JOB_STATES, SqliteJobStore, type Job, type JobState } from "../jobs/index.js";
import { addCommonOptions, configFrom, type CommonOptions } from "./common.js";

interface ListOptions extends CommonOptions {
  state?: JobState;
  priority?: "urgent" | "review" | "routine";
  limit: number;
  json?: boolean;
}

interface RetryOptions extends CommonOptions {
  allFailed?: boolean;
  json?: boolean;
}

export interface RetryOutcome {
  readonly orthancStudyId: string;
  /** "requeued", or why not: "already-queued" | "running". */
  readonly outcome: "requeued" | "already-queued" | "running";
  readonly previousState: JobState;
}

const limitArg = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 1000)
    throw new InvalidArgumentError("an integer between 1 and 1000");
  return n;
};

/** Puts the named jobs back to queued; JOB_NOT_FOUND for an unknown study (nothing is changed then). */
export function retryJobs(
  store: SqliteJobStore,
  orthancStudyIds: readonly string[],
): RetryOutcome[] {
  const missing = orthancStudyIds.filter((id) => store.getByStudy(id) === null);
  if (missing.length > 0) {
    throw new RadzError(
      "JOB_NOT_FOUND",
      `no job for ${missing.length === 1 ? "study" : "studies"} ${missing.slice(0, 5).join(", ")}`,
    );
  }
  return orthancStudyIds.map((id) => {
    const before = store.getByStudy(id)!;
    if (before.state === "queued")
      return { orthancStudyId: id, outcome: "already-queued", previousState: before.state };
    if (before.state === "running")
      return { orthancStudyId: id, outcome: "running", previousState: before.state };
    store.requeue(id, "manual");
    return { orthancStudyId: id, outcome: "requeued", previousState: before.state };
  });
}

/** Puts every failed job back to queued; returns how many. */
export function retryAllFailed(store: SqliteJobStore): number {
  let n = 0;
  for (;;) {
    const batch = store.list({ state: "failed", limit: 1000 });
    if (batch.length === 0) return n;
    for (const job of batch) {
      store.requeue(job.orthancStudyId, "manual");
      n++;
    }
  }
}

function table(jobs: readonly Job[]): string {
  const rows = jobs.map((j) => [
    String(j.id),
    j.orthancStudyId,
    j.state,
    String(j.attempts),
    j.source,
    j.result?.priority ?? "",
    j.lastError?.code ?? "",
    new Date(j.updatedAt).toISOString(),
  ]);
  const head = [
    "id",
    "orthancStudyId",
    "state",
    "attempts",
    "source",
    "priority",
    "error",
    "updated",
  ];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  return [line(head), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n") + "\n";
}

function openStore(opts: CommonOptions): SqliteJobStore {
  return new SqliteJobStore({ path: configFrom(opts).jobs.dbPath });
}

export function registerJobsCommands(program: Command): void {
  const jobs = program.command("jobs").description("Inspect and retry jobs in the job store.");

  addCommonOptions(
    jobs
      .command("list")
      .description("List jobs (urgent first, then oldest first).")
      .addOption(new Option("--state <state>", "only jobs in this state").choices(JOB_STATES))
      .addOption(
        new Option("--priority <p>", "only jobs with this priority").choices([
          "urgent",
          "review",
          "routine",
        ]),
      )
      .option("--limit <n>", "at most this many (1-1000)", limitArg, 100)
      .option("--json", "one JSON object per job per line"),
  ).action((opts: ListOptions) => {
    const store = openStore(opts);
    try {
      const list = store.list({ state: opts.state, priority: opts.priority, limit: opts.limit });
      if (opts.json === true) {
        for (const j of list) process.stdout.write(JSON.stringify(j) + "\n");
      } else {
        const counts = store.countByState();
        process.stdout.write(table(list));
        process.stdout.write(
          `\n${Object.entries(counts)
            .map(([s, n]) => `${s} ${n}`)
            .join(", ")}\n`,
        );
      }
    } finally {
      store.close();
    }
  });

  addCommonOptions(
    jobs
      .command("retry")
      .description(
        "Put finished jobs (done, skipped, failed) back to queued, attempts reset; a running `radz serve` picks them up.",
      )
      .argument("[orthancStudyIds...]", "Orthanc study IDs")
      .option("--all-failed", "every failed job")
      .option("--json", "print the outcome as JSON"),
  ).action(function (this: Command, ids: string[], opts: RetryOptions) {
    if ((ids.length === 0) === (opts.allFailed !== true)) {
      this.error("name Orthanc study IDs or --all-failed (not both)", { exitCode: 2 });
    }
    const store = openStore(opts);
    try {
      if (opts.allFailed === true) {
        const n = retryAllFailed(store);
        process.stdout.write(
          opts.json === true
            ? JSON.stringify({ requeued: n }) + "\n"
            : `requeued ${n} failed job(s)\n`,
        );
        return;
      }
      const outcomes = retryJobs(store, ids);
      if (opts.json === true) {
        process.stdout.write(JSON.stringify(outcomes) + "\n");
      } else {
        for (const o of outcomes)
          process.stdout.write(`${o.orthancStudyId}  ${o.previousState} -> ${o.outcome}\n`);
      }
    } finally {
      store.close();
    }
  });
}
