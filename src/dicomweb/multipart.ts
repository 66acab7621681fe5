/**
 * Streaming reader for multipart/related bodies (RFC 2387 / RFC 2046) on top of
 * @remix-run/multipart-parser, with the two things that parser leaves out:
 * a preamble before the first boundary and an epilogue after the last one
 * (both legal, both ignored). Size limits are enforced while bytes arrive, so
 * the caller can abort the download the moment a part grows too large.
 *
 *   const reader = new MultipartRelatedReader(boundary, limits, "WADO-RS …");
 *   for await (const chunk of response) reader.write(chunk);   // throws early
 *   const parts = reader.finish();                              // throws if truncated
 */
import {
  MaxFileSizeExceededError,
  MaxHeaderSizeExceededError,
  MaxPartsExceededError,
  MaxTotalSizeExceededError,
  MultipartParser,
  type MultipartPart,
} from "@remix-run/multipart-parser";
import { RadzError } from "../errors.js";
import { badResponse } from "./http-errors.js";
import { parseMediaType, type MediaType } from "./media-type.js";

export interface MultipartLimits {
  /** Largest body of one part (DICOMWEB_INSTANCE_TOO_LARGE beyond it). */
  readonly maxPartBytes: number;
  /** Most parts (DICOMWEB_BAD_RESPONSE beyond it). */
  readonly maxParts: number;
  /** Largest preamble, and largest epilogue (default 64 KiB). */
  readonly maxPreambleBytes?: number;
  /** Largest header block of one part (default 16 KiB). */
  readonly maxHeaderBytes?: number;
}

export interface RelatedPart {
  /** Part headers by lower-case name. */
  readonly headers: Readonly<Record<string, string>>;
  /** The part's Content-Type, null when absent or unreadable. */
  readonly contentType: MediaType | null;
  readonly bytes: Uint8Array;
}

const CRLF = Buffer.from("\r\n");

/** The chunks, one after the other, in the bytes `allocate` gives for their total size. */
export function joined(
  chunks: readonly Uint8Array[],
  allocate: (n: number) => Uint8Array,
): Uint8Array {
  let total = 0;
  for (const c of chunks) total += c.byteLength;
  const out = allocate(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

export class MultipartRelatedReader {
  readonly #parser: MultipartParser;
  readonly #delimiter: Buffer;
  readonly #maxPreamble: number;
  readonly #parts: MultipartPart[] = [];
  #state: "preamble" | "body" | "epilogue" = "preamble";
  #preamble: Buffer = Buffer.alloc(0);
  #epilogueBytes = 0;

  constructor(
    boundary: string,
    private readonly limits: MultipartLimits,
    private readonly what: string,
  ) {
    this.#delimiter = Buffer.from(`--${boundary}`, "latin1");
    this.#maxPreamble = limits.maxPreambleBytes ?? 64 * 1024;
    this.#parser = new MultipartParser(boundary, {
      maxFileSize: limits.maxPartBytes,
      maxTotalSize: limits.maxPartBytes * limits.maxParts,
      maxParts: limits.maxParts,
      maxHeaderSize: limits.maxHeaderBytes ?? 16 * 1024,
    });
  }

  /** Number of parts completed so far. */
  get partCount(): number {
    return this.#parts.length;
  }

  write(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    switch (this.#state) {
      case "preamble":
        this.#writePreamble(chunk);
        return;
      case "body":
        this.#feed(chunk);
        return;
      case "epilogue":
        this.#epilogueBytes += chunk.length;
        if (this.#epilogueBytes > this.#maxPreamble) {
          throw badResponse(this.what, "data after the closing multipart boundary");
        }
        return;
    }
  }

  /**
   * Ends the body: throws DICOMWEB_BAD_RESPONSE when the closing boundary
   * never came. Each part's bytes are copied into `allocate(size)` (default:
   * a new, exactly sized array — never a view into a larger buffer).
   */
  finish(allocate: (n: number) => Uint8Array = (n) => new Uint8Array(n)): RelatedPart[] {
    if (this.#state !== "epilogue") {
      throw badResponse(
        this.what,
        this.#state === "preamble"
          ? "multipart body has no boundary delimiter"
          : "multipart body is truncated (no closing boundary)",
      );
    }
    return this.#parts.map((p) => {
      const headers = readHeaders(p, this.what);
      const ct = headers["content-type"];
      return {
        headers,
        contentType: ct === undefined ? null : parseMediaType(ct),
        bytes: joined(p.content, allocate),
      };
    });
  }

  #writePreamble(chunk: Uint8Array): void {
    this.#preamble =
      this.#preamble.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.#preamble, chunk]);
    const start = findDelimiter(this.#preamble, this.#delimiter);
    if (start === -1) {
      if (this.#preamble.length > this.#maxPreamble + this.#delimiter.length) {
        throw badResponse(this.what, "multipart body has no boundary delimiter");
      }
      return;
    }
    const rest = this.#preamble.subarray(start);
    this.#preamble = Buffer.alloc(0);
    this.#state = "body";
    this.#feed(rest);
  }

  #feed(chunk: Uint8Array): void {
    try {
      for (const part of this.#parser.write(chunk)) {
        readHeaders(part, this.what); // fail early on undecodable headers
        this.#parts.push(part);
      }
    } catch (err) {
      throw this.#mapParserError(err);
    }
    if (isFinished(this.#parser)) this.#state = "epilogue";
  }

  #mapParserError(err: unknown): RadzError {
    if (err instanceof RadzError) return err;
    if (err instanceof MaxFileSizeExceededError || err instanceof MaxTotalSizeExceededError) {
      return new RadzError(
        "DICOMWEB_INSTANCE_TOO_LARGE",
        `${this.what}: instance is larger than the limit of ${this.limits.maxPartBytes} bytes`,
        { details: { maxInstanceBytes: this.limits.maxPartBytes } },
      );
    }
    if (err instanceof MaxPartsExceededError) {
      return badResponse(
        this.what,
        `more than ${this.limits.maxParts} part(s) in the multipart body`,
        err,
      );
    }
    if (err instanceof MaxHeaderSizeExceededError) {
      return badResponse(this.what, "a multipart part header is too large", err);
    }
    return badResponse(
      this.what,
      `malformed multipart body (${err instanceof Error ? err.message : String(err)})`,
      err,
    );
  }
}

/** First "--boundary" at the very start or at the start of a line. */
function findDelimiter(buf: Buffer, delimiter: Buffer): number {
  let from = 0;
  for (;;) {
    const i = buf.indexOf(delimiter, from);
    if (i === -1) return -1;
    if (i === 0 || (i >= 2 && buf[i - 2] === CRLF[0] && buf[i - 1] === CRLF[1])) return i;
    from = i + 1;
  }
}

/** The parser has no public state; finish() throws unless the closing boundary was seen. */
function isFinished(parser: MultipartParser): boolean {
  try {
    parser.finish();
    return true;
  } catch {
    return false;
  }
}

function readHeaders(part: MultipartPart, what: string): Readonly<Record<string, string>> {
  try {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(part.headers)) if (v !== undefined) out[k] = v;
    return out;
  } catch (err) {
    throw badResponse(what, "a multipart part header is not valid UTF-8", err);
  }
}
