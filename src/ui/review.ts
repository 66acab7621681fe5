/**
 * The worklist's review parts (issue 21), kept apart from worklist.ts:
 *
 *  - the Patient column: who a study is (GET /api/studies/{id}/identity),
 *    fetched when the row is shown and kept only in this page's memory;
 *  - the Feedback dialog: confirm or reject each finding of a study, add a
 *    missed one (POST /api/studies/{id}/feedback), for roles reviewer and
 *    admin (GET /api/session says which role this session has; the API
 *    refuses the others anyway).
 */
import type { UiDialog, UiElement, UiGlobals, UiInput } from "./dom-types.js";
import { percent, type StudyRow } from "./format.js";
import {
  canGiveFeedback,
  currentVerdicts,
  identityLines,
  verdictText,
  type FeedbackEntry,
  type StudyIdentity,
  type Verdict,
} from "./review-format.js";

const g = globalThis as unknown as UiGlobals;
const doc = g.document;
const JSON_HEADERS = { Accept: "application/json" };

function h(tag: string, className?: string, text?: string): UiElement {
  const e = doc.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

function el(id: string): UiElement {
  const e = doc.getElementById(id);
  if (e === null) throw new Error(`worklist page is missing #${id}`);
  return e;
}

const review = {
  role: null as string | null,
  /** Orthanc study ID -> its identity (this page only; gone on reload or logout). */
  identities: new Map<string, Promise<StudyIdentity | null>>(),
  study: null as StudyRow | null,
  /** The model's label set, as the open dialog loaded it. */
  labels: [] as StudyFeedback["labels"],
};

// ---------------------------------------------------------------- role

/** Reads this session's role (GET /api/session); call after logging in. */
export async function loadRole(): Promise<void> {
  const res = await fetch("/api/session", { headers: JSON_HEADERS, credentials: "same-origin" });
  review.role = res.ok ? ((await res.json()) as { role: string }).role : null;
}

/** Forget everything this module holds about the session (401, logout). */
export function forgetSession(): void {
  review.role = null;
  review.identities.clear();
}

// ---------------------------------------------------------------- who the study is

function identityOf(orthancStudyId: string): Promise<StudyIdentity | null> {
  let p = review.identities.get(orthancStudyId);
  if (p === undefined) {
    p = fetch(`/api/studies/${encodeURIComponent(orthancStudyId)}/identity`, {
      headers: JSON_HEADERS,
      credentials: "same-origin",
    })
      .then(async (res) => (res.ok ? ((await res.json()) as StudyIdentity) : null))
      .catch(() => null);
    review.identities.set(orthancStudyId, p);
    // A failed lookup is tried again on the next render.
    void p.then((v) => {
      if (v === null) review.identities.delete(orthancStudyId);
    });
  }
  return p;
}

/** The Patient cell of a row: filled in when Orthanc answers. */
export function patientCell(s: StudyRow): UiElement {
  const td = h("td", "patient");
  const name = h("span", "patient-name", "…");
  const ids = h("span", "patient-ids");
  const study = h("span", "patient-study");
  td.append(name, ids, study);
  void identityOf(s.orthancStudyId).then((id) => {
    if (id === null) {
      name.textContent = "—";
      td.title = "Not available from Orthanc";
      return;
    }
    const [n, i, d] = identityLines(id);
    name.textContent = n;
    ids.textContent = i;
    study.textContent = d;
  });
  return td;
}

// ---------------------------------------------------------------- feedback

const dialog = {
  root: el("feedback") as UiDialog,
  title: el("feedback-title"),
  rows: el("feedback-rows"),
  missed: el("feedback-missed") as UiInput,
  missedAdd: el("feedback-missed-add") as UiInput,
  status: el("feedback-status"),
  close: el("feedback-close"),
};

export function feedbackDialogOpen(): boolean {
  return dialog.root.open;
}

/** The Feedback button of a row (reviewer and admin, studies with a result), else null. */
export function feedbackButton(s: StudyRow, who: string): UiElement | null {
  if (!canGiveFeedback(review.role) || s.findings.length === 0) return null;
  const b = h("button", "feedback", "Feedback");
  b.setAttribute("type", "button");
  b.setAttribute("aria-label", `Feedback on the findings of ${who}`);
  b.addEventListener("click", () => void openFeedback(s, who));
  return b;
}

interface StudyFeedback {
  readonly labels: readonly { readonly id: string; readonly display: string }[];
  readonly feedback: readonly FeedbackEntry[];
}

async function openFeedback(s: StudyRow, who: string): Promise<void> {
  review.study = s;
  dialog.title.textContent = `Feedback: ${who}`;
  dialog.status.textContent = "";
  dialog.rows.replaceChildren();
  dialog.root.showModal();
  dialog.close.focus();
  const res = await fetch(`/api/studies/${encodeURIComponent(s.orthancStudyId)}/feedback`, {
    headers: JSON_HEADERS,
    credentials: "same-origin",
  }).catch(() => null);
  if (res === null || !res.ok) {
    dialog.status.textContent = "Could not load this study's feedback.";
    return;
  }
  const data = (await res.json()) as StudyFeedback;
  review.labels = data.labels;
  renderFeedback(s, data);
}

/** The dialog's rows: each flagged finding (and any with feedback), and the missed-finding choices. */
function renderFeedback(s: StudyRow, data: StudyFeedback): void {
  const current = currentVerdicts(data.feedback);
  const flagged = new Set(s.findings.filter((f) => f.positive).map((f) => f.labelId));
  const display = new Map(data.labels.map((l) => [l.id, l.display]));
  for (const f of s.findings) if (!display.has(f.labelId)) display.set(f.labelId, f.display);
  const shown = [...flagged, ...[...current.keys()].filter((l) => !flagged.has(l))];
  const rows = shown.map((label) => {
    const tr = h("tr");
    tr.dataset.label = label;
    const finding = s.findings.find((f) => f.labelId === label);
    const name = h("th", undefined, display.get(label) ?? label);
    name.setAttribute("scope", "row");
    const model = h(
      "td",
      "muted",
      flagged.has(label) ? `flagged ${percent(finding?.probability ?? 0)}` : "not flagged",
    );
    const verdict = h("td", "verdict", verdictText(flagged.has(label), current.get(label)));
    const actions = h("td");
    for (const [v, text] of [
      ["present", flagged.has(label) ? "Confirm" : "Present"],
      ["absent", flagged.has(label) ? "Reject" : "Absent"],
    ] as const) {
      const b = h("button", `verdict-${v}`, text);
      b.setAttribute("type", "button");
      b.setAttribute("aria-label", `${text} ${display.get(label) ?? label}`);
      b.addEventListener("click", () => void send(label, v));
      actions.append(b);
    }
    tr.append(name, model, verdict, actions);
    return tr;
  });
  dialog.rows.replaceChildren(...rows);
  const options = [...display.entries()]
    .filter(([id]) => !shown.includes(id))
    .sort((a, b) => a[1].localeCompare(b[1]))
    .map(([id, text]) => {
      const o = h("option", undefined, text);
      o.setAttribute("value", id);
      return o;
    });
  const placeholder = h("option", undefined, "choose a finding…");
  placeholder.setAttribute("value", "");
  dialog.missed.replaceChildren(placeholder, ...options);
  dialog.missed.value = "";
  dialog.missedAdd.disabled = options.length === 0;
}

async function send(label: string, verdict: Verdict): Promise<void> {
  const s = review.study;
  if (s === null) return;
  dialog.status.textContent = "Saving…";
  const res = await fetch(`/api/studies/${encodeURIComponent(s.orthancStudyId)}/feedback`, {
    method: "POST",
    headers: { ...JSON_HEADERS, "Content-Type": "application/json" },
    credentials: "same-origin",
    body: JSON.stringify({ findings: [{ label, verdict }] }),
  }).catch(() => null);
  if (res === null || !res.ok) {
    const body = (await res?.json().catch(() => null)) as { error?: { message?: string } } | null;
    dialog.status.textContent = `Not saved: ${body?.error?.message ?? "RadZ is not reachable"}`;
    return;
  }
  const saved = (await res.json()) as { feedback: readonly FeedbackEntry[] };
  // The label set stays as loaded; the verdicts are the server's answer.
  renderFeedback(s, { labels: review.labels, feedback: saved.feedback });
  const name = review.labels.find((l) => l.id === label)?.display ?? label;
  dialog.status.textContent = `Saved: ${name} ${verdict}.`;
}

dialog.missedAdd.addEventListener("click", () => {
  const label = dialog.missed.value;
  if (label !== "") void send(label, "present");
});
dialog.close.addEventListener("click", () => dialog.root.close());
