/**
 * The dicomweb-client package (browser-first) made safe for a Node service.
 * The facade uses it for STOW-RS (its multipart encoder sends one body with a
 * quoted boundary and a Content-Length); bench/dicomweb-retrieve.ts also uses
 * it to compare WADO-RS paths. QIDO-RS does not go through it (see qido-rs.ts).
 *
 * - It is loaded lazily, on the first call, together with the xhr2
 *   XMLHttpRequest implementation. No global is touched: every call hands
 *   dicomweb-client its own xhr2 instance (its `request.instance` option), so
 *   importing this module changes nothing for unrelated code.
 * - Each call gets a deadline (xhr2's own timeout is not used: when it fires
 *   after the headers, dicomweb-client resolves with a partial body).
 * - `verbose: false`: dicomweb-client would otherwise print whole requests and
 *   responses (which can carry patient data) to the console.
 * - Failures become RadzErrors (see http-errors.ts).
 */
import type https from "node:https";
import { createRequire } from "node:module";
import { parseRetryAfter, RadzError } from "../errors.js";
import { badResponse, statusError, timeoutError, tooLargeError } from "./http-errors.js";

/** Largest answer read through dicomweb-client (a STOW-RS DICOM JSON response). */
export const MAX_DWC_RESPONSE_BYTES = 16 * 1024 * 1024;

/** The part of an xhr2 XMLHttpRequest this module touches. */
export interface XhrInstance {
  readonly status: number;
  abort(): void;
  getResponseHeader(name: string): string | null;
  setRequestHeader(name: string, value: string): void;
  /** xhr2: per-instance agents (custom CA / client certificate). */
  nodejsSet?(options: { httpsAgent?: unknown }): void;
  send(body?: unknown): void;
  /** xhr2 fires "progress" on the instance for every chunk of the response body. */
  addEventListener(
    type: "progress",
    listener: (event: { readonly loaded: number; readonly total: number }) => void,
  ): void;
}
type XhrConstructor = new () => XhrInstance;

/** dicomweb-client's per-call request options. */
export interface DwcRequest {
  readonly instance: XhrInstance;
}

/**
 * The dicomweb-client methods used here, typed from its source (src/api.js);
 * its bundled .d.ts declares Promise-returning methods as returning arrays.
 */
export interface DwcApi {
  searchForStudies(options: {
    queryParams?: Record<string, string>;
    request?: DwcRequest;
  }): Promise<unknown>;
  searchForSeries(options: {
    studyInstanceUID?: string;
    queryParams?: Record<string, string>;
    request?: DwcRequest;
  }): Promise<unknown>;
  searchForInstances(options: {
    studyInstanceUID?: string;
    seriesInstanceUID?: string;
    queryParams?: Record<string, string>;
    request?: DwcRequest;
  }): Promise<unknown>;
  retrieveInstance(options: {
    studyInstanceUID: string;
    seriesInstanceUID: string;
    sopInstanceUID: string;
    request?: DwcRequest;
  }): Promise<unknown>;
  storeInstances(options: {
    datasets: ArrayBuffer[];
    studyInstanceUID?: string;
    request?: DwcRequest;
  }): Promise<unknown>;
}

/** What dicomweb-client rejects with on an HTTP failure (src/api.js _httpRequest). */
interface DwcHttpError extends Error {
  status?: unknown;
  response?: unknown;
  request?: unknown;
}

export interface DicomwebClientAdapterOptions {
  /** DICOMweb root without a trailing slash. */
  readonly baseUrl: string;
  /** Headers for every request (Authorization included). */
  readonly headers: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  /** https.Agent carrying a custom CA / client certificate (security/OutboundHttp). */
  readonly httpsAgent?: https.Agent | undefined;
  /** Largest response body read (default MAX_DWC_RESPONSE_BYTES). */
  readonly maxResponseBytes?: number;
}

/** An HTTP answer: `value` is what dicomweb-client resolved with (2xx), `response` the body otherwise. */
export interface RawOutcome<T> {
  readonly status: number;
  /** The Retry-After header of a 429/503, in ms (undefined when absent). */
  readonly retryAfterMs?: number | undefined;
  readonly value: T | undefined;
  readonly response: unknown;
}

export class DicomwebClientAdapter {
  #loaded: Promise<{ client: DwcApi; Xhr: XhrConstructor }> | null = null;

  constructor(private readonly options: DicomwebClientAdapterOptions) {}

  /** Runs one call; resolves with its value for 2xx, throws a RadzError otherwise. */
  async call<T>(what: string, fn: (client: DwcApi, request: DwcRequest) => Promise<T>): Promise<T> {
    const outcome = await this.callRaw(what, fn);
    if (outcome.status < 200 || outcome.status > 299)
      throw statusError(what, outcome.status, outcome.retryAfterMs);
    return outcome.value as T;
  }

