/**
 * One HTTP request for a doctor check: never throws, reports the status, a
 * short body, the time taken, or the network error code. Bodies are capped
 * (doctor reads /system, /plugins, small JSON) and never logged.
 */
import { readTextLimited, ResponseTooLargeError, type FetchLike } from "../security/index.js";

export type ProbeResult =
  | {
      readonly kind: "answer";
      readonly status: number;
      readonly body: string;
      readonly ms: number;
      /** Local clock (epoch ms) halfway through the request. */
      readonly midpoint: number;
    }
  | { readonly kind: "error"; readonly code: string; readonly ms: number };

const MAX_BODY = 1 << 20;

/** The network error code (ECONNREFUSED, …), TIMEOUT, or the innermost error's message. */
function errorCode(err: unknown): string {
  if (err instanceof ResponseTooLargeError) return "RESPONSE_TOO_LARGE";
  let e: unknown = err;
  let message = err instanceof Error ? err.message : "ERROR";
  for (let i = 0; i < 4 && e instanceof Error; i++) {
    if (e.name === "TimeoutError") return "TIMEOUT";
    const code = (e as Error & { code?: unknown }).code;
    if (typeof code === "string") return code;
    message = e.message;
    e = e.cause;
  }
  return message.slice(0, 80);
}

export interface ProbeInit {
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly timeoutMs: number;
  readonly now?: () => number;
}

export async function probe(fetch: FetchLike, url: string, init: ProbeInit): Promise<ProbeResult> {
  const now = init.now ?? Date.now;
  const t0 = now();
  try {
    const res = await fetch(url, {
      method: init.method ?? "GET",
      headers: init.headers,
      body: init.body,
      signal: AbortSignal.timeout(init.timeoutMs),
    });
    const t1 = now();
    const text = await readTextLimited(res, MAX_BODY);
    return {
      kind: "answer",
      status: res.status,
      body: text,
      ms: Math.max(0, now() - t0),
      midpoint: (t0 + t1) / 2,
    };
  } catch (err) {
    return { kind: "error", code: errorCode(err), ms: Math.max(0, now() - t0) };
  }
}

export function jsonOf(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}
