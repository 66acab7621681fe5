/**
 * Drift monitoring (issue 21): per label, how far the distribution of the
 * calibrated probabilities of the last `windowSize` studies has moved from
 * the reference window (the first `referenceSize` studies scored under the
 * current reference key), as a PSI (psi.ts). See docs/drift.md.
 *
 * The reference key is the model's label-set hash: it changes with the
 * bundle, its version, the labels, their calibration and the site adaptation,
 * and a new key starts a new reference (the old key's samples are left as
 * they were; going back to it resumes its windows).
 *
 * Levels: `ok` below watchLevel, `watch` from it, `alert` from alertLevel.
 * An alert (a log line and, via onAlert, the signed webhook event) fires once
 * per crossing: the alert state is stored (drift_state) before the alert is
 * raised, so a restart neither repeats nor forgets it, and it is re-armed only
 * once the label's PSI is back below watchLevel.
 */
import type { Job } from "../jobs/index.js";
import type { Logger } from "../observability/index.js";
import type { DriftSample, DriftStore } from "./drift-store.js";
import { populationStabilityIndex } from "./psi.js";

export interface DriftSettings {
  readonly referenceSize: number;
  readonly windowSize: number;
  readonly minWindowSize: number;
  readonly bins: number;
  readonly watchLevel: number;
  readonly alertLevel: number;
}

/** reference: the reference window is still filling; collecting: the current window is below minWindowSize. */
export type DriftLevel = "reference" | "collecting" | "ok" | "watch" | "alert";

/** What an alert says (no PHI: label ids, scores, the job that made the label cross). */
export interface DriftAlert {
  readonly label: string;
  readonly display: string;
  readonly psi: number;
  readonly alertLevel: number;
  readonly referenceKey: string;
  readonly referenceSize: number;
  readonly windowSize: number;
  /** The study whose result made the label cross. */
  readonly job: { readonly id: number; readonly orthancStudyId: string };
}

export interface LabelDrift {
  readonly label: string;
  readonly display: string;
  readonly level: DriftLevel;
  /** PSI of the current window (null until the windows are big enough). */
  readonly psi: number | null;
  /** In the alert state (stored; re-armed below watchLevel). */
  readonly alerting: boolean;
  /** Upper bin edges (reference quantiles) and the smoothed shares per bin (null until the windows are big enough). */
  readonly bins: {
    readonly edges: readonly number[];
    readonly reference: readonly number[];
    readonly current: readonly number[];
  } | null;
  /** PSI after each of the last studies (oldest first): `at` is when that study was recorded (epoch ms). */
  readonly history: readonly { readonly at: number; readonly psi: number }[];
}

export interface DriftSnapshot {
  readonly referenceKey: string;
  readonly settings: DriftSettings;
  /** Studies in the reference window (up to referenceSize) and in the current window (up to windowSize). */
  readonly referenceCount: number;
  readonly windowCount: number;
  readonly labels: readonly LabelDrift[];
}

export interface DriftMonitorOptions {
  readonly store: DriftStore;
  readonly settings: DriftSettings;
  /** The loaded model's label-set hash. */
  readonly referenceKey: string;
  readonly labels: readonly { readonly id: string; readonly display: string }[];
  readonly logger: Logger;
  /** Called once per crossing, after the alert state is stored (e.g. the webhook notifier). */
  readonly onAlert?: (alert: DriftAlert) => void;
  /** PSI points kept for the chart (default 100). */
  readonly historyPoints?: number;
}

export class DriftMonitor {
  readonly #o: DriftMonitorOptions;
  readonly #history: number;
  /** The reference window (complete once it has referenceSize samples). */
  readonly #reference: DriftSample[];
  /** Samples after the reference, oldest first: the current window plus what the chart's history needs. */
  readonly #recent: DriftSample[];
  readonly #alerting: Set<string>;
  /** The PSI of the last evaluation per label. */
  #psi = new Map<string, number>();

