/**
 * The durable part of drift monitoring, in the job store's SQLite file
 * (tables `drift_samples` and `drift_state`, created by the job store's
 * migration v5). Like the notification log it opens its own connection after
 * opening the job store once so the migrations have run.
 *
 * A sample is one scored study: its per-label calibrated probabilities under a
 * reference key (the label-set hash, which names the bundle, its version, the
 * labels, calibration and adaptation). One sample per (key, job): a study
 * processed again under the same key is not counted twice. No PHI: job ids and
 * scores only.
 */
import type Database from "better-sqlite3";
import { openJobStoreFile } from "../jobs/index.js";

export interface DriftSample {
  readonly id: number;
  readonly jobId: number;
  /** label id → probability. */
  readonly scores: Readonly<Record<string, number>>;
  readonly createdAt: number;
}

export interface DriftStoreOptions {
  /** The job store's SQLite file (jobs.dbPath); ":memory:" cannot be shared and is refused. */
  readonly path: string;
  readonly now?: () => number;
}

interface SampleRow {
  id: number;
  job_id: number;
  scores_json: string;
  created_at: number;
}

function toSample(r: SampleRow): DriftSample {
  return {
    id: r.id,
    jobId: r.job_id,
    scores: JSON.parse(r.scores_json) as Record<string, number>,
    createdAt: r.created_at,
  };
}

export class DriftStore {
  readonly #db: Database.Database;
  readonly #now: () => number;

  constructor(options: DriftStoreOptions) {
    this.#now = options.now ?? Date.now;
    this.#db = openJobStoreFile(options.path, "drift monitoring (drift.enabled)");
  }

  /** Records a scored study; null when this job already has a sample under `key`. */
  addSample(
    key: string,
    jobId: number,
    scores: Readonly<Record<string, number>>,
  ): DriftSample | null {
    const createdAt = this.#now();
    const info = this.#db
      .prepare(
        `INSERT INTO drift_samples (reference_key, job_id, scores_json, created_at)
         VALUES (?, ?, ?, ?) ON CONFLICT(reference_key, job_id) DO NOTHING`,
      )
      .run(key, jobId, JSON.stringify(scores), createdAt);
    return info.changes === 1
      ? { id: Number(info.lastInsertRowid), jobId, scores, createdAt }
      : null;
  }

  /** The first `n` samples under `key` (the reference window), oldest first. */
  first(key: string, n: number): DriftSample[] {
    return (
      this.#db
        .prepare("SELECT * FROM drift_samples WHERE reference_key = ? ORDER BY id LIMIT ?")
        .all(key, n) as SampleRow[]
    ).map(toSample);
  }

  /** The last `n` samples under `key` with an id above `afterId`, oldest first. */
  lastAfter(key: string, afterId: number, n: number): DriftSample[] {
    return (
      this.#db
        .prepare(
          "SELECT * FROM drift_samples WHERE reference_key = ? AND id > ? ORDER BY id DESC LIMIT ?",
        )
        .all(key, afterId, n) as SampleRow[]
    )
      .map(toSample)
      .reverse();
  }

  /** Deletes samples under `key` with ids in (afterId, beforeId): those no window or chart reads any more. */
  prune(key: string, afterId: number, beforeId: number): number {
    return this.#db
      .prepare("DELETE FROM drift_samples WHERE reference_key = ? AND id > ? AND id < ?")
      .run(key, afterId, beforeId).changes;
  }

  /** Labels under `key` that are in the alert state. */
  alerting(key: string): Set<string> {
    const rows = this.#db
      .prepare("SELECT label FROM drift_state WHERE reference_key = ? AND alerting = 1")
      .all(key) as { label: string }[];
    return new Set(rows.map((r) => r.label));
  }

  /**
   * Sets a label's alert state. Returns true when it changed (the caller alerts
   * on a change to true): one transaction, so two observers cannot both win.
   */
  setAlerting(key: string, label: string, alerting: boolean, psi: number): boolean {
    return this.#db.transaction(() => {
      const r = this.#db
        .prepare("SELECT alerting FROM drift_state WHERE reference_key = ? AND label = ?")
        .get(key, label) as { alerting: number } | undefined;
      if ((r?.alerting === 1) === alerting) return false;
      this.#db
        .prepare(
          `INSERT INTO drift_state (reference_key, label, alerting, psi, changed_at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT(reference_key, label) DO UPDATE SET alerting = excluded.alerting,
             psi = excluded.psi, changed_at = excluded.changed_at`,
        )
        .run(key, label, alerting ? 1 : 0, psi, this.#now());
      return true;
    })();
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }
}
