/**
 * The durable record of outbound notifications, in the job store's SQLite file
 * (table `notifications`, created by the job store's migration v3). It opens
 * its own connection to that file, after opening the job store once so the
 * migrations have run; an in-memory job store (":memory:") cannot be shared
 * and is refused.
 */
import type Database from "better-sqlite3";
import { RadzError } from "../errors.js";
import { openJobStoreFile } from "../jobs/index.js";

export const NOTIFICATION_STATES = ["pending", "delivered", "failed"] as const;
export type NotificationState = (typeof NOTIFICATION_STATES)[number];

/** One notification (no PHI: Orthanc ID, event id, HTTP status, error code). */
export interface NotificationRecord {
  readonly id: number;
  /** Sent as the payload's `id` and X-Radz-Delivery: receivers de-duplicate on it. */
  readonly eventId: string;
  readonly event: string;
  readonly jobId: number;
  readonly orthancStudyId: string;
  readonly state: NotificationState;
  readonly attempts: number;
  /** Epoch ms of the next attempt while pending. */
  readonly nextAttemptAt: number;
  /** HTTP status of the last answer (null: no answer). */
  readonly lastStatus: number | null;
  readonly lastError: { readonly code: string; readonly message: string } | null;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly deliveredAt: number | null;
}

export interface NotificationFilter {
  state?: NotificationState | undefined;
  orthancStudyId?: string | undefined;
  limit?: number | undefined;
  offset?: number | undefined;
}

interface Row {
  id: number;
  event_id: string;
  event: string;
  job_id: number;
  orthanc_study_id: string;
  state: NotificationState;
  attempts: number;
  next_attempt_at: number;
  last_status: number | null;
  last_error_code: string | null;
  last_error_message: string | null;
  created_at: number;
  updated_at: number;
  delivered_at: number | null;
}

const COLUMNS = `id, event_id, event, job_id, orthanc_study_id, state, attempts, next_attempt_at,
  last_status, last_error_code, last_error_message, created_at, updated_at, delivered_at`;

function toRecord(r: Row): NotificationRecord {
  return {
    id: r.id,
    eventId: r.event_id,
    event: r.event,
    jobId: r.job_id,
    orthancStudyId: r.orthanc_study_id,
    state: r.state,
    attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at,
    lastStatus: r.last_status,
    lastError: r.last_error_code
      ? { code: r.last_error_code, message: r.last_error_message ?? "" }
      : null,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    deliveredAt: r.delivered_at,
  };
}

export interface NotificationLogOptions {
  /** The job store's SQLite file (jobs.dbPath). */
  path: string;
  now?: () => number;
}

export class NotificationLog {
  readonly #db: Database.Database;
  readonly #now: () => number;

  constructor(options: NotificationLogOptions) {
    this.#now = options.now ?? Date.now;
    this.#db = openJobStoreFile(options.path, "notify.webhookUrl");
  }

  create(input: {
    eventId: string;
    event: string;
    jobId: number;
    orthancStudyId: string;
    body: string;
  }): NotificationRecord {
    const now = this.#now();
    const info = this.#db
      .prepare(
        `INSERT INTO notifications (event_id, event, job_id, orthanc_study_id, body, state,
           next_attempt_at, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, 'pending', ?, ?, ?)`,
      )
      .run(
        input.eventId,
        input.event,
        input.jobId,
        input.orthancStudyId,
        input.body,
        now,
        now,
        now,
      );
    return this.#get(Number(info.lastInsertRowid));
  }

  /** The exact body to send (signed per attempt). */
  body(id: number): string {
    const r = this.#db.prepare("SELECT body FROM notifications WHERE id = ?").get(id) as
      { body: string } | undefined;
    if (!r) throw new RadzError("INPUT_INVALID", `no notification ${id}`);
    return r.body;
  }

  get(id: number): NotificationRecord | null {
    const r = this.#db.prepare(`SELECT ${COLUMNS} FROM notifications WHERE id = ?`).get(id) as
      Row | undefined;
    return r ? toRecord(r) : null;
  }

  #get(id: number): NotificationRecord {
    const r = this.get(id);
    if (!r) throw new RadzError("INPUT_INVALID", `no notification ${id}`);
    return r;
  }

  /** Pending notifications due at `now`, oldest first. */
  due(now: number, limit = 20): NotificationRecord[] {
    return (
      this.#db
        .prepare(
          `SELECT ${COLUMNS} FROM notifications WHERE state = 'pending' AND next_attempt_at <= ?
           ORDER BY next_attempt_at, id LIMIT ?`,
        )
        .all(now, limit) as Row[]
    ).map(toRecord);
  }

  /** Earliest next attempt among pending notifications, or null. */
  nextDue(): number | null {
    const r = this.#db
      .prepare("SELECT MIN(next_attempt_at) AS t FROM notifications WHERE state = 'pending'")
      .get() as { t: number | null };
    return r.t;
  }

  delivered(id: number, status: number): NotificationRecord {
    const now = this.#now();
    this.#db
      .prepare(
        `UPDATE notifications SET state='delivered', attempts=attempts+1, last_status=?,
           last_error_code=NULL, last_error_message=NULL, delivered_at=?, updated_at=? WHERE id=?`,
      )
      .run(status, now, now, id);
    return this.#get(id);
  }

  /** A failed attempt: pending again at `retryAt`, or failed for good when retryAt is null. */
  attemptFailed(
    id: number,
    status: number | null,
    error: { code: string; message: string },
    retryAt: number | null,
  ): NotificationRecord {
    this.#db
      .prepare(
        `UPDATE notifications SET state=?, attempts=attempts+1, last_status=?, last_error_code=?,
           last_error_message=?, next_attempt_at=?, updated_at=? WHERE id=?`,
      )
      .run(
        retryAt === null ? "failed" : "pending",
        status,
        error.code,
        error.message,
        retryAt ?? 0,
        this.#now(),
        id,
      );
    return this.#get(id);
  }

  /** Newest first. */
  list(filter: NotificationFilter = {}): NotificationRecord[] {
    const where: string[] = [];
    const params: Record<string, unknown> = {
      limit: Math.min(Math.max(filter.limit ?? 100, 1), 1000),
      offset: Math.max(filter.offset ?? 0, 0),
    };
    if (filter.state) {
      where.push("state = @state");
      params.state = filter.state;
    }
    if (filter.orthancStudyId) {
      where.push("orthanc_study_id = @study");
      params.study = filter.orthancStudyId;
    }
    const sql = `SELECT ${COLUMNS} FROM notifications
      ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
      ORDER BY id DESC LIMIT @limit OFFSET @offset`;
    return (this.#db.prepare(sql).all(params) as Row[]).map(toRecord);
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }
}
