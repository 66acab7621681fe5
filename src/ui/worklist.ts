/**
 * The worklist page (browser module, served as /ui/worklist.js). Reads the
 * API with the session cookie, shows studies by priority then arrival,
 * refreshes on Server-Sent Events (/api/events), and never builds a URL from
 * anything but the API's own `links`.
 */
import type {
  UiAnchor,
  UiDialog,
  UiElement,
  UiGlobals,
  UiImage,
  UiInput,
  UiKeyboardEvent,
} from "./dom-types.js";
import {
  arrivalText,
  emptyFilters,
  filtersFromSearch,
  loginTokenFromHash,
  pageSearch,
  percent,
  positiveFindings,
  priorityText,
  shortUid,
  stateText,
  studiesQuery,
  type Filters,
  type StudyPage,
  type StudyRow,
} from "./format.js";
// Issue 21: who the study is (Patient column) and feedback on its findings.
import {
  feedbackButton,
  feedbackDialogOpen,
  forgetSession,
  loadRole,
  patientCell,
} from "./review.js";

const PAGE_SIZE = 50;
const RELOAD_DEBOUNCE_MS = 250;
const NEW_ROW_HIGHLIGHT_MS = 8_000;

const g = globalThis as unknown as UiGlobals;
const doc = g.document;

function el(id: string): UiElement {
  const e = doc.getElementById(id);
  if (e === null) throw new Error(`worklist page is missing #${id}`);
  return e;
}

function h(tag: string, className?: string, text?: string): UiElement {
  const e = doc.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

const ui = {
  live: el("live"),
  login: el("login"),
  loginForm: el("login-form"),
  loginError: el("login-error"),
  loginLink: el("login-link"),
  loginLinkText: el("login-link-text"),
  loginLinkAccept: el("login-link-accept"),
  loginLinkCancel: el("login-link-cancel"),
  token: el("token") as UiInput,
  main: el("main"),
  priority: el("f-priority") as UiInput,
  state: el("f-state") as UiInput,
  flag: el("f-flag") as UiInput,
  since: el("f-since") as UiInput,
  clear: el("f-clear"),
  labels: el("labels"),
  counts: el("counts"),
  rows: el("rows"),
  empty: el("empty"),
  prev: el("prev") as UiInput,
  next: el("next") as UiInput,
  page: el("page"),
  preview: el("preview") as UiDialog,
  previewImg: el("preview-img") as UiImage,
  previewTitle: el("preview-title"),
  previewClose: el("preview-close"),
};

const state = {
  filters: filtersFromSearch(g.location.search),
  offset: 0,
  seen: new Set<number>(),
  firstLoad: true,
  labelIds: new Set<string>(),
  events: null as ReturnType<typeof openEvents> | null,
  reloadTimer: null as ReturnType<typeof setTimeout> | null,
};

function setLive(text: string, on = false): void {
  ui.live.textContent = text;
  ui.live.classList.toggle("on", on);
}

// ---------------------------------------------------------------- login

function showLogin(message = ""): void {
  ui.main.hidden = true;
  ui.login.hidden = false;
  ui.loginError.textContent = message;
  setLive("Not logged in");
  forgetSession();
  state.events?.close();
  state.events = null;
  ui.token.focus();
}

async function logIn(token: string): Promise<boolean> {
  const res = await fetch("/api/session", {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify({ token }),
    credentials: "same-origin",
  });
  if (res.ok) return true;
  showLogin(
    res.status === 429 ? "Too many attempts; wait and try again." : "That token is not valid.",
  );
  return false;
}

/** Whose token a login link carries (GET /api/session with it as a bearer token; no cookie is set). */
async function whoseToken(token: string): Promise<{ name: string; role: string } | null> {
  const res = await fetch("/api/session", {
    headers: { Authorization: `Bearer ${token}`, Accept: "application/json" },
    credentials: "omit",
  }).catch(() => null);
  if (res === null || !res.ok) return null;
  return (await res.json()) as { name: string; role: string };
}

/**
 * A "#login=<token>" link never logs the browser in by itself: the page says
 * whose token it carries and waits for a click, so a link sent by someone
 * else cannot put this browser under their token unseen.
 */
async function confirmLoginLink(token: string): Promise<"accept" | "cancel" | "invalid"> {
  const who = await whoseToken(token);
  if (who === null) {
    showLogin("The login link's token is not valid.");
    return "invalid";
  }
  const role =
    who.role === "admin" ? "administrator" : who.role === "reviewer" ? "reviewer" : "read-only";
  ui.main.hidden = true;
  ui.login.hidden = true;
  ui.loginLinkText.textContent = `This link logs you in as “${who.name}” (${role}). Log in as “${who.name}”?`;
  ui.loginLinkAccept.textContent = `Log in as ${who.name}`;
  ui.loginLink.hidden = false;
  setLive("Not logged in");
  ui.loginLinkAccept.focus();
  const choice = await new Promise<"accept" | "cancel">((resolve) => {
    ui.loginLinkAccept.addEventListener("click", () => resolve("accept"));
    ui.loginLinkCancel.addEventListener("click", () => resolve("cancel"));
  });
  ui.loginLink.hidden = true;
  return choice;
}

ui.loginForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const token = ui.token.value.trim();
  void logIn(token).then((ok) => {
    if (!ok) return;
    ui.token.value = "";
    ui.login.hidden = true;
    void load();
  });
});

