/**
 * Refusals logged in aggregate: what an unauthenticated client can trigger
 * (a refused connection, a bad webhook signature, a failed authentication)
 * is counted, and one line per interval carries the counts — never one line
 * per request, so a flood cannot fill the log (docs/security.md, "What is
 * logged"). The first occurrence of a key in an interval is logged at once,
 * so a single refusal is still seen when it happens.
 */
import type { Logger } from "./logger.js";

export interface LogTallyOptions {
  readonly logger: Logger;
  /** The message of the summary line, e.g. "webhook refusals". */
  readonly message: string;
  /** Fields on every line (e.g. { audit: true, event: "auth.failed" }). */
  readonly fields?: Readonly<Record<string, unknown>>;
  /** Length of one interval (default 60 s). */
  readonly intervalMs?: number;
  readonly level?: "info" | "warn";
}

export class LogTally {
  readonly #o: LogTallyOptions;
  readonly #counts = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;
  #since = Date.now();

  constructor(options: LogTallyOptions) {
    this.#o = options;
  }

  /**
   * Counts one event under `key` (a fixed reason, never request data). The
   * first of a key in an interval is logged with `detail`; the rest only
   * appear in the interval's summary.
   */
  count(key: string, detail: Readonly<Record<string, unknown>> = {}): void {
    const n = (this.#counts.get(key) ?? 0) + 1;
    this.#counts.set(key, n);
    if (n === 1) this.#log({ ...detail, reason: key, first: true }, this.#o.message);
    this.#timer ??= setTimeout(() => this.flush(), this.#o.intervalMs ?? 60_000).unref();
  }

  /** Writes the interval's counts (only keys seen more than once) and starts a new interval. */
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const repeated = [...this.#counts].filter(([, n]) => n > 1);
    if (repeated.length > 0) {
      const counts = Object.fromEntries(repeated);
      const total = repeated.reduce((sum, [, n]) => sum + n, 0);
      this.#log(
        { counts, total, intervalMs: Date.now() - this.#since },
        `${this.#o.message} (summary)`,
      );
    }
    this.#counts.clear();
    this.#since = Date.now();
  }

  /** Flushes and stops the timer. */
  close(): void {
    this.flush();
  }

  #log(fields: Record<string, unknown>, message: string): void {
    const line = { ...this.#o.fields, ...fields };
    if (this.#o.level === "info") this.#o.logger.info(line, message);
    else this.#o.logger.warn(line, message);
  }
}
