/**
 * Backfill: enqueue the studies already in Orthanc for a Study Date range
 * (`radz backfill --since DATE [--until DATE] [--modality CR,DX] [--dry-run]`).
 *
 * 1. Counting: QIDO-RS per day (paged) lists the studies, so the total (and
 *    an ETA) is known before anything is enqueued.
 * 2. Enqueueing: each study goes through the same decision as the sweep
 *    (reconcile.ts: no job, in Orthanc, no current RadZ SR) with source
 *    "backfill". After each completed day a marker (a store cursor named after
 *    the range and modalities) records it, so an interrupted backfill resumes
 *    after the last completed day; re-enqueueing within a day is idempotent.
 *
 * Bounded: while `maxQueued` jobs are queued it waits for the service to
 * drain the queue (or stops, resumable, when `waitWhenFull` is false).
 * A dry run counts and classifies without enqueueing or moving the marker.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { DicomWebClient } from "../dicomweb/index.js";
import type { JobStore } from "../jobs/index.js";
import type { Logger } from "../observability/index.js";
import {
  daysBetween,
  dicomDate,
  searchStudiesByDate,
  type FoundStudy,
  type ReconcileOutcome,
  type StudyReconciler,
} from "./reconcile.js";

export interface BackfillProgress {
  readonly phase: "counting" | "enqueueing" | "waiting";
  /** The day being worked on, YYYYMMDD. */
  readonly day: string;
  /** Studies found so far (counting) or in all (enqueueing). */
  readonly total: number;
  /** Studies decided so far. */
  readonly done: number;
  readonly enqueued: number;
}

export interface BackfillOptions {
  readonly dicomweb: Pick<DicomWebClient, "searchForStudies">;
  readonly reconciler: StudyReconciler;
  readonly store: JobStore;
  readonly logger: Logger;
  readonly since: Date;
  readonly until: Date;
  /** The modality filter the reconciler applies (part of the marker's name). */
  readonly modalities: readonly string[];
  readonly dryRun?: boolean;
  /** Ignore a stored marker and start again at `since`. */
  readonly restart?: boolean;
  readonly maxQueued: number;
  /** Wait while the queue is full (default true); false: stop, resumable. */
  readonly waitWhenFull?: boolean;
  /** How often to look at the queue while waiting (default 2 000 ms). */
  readonly queuePollMs?: number;
  readonly pageSize?: number;
  readonly onProgress?: (p: BackfillProgress) => void;
  readonly signal?: AbortSignal;
}

export interface BackfillReport {
  /** The store cursor that records the last completed day. */
  readonly marker: string;
  /** The day after which this run started (a previous run's marker), or null. */
  readonly resumedAfter: string | null;
  readonly days: number;
  readonly total: number;
  readonly enqueued: number;
  readonly outcomes: Readonly<Partial<Record<ReconcileOutcome, number>>>;
  /** False when stopped early (queue full without waiting, or aborted); run again to resume. */
  readonly complete: boolean;
}

/** The store cursor name of a backfill range (same range + modalities = same marker). */
export function backfillMarker(since: Date, until: Date, modalities: readonly string[]): string {
  const mods = [...modalities].map((m) => m.trim().toUpperCase()).sort();
  return `backfill:${dicomDate(since)}-${dicomDate(until)}:${mods.join(",") || "*"}`;
}

export async function runBackfill(o: BackfillOptions): Promise<BackfillReport> {
  const { store, reconciler, logger } = o;
  const dryRun = o.dryRun === true;
  const marker = backfillMarker(o.since, o.until, o.modalities);
  const stored = o.restart ? null : store.getCursor(marker);
  const resumedAfter = stored === null ? null : String(stored);
  const days = daysBetween(o.since, o.until).filter(
    (d) => resumedAfter === null || d > resumedAfter,
  );
  if (resumedAfter !== null)
    logger.info({ marker, resumedAfter, daysLeft: days.length }, "backfill resumes");

  // 1. Counting.
  const perDay = new Map<string, FoundStudy[]>();
  let total = 0;
  for (const day of days) {
    if (o.signal?.aborted) break;
    const list: FoundStudy[] = [];
    for await (const page of searchStudiesByDate(o.dicomweb, day, o.pageSize)) list.push(...page);
    perDay.set(day, list);
    total += list.length;
    o.onProgress?.({ phase: "counting", day, total, done: 0, enqueued: 0 });
  }

  // 2. Enqueueing (or classifying, for a dry run).
  const outcomes: Partial<Record<ReconcileOutcome, number>> = {};
  let done = 0;
  let enqueued = 0;
  let complete = !o.signal?.aborted;
  outer: for (const day of days) {
    const studies = perDay.get(day);
    if (studies === undefined || o.signal?.aborted) {
      complete = false; // not counted (aborted while counting): leave the marker before it
      break;
    }
    for (const study of studies) {
      if (o.signal?.aborted) {
        complete = false;
        break outer;
      }
      while (
        !dryRun &&
        reconciler.precheck(study) === null &&
        store.countInState("queued") >= o.maxQueued
      ) {
        if (o.waitWhenFull === false) {
          complete = false;
          break outer;
        }
        o.onProgress?.({ phase: "waiting", day, total, done, enqueued });
        try {
          await sleep(o.queuePollMs ?? 2_000, undefined, { signal: o.signal });
        } catch {
          complete = false;
          break outer;
        }
      }
      const { outcome } = await reconciler.reconcile(study, "backfill", dryRun);
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
      done++;
      if (outcome === "enqueued") enqueued++;
      o.onProgress?.({ phase: "enqueueing", day, total, done, enqueued });
    }
    if (!dryRun) store.setCursor(marker, Number(day));
    perDay.delete(day);
  }
  const report: BackfillReport = {
    marker,
    resumedAfter,
    days: days.length,
    total,
    enqueued,
    outcomes,
    complete,
  };
  logger.info({ ...report, dryRun }, complete ? "backfill done" : "backfill stopped; resumable");
  return report;
}