// ---------------------------------------------------------------- loading

async function load(): Promise<void> {
  const res = await fetch(`/api/studies?${studiesQuery(state.filters, state.offset, PAGE_SIZE)}`, {
    headers: { Accept: "application/json" },
    credentials: "same-origin",
  }).catch(() => null);
  if (res === null) {
    setLive("RadZ is not reachable; retrying…");
    scheduleReload(5_000);
    return;
  }
  if (res.status === 401) {
    showLogin();
    return;
  }
  if (!res.ok) {
    const body = (await res.json().catch(() => null)) as { error?: { message?: string } } | null;
    setLive(`Could not load studies: ${body?.error?.message ?? `HTTP ${res.status}`}`);
    return;
  }
  const page = (await res.json()) as StudyPage;
  if (state.events === null) await loadRole();
  ui.login.hidden = true;
  ui.main.hidden = false;
  render(page);
  if (state.events === null) state.events = openEvents();
}

function scheduleReload(delay = RELOAD_DEBOUNCE_MS): void {
  if (state.reloadTimer !== null) clearTimeout(state.reloadTimer);
  state.reloadTimer = setTimeout(() => {
    state.reloadTimer = null;
    void load();
  }, delay);
}

function openEvents() {
  const source = new g.EventSource("/api/events");
  source.onopen = () => setLive("Live: updates appear without reloading", true);
  source.onerror = () => {
    // EventSource reconnects by itself; a closed source (e.g. 401) needs a fresh check.
    if (source.readyState === 2) {
      state.events = null;
      setLive("Live updates stopped; checking…");
      scheduleReload(3_000);
    } else {
      setLive("Reconnecting…");
    }
  };
  source.addEventListener("job", () => scheduleReload());
  return source;
}

// ---------------------------------------------------------------- rendering

