/**
 * The service's in-process event bus: the job runner publishes every settled
 * job, the API's reprocess/retry routes publish requeued jobs, and
 * GET /api/events streams them to browsers as Server-Sent Events. One bus per
 * service (built in app.ts); no global.
 */
import type { Job } from "../jobs/index.js";

export type RadzEvent =
  /** A job changed: settled by the runner (done, skipped, failed, queued for retry) or requeued by the API. */
  { readonly type: "job"; readonly job: Job };

export type RadzEventListener = (event: RadzEvent) => void;

export class EventBus {
  readonly #listeners = new Set<RadzEventListener>();
  readonly #closers = new Set<() => void>();
  readonly #onListenerError: (err: unknown) => void;
  #closed = false;

  constructor(options: { onListenerError?: (err: unknown) => void } = {}) {
    this.#onListenerError = options.onListenerError ?? (() => undefined);
  }

  /**
   * Registers a listener (and what to do when the bus closes, e.g. end an SSE
   * stream); returns its unsubscribe function. On a closed bus `onClose` runs at once.
   */
  subscribe(listener: RadzEventListener, onClose?: () => void): () => void {
    if (this.#closed) {
      onClose?.();
      return () => undefined;
    }
    this.#listeners.add(listener);
    if (onClose) this.#closers.add(onClose);
    return () => {
      this.#listeners.delete(listener);
      if (onClose) this.#closers.delete(onClose);
    };
  }

  /** Shutdown: every subscriber's onClose runs (live streams end, so the server can close). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const closers = [...this.#closers];
    this.#closers.clear();
    this.#listeners.clear();
    for (const close of closers) {
      try {
        close();
      } catch (err) {
        this.#onListenerError(err);
      }
    }
  }

  /** Delivers synchronously to every listener; a throwing listener never stops the others. */
  publish(event: RadzEvent): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(event);
      } catch (err) {
        this.#onListenerError(err);
      }
    }
  }

  get listenerCount(): number {
    return this.#listeners.size;
  }
}
