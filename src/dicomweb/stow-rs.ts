/**
 * STOW-RS Store Instances (PS3.18 §10.5) through dicomweb-client: one
 * multipart/related; type="application/dicom" request with a quoted boundary
 * and a Content-Length (xhr2 sends the body in one piece, never chunked: old
 * Orthanc releases refuse chunked uploads). The Store Instances Response
 * (DICOM JSON) says, per SOP Instance, stored (Referenced SOP Sequence) or
 * failed (Failed SOP Sequence with a Failure Reason).
 *
 * Outcome:
 *   - nothing stored                       -> STOW_FAILED (details: stored, failed, status)
 *   - some stored, some failed (HTTP 202)  -> resolves; `failed` lists the rest
 *   - 409, or 400 naming failed instances  -> STOW_FAILED
 *   - other 4xx                            -> DICOMWEB_REJECTED; 5xx/429 -> DICOMWEB_HTTP_ERROR
 */
import { exactArrayBuffer } from "../bytes.js";
import { RadzError } from "../errors.js";
import {
  firstNumber,
  firstString,
  isDicomJsonObject,
  sequenceItems,
  Tag,
  type DicomJsonObject,
} from "../dicom/index.js";
import type { DicomwebClientAdapter } from "./dicomweb-client-adapter.js";
import { badResponse, statusError } from "./http-errors.js";
import { readPart10Meta } from "./part10.js";
import { checkUid } from "./qido-rs.js";

export interface StowFailure {
  readonly sopInstanceUid: string;
  /** e.g. "0x0110 Processing failure". */
  readonly reason: string;
}

export interface StoreInstancesResult {
  /** SOP Instance UIDs the server acknowledged (Referenced SOP Sequence). */
  readonly stored: string[];
  /** Instances that were not stored; non-empty only on partial success. */
  readonly failed: StowFailure[];
  /** Warning Reasons on stored instances, and HTTP 202 notes. */
  readonly warnings: string[];
}

/** PS3.18 Table I.2-3 / PS3.4 Annex B status codes seen in STOW-RS responses. */
const FAILURE_REASONS: Readonly<Record<number, string>> = {
  0x0110: "Processing failure",
  0x0122: "Referenced SOP Class not supported",
  0x0124: "Not authorized",
  0xa700: "Refused: out of resources",
  0xa900: "Error: data set does not match SOP Class",
  0xc000: "Error: cannot understand",
  0xc122: "Referenced Transfer Syntax not supported",
};
const WARNING_REASONS: Readonly<Record<number, string>> = {
  0xb000: "Coercion of data elements",
  0xb006: "Elements discarded",
  0xb007: "Data set does not match SOP Class",
};

function hex(code: number): string {
  return `0x${code.toString(16).toUpperCase().padStart(4, "0")}`;
}

export function describeFailureReason(code: number | undefined): string {
  if (code === undefined) return "no Failure Reason given";
  return `${hex(code)} ${FAILURE_REASONS[code] ?? "failure"}`;
}

function describeWarningReason(code: number): string {
  return `${hex(code)} ${WARNING_REASONS[code] ?? "warning"}`;
}

export async function storeInstancesViaStow(
  adapter: DicomwebClientAdapter,
  part10s: readonly Uint8Array[],
  studyUid?: string,
): Promise<StoreInstancesResult> {
  if (part10s.length === 0)
    throw new RadzError("INPUT_INVALID", "STOW-RS needs at least one instance");
  const studyInstanceUID =
    studyUid === undefined ? undefined : checkUid(studyUid, "Study Instance UID");
  const sent = part10s.map((bytes, i) => {
    const uid = readPart10Meta(bytes)?.mediaStorageSopInstanceUid;
    if (uid === undefined || uid === "") {
      throw new RadzError(
        "INPUT_INVALID",
        `STOW-RS input #${i} is not a DICOM Part-10 file with a SOP Instance UID`,
      );
    }
    return uid;
  });
  const datasets = part10s.map(exactArrayBuffer);
  const what =
    studyInstanceUID === undefined
      ? "STOW-RS store"
      : `STOW-RS store into study ${studyInstanceUID}`;
  const outcome = await adapter.callRaw(what, (client, request) =>
    client.storeInstances(
      studyInstanceUID === undefined
        ? { datasets, request }
        : { datasets, studyInstanceUID, request },
    ),
  );
  const body = outcome.status >= 200 && outcome.status < 300 ? outcome.value : outcome.response;
  return interpretStowResponse(outcome.status, body, sent, what, outcome.retryAfterMs);
}

/**
 * Turns a STOW-RS answer into a result or an error. `body` is the response
 * text (or already-parsed JSON); `sent` the SOP Instance UIDs in the request.
 */
export function interpretStowResponse(
  status: number,
  body: unknown,
  sent: readonly string[],
  what = "STOW-RS store",
  retryAfterMs?: number,
): StoreInstancesResult {
  const response = parseStowBody(body);
  const ok = status >= 200 && status < 300;

  if (
    !ok &&
    status !== 409 &&
    !(status === 400 && response !== null && failedItems(response).length > 0)
  ) {
    throw statusError(what, status, retryAfterMs);
  }
  if (ok && response === null)
    throw badResponse(what, "no Store Instances Response (DICOM JSON) in the answer");

  const stored: string[] = [];
  const warnings: string[] = [];
  const failed: StowFailure[] = [];
  if (response !== null) {
    for (const item of sequenceItems(response, Tag.ReferencedSOPSequence)) {
      const uid = firstString(item, Tag.ReferencedSOPInstanceUID);
      if (uid === undefined) continue;
      stored.push(uid);
      const warning = firstNumber(item, Tag.WarningReason);
      if (warning !== undefined) warnings.push(`${uid}: ${describeWarningReason(warning)}`);
    }
    for (const item of failedItems(response)) {
      failed.push({
        sopInstanceUid: firstString(item, Tag.ReferencedSOPInstanceUID) ?? "(unknown)",
        reason: describeFailureReason(firstNumber(item, Tag.FailureReason)),
      });
    }
  }
  // Anything sent that the server neither stored nor listed as failed did not get stored.
  for (const uid of sent) {
    if (!stored.includes(uid) && !failed.some((f) => f.sopInstanceUid === uid)) {
      failed.push({
        sopInstanceUid: uid,
        reason: ok ? "not acknowledged by the server" : `HTTP ${status}`,
      });
    }
  }
  if (status === 202)
    warnings.push("HTTP 202: the server stored the request with warnings or partial failures");

  if (!ok || stored.length === 0) {
    const list = failed
      .slice(0, 5)
      .map((f) => `${f.sopInstanceUid} (${f.reason})`)
      .join(", ");
    throw new RadzError(
      "STOW_FAILED",
      `${what} stored ${stored.length} of ${sent.length} instance(s) (HTTP ${status}); failed: ${list}${failed.length > 5 ? ", …" : ""}`,
      { details: { status, stored, failed } },
    );
  }
  return { stored, failed, warnings };
}

function failedItems(response: DicomJsonObject): DicomJsonObject[] {
  return sequenceItems(response, Tag.FailedSOPSequence);
}

function parseStowBody(body: unknown): DicomJsonObject | null {
  let value: unknown = body;
  if (typeof body === "string") {
    if (body.trim() === "") return null;
    try {
      value = JSON.parse(body);
    } catch {
      return null;
    }
  } else if (body instanceof ArrayBuffer) {
    return parseStowBody(new TextDecoder().decode(body));
  }
  if (Array.isArray(value) && value.length === 1) value = value[0];
  return isDicomJsonObject(value) ? value : null;
}
