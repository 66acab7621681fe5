/**
 * One outbound HTTP configuration shared by every client RadZ uses to reach a
 * server it was configured with (Orthanc REST, DICOMweb, inference nodes):
 *
 *   credentials  HTTP Basic, bearer token, custom headers  -> `headers`
 *   TLS          custom CA bundle, client certificate (mTLS) -> `fetch`, `agentFor()`
 *
 * Clients built on fetch use `fetch`; clients on node:http(s) (WADO-RS) and
 * xhr2 (dicomweb-client, STOW-RS) use `agentFor(url)`. Without TLS material
 * `fetch` is the global fetch and there is no agent, so nothing changes for a
 * plain setup. With it, `fetch` is a small fetch on node:https with an agent
 * that trusts exactly the configured CA(s) and presents the client
 * certificate; certificate checks are never disabled (there is no option for
 * it). Neither fetch follows redirects (a 3xx is returned as is, and the
 * clients treat it as an error), so credentials and custom headers never
 * travel to a host other than the configured one.
 */
import { readFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import { Readable } from "node:stream";
import { createSecureContext } from "node:tls";
import { RadzError } from "../errors.js";

export interface HttpAuthOptions {
  readonly username?: string | undefined;
  readonly password?: string | undefined;
  /** Sent as "Authorization: Bearer …"; wins over Basic. */
  readonly bearerToken?: string | undefined;
  /** Extra headers for every request (an explicit Authorization here is replaced by Basic/bearer). */
  readonly headers?: Readonly<Record<string, string>> | undefined;
}

/** Paths of PEM files, as configured. */
export interface TlsFileOptions {
  readonly caFile?: string | undefined;
  readonly clientCertFile?: string | undefined;
  readonly clientKeyFile?: string | undefined;
}

/** PEM text, loaded. */
export interface TlsMaterial {
  /** CA certificate(s) trusted for the server (replace the public roots). */
  readonly ca?: string | undefined;
  /** Client certificate (chain) for mutual TLS. */
  readonly cert?: string | undefined;
  /** Private key of `cert`. */
  readonly key?: string | undefined;
}

export interface OutboundOptions {
  readonly auth?: HttpAuthOptions | undefined;
  readonly tls?: TlsMaterial | undefined;
}

/** The part of fetch's init that RadZ clients use. */
export interface FetchInit {
  readonly method?: string | undefined;
  readonly headers?: Readonly<Record<string, string>> | undefined;
  readonly body?: string | Uint8Array | undefined;
  readonly signal?: AbortSignal | undefined;
}

export type FetchLike = (url: string | URL, init?: FetchInit) => Promise<Response>;

export interface OutboundHttp {
  /** Headers for every request: the custom headers plus Authorization. */
  readonly headers: Readonly<Record<string, string>>;
  /** fetch honouring the TLS settings. */
  readonly fetch: FetchLike;
  /** The agent node:http(s)/xhr2 requests to `url` must use; undefined: Node's default. */
  agentFor(url: URL): http.Agent | undefined;
  /** The https agent (undefined without TLS material); for xhr2's nodejsSet. */
  readonly httpsAgent: https.Agent | undefined;
  /** Closes pooled connections (call on shutdown). */
  close(): void;
}

const HEADER_VALUE = /^[^\r\n\0]*$/;

function invalid(message: string): RadzError {
  return new RadzError("CONFIG_INVALID", message);
}

/** The Authorization header value for these credentials, or undefined. */
export function authorizationHeader(auth: HttpAuthOptions): string | undefined {
  if (auth.bearerToken !== undefined && auth.bearerToken !== "") {
    if (!/^[A-Za-z0-9\-._~+/]+=*$/.test(auth.bearerToken)) {
      throw invalid("bearerToken has characters a bearer token may not contain (RFC 6750)");
    }
    return `Bearer ${auth.bearerToken}`;
  }
  if (auth.username !== undefined) {
    if (auth.username.includes(":")) throw invalid("an HTTP Basic username may not contain ':'");
    const pair = `${auth.username}:${auth.password ?? ""}`;
    if (!HEADER_VALUE.test(pair))
      throw invalid("HTTP Basic credentials may not contain CR, LF or NUL");
    return `Basic ${Buffer.from(pair, "utf8").toString("base64")}`;
  }
  return undefined;
}

/** Custom headers + Authorization (names validated; values never echoed in errors). */
export function outboundHeaders(auth: HttpAuthOptions = {}): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(auth.headers ?? {})) {
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
      throw invalid(`header name ${JSON.stringify(name.slice(0, 40))} is not a valid HTTP token`);
    }
    if (!HEADER_VALUE.test(value)) throw invalid(`header ${name} has CR, LF or NUL in its value`);
    out[name] = value;
  }
  const authorization = authorizationHeader(auth);
  if (authorization !== undefined) {
    for (const name of Object.keys(out)) {
      if (name.toLowerCase() === "authorization") delete out[name];
    }
    out.Authorization = authorization;
  }
  return out;
}

