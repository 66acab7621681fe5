/**
 * QIDO-RS (PS3.18 §10.6): Search for Studies / Series / Instances, answered as
 * DICOM JSON. Query keys are attribute keywords, tags ("0020000D"), dotted
 * sequence paths, or the QIDO controls (limit, offset, fuzzymatching,
 * includefield).
 *
 * Why not dicomweb-client here: it percent-encodes every value with
 * encodeURIComponent, and Orthanc 1.10 (DICOMweb plugin 1.7) does not decode
 * query arguments, so `includefield=00280010%2C00185101` silently returns
 * none of the requested fields and `PatientName=DOE%5EJ*` matches nothing.
 * This module encodes only what a query value must not contain raw
 * (WHATWG query set plus & + # % =), leaving `^ , * ?` as they are, which
 * every server reads the same way. Known limit: values with spaces still need
 * %20, which Orthanc 1.10 then fails to match.
 */
import { parseRetryAfter, RadzError } from "../errors.js";
import {
  discardBody,
  readTextLimited,
  ResponseTooLargeError,
  type FetchLike,
} from "../security/index.js";
import { isDicomJsonObject, type DicomJsonObject } from "../dicom/index.js";
import {
  badResponse,
  statusError,
  timeoutError,
  tooLargeError,
  unreachableError,
} from "./http-errors.js";

export type QidoQuery = Readonly<Record<string, string>>;

export interface QidoEndpoint {
  /** DICOMweb root without a trailing slash. */
  readonly baseUrl: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  /** fetch with the configured TLS settings (security/OutboundHttp); default: global fetch. */
  readonly fetch?: FetchLike;
}

/** Largest QIDO-RS answer read (a hostile or broken server cannot make RadZ buffer more). */
export const MAX_QIDO_RESPONSE_BYTES = 64 * 1024 * 1024;

const QUERY_KEY = /^[A-Za-z0-9_.]{1,128}$/;
const UID = /^[0-9]+(?:\.[0-9]+)*$/;

export function checkUid(uid: string, name: string): string {
  if (uid.length > 64 || !UID.test(uid))
    throw new RadzError("INPUT_INVALID", `${name} is not a valid DICOM UID`);
  return uid;
}

/** Encodes the characters that would change a query's structure; the URL setter does the rest. */
function encodeQueryValue(value: string): string {
  return value.replace(/[%&+#=]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Builds "?k=v&…" (keys validated, includefield as one comma-separated value). */
export function buildQueryString(
  query: QidoQuery | undefined,
  includeFields?: readonly string[],
): string {
  const pairs: string[] = [];
  for (const [k, v] of Object.entries(query ?? {})) {
    if (!QUERY_KEY.test(k))
      throw new RadzError("INPUT_INVALID", `QIDO-RS query key is not allowed: ${k.slice(0, 40)}`);
    pairs.push(`${k}=${encodeQueryValue(v)}`);
  }
  if (includeFields !== undefined && includeFields.length > 0) {
    for (const f of includeFields) {
      if (!QUERY_KEY.test(f))
        throw new RadzError("INPUT_INVALID", "includefield value is not allowed");
    }
    pairs.push(`includefield=${includeFields.join(",")}`);
  }
  return pairs.length === 0 ? "" : `?${pairs.join("&")}`;
}

async function search(
  endpoint: QidoEndpoint,
  path: string,
  query: string,
  what: string,
  notFoundIsEmpty = false,
): Promise<DicomJsonObject[]> {
  const url = new URL(`${endpoint.baseUrl}${path}`);
  url.search = query;
  let res: Response;
  try {
    res = await (endpoint.fetch ?? fetch)(url, {
      // One media type: the Orthanc DICOMweb plugin compares the whole Accept
      // value with the types it knows, and logs any list (even with q-values)
      // as an error ("Unsupported return MIME type") before answering JSON.
      headers: { ...endpoint.headers, Accept: "application/dicom+json" },
      signal: AbortSignal.timeout(endpoint.timeoutMs),
    });
  } catch (err) {
    throw isTimeout(err) ? timeoutError(what, endpoint.timeoutMs) : unreachableError(what, err);
  }
  if (res.status !== 200) {
    await discardBody(res);
    if (res.status === 204 || (notFoundIsEmpty && res.status === 404)) return [];
    throw statusError(what, res.status, parseRetryAfter(res.headers.get("retry-after")));
  }
  let text: string;
  try {
    text = await readTextLimited(res, MAX_QIDO_RESPONSE_BYTES);
  } catch (err) {
    if (isTimeout(err)) throw timeoutError(what, endpoint.timeoutMs);
    if (err instanceof ResponseTooLargeError) throw tooLargeError(what, MAX_QIDO_RESPONSE_BYTES);
    throw badResponse(what, "the connection closed before the whole body arrived", err);
  }
  let body: unknown;
  try {
    body = text.trim() === "" ? [] : JSON.parse(text);
  } catch {
    throw badResponse(what, "response is not JSON");
  }
  if (Array.isArray(body) && body.every(isDicomJsonObject)) return body;
  throw badResponse(what, "response is not a DICOM JSON array");
}

function isTimeout(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  return (
    err.name === "TimeoutError" || (err.cause instanceof Error && err.cause.name === "TimeoutError")
  );
}

export async function searchForStudies(
  endpoint: QidoEndpoint,
  query?: QidoQuery,
): Promise<DicomJsonObject[]> {
  return search(endpoint, "/studies", buildQueryString(query), "QIDO-RS search for studies");
}

export async function searchForSeries(
  endpoint: QidoEndpoint,
  studyUid: string,
  query?: QidoQuery,
): Promise<DicomJsonObject[]> {
  checkUid(studyUid, "Study Instance UID");
  return search(
    endpoint,
    `/studies/${studyUid}/series`,
    buildQueryString(query),
    `QIDO-RS search for series of study ${studyUid}`,
  );
}

export async function searchForInstances(
  endpoint: QidoEndpoint,
  studyUid: string,
  seriesUid?: string,
  includeFields?: readonly string[],
  query?: QidoQuery,
): Promise<DicomJsonObject[]> {
  checkUid(studyUid, "Study Instance UID");
  if (seriesUid !== undefined) checkUid(seriesUid, "Series Instance UID");
  const path =
    seriesUid === undefined
      ? `/studies/${studyUid}/instances`
      : `/studies/${studyUid}/series/${seriesUid}/instances`;
  return search(
    endpoint,
    path,
    buildQueryString(query, includeFields),
    `QIDO-RS search for instances of study ${studyUid}`,
  );
}

/**
 * WADO-RS Retrieve Series Metadata (PS3.18 §10.4): every instance's
 * attributes (bulk data as URIs), as DICOM JSON; a series the server does not
 * have answers []. The Orthanc DICOMweb plugin ≥ 1.15 serves this from a
 * per-series cache instead of reading each file, and without the W001
 * storage-read warning that any instance-level QIDO-RS draws from Orthanc 1.12.
 */
export async function retrieveSeriesMetadata(
  endpoint: QidoEndpoint,
  studyUid: string,
  seriesUid: string,
): Promise<DicomJsonObject[]> {
  checkUid(studyUid, "Study Instance UID");
  checkUid(seriesUid, "Series Instance UID");
  return search(
    endpoint,
    `/studies/${studyUid}/series/${seriesUid}/metadata`,
    "",
    `WADO-RS metadata of a series of study ${studyUid}`,
    true,
  );
}
