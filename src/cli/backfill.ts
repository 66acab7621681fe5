/**
 * `radz backfill --since DATE [--until DATE] [--modality CR,DX] [--dry-run]`:
 * enqueue the studies already in Orthanc whose Study Date lies in the range
 * (intake/backfill.ts): counted first over QIDO-RS, then enqueued with a
 * progress bar and ETA (stderr), resumable after the last completed day, and
 * paced by jobs.maxQueued (it waits for a running `radz serve` to drain the
 * queue). `--dry-run` prints how many studies would be enqueued.
 */
import cliProgress from "cli-progress";
import type { Command } from "commander";
import { InvalidArgumentError } from "commander";
import { dicomwebUrl } from "../config/index.js";
import { DicomWebClient } from "../dicomweb/index.js";
import { toRadzError } from "../errors.js";
import {
  StudyReconciler,
  dicomDate,
  parseDay,
  runBackfill,
  type BackfillProgress,
  type BackfillReport,
} from "../intake/index.js";
import { SqliteJobStore } from "../jobs/index.js";
import { labelSetHash, readBundleManifest } from "../model/index.js";
import { OrthancClient } from "../orthanc/index.js";
import { reportUids } from "../report/index.js";
import { outboundFromConfig } from "../security/index.js";
import { addCommonOptions, configFrom, loggerFor, type CommonOptions } from "./common.js";

interface BackfillCliOptions extends CommonOptions {
  since: string;
  until?: string;
  modality?: string[];
  dryRun?: boolean;
  restart?: boolean;
  wait: boolean;
  json?: boolean;
}

const MODALITY = /^[A-Z0-9]{1,16}$/;

function modalities(value: string, previous: string[] = []): string[] {
  const list = value
    .split(",")
    .map((m) => m.trim().toUpperCase())
    .filter((m) => m !== "");
  for (const m of list) if (!MODALITY.test(m)) throw new InvalidArgumentError(`bad modality ${m}`);
  return [...previous, ...list];
}

function day(value: string): string {
  try {
    parseDay(value);
  } catch {
    throw new InvalidArgumentError("a date YYYY-MM-DD");
  }
  return value;
}

/** A progress bar on stderr: days while counting, studies while enqueueing; plain lines when not a TTY. */
function progressBar(days: number): { update(p: BackfillProgress): void; stop(): void } {
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format:
        "backfill {phase} [{bar}] {value}/{total} {unit} | day {day} | enqueued {enqueued} | ETA {eta_formatted}",
      hideCursor: true,
      etaBuffer: 50,
      noTTYOutput: !process.stderr.isTTY,
      notTTYSchedule: 5_000,
    },
    cliProgress.Presets.shades_classic,
  );
  let phase: BackfillProgress["phase"] | null = null;
  let daysCounted = 0;
  let lastDay = "";
  return {
    update(p) {
      const payload = { phase: p.phase, day: p.day, enqueued: p.enqueued };
      if (p.phase === "counting") {
        if (phase === null) bar.start(Math.max(1, days), 0, { ...payload, unit: "days" });
        if (p.day !== lastDay) daysCounted++;
        lastDay = p.day;
        bar.update(daysCounted, payload);
      } else {
        if (phase === "counting" || phase === null) {
          bar.stop();
          bar.start(Math.max(1, p.total), p.done, { ...payload, unit: "studies" });
        }
        bar.update(p.done, payload);
      }
      phase = p.phase;
    },
    stop() {
      if (phase !== null) bar.stop();
    },
  };
}

function summary(r: BackfillReport, dryRun: boolean): string {
  const o = r.outcomes;
  const lines = [
    `${dryRun ? "dry run: " : ""}${r.total} studies found over ${r.days} day(s)${r.resumedAfter ? ` (resumed after ${r.resumedAfter})` : ""}`,
    dryRun
      ? `would enqueue ${o["would-enqueue"] ?? 0}`
      : `enqueued ${r.enqueued}${r.complete ? "" : " — stopped early; run the same command again to resume"}`,
    `already have a job ${o["has-job"] ?? 0}, current RadZ SR ${o["has-report"] ?? 0}, not eligible (modality) ${o["not-eligible"] ?? 0}, not in Orthanc ${o["not-in-orthanc"] ?? 0}`,
  ];
  return lines.join("\n") + "\n";
}

