/**
 * Reading a response body with a byte limit, so a misbehaving or hostile
 * server cannot make RadZ buffer an unbounded JSON answer. The download is
 * cancelled as soon as the limit is passed.
 */

export class ResponseTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`response body is larger than ${maxBytes} bytes`);
    this.name = "ResponseTooLargeError";
  }
}

/** The body as UTF-8 text; throws ResponseTooLargeError past `maxBytes`. */
export async function readTextLimited(res: Response, maxBytes: number): Promise<string> {
  const declared = Number(res.headers.get("content-length") ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) {
    await res.body?.cancel().catch(() => undefined);
    throw new ResponseTooLargeError(maxBytes);
  }
  if (res.body === null) return "";
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new ResponseTooLargeError(maxBytes);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, total).toString("utf8");
}
