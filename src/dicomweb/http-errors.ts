/**
 * One mapping from HTTP outcomes to error codes for every DICOMweb request:
 *
 *   network error (refused, reset, DNS)  -> DICOMWEB_UNREACHABLE (transient)
 *   no complete answer within timeoutMs  -> DICOMWEB_TIMEOUT     (transient)
 *   5xx or 429                           -> DICOMWEB_HTTP_ERROR  (transient)
 *   other 4xx                            -> DICOMWEB_REJECTED    (permanent)
 *   unusable 2xx (truncated, bad type)   -> DICOMWEB_BAD_RESPONSE (transient)
 *   answer past the bounded reader's cap -> DICOMWEB_RESPONSE_TOO_LARGE (permanent)
 */
import { RadzError, type ErrorCode } from "../errors.js";

export function statusErrorCode(status: number): ErrorCode {
  if (status === 429 || status >= 500) return "DICOMWEB_HTTP_ERROR";
  if (status >= 400) return "DICOMWEB_REJECTED";
  return "DICOMWEB_BAD_RESPONSE";
}

/**
 * `retryAfterMs`: the server's Retry-After (429/503), kept in details so the
 * job runner waits at least that long before the next attempt.
 */
export function statusError(what: string, status: number, retryAfterMs?: number): RadzError {
  return new RadzError(statusErrorCode(status), `${what} answered HTTP ${status}`, {
    details: retryAfterMs === undefined ? { status } : { status, retryAfterMs },
  });
}

export function timeoutError(what: string, timeoutMs: number): RadzError {
  return new RadzError("DICOMWEB_TIMEOUT", `${what} did not complete within ${timeoutMs} ms`, {
    details: { timeoutMs },
  });
}

export function badResponse(what: string, reason: string, cause?: unknown): RadzError {
  return new RadzError(
    "DICOMWEB_BAD_RESPONSE",
    `${what}: ${reason}`,
    cause === undefined ? undefined : { cause },
  );
}

/** The answer passed the bounded reader's cap (security/response-body.ts); the download was cancelled. */
export function tooLargeError(what: string, maxBytes: number): RadzError {
  return new RadzError(
    "DICOMWEB_RESPONSE_TOO_LARGE",
    `${what}: the answer is larger than ${maxBytes} bytes`,
    { details: { maxBytes } },
  );
}

/** ECONNREFUSED, ENOTFOUND, ECONNRESET, ... from an error's `code` or cause chain. */
export function systemErrorCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < 4 && e instanceof Error; depth++) {
    const code = (e as Error & { code?: unknown }).code;
    if (typeof code === "string") return code;
    e = e.cause;
  }
  return undefined;
}

export function unreachableError(what: string, err: unknown): RadzError {
  const code = systemErrorCode(err);
  return new RadzError(
    "DICOMWEB_UNREACHABLE",
    `${what} failed: ${code ?? (err instanceof Error ? err.message : String(err))}`,
    { cause: err, details: { errno: code } },
  );
}