export function registerBackfillCommand(program: Command): void {
  addCommonOptions(
    program
      .command("backfill")
      .description(
        "Enqueue studies already in Orthanc whose Study Date is in a range (QIDO-RS), with a progress bar and ETA. Resumable; paced by jobs.maxQueued. A running `radz serve` processes them.",
      )
      .requiredOption("--since <date>", "first Study Date, YYYY-MM-DD", day)
      .option("--until <date>", "last Study Date, YYYY-MM-DD (default: today)", day)
      .option(
        "--modality <list>",
        "only studies with one of these modalities, e.g. CR,DX (default: selection.modalities)",
        modalities,
      )
      .option("--dry-run", "count what would be enqueued; change nothing")
      .option("--restart", "ignore the resume marker of this range and start again at --since")
      .option("--no-wait", "stop (resumable) instead of waiting when the queue is full")
      .option("--json", "print the report as JSON"),
  ).action(async (opts: BackfillCliOptions) => {
    const config = configFrom(opts);
    const logger = loggerFor(config);
    const since = parseDay(opts.since);
    const until = opts.until ? parseDay(opts.until) : new Date();
    const mods = opts.modality ?? [...config.selection.modalities];
    const outbound = outboundFromConfig(config);
    const store = new SqliteJobStore({ path: config.jobs.dbPath });
    const abort = new AbortController();
    const onSignal = () => abort.abort();
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    let bar: ReturnType<typeof progressBar> | null = null;
    try {
      const orthanc = new OrthancClient({
        url: config.orthanc.url,
        http: outbound.orthanc,
        timeoutMs: config.orthanc.timeoutMs,
      });
      const dicomweb = new DicomWebClient({
        url: dicomwebUrl(config),
        http: outbound.dicomweb,
        timeoutMs: config.dicomweb.timeoutMs,
        maxInstanceBytes: config.dicomweb.maxInstanceBytes,
      });
      // The current SR's series UID needs the bundle identity and label set (not the model itself).
      const manifest = await readBundleManifest(config.model.bundle).catch((err: unknown) => {
        logger.warn(
          { code: toRadzError(err).code },
          "model bundle unreadable: studies are not checked for a current RadZ SR",
        );
        return null;
      });
      const identity = manifest && {
        id: manifest.identity.id,
        version: manifest.identity.version,
        labelSetHash: labelSetHash(manifest),
      };
      const reconciler = new StudyReconciler({
        store,
        orthanc,
        dicomweb,
        modalities: mods,
        ...(identity
          ? { currentReportSeriesUid: (uid) => reportUids(uid, identity).seriesInstanceUid }
          : {}),
      });
      const days = Math.max(0, Math.round((until.getTime() - since.getTime()) / 86_400_000) + 1);
      bar = opts.json === true ? null : progressBar(days);
      const report = await runBackfill({
        dicomweb,
        reconciler,
        store,
        logger,
        since,
        until,
        modalities: mods,
        dryRun: opts.dryRun === true,
        restart: opts.restart === true,
        maxQueued: config.jobs.maxQueued,
        waitWhenFull: opts.wait,
        onProgress: (p) => bar?.update(p),
        signal: abort.signal,
      });
      bar?.stop();
      bar = null;
      process.stdout.write(
        opts.json === true
          ? JSON.stringify({ ...report, since: dicomDate(since), until: dicomDate(until) }) + "\n"
          : summary(report, opts.dryRun === true),
      );
      if (!report.complete) process.exitCode = 1;
    } finally {
      bar?.stop();
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      store.close();
      outbound.close();
    }
  });
}