function readPem(file: string, what: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    throw new RadzError(
      "SECRET_FILE_UNREADABLE",
      `${what}: cannot read ${file}${typeof code === "string" ? ` (${code})` : ""}`,
      { details: { file } },
    );
  }
}

/**
 * Reads the PEM files and checks that they make a usable TLS context (a bad
 * PEM or a key that does not match the certificate fails here, at start).
 * `label` names the config section in messages ("orthanc").
 */
export function loadTlsFiles(files: TlsFileOptions, label: string): TlsMaterial | undefined {
  const { caFile, clientCertFile, clientKeyFile } = files;
  if (caFile === undefined && clientCertFile === undefined && clientKeyFile === undefined) {
    return undefined;
  }
  if ((clientCertFile === undefined) !== (clientKeyFile === undefined)) {
    throw invalid(`${label}: clientCertFile and clientKeyFile must be set together`);
  }
  const material: TlsMaterial = {
    ca: caFile === undefined ? undefined : readPem(caFile, `${label}.caFile`),
    cert:
      clientCertFile === undefined ? undefined : readPem(clientCertFile, `${label}.clientCertFile`),
    key: clientKeyFile === undefined ? undefined : readPem(clientKeyFile, `${label}.clientKeyFile`),
  };
  try {
    createSecureContext(material);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    throw invalid(
      `${label}: the TLS files do not form a usable TLS context (${typeof code === "string" ? code : "bad PEM"}); check that they are PEM and that the key matches the certificate`,
    );
  }
  return material;
}

/** Builds the shared outbound transport. */
export function createOutboundHttp(options: OutboundOptions = {}): OutboundHttp {
  const headers = Object.freeze(outboundHeaders(options.auth));
  const tls = options.tls;
  if (tls === undefined || (tls.ca === undefined && tls.cert === undefined)) {
    return {
      headers,
      // Redirects are not followed: fetch would re-send custom headers to another host.
      fetch: (url, init) => fetch(url, { ...init, redirect: "manual" }),
      agentFor: () => undefined,
      httpsAgent: undefined,
      close: () => undefined,
    };
  }
  const httpsAgent = new https.Agent({
    keepAlive: true,
    ca: tls.ca,
    cert: tls.cert,
    key: tls.key,
    // Never weaker than Node's defaults; stated for the reader.
    rejectUnauthorized: true,
    minVersion: "TLSv1.2",
  });
  const agentFor = (url: URL): http.Agent | undefined =>
    url.protocol === "https:" ? httpsAgent : undefined;
  return {
    headers,
    fetch: (url, init) => nodeFetch(new URL(url), init ?? {}, agentFor),
    agentFor,
    httpsAgent,
    close: () => httpsAgent.destroy(),
  };
}

/** What fetch rejects with when its signal aborts: the signal's reason (TimeoutError for AbortSignal.timeout). */
function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error
    ? reason
    : new DOMException("This operation was aborted", "AbortError");
}

const NULL_BODY_STATUS = new Set([101, 103, 204, 205, 304]);

/**
 * fetch on node:http(s), for when requests need an agent (custom CA, client
 * certificate). Rejects with the signal's reason when aborted (as fetch does),
 * so callers tell timeouts ("TimeoutError") from network errors the same way.
 */
function nodeFetch(
  url: URL,
  init: FetchInit,
  agentFor: (url: URL) => http.Agent | undefined,
): Promise<Response> {
  const { signal } = init;
  return new Promise<Response>((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortReason(signal));
      return;
    }
    const client = url.protocol === "https:" ? https : http;
    const method = init.method ?? "GET";
    const req = client.request(
      url,
      { method, headers: { ...init.headers }, agent: agentFor(url), signal },
      (res) => {
        const status = res.statusCode ?? 0;
        const responseHeaders = new Headers();
        for (const [name, value] of Object.entries(res.headers)) {
          if (value === undefined) continue;
          for (const v of Array.isArray(value) ? value : [value]) responseHeaders.append(name, v);
        }
        const empty = NULL_BODY_STATUS.has(status) || method === "HEAD";
        if (empty) res.resume();
        res.on("error", () => undefined); // surfaces through the body stream
        try {
          resolve(
            new Response(empty ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>), {
              status,
              statusText: res.statusMessage ?? "",
              headers: responseHeaders,
            }),
          );
        } catch (err) {
          res.destroy();
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      },
    );
    req.on("error", (err) => reject(signal?.aborted ? abortReason(signal) : err));
    const body = init.body;
    req.end(
      body === undefined || typeof body === "string"
        ? body
        : Buffer.from(body.buffer, body.byteOffset, body.byteLength),
    );
  });
}