  constructor(options: DriftMonitorOptions) {
    this.#o = options;
    this.#history = options.historyPoints ?? 100;
    const { store, referenceKey: key, settings } = options;
    this.#reference = store.first(key, settings.referenceSize);
    this.#recent =
      this.#reference.length < settings.referenceSize
        ? []
        : store.lastAfter(key, this.#lastReferenceId(), this.#keep());
    this.#alerting = store.alerting(key);
    this.#psi = this.#evaluate(this.#recent.length);
  }

  get referenceKey(): string {
    return this.#o.referenceKey;
  }

  /** A settled job (JobRunner onSettled): a done job scored under the reference key is a sample. */
  observe(job: Job): void {
    const r = job.result;
    if (job.state !== "done" || r === null || r.model.labelSetHash !== this.#o.referenceKey) return;
    const scores: Record<string, number> = {};
    for (const f of r.findings)
      if (Number.isFinite(f.probability)) scores[f.labelId] = f.probability;
    const { store, referenceKey: key, settings } = this.#o;
    const sample = store.addSample(key, job.id, scores);
    if (sample === null) return;
    if (this.#reference.length < settings.referenceSize) {
      this.#reference.push(sample);
      if (this.#reference.length === settings.referenceSize) {
        this.#o.logger.info(
          { referenceKey: key, studies: settings.referenceSize },
          "drift reference window complete",
        );
      }
      return;
    }
    this.#recent.push(sample);
    const excess = this.#recent.length - this.#keep();
    if (excess > 0) {
      this.#recent.splice(0, excess);
      store.prune(key, this.#lastReferenceId(), this.#recent[0]!.id);
    }
    this.#psi = this.#evaluate(this.#recent.length);
    this.#checkLevels(job);
  }

  /** The last evaluated PSI per label (labels still collecting are absent). */
  psiByLabel(): ReadonlyMap<string, number> {
    return this.#psi;
  }

  snapshot(): DriftSnapshot {
    const { settings } = this.#o;
    const windowCount = Math.min(this.#recent.length, settings.windowSize);
    const referenceDone = this.#reference.length >= settings.referenceSize;
    // PSI after each of the last studies: the window that ended with it.
    const points: { at: number; psi: Map<string, number> }[] = [];
    const first = Math.max(settings.minWindowSize, this.#recent.length - this.#history + 1);
    for (let end = first; referenceDone && end <= this.#recent.length; end++) {
      points.push({ at: this.#recent[end - 1]!.createdAt, psi: this.#evaluate(end) });
    }
    const labels = this.#o.labels.map((l): LabelDrift => {
      const psi = this.#psi.get(l.id) ?? null;
      const alerting = this.#alerting.has(l.id);
      const bins =
        psi === null
          ? null
          : (({ edges, reference, current }) => ({ edges, reference, current }))(
              populationStabilityIndex(
                this.#scores(this.#reference, l.id),
                this.#scores(this.#window(this.#recent.length), l.id),
                settings.bins,
              ),
            );
      return {
        label: l.id,
        display: l.display,
        level: !referenceDone
          ? "reference"
          : psi === null
            ? "collecting"
            : alerting || psi >= settings.alertLevel
              ? "alert"
              : psi >= settings.watchLevel
                ? "watch"
                : "ok",
        psi,
        alerting,
        bins,
        history: points.flatMap((p) => {
          const v = p.psi.get(l.id);
          return v === undefined ? [] : [{ at: p.at, psi: v }];
        }),
      };
    });
    return {
      referenceKey: this.#o.referenceKey,
      settings,
      referenceCount: this.#reference.length,
      windowCount,
      labels,
    };
  }

  #keep(): number {
    return this.#o.settings.windowSize + this.#history - 1;
  }

  #lastReferenceId(): number {
    return this.#reference[this.#reference.length - 1]?.id ?? 0;
  }

  /** The current window as it was when the `end`-th recent sample came in. */
  #window(end: number): DriftSample[] {
    return this.#recent.slice(Math.max(0, end - this.#o.settings.windowSize), end);
  }

  #scores(samples: readonly DriftSample[], label: string): number[] {
    const out: number[] = [];
    for (const s of samples) {
      const v = s.scores[label];
      if (v !== undefined) out.push(v);
    }
    return out;
  }

  /** PSI per label of the window ending at the `end`-th recent sample (none while too small). */
  #evaluate(end: number): Map<string, number> {
    const { settings } = this.#o;
    const out = new Map<string, number>();
    if (this.#reference.length < settings.referenceSize) return out;
    const window = this.#window(end);
    for (const l of this.#o.labels) {
      const ref = this.#scores(this.#reference, l.id);
      const cur = this.#scores(window, l.id);
      if (ref.length === 0 || cur.length < settings.minWindowSize) continue;
      out.set(l.id, populationStabilityIndex(ref, cur, settings.bins).psi);
    }
    return out;
  }

  #checkLevels(job: Job): void {
    const { store, referenceKey: key, settings, logger } = this.#o;
    for (const l of this.#o.labels) {
      const psi = this.#psi.get(l.id);
      if (psi === undefined) continue;
      const psiRounded = Math.round(psi * 1e4) / 1e4;
      if (psi >= settings.alertLevel && !this.#alerting.has(l.id)) {
        if (!store.setAlerting(key, l.id, true, psi)) continue;
        this.#alerting.add(l.id);
        const alert: DriftAlert = {
          label: l.id,
          display: l.display,
          psi,
          alertLevel: settings.alertLevel,
          referenceKey: key,
          referenceSize: this.#reference.length,
          windowSize: Math.min(this.#recent.length, settings.windowSize),
          job: { id: job.id, orthancStudyId: job.orthancStudyId },
        };
        logger.warn(
          {
            code: "DRIFT_ALERT",
            label: l.id,
            psi: psiRounded,
            alertLevel: settings.alertLevel,
            referenceKey: key,
            jobId: job.id,
          },
          "label score distribution drifted past drift.alertLevel",
        );
        try {
          this.#o.onAlert?.(alert);
        } catch (err) {
          logger.error({ label: l.id, err: (err as Error).message }, "drift alert observer failed");
        }
      } else if (psi < settings.watchLevel && this.#alerting.has(l.id)) {
        if (!store.setAlerting(key, l.id, false, psi)) continue;
        this.#alerting.delete(l.id);
        logger.info(
          { label: l.id, psi: psiRounded, watchLevel: settings.watchLevel, referenceKey: key },
          "label drift back below drift.watchLevel; alert re-armed",
        );
      }
    }
  }
}
