/**
 * Pure helpers of the worklist page (no DOM): what a row says. Tested under
 * Node in test/ui/format.test.ts; loaded by the browser as /ui/format.js.
 */

export type Priority = "urgent" | "review" | "routine";

/** The fields of GET /api/studies rows the page uses. */
export interface StudyRow {
  readonly id: number;
  readonly orthancStudyId: string;
  readonly studyInstanceUID: string | null;
  readonly state: string;
  readonly attempts: number;
  readonly priority: Priority | null;
  readonly findings: readonly {
    readonly labelId: string;
    readonly display: string;
    readonly probability: number;
    readonly threshold: number;
    readonly positive: boolean;
  }[];
  readonly skipReason: string | null;
  readonly error: { readonly code: string; readonly message: string } | null;
  readonly createdAt: string;
  readonly links: {
    readonly explorer: string | null;
    readonly viewer: string | null;
    readonly viewerName: string;
    readonly preview: string | null;
  };
}

export interface StudyPage {
  readonly studies: readonly StudyRow[];
  readonly limit: number;
  readonly offset: number;
  readonly nextOffset: number | null;
  readonly counts: Readonly<Record<string, number>>;
}

export interface Filters {
  priority: string;
  state: string;
  flag: string;
  since: string;
}

export const FILTER_KEYS: readonly (keyof Filters)[] = ["priority", "state", "flag", "since"];

export function emptyFilters(): Filters {
  return { priority: "", state: "", flag: "", since: "" };
}

/** Filters from the page's query string (unknown keys ignored). */
export function filtersFromSearch(search: string): Filters {
  const params = new URLSearchParams(search);
  const f = emptyFilters();
  for (const key of FILTER_KEYS) f[key] = (params.get(key) ?? "").trim();
  return f;
}

/** The API query for a page of studies; empty filters are left out. */
export function studiesQuery(f: Filters, offset: number, limit: number): string {
  const params = new URLSearchParams();
  for (const key of FILTER_KEYS) if (f[key] !== "") params.set(key, f[key]);
  if (offset > 0) params.set("offset", String(offset));
  params.set("limit", String(limit));
  return params.toString();
}

/** The page's own query string (filters only). */
export function pageSearch(f: Filters): string {
  const params = new URLSearchParams();
  for (const key of FILTER_KEYS) if (f[key] !== "") params.set(key, f[key]);
  const s = params.toString();
  return s === "" ? "" : `?${s}`;
}

/** "97%"; never "100%" or "0%" for a probability (">99%", "<1%"). */
export function percent(probability: number): string {
  if (probability >= 0.995) return ">99%";
  if (probability < 0.005) return "<1%";
  return `${Math.round(probability * 100)}%`;
}

/** Positive findings, most probable first. */
export function positiveFindings(row: StudyRow): StudyRow["findings"] {
  return row.findings.filter((f) => f.positive).sort((a, b) => b.probability - a.probability);
}

export function priorityText(p: Priority | null, state: string): string {
  if (p !== null) return p;
  return state === "queued" || state === "running" ? "pending" : "—";
}

/** The state column: the state, and why for failed / skipped / retried jobs. */
export function stateText(row: StudyRow): string {
  switch (row.state) {
    case "failed":
      return `failed${row.error ? `: ${row.error.code}` : ""}`;
    case "skipped":
      return `skipped${row.error ? `: ${row.error.code}` : ""}`;
    case "queued":
      return row.attempts > 0 && row.error ? `retrying (${row.error.code})` : "queued";
    default:
      return row.state;
  }
}

const pad = (n: number) => String(n).padStart(2, "0");

/** "14:03" today, else "2024-05-01 14:03" (local time). */
export function arrivalText(iso: string, now: Date = new Date()): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  const sameDay =
    d.getFullYear() === now.getFullYear() &&
    d.getMonth() === now.getMonth() &&
    d.getDate() === now.getDate();
  return sameDay ? time : `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${time}`;
}

/** The last 12 characters of a UID, for a narrow column (the full UID goes in the title). */
export function shortUid(uid: string | null): string {
  if (uid === null) return "—";
  return uid.length > 14 ? `…${uid.slice(-12)}` : uid;
}

/** The login token from a "#login=<token>" fragment (radz demo --serve prints such a URL). */
export function loginTokenFromHash(hash: string): string | null {
  const m = /^#login=([A-Za-z0-9_\-.~]{8,512})$/.exec(hash);
  return m?.[1] ?? null;
}
