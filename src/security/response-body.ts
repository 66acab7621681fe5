/**
 * The one bounded reader for every response body RadZ reads from a peer
 * (Orthanc, DICOMweb, inference endpoints, webhook receivers). A hostile or
 * broken peer cannot make RadZ buffer more than the cap: a declared length
 * over it is refused before reading, and the download is cancelled as soon as
 * the bytes received pass it (docs/security.md, "Hostile input limits").
 *
 * Callers turn ResponseTooLargeError into their own coded error
 * (ORTHANC_RESPONSE_TOO_LARGE, DICOMWEB_RESPONSE_TOO_LARGE, …).
 */
import type { IncomingMessage } from "node:http";

/** How much of an answer whose body is not used (an error page, a receiver's reply) is read. */
export const DISCARD_MAX_BYTES = 64 * 1024;

export class ResponseTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`response body is larger than ${maxBytes} bytes`);
    this.name = "ResponseTooLargeError";
  }
}

/**
 * The chunks of a body, cut off at `maxBytes`: a declared length over it is
 * refused before anything is read, and once the bytes received pass it
 * `cancel` is called (it must stop the download and free the connection) and
 * ResponseTooLargeError is thrown. Nothing is buffered here: what the caller
 * keeps is bounded by the same cap.
 */
export async function* boundedChunks(
  chunks: AsyncIterable<Uint8Array>,
  maxBytes: number,
  declaredLength: string | null | undefined,
  cancel: () => unknown,
): AsyncGenerator<Uint8Array, void, undefined> {
  const declared = Number(declaredLength ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) {
    await Promise.resolve(cancel()).catch(() => undefined);
    throw new ResponseTooLargeError(maxBytes);
  }
  let total = 0;
  for await (const chunk of chunks) {
    total += chunk.byteLength;
    if (total > maxBytes) {
      await Promise.resolve(cancel()).catch(() => undefined);
      throw new ResponseTooLargeError(maxBytes);
    }
    yield chunk;
  }
}

/** Collects a body's chunks (boundedChunks) into one Buffer. */
async function collectLimited(
  chunks: AsyncIterable<Uint8Array>,
  maxBytes: number,
  declaredLength: string | null | undefined,
  cancel: () => unknown,
): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of boundedChunks(chunks, maxBytes, declaredLength, cancel)) {
    parts.push(chunk);
    total += chunk.byteLength;
  }
  if (parts.length === 1 && Buffer.isBuffer(parts[0])) return parts[0];
  return Buffer.concat(parts, total);
}

async function* webChunks(reader: ReadableStreamDefaultReader<Uint8Array>) {
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    yield value;
  }
}

/** A fetch Response's body as bytes; throws ResponseTooLargeError past `maxBytes`. */
export async function readBytesLimited(res: Response, maxBytes: number): Promise<Buffer> {
  if (res.body === null) return Buffer.alloc(0);
  const reader = res.body.getReader();
  try {
    return await collectLimited(
      webChunks(reader),
      maxBytes,
      res.headers.get("content-length"),
      () => reader.cancel(),
    );
  } finally {
    reader.releaseLock();
  }
}

/** The body as UTF-8 text; throws ResponseTooLargeError past `maxBytes`. */
export async function readTextLimited(res: Response, maxBytes: number): Promise<string> {
  return (await readBytesLimited(res, maxBytes)).toString("utf8");
}

/** The body parsed as JSON; throws ResponseTooLargeError past `maxBytes`, SyntaxError when not JSON. */
export async function readJsonLimited(res: Response, maxBytes: number): Promise<unknown> {
  return JSON.parse(await readTextLimited(res, maxBytes)) as unknown;
}

/**
 * Reads and drops a body RadZ does not use (at most `maxBytes`, so a small
 * answer leaves the connection reusable); never throws. True when the body
 * ended within the limit, false when it was cut off or broke.
 */
export async function discardBody(
  res: Response,
  maxBytes: number = DISCARD_MAX_BYTES,
): Promise<boolean> {
  try {
    await readBytesLimited(res, maxBytes);
    return true;
  } catch {
    return false;
  }
}

/** A node:http response's body as bytes; destroys the response and throws past `maxBytes`. */
export function readIncomingLimited(res: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return collectLimited(res, maxBytes, res.headers["content-length"], () => res.destroy());
}
