/**
 * The study preview image: Orthanc renders it (GET /instances/{id}/preview,
 * PNG) and RadZ proxies it. The instance is chosen on the server from the
 * job's own record (summary image, else the first image read) and found in
 * Orthanc by SOP Instance UID (POST /tools/lookup): the client never names a
 * URL or an instance.
 */
import { RadzError } from "../../errors.js";
import {
  discardBody,
  readBytesLimited,
  readJsonLimited,
  ResponseTooLargeError,
  type FetchLike,
} from "../../security/index.js";

/** Largest preview accepted from Orthanc. */
export const MAX_PREVIEW_BYTES = 8 * 1024 * 1024;
/** Largest answer to POST /tools/lookup accepted (one UID: a few hundred bytes). */
export const MAX_LOOKUP_BYTES = 1024 * 1024;
const SOP_UID = /^[0-9]+(\.[0-9]+)*$/;

export interface PreviewImage {
  readonly contentType: string;
  readonly body: Uint8Array;
}

export interface PreviewSource {
  /** The preview of the instance with this SOP Instance UID; null when Orthanc has none. */
  preview(sopInstanceUid: string): Promise<PreviewImage | null>;
}

export interface OrthancPreviewOptions {
  /** Orthanc REST root (orthanc.url). */
  readonly url: string;
  /** The shared outbound transport to Orthanc (credentials, TLS). */
  readonly http: { readonly fetch: FetchLike; readonly headers: Readonly<Record<string, string>> };
  readonly timeoutMs: number;
}

export function orthancPreviewSource(o: OrthancPreviewOptions): PreviewSource {
  const base = o.url.replace(/\/+$/, "");
  const call = async (path: string, init: { method: string; body?: string; accept: string }) => {
    let res: Response;
    try {
      res = await o.http.fetch(`${base}${path}`, {
        method: init.method,
        headers: {
          ...o.http.headers,
          Accept: init.accept,
          ...(init.body === undefined ? {} : { "Content-Type": "text/plain" }),
        },
        body: init.body,
        signal: AbortSignal.timeout(o.timeoutMs),
      });
    } catch (err) {
      const timeout = err instanceof Error && err.name === "TimeoutError";
      throw new RadzError(
        timeout ? "ORTHANC_TIMEOUT" : "ORTHANC_UNREACHABLE",
        `Orthanc ${init.method} ${path.replace(/[0-9a-f-]{44}/, ":id")} failed`,
        { cause: err },
      );
    }
    return res;
  };
  /** Reads a body within `maxBytes` (the bounded reader); past it: ORTHANC_RESPONSE_TOO_LARGE. */
  const bounded = async <T>(what: string, maxBytes: number, read: () => Promise<T>): Promise<T> => {
    try {
      return await read();
    } catch (err) {
      if (err instanceof ResponseTooLargeError) {
        throw new RadzError(
          "ORTHANC_RESPONSE_TOO_LARGE",
          `Orthanc's answer to ${what} is larger than ${maxBytes} bytes`,
          { details: { maxBytes } },
        );
      }
      const timeout = err instanceof Error && err.name === "TimeoutError";
      throw new RadzError(
        timeout ? "ORTHANC_TIMEOUT" : "ORTHANC_UNREACHABLE",
        `Orthanc's answer to ${what} broke off`,
        { cause: err },
      );
    }
  };

  return {
    async preview(sopInstanceUid) {
      if (!SOP_UID.test(sopInstanceUid) || sopInstanceUid.length > 64) {
        throw new RadzError("INPUT_INVALID", "not a SOP Instance UID");
      }
      const lookup = await call("/tools/lookup", {
        method: "POST",
        body: sopInstanceUid,
        accept: "application/json",
      });
      if (!lookup.ok) {
        await discardBody(lookup);
        throw new RadzError(
          lookup.status >= 500 ? "ORTHANC_HTTP_ERROR" : "ORTHANC_REJECTED",
          `Orthanc POST /tools/lookup answered HTTP ${lookup.status}`,
        );
      }
      const hits = await bounded("POST /tools/lookup", MAX_LOOKUP_BYTES, () =>
        readJsonLimited(lookup, MAX_LOOKUP_BYTES).catch((err: unknown) => {
          if (err instanceof SyntaxError) return [];
          throw err;
        }),
      );
      const instance = Array.isArray(hits)
        ? (hits as { ID?: unknown; Type?: unknown }[]).find((h) => h.Type === "Instance")
        : undefined;
      const id = typeof instance?.ID === "string" ? instance.ID : null;
      if (id === null || !/^[0-9a-f]{8}(-[0-9a-f]{8}){4}$/.test(id)) return null;

      const res = await call(`/instances/${id}/preview`, { method: "GET", accept: "image/png" });
      if (res.status === 404) {
        await discardBody(res);
        return null;
      }
      if (!res.ok) {
        await discardBody(res);
        throw new RadzError(
          res.status >= 500 ? "ORTHANC_HTTP_ERROR" : "ORTHANC_REJECTED",
          `Orthanc GET /instances/:id/preview answered HTTP ${res.status}`,
        );
      }
      const body: Uint8Array = await bounded("GET /instances/:id/preview", MAX_PREVIEW_BYTES, () =>
        readBytesLimited(res, MAX_PREVIEW_BYTES),
      );
      const type = res.headers.get("content-type") ?? "";
      return { contentType: /^image\/(png|jpeg)$/.test(type) ? type : "image/png", body };
    },
  };
}