  /**
   * Runs one call and reports any HTTP status (STOW-RS reads the body of a 409).
   * Throws only DICOMWEB_UNREACHABLE / DICOMWEB_TIMEOUT / DICOMWEB_BAD_RESPONSE.
   */
  async callRaw<T>(
    what: string,
    fn: (client: DwcApi, request: DwcRequest) => Promise<T>,
  ): Promise<RawOutcome<T>> {
    const { client, Xhr } = await this.#load();
    const xhr = new Xhr();
    if (this.options.httpsAgent !== undefined) {
      xhr.nodejsSet?.({ httpsAgent: this.options.httpsAgent });
    }
    const { timeoutMs } = this.options;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        xhr.abort();
        reject(timeoutError(what, timeoutMs));
      }, timeoutMs);
      // The bounded reader's rule for xhr2, which buffers the whole answer itself:
      // cancel the download once the declared or received length passes the cap.
      const maxBytes = this.options.maxResponseBytes ?? MAX_DWC_RESPONSE_BYTES;
      xhr.addEventListener("progress", (event) => {
        if (event.loaded <= maxBytes && event.total <= maxBytes) return;
        reject(tooLargeError(what, maxBytes)); // first: the abort below also fails the call
        xhr.abort();
      });
      refuseRedirects(xhr, () => {
        xhr.abort();
        reject(
          badResponse(
            what,
            "the server answered with a redirect; redirects are not followed (the credentials would go with it)",
          ),
        );
      });
    });
    try {
      const value = await Promise.race([fn(client, { instance: xhr }), deadline]);
      return { status: xhr.status, value, response: undefined };
    } catch (err) {
      if (err instanceof RadzError) throw err;
      const e = err as DwcHttpError;
      if (typeof e.status === "number" && "request" in e) {
        if (e.status === 0) {
          throw new RadzError(
            "DICOMWEB_UNREACHABLE",
            `${what} failed: no HTTP response (connection failed)`,
            {
              cause: err,
            },
          );
        }
        return {
          status: e.status,
          value: undefined,
          response: e.response,
          retryAfterMs: parseRetryAfter(safeHeader(xhr, "Retry-After")),
        };
      }
      throw badResponse(
        what,
        `unusable response (${e instanceof Error ? e.message : String(e)})`,
        err,
      );
    } finally {
      clearTimeout(timer);
    }
  }

  #load(): Promise<{ client: DwcApi; Xhr: XhrConstructor }> {
    this.#loaded ??= (async () => {
      const { api } = await import("dicomweb-client");
      // xhr2 has no type declarations; it exports the XMLHttpRequest class.
      const Xhr = createRequire(import.meta.url)("xhr2") as XhrConstructor;
      const client = new api.DICOMwebClient({
        url: this.options.baseUrl,
        headers: { ...this.options.headers },
        singlepart: false,
        verbose: false,
        requestHooks: [acceptDicomJsonOnPost, sendBytesWithoutCopy],
      }) as unknown as DwcApi;
      return { client, Xhr };
    })();
    return this.#loaded;
  }
}

/**
 * xhr2 follows every 3xx itself, to any host, re-sending every header (the
 * Authorization included) and without a limit. Its one entry point for
 * (re)sending is the instance's _sendHxxpRequest: the first call is the
 * request, any later one is a redirect, which is refused instead.
 */
function refuseRedirects(xhr: XhrInstance, onRedirect: () => void): void {
  const internal = xhr as unknown as { _sendHxxpRequest?: unknown };
  const send = internal._sendHxxpRequest;
  if (typeof send !== "function") return;
  let sent = 0;
  internal._sendHxxpRequest = () => {
    sent += 1;
    if (sent > 1) onRedirect();
    else (send as () => void).call(xhr);
  };
}

/**
 * STOW-RS: ask for the DICOM JSON response explicitly (dicomweb-client sends
 * no Accept on POST). Exactly two parameters: dicomweb-client checks arity.
 */
function acceptDicomJsonOnPost(request: XhrInstance, metadata: { method: string }): XhrInstance {
  if (metadata.method.toLowerCase() === "post")
    request.setRequestHeader("Accept", "application/dicom+json");
  return request;
}

/**
 * xhr2 copies an ArrayBuffer body into a new Buffer one byte at a time in
 * JavaScript (a 2 MB STOW-RS body: a second 2 MB of garbage per study and
 * milliseconds of CPU); a Buffer it sends as it is. So the body goes to it
 * as a Buffer viewing the same memory. Two parameters, as above.
 */
export function sendBytesWithoutCopy(
  request: XhrInstance,
  _metadata: { method: string },
): XhrInstance {
  const send = request.send.bind(request);
  request.send = (body?: unknown) => send(asBuffer(body));
  return request;
}

/** A Buffer viewing the bytes of an ArrayBuffer or typed array (no copy); anything else as it is. */
export function asBuffer(body: unknown): unknown {
  if (body instanceof ArrayBuffer) return Buffer.from(body);
  if (ArrayBuffer.isView(body) && !Buffer.isBuffer(body))
    return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  return body;
}

function safeHeader(xhr: XhrInstance, name: string): string | null {
  try {
    return xhr.getResponseHeader(name);
  } catch {
    return null;
  }
}
