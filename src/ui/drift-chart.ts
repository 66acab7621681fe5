/**
 * The worklist's drift section (browser module, served as /ui/drift-chart.js;
 * docs/drift.md): per label, a sparkline of its PSI over the last studies with
 * the watch and alert levels, and its level. Kept apart from worklist.ts: it
 * reads GET /api/drift only while the worklist is shown (logged in), every
 * DRIFT_REFRESH_MS, and draws with SVG elements (no library, no innerHTML).
 */
import type { UiElement, UiGlobals } from "./dom-types.js";
import {
  driftAriaLabel,
  driftText,
  SPARK_HEIGHT,
  SPARK_WIDTH,
  sparkMax,
  sparkPoints,
  sparkY,
  type DriftLabel,
  type DriftState,
} from "./drift-format.js";

const DRIFT_REFRESH_MS = 15_000;
const CHECK_MS = 1_000;
const SVG_NS = "http://www.w3.org/2000/svg";

const g = globalThis as unknown as UiGlobals & {
  document: { createElementNS(ns: string, tag: string): UiElement };
};
const doc = g.document;

function h(tag: string, className?: string, text?: string): UiElement {
  const e = doc.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

function svg(tag: string, attrs: Record<string, string | number>): UiElement {
  const e = doc.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

function sparkline(l: DriftLabel, s: DriftState): UiElement {
  const alert = s.settings?.alertLevel ?? 0.25;
  const watch = s.settings?.watchLevel ?? 0.1;
  const max = sparkMax(l.history, alert);
  const chart = svg("svg", {
    viewBox: `0 0 ${SPARK_WIDTH} ${SPARK_HEIGHT}`,
    width: SPARK_WIDTH,
    height: SPARK_HEIGHT,
    role: "img",
    class: "drift-spark",
    "aria-label": driftAriaLabel(l, s),
  });
  for (const [level, cls] of [
    [watch, "drift-watch-line"],
    [alert, "drift-alert-line"],
  ] as const) {
    const y = sparkY(level, max);
    chart.append(svg("line", { x1: 0, x2: SPARK_WIDTH, y1: y, y2: y, class: cls }));
  }
  const points = sparkPoints(l.history, max);
  if (points !== "") chart.append(svg("polyline", { points, class: "drift-psi-line" }));
  return chart;
}

function render(section: UiElement, list: UiElement, s: DriftState): void {
  if (!s.enabled || !s.labels) {
    section.hidden = true;
    return;
  }
  list.replaceChildren(
    ...s.labels.map((l) => {
      const item = h("li", `drift-label drift-${l.level}`);
      item.dataset.label = l.label;
      item.dataset.level = l.level;
      item.append(
        h("span", "drift-name", l.display),
        sparkline(l, s),
        h("span", "drift-value", driftText(l, s)),
      );
      return item;
    }),
  );
  section.hidden = false;
}

function start(): void {
  const main = doc.getElementById("main");
  const section = doc.getElementById("drift");
  const list = doc.getElementById("drift-labels");
  if (main === null || section === null || list === null) return;
  let last = 0;
  let busy = false;
  const tick = async (): Promise<void> => {
    // Only while the worklist is shown: before login the API would answer 401.
    if (busy || main.hidden || Date.now() - last < DRIFT_REFRESH_MS) return;
    busy = true;
    try {
      const res = await fetch("/api/drift", {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      if (res.ok) render(section, list, (await res.json()) as DriftState);
      last = Date.now();
    } catch {
      last = Date.now(); // offline: try again at the next refresh
    } finally {
      busy = false;
    }
  };
  setInterval(() => void tick(), CHECK_MS);
  void tick();
}

start();
