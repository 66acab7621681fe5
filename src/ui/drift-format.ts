/**
 * Pure helpers of the worklist's drift chart (drift-chart.ts): what GET
 * /api/drift returns, the text per label and the sparkline's geometry. No DOM
 * here, so they are unit-tested under Node.
 */

export type DriftLevel = "reference" | "collecting" | "ok" | "watch" | "alert";

export interface DriftLabel {
  readonly label: string;
  readonly display: string;
  readonly level: DriftLevel;
  readonly psi: number | null;
  readonly alerting: boolean;
  readonly history: readonly { readonly at: number; readonly psi: number }[];
}

export interface DriftState {
  readonly enabled: boolean;
  readonly settings?: {
    readonly referenceSize: number;
    readonly windowSize: number;
    readonly minWindowSize: number;
    readonly watchLevel: number;
    readonly alertLevel: number;
  };
  readonly referenceCount?: number;
  readonly windowCount?: number;
  readonly labels?: readonly DriftLabel[];
}

/** Sparkline size in SVG user units. */
export const SPARK_WIDTH = 160;
export const SPARK_HEIGHT = 36;

/** The y scale's top: the alert level with head room, or the highest PSI drawn. */
export function sparkMax(history: readonly { psi: number }[], alertLevel: number): number {
  return Math.max(alertLevel * 1.6, ...history.map((p) => p.psi));
}

/** y of a PSI value (0 at the bottom, `max` at the top), in SVG user units. */
export function sparkY(psi: number, max: number): number {
  const y = SPARK_HEIGHT - (Math.min(psi, max) / max) * (SPARK_HEIGHT - 2) - 1;
  return Math.round(y * 100) / 100;
}

/** The polyline's points ("x,y x,y …"), oldest left; "" with fewer than one point. */
export function sparkPoints(history: readonly { psi: number }[], max: number): string {
  if (history.length === 0) return "";
  const step = history.length > 1 ? SPARK_WIDTH / (history.length - 1) : 0;
  return history
    .map((p, i) => `${Math.round(i * step * 100) / 100},${sparkY(p.psi, max)}`)
    .join(" ");
}

/** What the label's line says beside its chart. */
export function driftText(l: DriftLabel, s: DriftState): string {
  const set = s.settings;
  if (l.level === "reference")
    return `reference: ${s.referenceCount ?? 0} of ${set?.referenceSize ?? "?"} studies`;
  if (l.level === "collecting")
    return `collecting: ${s.windowCount ?? 0} of ${set?.minWindowSize ?? "?"} studies`;
  return `PSI ${l.psi === null ? "–" : l.psi.toFixed(2)} · ${l.level}`;
}

/** The chart's accessible name. */
export function driftAriaLabel(l: DriftLabel, s: DriftState): string {
  const set = s.settings;
  const levels = set ? `; watch at ${set.watchLevel}, alert at ${set.alertLevel}` : "";
  return `${l.display}: ${driftText(l, s)}${levels}; PSI over the last ${l.history.length} studies`;
}
