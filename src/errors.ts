/**
 * One catalogue of typed errors. Every failure that can reach a job record, an
 * API response or a log line is a RadzError with a stable code from this table.
 * Retry decisions are made on the code's class (transient / permanent), never
 * on message text. docs/errors.md documents every code (a test enforces it).
 *
 * Messages must never contain PHI (patient name, ID, birth date, accession
 * number): callers pass Orthanc IDs or hashed UIDs only.
 */

export const ErrorClass = {
  /** Worth retrying later: network, timeouts, 5xx, busy servers. */
  Transient: "transient",
  /** Will fail again the same way: bad input, unsupported data, bad config. */
  Permanent: "permanent",
} as const;
export type ErrorClass = (typeof ErrorClass)[keyof typeof ErrorClass];

interface ErrorSpec {
  readonly cls: ErrorClass;
  readonly http: number;
  readonly summary: string;
}

export const ERROR_CATALOGUE = {
  CONFIG_INVALID: { cls: "permanent", http: 500, summary: "The configuration failed validation." },
  CONFIG_FILE_UNREADABLE: {
    cls: "permanent",
    http: 500,
    summary: "The configuration file could not be read or parsed.",
  },

  ORTHANC_UNREACHABLE: {
    cls: "transient",
    http: 502,
    summary: "Orthanc did not answer (connection refused, reset or DNS failure).",
  },
  ORTHANC_TIMEOUT: {
    cls: "transient",
    http: 504,
    summary: "Orthanc did not answer within the configured timeout.",
  },
  ORTHANC_HTTP_ERROR: {
    cls: "transient",
    http: 502,
    summary: "Orthanc answered with a server error (5xx) or 429.",
  },
  ORTHANC_REJECTED: {
    cls: "permanent",
    http: 502,
    summary: "Orthanc refused the request (4xx other than 429).",
  },
  ORTHANC_NOT_FOUND: {
    cls: "permanent",
    http: 404,
    summary: "The Orthanc resource does not exist (deleted or never stored).",
  },
  ORTHANC_RESPONSE_TOO_LARGE: {
    cls: "permanent",
    http: 502,
    summary: "Orthanc's answer was larger than RadZ reads from it; the download was cancelled.",
  },

  DICOMWEB_UNREACHABLE: {
    cls: "transient",
    http: 502,
    summary: "The DICOMweb server did not answer.",
  },
  DICOMWEB_TIMEOUT: { cls: "transient", http: 504, summary: "A DICOMweb request timed out." },
  DICOMWEB_HTTP_ERROR: {
    cls: "transient",
    http: 502,
    summary: "The DICOMweb server answered with a server error (5xx) or 429.",
  },
  DICOMWEB_REJECTED: {
    cls: "permanent",
    http: 502,
    summary: "The DICOMweb server refused the request (4xx other than 429).",
  },
  DICOMWEB_BAD_RESPONSE: {
    cls: "transient",
    http: 502,
    summary:
      "A DICOMweb response could not be parsed (truncated body, bad multipart, wrong content type).",
  },
  DICOMWEB_INSTANCE_TOO_LARGE: {
    cls: "permanent",
    http: 413,
    summary: "A retrieved instance is larger than the configured limit.",
  },
  DICOMWEB_RESPONSE_TOO_LARGE: {
    cls: "permanent",
    http: 502,
    summary: "A QIDO-RS or STOW-RS answer was larger than RadZ reads; the download was cancelled.",
  },
  STOW_FAILED: {
    cls: "transient",
    http: 502,
    summary: "STOW-RS did not store the object (Failed SOP Sequence or HTTP error).",
  },

  DICOM_PARSE_ERROR: {
    cls: "permanent",
    http: 422,
    summary: "The DICOM Part-10 file could not be parsed.",
  },
  DICOM_NO_PIXEL_DATA: { cls: "permanent", http: 422, summary: "The instance has no Pixel Data." },
  DICOM_UNSUPPORTED_TRANSFER_SYNTAX: {
    cls: "permanent",
    http: 422,
    summary: "The instance's transfer syntax cannot be decoded.",
  },
  DICOM_UNSUPPORTED_PIXEL_FORMAT: {
    cls: "permanent",
    http: 422,
    summary: "The pixel format (bits, photometric interpretation, samples) is not supported.",
  },
  DICOM_IMAGE_TOO_LARGE: {
    cls: "permanent",
    http: 422,
    summary: "Rows x Columns exceeds the configured limit.",
  },
  DICOM_PIXEL_DATA_TRUNCATED: {
    cls: "permanent",
    http: 422,
    summary: "Pixel Data is shorter than Rows x Columns x samples x bits require.",
  },
  DICOM_ENCAPSULATION_INVALID: {
    cls: "permanent",
    http: 422,
    summary:
      "Encapsulated Pixel Data does not add up: fragments, offset tables and frames disagree, or a frame is empty.",
  },
  DICOM_CODEC_ERROR: {
    cls: "permanent",
    http: 422,
    summary: "The compressed pixel data of a frame could not be decoded (corrupt or inconsistent).",
  },

  NO_ELIGIBLE_IMAGES: {
    cls: "permanent",
    http: 422,
    summary: "The study has no image the selection rules accept (not a chest radiograph).",
  },

  BUNDLE_INVALID: {
    cls: "permanent",
    http: 500,
    summary: "The model bundle manifest (bundle.json) failed validation.",
  },
  BUNDLE_FILE_MISSING: {
    cls: "permanent",
    http: 500,
    summary: "A file named in the model bundle is missing.",
  },
  BUNDLE_HASH_MISMATCH: {
    cls: "permanent",
    http: 500,
    summary: "A model bundle file does not match its sha256 in bundle.json.",
  },
  BUNDLE_MODEL_MISMATCH: {
    cls: "permanent",
    http: 500,
    summary: "An ONNX model's inputs or outputs do not match what bundle.json declares.",
  },
  BUNDLE_LABEL_EMBEDDING_MISSING: {
    cls: "permanent",
    http: 500,
    summary: "A label has no text embedding and the bundle has no text encoder to compute one.",
  },
  CALIBRATION_OVERLAY_INVALID: {
    cls: "permanent",
    http: 500,
    summary:
      "The calibration overlay cannot be read or does not fit the model (other bundle, changed prompts).",
  },
  ADAPTATION_INVALID: {
    cls: "permanent",
    http: 500,
    summary:
      "The site adaptation cannot be read or does not fit the model (other bundle, changed bundle or prompts).",
  },
  GPU_UNAVAILABLE: {
    cls: "permanent",
    http: 500,
    summary: "model.requireGpu is set but the CUDA execution provider could not be used.",
  },
  INFERENCE_FAILED: {
    cls: "transient",
    http: 500,
    summary: "The inference backend failed to run the model.",
  },
  INFERENCE_BAD_OUTPUT: {
    cls: "permanent",
    http: 500,
    summary: "The model produced NaN/Inf or an output of the wrong shape.",
  },
  INFERENCE_QUEUE_FULL: {
    cls: "transient",
    http: 503,
    summary: "An inference worker's request queue is full; retry later or on another worker.",
  },
  INFERENCE_REMOTE_UNAVAILABLE: {
    cls: "transient",
    http: 503,
    summary:
      "No configured inference endpoint could run the request (down, not ready, or every attempt failed).",
  },
  INFERENCE_REMOTE_TIMEOUT: {
    cls: "transient",
    http: 504,
    summary: "An inference endpoint did not answer within inference.timeoutMs.",
  },
  INFERENCE_REMOTE_REJECTED: {
    cls: "permanent",
    http: 502,
    summary:
      "An inference endpoint refused the request as malformed (HTTP 400); the model or bundle does not match.",
  },
  INFERENCE_REMOTE_RESPONSE_TOO_LARGE: {
    cls: "permanent",
    http: 502,
    summary:
      "An inference endpoint's answer was larger than RadZ reads; the download was cancelled.",
  },

  SR_BUILD_FAILED: {
    cls: "permanent",
    http: 500,
    summary: "The Structured Report could not be built from the result.",
  },
  SUMMARY_RENDER_FAILED: {
    cls: "permanent",
    http: 500,
    summary: "The summary image (Secondary Capture) could not be rendered or built.",
  },

  JOB_NOT_FOUND: { cls: "permanent", http: 404, summary: "No job exists for that study." },
  JOB_INVALID_TRANSITION: {
    cls: "permanent",
    http: 409,
    summary: "The job cannot move to the requested state from its current state.",
  },
  STORE_FAILED: { cls: "transient", http: 500, summary: "The job store (SQLite) failed." },

  DEMO_ORTHANC_MISSING: {
    cls: "permanent",
    http: 500,
    summary: "Orthanc or its DICOMweb plugin is not installed on this machine.",
  },
  INPUT_INVALID: {
    cls: "permanent",
    http: 400,
    summary: "A request or command-line argument is invalid.",
  },
  INPUT_TOO_LARGE: {
    cls: "permanent",
    http: 413,
    summary: "A request body is larger than the route accepts.",
  },
  ROUTE_NOT_FOUND: {
    cls: "permanent",
    http: 404,
    summary: "No route answers the request's method and path.",
  },
  API_BUSY: {
    cls: "transient",
    http: 503,
    summary:
      "The API cannot take this request now (e.g. too many live-update clients); retry later.",
  },
  AUTH_REQUIRED: {
    cls: "permanent",
    http: 401,
    summary: "The API request carried no valid token (Authorization: Bearer or session cookie).",
  },
  AUTH_FORBIDDEN: {
    cls: "permanent",
    http: 403,
    summary:
      "The token is valid but its role may not do this (feedback needs role reviewer, other non-GET routes role admin).",
  },
  SERVER_BUSY: {
    cls: "transient",
    http: 503,
    summary:
      "The listener's connection cap is reached and every open connection has a request in flight.",
  },
  AUTH_RATE_LIMITED: {
    cls: "transient",
    http: 429,
    summary: "Too many failed authentication attempts from this address; wait and retry.",
  },
  SECRET_FILE_UNREADABLE: {
    cls: "permanent",
    http: 500,
    summary:
      "A secret or TLS file named in the configuration (*_FILE, caFile, clientCertFile, clientKeyFile) could not be read.",
  },
  DICOM_LIMIT_EXCEEDED: {
    cls: "permanent",
    http: 422,
    summary:
      "The DICOM file exceeds a structural safety limit (elements, fragments, frames or nesting).",
  },
  FLAGS_METADATA_NOT_REGISTERED: {
    cls: "permanent",
    http: 502,
    summary:
      "Orthanc does not know a RadZ study metadata name (missing from its UserMetadata option).",
  },
  NOTIFY_DELIVERY_FAILED: {
    cls: "transient",
    http: 502,
    summary:
      "The notification webhook did not accept a notification (network error, timeout or non-2xx).",
  },
  NOTIFY_RESPONSE_TOO_LARGE: {
    cls: "transient",
    http: 502,
    summary:
      "The notification webhook's receiver answered with a body larger than RadZ reads; the attempt counts as failed.",
  },
  JOB_CRASHED: {
    cls: "permanent",
    http: 500,
    summary:
      "The service died (crash or kill) while processing the study on each of its jobs.maxAttempts attempts.",
  },
  JOB_INTERRUPTED: {
    cls: "transient",
    http: 503,
    summary: "Work on the study was stopped by a shutdown; the job went back to queued.",
  },
  WEBHOOK_UNAUTHORIZED: {
    cls: "permanent",
    http: 401,
    summary: "A push to /webhook/orthanc had no valid signature or token (bad, stale or replayed).",
  },
  WEBHOOK_DISABLED: {
    cls: "permanent",
    http: 404,
    summary: "A push arrived but the webhook is off (intake.webhookSecret is not set).",
  },
  ORTHANC_INSTALL_CONFLICT: {
    cls: "permanent",
    http: 409,
    summary:
      "radz orthanc install/uninstall cannot change Orthanc's configuration directory safely.",
  },
  ORTHANC_INSTALL_FAILED: {
    cls: "permanent",
    http: 500,
    summary: "radz orthanc install/uninstall could not read or write a file.",
  },
  INTERNAL: { cls: "transient", http: 500, summary: "An unexpected internal error." },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

export class RadzError extends Error {
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options?: { cause?: unknown; details?: Record<string, unknown> },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "RadzError";
    this.code = code;
    this.details = options?.details;
  }

  get errorClass(): ErrorClass {
    return ERROR_CATALOGUE[this.code].cls;
  }

  get httpStatus(): number {
    return ERROR_CATALOGUE[this.code].http;
  }

  get transient(): boolean {
    return this.errorClass === ErrorClass.Transient;
  }

  toJSON(): { code: ErrorCode; message: string } {
    return { code: this.code, message: this.message };
  }
}

/** Turns anything thrown into a RadzError without losing the original as `cause`. */
export function toRadzError(err: unknown, fallback: ErrorCode = "INTERNAL"): RadzError {
  if (err instanceof RadzError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new RadzError(fallback, message, { cause: err });
}

export function isTransient(err: unknown): boolean {
  return err instanceof RadzError ? err.transient : true;
}

/**
 * How long a server asked us to wait before trying again (HTTP 429/503
 * Retry-After), as the DICOMweb and Orthanc clients record it in
 * `details.retryAfterMs`; undefined when the error carries none.
 */
export function retryAfterMs(err: unknown): number | undefined {
  if (!(err instanceof RadzError)) return undefined;
  const v = err.details?.retryAfterMs;
  return typeof v === "number" && Number.isFinite(v) && v >= 0 ? v : undefined;
}

/** An HTTP Retry-After value (delay-seconds or an HTTP-date, RFC 9110 10.2.3) in ms from `now`. */
export function parseRetryAfter(
  value: string | null | undefined,
  now: number = Date.now(),
): number | undefined {
  if (value === null || value === undefined) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
