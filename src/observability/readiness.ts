/**
 * Readiness for GET /readyz: the model is loaded and Orthanc answered
 * recently. "Recently" is any successful request within `freshForMs` (the
 * change feed polls every few seconds, so usually no extra request is made);
 * when the last contact is older — polling off, or Orthanc silent — one short
 * probe (GET /system) is made, shared by concurrent /readyz calls.
 */

export interface ReadinessReport {
  readonly ready: boolean;
  readonly model: boolean;
  readonly orthanc: {
    readonly reachable: boolean;
    /** Milliseconds since Orthanc last answered, or null when it never did. */
    readonly lastContactAgoMs: number | null;
  };
}

export interface ReadinessOptions {
  modelLoaded: () => boolean;
  /** Epoch ms of Orthanc's last successful answer, or null. */
  lastOrthancSuccessAt: () => number | null;
  /** One short request to Orthanc; resolves when it answered, rejects otherwise. */
  probeOrthanc: () => Promise<void>;
  /** Records a probe's outcome (so that metrics see it too). */
  recordContact?: (ok: boolean) => void;
  /** How old the last contact may be (default 30 s). */
  freshForMs?: number;
  now?: () => number;
}

export class ReadinessProbe {
  private inFlight: Promise<boolean> | null = null;
  private readonly now: () => number;

  constructor(private readonly o: ReadinessOptions) {
    this.now = o.now ?? Date.now;
  }

  private fresh(): boolean {
    const at = this.o.lastOrthancSuccessAt();
    return at !== null && this.now() - at <= (this.o.freshForMs ?? 30_000);
  }

  async check(): Promise<ReadinessReport> {
    const model = this.o.modelLoaded();
    let reachable = this.fresh();
    if (!reachable) {
      this.inFlight ??= this.o
        .probeOrthanc()
        .then(
          () => true,
          () => false,
        )
        .then((ok) => {
          this.o.recordContact?.(ok);
          return ok;
        })
        .finally(() => {
          this.inFlight = null;
        });
      reachable = await this.inFlight;
    }
    const at = this.o.lastOrthancSuccessAt();
    return {
      ready: model && reachable,
      model,
      orthanc: { reachable, lastContactAgoMs: at === null ? null : Math.max(0, this.now() - at) },
    };
  }
}
