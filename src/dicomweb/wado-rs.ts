/**
 * WADO-RS Retrieve Instance over Node's own http client, streamed: the body is
 * parsed as it arrives and the download is aborted the moment the instance
 * exceeds maxInstanceBytes, so a 5 GB object never lands in memory.
 *
 * Negotiation: first ask for the transfer syntax as stored
 * (`transfer-syntax=*`, PS3.18 8.7.3.5.2); a server that does not understand
 * that (406 or 400) is asked again without a transfer-syntax parameter.
 */
import http, { type IncomingMessage, type OutgoingHttpHeaders } from "node:http";
import https from "node:https";
import { parseRetryAfter, RadzError } from "../errors.js";
import { boundedChunks, ResponseTooLargeError } from "../security/index.js";
import { badResponse, statusError, timeoutError, unreachableError } from "./http-errors.js";
import { isAcceptableBoundary, parseMediaType } from "./media-type.js";
import { joined, MultipartRelatedReader } from "./multipart.js";
import { hasPart10Prefix } from "./part10.js";

export interface WadoEndpoint {
  /** DICOMweb root without a trailing slash, e.g. "http://host:8042/dicom-web". */
  readonly baseUrl: string;
  /** Extra request headers (Authorization included). */
  readonly headers: Readonly<Record<string, string>>;
  /** Per-request limit (connect + headers + whole body). */
  readonly timeoutMs: number;
  /** The agent for a URL (custom CA / client certificate, security/OutboundHttp); default: Node's. */
  readonly agentFor?: (url: URL) => http.Agent | undefined;
}

export const ACCEPT_AS_STORED = 'multipart/related; type="application/dicom"; transfer-syntax=*';
export const ACCEPT_DEFAULT_SYNTAX = 'multipart/related; type="application/dicom"';

/** Room around the instance itself: preamble and epilogue (64 KiB each), part headers, boundaries. */
const ENVELOPE_BYTES = 192 * 1024;

/**
 * GET {base}/studies/{study}/series/{series}/instances/{sop} -> Part-10
 * bytes, in the memory `allocate(n)` gives (default: a new array).
 */
export async function retrieveInstancePart10(
  endpoint: WadoEndpoint,
  maxInstanceBytes: number,
  studyUid: string,
  seriesUid: string,
  sopUid: string,
  allocate: (n: number) => Uint8Array = (n) => new Uint8Array(n),
): Promise<Uint8Array> {
  const url = new URL(
    `${endpoint.baseUrl}/studies/${studyUid}/series/${seriesUid}/instances/${sopUid}`,
  );
  const what = `WADO-RS retrieve of instance ${sopUid}`;
  try {
    return await retrieveOnce(endpoint, url, ACCEPT_AS_STORED, maxInstanceBytes, what, allocate);
  } catch (err) {
    const status = err instanceof RadzError ? err.details?.status : undefined;
    if (status !== 406 && status !== 400) throw err;
  }
  return retrieveOnce(endpoint, url, ACCEPT_DEFAULT_SYNTAX, maxInstanceBytes, what, allocate);
}

async function retrieveOnce(
  endpoint: WadoEndpoint,
  url: URL,
  accept: string,
  maxBytes: number,
  what: string,
  allocate: (n: number) => Uint8Array,
): Promise<Uint8Array> {
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(timeoutError(what, endpoint.timeoutMs)),
    endpoint.timeoutMs,
  );
  const headers: OutgoingHttpHeaders = {
    ...endpoint.headers,
    Accept: accept,
    "Accept-Encoding": "identity",
  };
  let res: IncomingMessage | undefined;
  try {
    try {
      res = await sendGet(url, headers, controller.signal, endpoint.agentFor?.(url));
    } catch (err) {
      throw controller.signal.aborted ? controller.signal.reason : unreachableError(what, err);
    }
    try {
      return await readInstance(res, maxBytes, what, allocate);
    } catch (err) {
      if (controller.signal.aborted) throw controller.signal.reason;
      if (err instanceof RadzError) throw err;
      throw badResponse(
        what,
        "the connection closed before the whole body arrived (truncated)",
        err,
      );
    }
  } catch (err) {
    // Stop the download (and free the socket) whatever went wrong.
    if (!controller.signal.aborted) controller.abort(err);
    res?.destroy();
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

function sendGet(
  url: URL,
  headers: OutgoingHttpHeaders,
  signal: AbortSignal,
  agent: http.Agent | undefined,
): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const client = url.protocol === "https:" ? https : http;
    const req = client.request(url, { method: "GET", headers, signal, agent }, (res) => {
      // Errors on the body surface through the reader's iteration; this keeps a
      // late one (after an abort) from becoming an uncaught exception.
      res.on("error", () => undefined);
      resolve(res);
    });
    req.on("error", reject);
    req.end();
  });
}

