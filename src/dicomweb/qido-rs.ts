/**
 * QIDO-RS (PS3.18 §10.6) through dicomweb-client: Search for Studies / Series /
 * Instances, answered as DICOM JSON. Query keys are attribute keywords, tags
 * ("0020000D"), dotted sequence paths, or the QIDO controls (limit, offset,
 * fuzzymatching, includefield); values are URL-encoded by dicomweb-client.
 */
import { RadzError } from "../errors.js";
import { isDicomJsonObject, type DicomJsonObject } from "./dicom-json.js";
import type { DicomwebClientAdapter } from "./dicomweb-client-adapter.js";
import { badResponse } from "./http-errors.js";

export type QidoQuery = Readonly<Record<string, string>>;

const QUERY_KEY = /^[A-Za-z0-9_.]{1,128}$/;
const UID = /^[0-9]+(?:\.[0-9]+)*$/;

export function checkUid(uid: string, name: string): string {
  if (uid.length > 64 || !UID.test(uid))
    throw new RadzError("INPUT_INVALID", `${name} is not a valid DICOM UID`);
  return uid;
}

function checkQuery(query: QidoQuery | undefined): Record<string, string> | undefined {
  if (query === undefined) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(query)) {
    // Keys go into the URL unencoded by dicomweb-client: allow only safe characters.
    if (!QUERY_KEY.test(k))
      throw new RadzError("INPUT_INVALID", `QIDO-RS query key is not allowed: ${k.slice(0, 40)}`);
    out[k] = v;
  }
  return Object.keys(out).length === 0 ? undefined : out;
}

function toDatasets(result: unknown, what: string): DicomJsonObject[] {
  if (Array.isArray(result) && result.every(isDicomJsonObject)) return result;
  throw badResponse(what, "response is not a DICOM JSON array");
}

export async function searchForStudies(
  adapter: DicomwebClientAdapter,
  query?: QidoQuery,
): Promise<DicomJsonObject[]> {
  const what = "QIDO-RS search for studies";
  const queryParams = checkQuery(query);
  const result = await adapter.call(what, (client, request) =>
    client.searchForStudies(queryParams === undefined ? { request } : { queryParams, request }),
  );
  return toDatasets(result, what);
}

export async function searchForSeries(
  adapter: DicomwebClientAdapter,
  studyUid: string,
  query?: QidoQuery,
): Promise<DicomJsonObject[]> {
  const what = `QIDO-RS search for series of study ${studyUid}`;
  const studyInstanceUID = checkUid(studyUid, "Study Instance UID");
  const queryParams = checkQuery(query);
  const result = await adapter.call(what, (client, request) =>
    client.searchForSeries(
      queryParams === undefined
        ? { studyInstanceUID, request }
        : { studyInstanceUID, queryParams, request },
    ),
  );
  return toDatasets(result, what);
}

export async function searchForInstances(
  adapter: DicomwebClientAdapter,
  studyUid: string,
  seriesUid?: string,
  includeFields?: readonly string[],
  query?: QidoQuery,
): Promise<DicomJsonObject[]> {
  const what = `QIDO-RS search for instances of study ${studyUid}`;
  const studyInstanceUID = checkUid(studyUid, "Study Instance UID");
  const seriesInstanceUID =
    seriesUid === undefined ? undefined : checkUid(seriesUid, "Series Instance UID");
  const params: Record<string, string> = { ...query };
  if (includeFields !== undefined && includeFields.length > 0) {
    for (const f of includeFields) {
      if (!QUERY_KEY.test(f) && f !== "all")
        throw new RadzError("INPUT_INVALID", `includefield value is not allowed`);
    }
    params.includefield = includeFields.join(",");
  }
  const queryParams = checkQuery(params);
  const result = await adapter.call(what, (client, request) => {
    // dicomweb-client tests `'seriesInstanceUID' in options`: omit absent keys.
    const options: Parameters<typeof client.searchForInstances>[0] = { studyInstanceUID, request };
    if (seriesInstanceUID !== undefined) options.seriesInstanceUID = seriesInstanceUID;
    if (queryParams !== undefined) options.queryParams = queryParams;
    return client.searchForInstances(options);
  });
  return toDatasets(result, what);
}
