/**
 * Failed-authentication limiting that a shared address cannot turn into a
 * lockout of others, nor a rotating X-Forwarded-For into an evasion
 * (docs/security.md, "Failed authentications").
 *
 * Failures are counted per key in fixed windows. A request's keys are:
 *
 *   addr:<client address>   the address express reports (trust proxy, hops counted)
 *   peer:<socket address>   the hop that really connected, when it differs:
 *                           forged X-Forwarded-For values all land here
 *   token:<digest prefix>   the presented token's own key (a hash of its
 *                           first characters), so guesses at one token are
 *                           braked wherever they come from
 *
 * The gate asks two questions: a request presenting a token whose `token:`
 * key is over the limit is refused (429), a right guess included; a request
 * that fails authentication while any of its address keys is over the limit
 * gets 429 instead of 401. A request with a valid token is never refused for
 * failures counted against its address, so a client behind a NAT or proxy
 * keeps working while another client there fails.
 */
import { createHash } from "node:crypto";

export interface FailureLimiterOptions {
  /** Failures per key and window before the key is limited. */
  readonly max: number;
  readonly windowMs: number;
  /** Most keys kept (the oldest window is dropped first; default 100 000). */
  readonly maxKeys?: number;
  readonly now?: () => number;
}

interface Window {
  count: number;
  readonly resetAt: number;
}

/** Characters of a token that key its brake (after any "radz_" prefix: 60 bits). */
const TOKEN_KEY_CHARS = 15;

/** The brake key of a presented token: a digest of its first characters, never the token. */
export function tokenKey(token: string): string {
  const head = token.slice(0, TOKEN_KEY_CHARS);
  return `token:${createHash("sha256").update(head, "utf8").digest("base64url").slice(0, 16)}`;
}

export class FailureLimiter {
  readonly #o: FailureLimiterOptions;
  readonly #windows = new Map<string, Window>();

  constructor(options: FailureLimiterOptions) {
    this.#o = options;
  }

  #now(): number {
    return (this.#o.now ?? Date.now)();
  }

  #live(key: string): Window | undefined {
    const w = this.#windows.get(key);
    if (w === undefined) return undefined;
    if (w.resetAt <= this.#now()) {
      this.#windows.delete(key);
      return undefined;
    }
    return w;
  }

  /** Counts one failure under each key. */
  fail(keys: readonly string[]): void {
    const now = this.#now();
    for (const key of keys) {
      const w = this.#live(key);
      if (w) w.count++;
      else {
        if (this.#windows.size >= (this.#o.maxKeys ?? 100_000)) {
          const oldest = this.#windows.keys().next().value;
          if (oldest !== undefined) this.#windows.delete(oldest);
        }
        this.#windows.set(key, { count: 1, resetAt: now + this.#o.windowMs });
      }
    }
  }

  /** When the first of `keys` over the limit frees up (epoch ms), or null when none is. */
  limitedUntil(keys: readonly string[]): number | null {
    let until: number | null = null;
    for (const key of keys) {
      const w = this.#live(key);
      if (w && w.count >= this.#o.max) until = Math.max(until ?? 0, w.resetAt);
    }
    return until;
  }
}