async function readInstance(
  res: IncomingMessage,
  maxBytes: number,
  what: string,
  allocate: (n: number) => Uint8Array,
): Promise<Uint8Array> {
  const status = res.statusCode ?? 0;
  if (status !== 200) {
    res.destroy(); // the error body is not read
    const retryAfter = res.headers["retry-after"];
    throw statusError(what, status, parseRetryAfter(retryAfter));
  }
  const declared = Number(res.headers["content-length"] ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes + ENVELOPE_BYTES) {
    throw tooLarge(what, maxBytes);
  }
  const contentType = res.headers["content-type"];
  const mediaType = contentType === undefined ? null : parseMediaType(contentType);
  if (mediaType === null) throw badResponse(what, "response has no readable Content-Type");

  let bytes: Uint8Array;
  if (mediaType.essence === "multipart/related") {
    const type = mediaType.params.get("type");
    if (type !== undefined && parseMediaType(type)?.essence !== "application/dicom") {
      throw badResponse(what, "multipart response is not of type application/dicom");
    }
    const boundary = mediaType.params.get("boundary");
    if (boundary === undefined || !isAcceptableBoundary(boundary)) {
      throw badResponse(what, "multipart response has no usable boundary");
    }
    const reader = new MultipartRelatedReader(
      boundary,
      { maxPartBytes: maxBytes, maxParts: 1 },
      what,
    );
    // The reader bounds the part, its headers, preamble and epilogue; the stream as a whole too.
    for await (const chunk of bounded(res, maxBytes + ENVELOPE_BYTES, what)) reader.write(chunk);
    const parts = reader.finish(allocate);
    const part = parts[0];
    if (part === undefined) throw badResponse(what, "multipart response has no parts");
    if (
      part.headers["content-type"] !== undefined &&
      part.contentType?.essence !== "application/dicom"
    ) {
      throw badResponse(what, "multipart part is not application/dicom");
    }
    bytes = part.bytes;
  } else if (mediaType.essence === "application/dicom") {
    // Some servers answer single-part; accept it, with the same limit.
    bytes = await readLimited(res, maxBytes, what, allocate);
  } else {
    throw badResponse(what, `unexpected Content-Type ${mediaType.essence}`);
  }
  if (!hasPart10Prefix(bytes))
    throw badResponse(what, "payload is not a DICOM Part-10 file (no DICM prefix)");
  return bytes;
}

async function readLimited(
  res: IncomingMessage,
  maxBytes: number,
  what: string,
  allocate: (n: number) => Uint8Array,
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of bounded(res, maxBytes, what)) chunks.push(chunk);
  return joined(chunks, allocate);
}

/** The body's chunks through the bounded reader (security/response-body.ts), past the cap: DICOMWEB_INSTANCE_TOO_LARGE. */
async function* bounded(res: IncomingMessage, maxBytes: number, what: string) {
  try {
    yield* boundedChunks(res, maxBytes, res.headers["content-length"], () => res.destroy());
  } catch (err) {
    if (err instanceof ResponseTooLargeError) throw tooLarge(what, maxBytes);
    throw err;
  }
}

function tooLarge(what: string, maxBytes: number): RadzError {
  return new RadzError(
    "DICOMWEB_INSTANCE_TOO_LARGE",
    `${what}: instance is larger than the limit of ${maxBytes} bytes`,
    {
      details: { maxInstanceBytes: maxBytes },
    },
  );
}
