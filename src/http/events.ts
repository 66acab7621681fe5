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
  readonly #onListenerError: (err: unknown) => void;

  constructor(options: { onListenerError?: (err: unknown) => void } = {}) {
    this.#onListenerError = options.onListenerError ?? (() => undefined);
  }

  /** Registers a listener; returns its unsubscribe function. */
  subscribe(listener: RadzEventListener): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
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
