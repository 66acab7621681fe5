/**
 * One HTTP exchange on node:http(s) with a keep-alive agent, a whole-request
 * deadline, an abort signal and a response size cap. Bodies go out as a list
 * of chunks (JSON header, then each tensor's bytes) so image tensors are
 * never copied into one buffer. Redirects are not followed, so a token never
 * travels to another host.
 */
import http, { type IncomingHttpHeaders } from "node:http";
import https from "node:https";
import { readIncomingLimited, ResponseTooLargeError } from "../../security/index.js";

export interface HttpResult {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

export type TransportFailure = "timeout" | "network" | "aborted" | "too-large";

/** The exchange did not produce an HTTP response. */
export class TransportError extends Error {
  constructor(
    readonly kind: TransportFailure,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "TransportError";
  }
}

export interface HttpRequestOptions {
  readonly method: "GET" | "POST";
  readonly headers: Readonly<Record<string, string>>;
  readonly chunks?: readonly Uint8Array[];
  readonly timeoutMs: number;
  readonly signal?: AbortSignal | undefined;
  readonly agent?: http.Agent | undefined;
  readonly maxResponseBytes: number;
}

/** Keep-alive agents for one endpoint. */
export function endpointAgent(url: URL): http.Agent {
  const opts = { keepAlive: true, keepAliveMsecs: 1_000, maxSockets: 64, maxFreeSockets: 16 };
  return url.protocol === "https:" ? new https.Agent(opts) : new http.Agent(opts);
}

export function httpRequest(url: URL, o: HttpRequestOptions): Promise<HttpResult> {
  return new Promise<HttpResult>((resolve, reject) => {
    if (o.signal?.aborted) {
      reject(new TransportError("aborted", "the request was cancelled"));
      return;
    }
    let settled = false;
    const done = (err: TransportError | null, result?: HttpResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      o.signal?.removeEventListener("abort", onAbort);
      if (err) reject(err);
      else resolve(result!);
    };
    const client = url.protocol === "https:" ? https : http;
    let length = 0;
    for (const c of o.chunks ?? []) length += c.byteLength;
    const headers: Record<string, string> = { ...o.headers };
    if (o.method === "POST") headers["Content-Length"] = String(length);
    const req = client.request(url, { method: o.method, headers, agent: o.agent }, (res) => {
      // The bounded reader (security/response-body.ts): destroys the response past the cap.
      readIncomingLimited(res, o.maxResponseBytes).then(
        (body) => done(null, { status: res.statusCode ?? 0, headers: res.headers, body }),
        (err: unknown) => {
          req.destroy();
          done(
            err instanceof ResponseTooLargeError
              ? new TransportError("too-large", `the response exceeds ${o.maxResponseBytes} bytes`)
              : new TransportError(
                  "network",
                  `the response broke off: ${err instanceof Error ? err.message : String(err)}`,
                  { cause: err },
                ),
          );
        },
      );
    });
    const timer = setTimeout(() => {
      done(new TransportError("timeout", `no complete answer within ${o.timeoutMs} ms`));
      req.destroy();
    }, o.timeoutMs);
    const onAbort = () => {
      done(new TransportError("aborted", "the request was cancelled"));
      req.destroy();
    };
    o.signal?.addEventListener("abort", onAbort, { once: true });
    req.on("error", (err: NodeJS.ErrnoException) =>
      done(new TransportError("network", `${err.code ?? "error"}: ${err.message}`, { cause: err })),
    );
    const chunks = o.chunks ?? [];
    for (let i = 0; i < chunks.length - 1; i++) req.write(chunks[i]);
    req.end(chunks[chunks.length - 1]);
  });
}
