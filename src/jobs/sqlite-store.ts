/**
 * SQLite job store (better-sqlite3 12.x, WAL). Forward-only migrations, each
 * in its own transaction, recorded in a _schema table. Every state change goes
 * through assertTransition() against the table in states.ts.
 */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { RadzError } from "../errors.js";
import {
  studyFeedbackKey,
  type FeedbackEntry,
  type FeedbackFilter,
  type FeedbackInput,
  type FeedbackSource,
  type FeedbackVerdict,
} from "./feedback.js";
import { JobState, canTransition } from "./states.js";
import type {
  EnqueueOptions,
  EnqueueResult,
  Job,
  JobError,
  JobFilter,
  JobResult,
  JobSource,
  JobStore,
  RetryOptions,
} from "./types.js";

/** Forward-only. Never edit a released migration; append a new one. */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE jobs (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     orthanc_study_id TEXT NOT NULL UNIQUE,
     study_uid TEXT,
     state TEXT NOT NULL,
     attempts INTEGER NOT NULL DEFAULT 0,
     source TEXT NOT NULL,
     last_error_code TEXT,
     last_error_message TEXT,
     skip_reason TEXT,
     not_before INTEGER NOT NULL DEFAULT 0,
     created_at INTEGER NOT NULL,
     updated_at INTEGER NOT NULL,
     started_at INTEGER,
     finished_at INTEGER,
     priority TEXT,
     result_json TEXT
   );
   CREATE INDEX jobs_state_not_before ON jobs(state, not_before, id);
   CREATE INDEX jobs_created ON jobs(created_at);
   CREATE TABLE cursors (name TEXT PRIMARY KEY, value INTEGER NOT NULL, updated_at INTEGER NOT NULL);`,
  // v2 (issue 7): re-processing check flag; look-up by Study Instance UID for the sweep.
  `ALTER TABLE jobs ADD COLUMN recheck INTEGER NOT NULL DEFAULT 0;
   CREATE INDEX jobs_study_uid ON jobs(study_uid);
   CREATE INDEX jobs_recheck ON jobs(recheck, id) WHERE recheck = 1;`,
  // v3 (issue 6): outbound webhook notifications (src/notify/notification-log.ts), one row per
  // event, retried with backoff; the exact body is kept so every attempt sends the same bytes.
  `CREATE TABLE notifications (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     event_id TEXT NOT NULL UNIQUE,
     event TEXT NOT NULL,
     job_id INTEGER NOT NULL,
     orthanc_study_id TEXT NOT NULL,
     body TEXT NOT NULL,
     state TEXT NOT NULL,
     attempts INTEGER NOT NULL DEFAULT 0,
     next_attempt_at INTEGER NOT NULL DEFAULT 0,
     last_status INTEGER,
     last_error_code TEXT,
     last_error_message TEXT,
     created_at INTEGER NOT NULL,
     updated_at INTEGER NOT NULL,
     delivered_at INTEGER
   );
   CREATE INDEX notifications_state_next ON notifications(state, next_attempt_at, id);
   CREATE INDEX notifications_study ON notifications(orthanc_study_id, id);`,
  // v4 (issue 21): radiologist feedback per (study, label), append-only (src/jobs/feedback.ts).
  `CREATE TABLE feedback (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     study_key TEXT NOT NULL,
     job_id INTEGER,
     label TEXT NOT NULL,
     verdict TEXT NOT NULL CHECK (verdict IN ('present', 'absent')),
     author TEXT NOT NULL,
     source TEXT NOT NULL,
     created_at INTEGER NOT NULL
   );
   CREATE INDEX feedback_study_label ON feedback(study_key, label, id);`,
  // v5 (issue 21): drift monitoring (src/drift/drift-store.ts): each scored study's per-label
  // probabilities under one reference key (the label-set hash), and each label's alert state.
  `CREATE TABLE drift_samples (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     reference_key TEXT NOT NULL,
     job_id INTEGER NOT NULL,
     scores_json TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     UNIQUE (reference_key, job_id)
   );
   CREATE INDEX drift_samples_key ON drift_samples(reference_key, id);
   CREATE TABLE drift_state (
     reference_key TEXT NOT NULL,
     label TEXT NOT NULL,
     alerting INTEGER NOT NULL DEFAULT 0,
     psi REAL,
     changed_at INTEGER NOT NULL,
     PRIMARY KEY (reference_key, label)
   );`,
];

interface JobRow {
  id: number;
  orthanc_study_id: string;
  study_uid: string | null;
  state: JobState;
  attempts: number;
  source: JobSource;
  last_error_code: string | null;
  last_error_message: string | null;
  skip_reason: string | null;
  not_before: number;
  created_at: number;
  updated_at: number;
  started_at: number | null;
  finished_at: number | null;
  priority: string | null;
  result_json: string | null;
  recheck: number;
}

function toJob(r: JobRow): Job {
  return {
    id: r.id,
    orthancStudyId: r.orthanc_study_id,
    studyInstanceUid: r.study_uid,
    state: r.state,
    attempts: r.attempts,
    source: r.source,
    lastError: r.last_error_code
      ? { code: r.last_error_code, message: r.last_error_message ?? "" }
      : null,
    notBefore: r.not_before,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    result: r.result_json ? (JSON.parse(r.result_json) as JobResult) : null,
    skipReason: r.skip_reason,
    recheck: r.recheck === 1,
  };
}

export interface SqliteJobStoreOptions {
  /** File path, or ":memory:". */
  path: string;
  now?: () => number;
}

export class SqliteJobStore implements JobStore {
  private readonly db: Database.Database;
  private readonly now: () => number;

  constructor(options: SqliteJobStoreOptions) {
    this.now = options.now ?? Date.now;
    try {
      if (options.path !== ":memory:") mkdirSync(dirname(options.path), { recursive: true });
      this.db = new Database(options.path);
      this.db.pragma("journal_mode = WAL");
      this.db.pragma("synchronous = NORMAL");
      this.db.pragma("busy_timeout = 5000");
      this.migrate();
    } catch (err) {
      throw new RadzError(
        "STORE_FAILED",
        `cannot open job store ${options.path}: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
  }

  /** Current schema version (number of applied migrations). */
  schemaVersion(): number {
    const row = this.db.prepare("SELECT MAX(version) AS v FROM _schema").get() as {
      v: number | null;
    };
    return row.v ?? 0;
  }

  private migrate(): void {
    this.db.exec(
      "CREATE TABLE IF NOT EXISTS _schema (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)",
    );
    const current = this.schemaVersion();
    if (current > MIGRATIONS.length) {
      throw new Error(
        `job store schema v${current} is newer than this RadZ (v${MIGRATIONS.length}); upgrade RadZ`,
      );
    }
    MIGRATIONS.forEach((sql, index) => {
      const version = index + 1;
      if (version <= current) return;
      this.db.transaction(() => {
        this.db.exec(sql);
        this.db
          .prepare("INSERT INTO _schema (version, applied_at) VALUES (?, ?)")
          .run(version, this.now());
      })();
    });
  }

  private row(id: number): JobRow {
    const r = this.db.prepare("SELECT * FROM jobs WHERE id = ?").get(id) as JobRow | undefined;
    if (!r) throw new RadzError("JOB_NOT_FOUND", `no job with id ${id}`);
    return r;
  }

  private assertTransition(r: JobRow, to: JobState): void {
    if (!canTransition(r.state, to)) {
      throw new RadzError(
        "JOB_INVALID_TRANSITION",
        `job ${r.id} cannot go from ${r.state} to ${to}`,
      );
    }
  }

  private insertOrGet(orthancStudyId: string, source: JobSource): EnqueueResult {
    const now = this.now();
    const info = this.db
      .prepare(
        `INSERT INTO jobs (orthanc_study_id, state, source, created_at, updated_at)
         VALUES (?, 'queued', ?, ?, ?) ON CONFLICT(orthanc_study_id) DO NOTHING`,
      )
      .run(orthancStudyId, source, now, now);
    const r = this.db
      .prepare("SELECT * FROM jobs WHERE orthanc_study_id = ?")
      .get(orthancStudyId) as JobRow;
    return { job: toJob(r), created: info.changes === 1 };
  }

  enqueueBatch(
    orthancStudyIds: readonly string[],
    source: JobSource,
    cursor?: { name: string; value: number },
    options: EnqueueOptions = {},
  ): EnqueueResult[] {
    return this.db.transaction(() => {
      const out = orthancStudyIds.map((id) => {
        const r = this.insertOrGet(id, source);
        if (r.created || !options.recheckExisting || r.job.state === JobState.Queued) return r;
        this.db.prepare("UPDATE jobs SET recheck=1 WHERE id=?").run(r.job.id);
        return { job: toJob(this.row(r.job.id)), created: false };
      });
      if (cursor) this.setCursor(cursor.name, cursor.value);
      return out;
    })();
  }

  enqueue(orthancStudyId: string, source: JobSource): EnqueueResult {
    return this.insertOrGet(orthancStudyId, source);
  }

  requeue(orthancStudyId: string, source: JobSource): Job {
    return this.db.transaction(() => {
      const existing = this.db
        .prepare("SELECT * FROM jobs WHERE orthanc_study_id = ?")
        .get(orthancStudyId) as JobRow | undefined;
      if (!existing) return this.insertOrGet(orthancStudyId, source).job;
      if (existing.state === JobState.Queued || existing.state === JobState.Running)
        return toJob(existing);
      this.assertTransition(existing, JobState.Queued);
      this.db
        .prepare(
          `UPDATE jobs SET state='queued', attempts=0, not_before=0, source=?, last_error_code=NULL,
           last_error_message=NULL, skip_reason=NULL, recheck=0, updated_at=? WHERE id=?`,
        )
        .run(source, this.now(), existing.id);
      return toJob(this.row(existing.id));
    })();
  }

  claimNext(now: number): Job | null {
    return this.db.transaction(() => {
      const r = this.db
        .prepare(
          "SELECT * FROM jobs WHERE state='queued' AND not_before <= ? ORDER BY not_before, id LIMIT 1",
        )
        .get(now) as JobRow | undefined;
      if (!r) return null;
      this.db
        .prepare(
          "UPDATE jobs SET state='running', attempts=attempts+1, started_at=?, updated_at=? WHERE id=?",
        )
        .run(now, now, r.id);
      return toJob(this.row(r.id));
    })();
  }

  setStudyInstanceUid(id: number, uid: string): void {
    this.db
      .prepare("UPDATE jobs SET study_uid=?, updated_at=? WHERE id=?")
      .run(uid, this.now(), id);
  }

  private finish(id: number, to: JobState, fields: Record<string, unknown>): Job {
    return this.db.transaction(() => {
      const r = this.row(id);
      this.assertTransition(r, to);
      const now = this.now();
      const sets = Object.keys(fields).map((k) => `${k}=@${k}`);
      this.db
        .prepare(
          `UPDATE jobs SET state=@state, updated_at=@now${sets.length ? ", " + sets.join(", ") : ""} WHERE id=@id`,
        )
        .run({ ...fields, state: to, now, id });
      return toJob(this.row(id));
    })();
  }

  complete(id: number, result: JobResult): Job {
    return this.finish(id, JobState.Done, {
      result_json: JSON.stringify(result),
      priority: result.priority,
      study_uid: result.studyInstanceUid,
      finished_at: this.now(),
      last_error_code: null,
      last_error_message: null,
      skip_reason: null,
    });
  }

  skip(id: number, reason: string, error: JobError): Job {
    return this.finish(id, JobState.Skipped, {
      skip_reason: reason,
      last_error_code: error.code,
      last_error_message: error.message,
      finished_at: this.now(),
      result_json: null,
      priority: null,
    });
  }

  retryLater(id: number, error: JobError, retryAt: number, options: RetryOptions = {}): Job {
    const attempts = this.row(id).attempts;
    return this.finish(id, JobState.Queued, {
      last_error_code: error.code,
      last_error_message: error.message,
      not_before: retryAt,
      ...(options.countAttempt === false ? { attempts: Math.max(0, attempts - 1) } : {}),
    });
  }

  fail(id: number, error: JobError): Job {
    return this.finish(id, JobState.Failed, {
      last_error_code: error.code,
      last_error_message: error.message,
      finished_at: this.now(),
    });
  }

  requeueRunning(options?: { failAtAttempts: number; error: JobError }): number {
    return this.db.transaction(() => {
      const now = this.now();
      if (options) {
        this.db
          .prepare(
            `UPDATE jobs SET state='failed', last_error_code=?, last_error_message=?, finished_at=?,
             updated_at=? WHERE state='running' AND attempts >= ?`,
          )
          .run(options.error.code, options.error.message, now, now, options.failAtAttempts);
      }
      return this.db
        .prepare("UPDATE jobs SET state='queued', not_before=0, updated_at=? WHERE state='running'")
        .run(now).changes;
    })();
  }

  get(id: number): Job | null {
    const r = this.db.prepare("SELECT * FROM jobs WHERE id = ?").get(id) as JobRow | undefined;
    return r ? toJob(r) : null;
  }

  getByStudy(orthancStudyId: string): Job | null {
    const r = this.db
      .prepare("SELECT * FROM jobs WHERE orthanc_study_id = ?")
      .get(orthancStudyId) as JobRow | undefined;
    return r ? toJob(r) : null;
  }

  getByStudyUid(studyInstanceUid: string): Job | null {
    const r = this.db
      .prepare("SELECT * FROM jobs WHERE study_uid = ? ORDER BY id LIMIT 1")
      .get(studyInstanceUid) as JobRow | undefined;
    return r ? toJob(r) : null;
  }

  listRecheck(limit: number): Job[] {
    return (
      this.db
        .prepare(
          "SELECT * FROM jobs WHERE recheck = 1 AND state IN ('done','skipped','failed') ORDER BY id LIMIT ?",
        )
        .all(Math.max(1, Math.floor(limit))) as JobRow[]
    ).map(toJob);
  }

  clearRecheck(id: number): void {
    // Bookkeeping only: the job's record (and updatedAt) is unchanged.
    this.db.prepare("UPDATE jobs SET recheck=0 WHERE id=?").run(id);
  }

  countInState(state: JobState): number {
    const r = this.db.prepare("SELECT COUNT(*) AS n FROM jobs WHERE state = ?").get(state) as {
      n: number;
    };
    return r.n;
  }

  list(filter: JobFilter = {}): Job[] {
    const where: string[] = [];
    const params: Record<string, unknown> = {};
    if (filter.state) {
      where.push("state = @state");
      params.state = filter.state;
    }
    if (filter.priority) {
      where.push("priority = @priority");
      params.priority = filter.priority;
    }
    if (filter.sinceMs !== undefined) {
      where.push("created_at >= @since");
      params.since = filter.sinceMs;
    }
    params.limit = Math.min(Math.max(filter.limit ?? 100, 1), 1000);
    params.offset = Math.max(filter.offset ?? 0, 0);
    const sql = `SELECT * FROM jobs ${where.length ? "WHERE " + where.join(" AND ") : ""}
      ORDER BY CASE priority WHEN 'urgent' THEN 0 WHEN 'review' THEN 1 WHEN 'routine' THEN 2 ELSE 3 END, created_at, id
      LIMIT @limit OFFSET @offset`;
    return (this.db.prepare(sql).all(params) as JobRow[]).map(toJob);
  }

  countByState(): Record<string, number> {
    const out: Record<string, number> = { queued: 0, running: 0, done: 0, skipped: 0, failed: 0 };
    for (const r of this.db
      .prepare("SELECT state, COUNT(*) AS n FROM jobs GROUP BY state")
      .all() as {
      state: string;
      n: number;
    }[]) {
      out[r.state] = r.n;
    }
    return out;
  }

  nextWakeUp(): number | null {
    const r = this.db
      .prepare("SELECT MIN(not_before) AS t FROM jobs WHERE state='queued'")
      .get() as { t: number | null };
    return r.t;
  }

  getCursor(name: string): number | null {
    const r = this.db.prepare("SELECT value FROM cursors WHERE name = ?").get(name) as
      { value: number } | undefined;
    return r ? r.value : null;
  }

  setCursor(name: string, value: number): void {
    this.db
      .prepare(
        "INSERT INTO cursors (name, value, updated_at) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET value=excluded.value, updated_at=excluded.updated_at",
      )
      .run(name, value, this.now());
  }

  /** Appends feedback entries in one transaction; returns how many were stored. */
  addFeedback(
    entries: readonly FeedbackInput[],
    who: { author: string; source: FeedbackSource },
  ): number {
    const now = this.now();
    const jobOf = this.db.prepare(
      "SELECT id FROM jobs WHERE study_uid = ? ORDER BY id DESC LIMIT 1",
    );
    const insert = this.db.prepare(
      `INSERT INTO feedback (study_key, job_id, label, verdict, author, source, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    return this.db.transaction(() => {
      for (const e of entries) {
        const job = jobOf.get(e.studyInstanceUid) as { id: number } | undefined;
        insert.run(
          studyFeedbackKey(e.studyInstanceUid),
          job?.id ?? null,
          e.label,
          e.verdict,
          who.author,
          who.source,
          now,
        );
      }
      return entries.length;
    })();
  }

  /** Feedback, newest first: by default only the current (latest) verdict per (study, label). */
  listFeedback(filter: FeedbackFilter = {}): FeedbackEntry[] {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (filter.label !== undefined) {
      where.push("f.label = ?");
      args.push(filter.label);
    }
    if (filter.studyKey !== undefined) {
      where.push("f.study_key = ?");
      args.push(filter.studyKey);
    }
    if (filter.current ?? true)
      where.push(
        "f.id = (SELECT MAX(g.id) FROM feedback g WHERE g.study_key = f.study_key AND g.label = f.label)",
      );
    const rows = this.db
      .prepare(
        `SELECT * FROM feedback f ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY f.id DESC LIMIT ?`,
      )
      .all(...args, filter.limit ?? -1) as {
      id: number;
      study_key: string;
      job_id: number | null;
      label: string;
      verdict: FeedbackVerdict;
      author: string;
      source: FeedbackSource;
      created_at: number;
    }[];
    return rows.map((r) => ({
      id: r.id,
      studyKey: r.study_key,
      jobId: r.job_id,
      label: r.label,
      verdict: r.verdict,
      author: r.author,
      source: r.source,
      createdAt: r.created_at,
    }));
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

/**
 * A connection to the job store's file for a table that lives beside the jobs
 * (the notification log, the drift store): opening the job store first applies
 * the migrations that create those tables. `needs` says, in the error for an
 * in-memory store, what requires the file.
 */
export function openJobStoreFile(path: string, needs: string): Database.Database {
  if (path === ":memory:") {
    throw new RadzError(
      "CONFIG_INVALID",
      `${needs} needs a job store file: jobs.dbPath cannot be :memory:`,
    );
  }
  new SqliteJobStore({ path }).close();
  try {
    const db = new Database(path);
    db.pragma("busy_timeout = 5000");
    return db;
  } catch (err) {
    throw new RadzError("STORE_FAILED", `cannot open ${path}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}
