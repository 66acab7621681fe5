/**
 * One error responder for every route (the API and the Orthanc webhook):
 * a failure answers `{"error": {"code", "message"}}` with the HTTP status its
 * code has in the error catalogue (src/errors.ts) — never a status chosen by
 * an error's message text.
 *
 * What express' body parsers throw (http-errors: a 4xx `status` and a `type`)
 * becomes INPUT_TOO_LARGE (a body over the route's limit) or INPUT_INVALID;
 * anything else not a RadzError becomes INTERNAL (toRadzError).
 */
import type { ErrorRequestHandler } from "express";
import { RadzError, toRadzError } from "../errors.js";
import type { Logger } from "../observability/index.js";

interface BodyParserError {
  readonly status: number;
  readonly type?: unknown;
  readonly limit?: unknown;
}

function isBodyParserError(err: unknown): err is BodyParserError {
  return (
    typeof err === "object" &&
    err !== null &&
    !(err instanceof RadzError) &&
    "status" in err &&
    typeof err.status === "number" &&
    err.status >= 400 &&
    err.status < 500
  );
}

/** The RadzError a request fails with, for whatever a handler or body parser threw. */
export function requestError(err: unknown): RadzError {
  if (!isBodyParserError(err)) return toRadzError(err);
  if (err.type === "entity.too.large") {
    const limit = typeof err.limit === "number" ? ` larger than ${err.limit} bytes` : " too large";
    return new RadzError("INPUT_TOO_LARGE", `request body${limit}`, { cause: err });
  }
  return new RadzError("INPUT_INVALID", "malformed request", { cause: err });
}

export interface ErrorResponderOptions {
  readonly logger: Logger;
  /** The log message of an answer >= 500 (logged at error, with the code). */
  readonly logMessage: string;
  /** Sees each error answered; `parser` when a body parser refused the request. */
  readonly onError?: (error: RadzError, from: { parser: boolean }) => void;
}

/** The express error handler that answers every failure of the routes above it. */
export function errorResponder(o: ErrorResponderOptions): ErrorRequestHandler {
  return (err: unknown, _req, res, next) => {
    if (res.headersSent) {
      next(err);
      return;
    }
    const e = requestError(err);
    o.onError?.(e, { parser: isBodyParserError(err) });
    if (e.httpStatus >= 500) o.logger.error({ code: e.code, err: e.message }, o.logMessage);
    res.status(e.httpStatus).json({ error: e.toJSON() });
  };
}