function render(page: StudyPage): void {
  const fresh = new Set<number>();
  const rows = page.studies.map((s) => {
    const isNew = !state.firstLoad && !state.seen.has(s.id);
    if (isNew) fresh.add(s.id);
    state.seen.add(s.id);
    for (const f of s.findings) state.labelIds.add(f.labelId);
    return row(s, isNew);
  });
  state.firstLoad = false;
  ui.rows.replaceChildren(...rows);
  ui.empty.hidden = rows.length > 0;
  ui.page.textContent =
    page.studies.length === 0
      ? ""
      : `Studies ${page.offset + 1}–${page.offset + page.studies.length}`;
  ui.prev.disabled = page.offset === 0;
  ui.next.disabled = page.nextOffset === null;
  ui.counts.textContent = Object.entries(page.counts)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k} ${n}`)
    .join(" · ");
  ui.labels.replaceChildren(
    ...[...state.labelIds].sort().map((id) => {
      const o = h("option");
      o.setAttribute("value", id);
      return o;
    }),
  );
  if (fresh.size > 0) {
    const urgent = page.studies.filter((s) => fresh.has(s.id) && s.priority === "urgent").length;
    setLive(
      `${fresh.size} new or updated ${fresh.size === 1 ? "study" : "studies"}${urgent ? `, ${urgent} urgent` : ""}`,
      true,
    );
    setTimeout(() => {
      for (const tr of Array.from(ui.rows.querySelectorAll("tr.new"))) tr.classList.remove("new");
    }, NEW_ROW_HIGHLIGHT_MS);
  }
}

function link(kind: string, href: string, text: string, label: string): UiAnchor {
  const a = h("a", kind, text) as UiAnchor;
  a.href = href;
  a.target = "_blank";
  a.rel = "noopener noreferrer";
  a.setAttribute("aria-label", label);
  return a;
}

function row(s: StudyRow, isNew: boolean): UiElement {
  const tr = h("tr", isNew ? "new" : undefined);
  tr.tabIndex = 0;
  tr.dataset.id = String(s.id);
  tr.dataset.study = s.orthancStudyId;
  tr.dataset.priority = s.priority ?? "";
  const uidText = shortUid(s.studyInstanceUID);

  const pri = h("td");
  const p = priorityText(s.priority, s.state);
  pri.append(h("span", `badge ${s.priority ?? "none"}`, p));

  const findings = h("td", "findings");
  const positives = positiveFindings(s);
  if (positives.length === 0) {
    findings.append(h("span", "muted", s.findings.length ? "no positive finding" : "—"));
  }
  for (const f of positives) {
    const chip = h("span", `finding${s.priority === "urgent" ? " urgent" : ""}`);
    chip.textContent = `${f.display} ${percent(f.probability)}`;
    chip.title = `${f.labelId}: calibrated probability ${f.probability.toFixed(3)}, threshold ${f.threshold.toFixed(2)}`;
    findings.append(chip);
  }

  const st = h("td", s.state === "failed" ? "state-failed" : undefined, stateText(s));
  if (s.error) st.title = s.error.message;
  else if (s.skipReason) st.title = s.skipReason;

  const arrived = h("td", undefined, arrivalText(s.createdAt));
  arrived.title = s.createdAt;

  const study = h("td", "uid", uidText);
  study.title = s.studyInstanceUID ?? s.orthancStudyId;

  const open = h("td", "open");
  const who = `study ${uidText}`;
  if (s.links.explorer)
    open.append(link("explorer", s.links.explorer, "Orthanc", `Open ${who} in Orthanc Explorer`));
  if (s.links.viewer) {
    open.append(
      link("viewer", s.links.viewer, s.links.viewerName, `Open ${who} in ${s.links.viewerName}`),
    );
  }
  const previewUrl = s.links.preview;
  if (previewUrl) {
    const b = h("button", "preview", "Preview");
    b.setAttribute("type", "button");
    b.setAttribute("aria-label", `Preview ${who}`);
    b.addEventListener("click", () => showPreview(previewUrl, who));
    open.append(b);
  }
  const feedback = feedbackButton(s, who);
  if (feedback !== null) open.append(feedback);
  tr.append(pri, patientCell(s), findings, st, arrived, study, open);
  return tr;
}

function showPreview(url: string, who: string): void {
  ui.previewTitle.textContent = `Preview: ${who}`;
  ui.previewImg.alt = `Summary image of ${who}`;
  ui.previewImg.src = url;
  ui.preview.showModal();
  ui.previewClose.focus();
}

ui.previewClose.addEventListener("click", () => ui.preview.close());

// ---------------------------------------------------------------- filters, paging, keys

function applyFilters(next: Filters): void {
  state.filters = next;
  state.offset = 0;
  g.history.replaceState(null, "", `${g.location.pathname}${pageSearch(next)}`);
  void load();
}

function readFilters(): Filters {
  return {
    priority: ui.priority.value,
    state: ui.state.value,
    flag: ui.flag.value.trim(),
    since: ui.since.value,
  };
}

function writeFilters(f: Filters): void {
  ui.priority.value = f.priority;
  ui.state.value = f.state;
  ui.flag.value = f.flag;
  ui.since.value = f.since;
}

for (const input of [ui.priority, ui.state, ui.since, ui.flag]) {
  input.addEventListener("change", () => applyFilters(readFilters()));
}
ui.clear.addEventListener("click", () => {
  writeFilters(emptyFilters());
  applyFilters(emptyFilters());
});
ui.prev.addEventListener("click", () => {
  state.offset = Math.max(0, state.offset - PAGE_SIZE);
  void load();
});
ui.next.addEventListener("click", () => {
  state.offset += PAGE_SIZE;
  void load();
});

function rowOf(target: unknown): UiElement | null {
  const t = target as UiElement | null;
  return t && typeof t.closest === "function" ? t.closest("tr[data-id]") : null;
}

function moveFocus(from: UiElement | null, step: 1 | -1): void {
  const rows = Array.from(ui.rows.querySelectorAll("tr[data-id]"));
  if (rows.length === 0) return;
  const i = from === null ? -1 : rows.indexOf(from);
  const next = rows[Math.min(rows.length - 1, Math.max(0, i + step))];
  next?.focus();
}

doc.addEventListener("keydown", (event: UiKeyboardEvent) => {
  if (event.altKey || event.ctrlKey || event.metaKey || ui.preview.open || feedbackDialogOpen())
    return;
  const target = event.target as UiElement | null;
  const typing = target !== null && /^(INPUT|SELECT|TEXTAREA)$/.test(target.tagName);
  if (typing) return;
  const current = rowOf(target);
  const key = event.key;
  if (key === "/") {
    event.preventDefault();
    ui.priority.focus();
  } else if (key === "ArrowDown" || key === "j") {
    event.preventDefault();
    moveFocus(current, 1);
  } else if (key === "ArrowUp" || key === "k") {
    event.preventDefault();
    moveFocus(current, -1);
  } else if (current !== null && key === "Enter" && target === current) {
    event.preventDefault();
    (current.querySelector("a.explorer") ?? current.querySelector("a"))?.click();
  } else if (current !== null && key === "v") {
    current.querySelector("a.viewer")?.click();
  } else if (current !== null && key === "p") {
    current.querySelector("button.preview")?.click();
  }
});

// ---------------------------------------------------------------- start

async function start(): Promise<void> {
  writeFilters(state.filters);
  const token = loginTokenFromHash(g.location.hash);
  if (token !== null) {
    // One-time login link (radz demo --serve): drop the token from the URL, show whose it is,
    // and trade it for a session only when the user clicks.
    g.history.replaceState(null, "", `${g.location.pathname}${g.location.search}`);
    const choice = await confirmLoginLink(token);
    if (choice === "invalid") return;
    if (choice === "accept" && !(await logIn(token))) return;
  }
  await load();
}

void start();
