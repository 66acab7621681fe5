/**
 * Orthanc REST client (HTTP only). Every failure is a RadzError:
 *
 *   network error (refused, reset, DNS)  -> ORTHANC_UNREACHABLE  (transient)
 *   no answer within timeoutMs           -> ORTHANC_TIMEOUT      (transient)
 *   5xx or 429                           -> ORTHANC_HTTP_ERROR   (transient)
 *   404                                  -> ORTHANC_NOT_FOUND    (permanent)
 *   other 4xx                            -> ORTHANC_REJECTED     (permanent)
 *   2xx with a body of the wrong shape   -> ORTHANC_HTTP_ERROR   (transient)
 *
 * Messages name the method, the path (Orthanc IDs only) and the status; never
 * a patient attribute. Patient-level tags are never returned (see types.ts).
 */
import { z } from "zod";
import { parseRetryAfter, RadzError, type ErrorCode } from "../errors.js";
import type { Logger } from "../observability/index.js";
import {
  createOutboundHttp,
  DISCARD_MAX_BYTES,
  readTextLimited,
  ResponseTooLargeError,
  type OutboundHttp,
} from "../security/index.js";
import type {
  OrthancChangesPage,
  OrthancInstance,
  OrthancSeries,
  OrthancStudy,
  OrthancStudyIdentity,
  OrthancSystem,
  OrthancUploadResult,
} from "./types.js";
import { isVersionAtLeast, LABELS_MIN_VERSION } from "./version.js";

export interface OrthancClientOptions {
  /** Orthanc REST root, e.g. "http://127.0.0.1:8042" (a path prefix behind a proxy is kept). */
  readonly url: string;
  readonly username?: string;
  readonly password?: string;
  /**
   * Credentials + TLS (Basic/bearer/headers, custom CA, client certificate),
   * built from the configuration by security/outboundFromConfig. When given,
   * username/password above are ignored.
   */
  readonly http?: OutboundHttp;
  /** Per-request timeout (connect + headers + body). */
  readonly timeoutMs: number;
  readonly logger?: Logger;
}

type HttpMethod = "GET" | "POST" | "PUT" | "DELETE";

interface RequestInit {
  readonly body?: Uint8Array | string;
  readonly contentType?: string;
}

/**
 * Largest REST answer read (the bounded reader, security/response-body.ts): a
 * list of a million Orthanc IDs fits; a study's instances many times over.
 */
export const MAX_ORTHANC_RESPONSE_BYTES = 64 * 1024 * 1024;
/** Orthanc resource IDs are SHA-1 based: hex groups joined by '-'. */
const ORTHANC_ID = /^[0-9a-f]{8}(?:-[0-9a-f]{8}){4}$/i;
/** Metadata names: a registered name or a numeric index (>= 1024). */
const METADATA_NAME = /^[A-Za-z0-9_]{1,64}$/;
/** Orthanc label rule (1.12): alphanumeric, '_' and '-', at most 64 characters. */
const LABEL = /^[A-Za-z0-9_-]{1,64}$/;
/** A DICOM UID (PS3.5 9.1). */
const UID = /^[0-9]+(?:\.[0-9]+)*$/;

const SystemSchema = z.object({
  Version: z.string(),
  ApiVersion: z.number(),
  Name: z.string(),
  HasLabels: z.boolean().optional(),
});
const PluginsSchema = z.array(z.string());
const PluginSchema = z.object({ Version: z.string() });
const ChangesSchema = z.object({
  Changes: z.array(
    z.object({
      Seq: z.number(),
      ChangeType: z.string(),
      ResourceType: z.string(),
      ID: z.string(),
      Date: z.string(),
    }),
  ),
  Last: z.number(),
  Done: z.boolean(),
});
const StudySchema = z.object({
  ID: z.string(),
  IsStable: z.boolean(),
  LastUpdate: z.string(),
  MainDicomTags: z.object({ StudyInstanceUID: z.string() }),
  ParentPatient: z.string(),
  Series: z.array(z.string()),
});
const optionalTag = z.string().optional();
/** GET /studies/{id}: only the tags of OrthancStudyIdentity are read; their values are never logged. */
const StudyIdentitySchema = z.object({
  MainDicomTags: z.object({
    AccessionNumber: optionalTag,
    StudyDate: optionalTag,
    StudyDescription: optionalTag,
  }),
  PatientMainDicomTags: z
    .object({ PatientName: optionalTag, PatientID: optionalTag })
    .optional()
    .default({}),
});
const SeriesListSchema = z.array(
  z.object({
    ID: z.string(),
    MainDicomTags: z.object({
      SeriesInstanceUID: z.string(),
      Modality: z.string().optional(),
      BodyPartExamined: z.string().optional(),
      SeriesNumber: z.string().optional(),
      SeriesDescription: z.string().optional(),
    }),
    Instances: z.array(z.string()),
    ParentStudy: z.string(),
  }),
);
const InstanceListSchema = z.array(
  z.object({
    ID: z.string(),
    MainDicomTags: z.object({
      SOPInstanceUID: z.string(),
      InstanceNumber: z.string().optional(),
    }),
    ParentSeries: z.string(),
    FileSize: z.number().optional(),
    IndexInSeries: z.number().nullable().optional(),
  }),
);
const LookupSchema = z.array(z.object({ ID: z.string(), Type: z.string() }));
const UploadSchema = z.object({ ID: z.string(), ParentStudy: z.string(), Status: z.string() });
const IdListSchema = z.array(z.string());
const MetadataMapSchema = z.record(z.string(), z.string());

export class OrthancClient {
  private readonly base: string;
  private readonly http: OutboundHttp;

  constructor(private readonly options: OrthancClientOptions) {
    this.base = options.url.replace(/\/+$/, "");
    this.http =
      options.http ??
      createOutboundHttp({ auth: { username: options.username, password: options.password } });
  }

  /** GET /system + GET /plugins: version, API version, name and feature detection. */
  async system(): Promise<OrthancSystem> {
    const [system, plugins] = await Promise.all([
      this.getJson("/system", SystemSchema),
      this.getJson("/plugins", PluginsSchema),
    ]);
    // "HasLabels" (1.12+) is authoritative when present: a database backend
    // without label support reports false even on a new Orthanc.
    const supportsLabels = system.HasLabels ?? isVersionAtLeast(system.Version, LABELS_MIN_VERSION);
    return {
      version: system.Version,
      apiVersion: system.ApiVersion,
      name: system.Name,
      dicomWebPlugin: plugins.includes("dicom-web"),
      supportsLabels,
    };
  }

  /**
   * The DICOMweb plugin's version ("1.7", "1.20"), or null when it is not
   * loaded: GET /plugins/dicom-web.
   */
  async dicomWebPluginVersion(): Promise<string | null> {
    if (!(await this.getJson("/plugins", PluginsSchema)).includes("dicom-web")) return null;
    return (await this.getJson("/plugins/dicom-web", PluginSchema)).Version;
  }

  /**
   * An instance's SOP Class UID from Orthanc's index (its "SopClassUid"
   * metadata; no storage read), or null when Orthanc did not record it.
   */
  async instanceSopClassUid(orthancId: string): Promise<string | null> {
    const all = await this.getJson(
      `/instances/${checkId(orthancId)}/metadata?expand`,
      MetadataMapSchema,
    );
    return all.SopClassUid ?? null;
  }

  /** GET /changes?since=&limit= — one page of the change feed. */
  async changes(since: number, limit: number): Promise<OrthancChangesPage> {
    if (!Number.isSafeInteger(since) || since < 0) throw invalid("since must be an integer >= 0");
    if (!Number.isSafeInteger(limit) || limit < 1) throw invalid("limit must be an integer >= 1");
    const page = await this.getJson(`/changes?since=${since}&limit=${limit}`, ChangesSchema);
    return {
      changes: page.Changes.map((c) => ({
        seq: c.Seq,
        changeType: c.ChangeType,
        resourceType: c.ResourceType,
        resourceId: c.ID,
        date: c.Date,
      })),
      last: page.Last,
      done: page.Done,
    };
  }

  /** GET /changes?last — the sequence number of the newest change (0 when none). */
  async lastChange(): Promise<number> {
    const page = await this.getJson("/changes?last", ChangesSchema);
    return page.Last;
  }

  /** GET /studies/{id} (without patient tags). */
  async study(orthancId: string): Promise<OrthancStudy> {
    const s = await this.getJson(`/studies/${checkId(orthancId)}`, StudySchema);
    return {
      orthancId: s.ID,
      studyInstanceUid: s.MainDicomTags.StudyInstanceUID,
      seriesIds: s.Series,
      patientOrthancId: s.ParentPatient,
      lastUpdate: s.LastUpdate,
      isStable: s.IsStable,
    };
  }

  /**
   * GET /studies/{id}, its patient and study tags: who the study is, for a
   * person's eyes only (the worklist). PHI: the caller must not store or log it.
   */
  async studyIdentity(orthancId: string): Promise<OrthancStudyIdentity> {
    const s = await this.getJson(`/studies/${checkId(orthancId)}`, StudyIdentitySchema);
    const value = (v: string | undefined) => (v === undefined || v.trim() === "" ? null : v.trim());
    return {
      patientName: value(s.PatientMainDicomTags.PatientName),
      patientId: value(s.PatientMainDicomTags.PatientID),
      accessionNumber: value(s.MainDicomTags.AccessionNumber),
      studyDescription: value(s.MainDicomTags.StudyDescription),
      studyDate: value(s.MainDicomTags.StudyDate),
    };
  }

  /** GET /studies/{id}/series — the study's series with their identifying tags. */
  async studySeries(orthancId: string): Promise<OrthancSeries[]> {
    const list = await this.getJson(`/studies/${checkId(orthancId)}/series`, SeriesListSchema);
    return list.map((s) => ({
      orthancId: s.ID,
      seriesInstanceUid: s.MainDicomTags.SeriesInstanceUID,
      modality: s.MainDicomTags.Modality ?? null,
      bodyPartExamined: s.MainDicomTags.BodyPartExamined ?? null,
      seriesNumber: s.MainDicomTags.SeriesNumber ?? null,
      seriesDescription: s.MainDicomTags.SeriesDescription ?? null,
      instanceIds: s.Instances,
      parentStudy: s.ParentStudy,
    }));
  }

  /** GET /studies/{id}/instances. */
  async studyInstances(orthancId: string): Promise<OrthancInstance[]> {
    const list = await this.getJson(`/studies/${checkId(orthancId)}/instances`, InstanceListSchema);
    return list.map((i) => ({
      orthancId: i.ID,
      sopInstanceUid: i.MainDicomTags.SOPInstanceUID,
      instanceNumber: i.MainDicomTags.InstanceNumber ?? null,
      parentSeries: i.ParentSeries,
      fileSize: i.FileSize ?? null,
      indexInSeries: i.IndexInSeries ?? null,
    }));
  }

  /** POST /tools/lookup — the Orthanc ID of the study with this Study Instance UID, or null. */
  async findStudyByUid(studyInstanceUid: string): Promise<string | null> {
    if (!UID.test(studyInstanceUid) || studyInstanceUid.length > 64) {
      throw invalid("not a valid Study Instance UID");
    }
    const res = await this.send("POST", "/tools/lookup", {
      body: studyInstanceUid,
      contentType: "text/plain",
    });
    const hits = await this.readJson(res, "POST", "/tools/lookup", LookupSchema);
    return hits.find((h) => h.Type === "Study")?.ID ?? null;
  }

  /** GET /studies — Orthanc IDs of all studies. */
  async listStudies(): Promise<string[]> {
    return this.getJson("/studies", IdListSchema);
  }

  /** POST /instances — store one DICOM Part-10 file. */
  async uploadInstance(part10: Uint8Array): Promise<OrthancUploadResult> {
    const res = await this.send("POST", "/instances", {
      body: part10,
      contentType: "application/dicom",
    });
    const r = await this.readJson(res, "POST", "/instances", UploadSchema);
    return { orthancId: r.ID, parentStudy: r.ParentStudy, status: r.Status };
  }

  /** DELETE /instances/{id}. */
  async deleteInstance(orthancId: string): Promise<void> {
    await this.sendAndDiscard("DELETE", `/instances/${checkId(orthancId)}`);
  }

  /**
   * A study's metadata value, or null when the study has no such metadata.
   * `name` is a metadata name registered in Orthanc's "UserMetadata" option or
   * a numeric index >= 1024. Throws ORTHANC_NOT_FOUND when the study is gone.
   */
  async getStudyMetadata(orthancId: string, name: string): Promise<string | null> {
    checkMetadataName(name);
    // One call that tells "no such metadata" (absent key) from "no such study" (404).
    const all = await this.getJson(
      `/studies/${checkId(orthancId)}/metadata?expand`,
      MetadataMapSchema,
    );
    return Object.hasOwn(all, name) ? (all[name] ?? null) : null;
  }

  /** PUT /studies/{id}/metadata/{name}. */
  async setStudyMetadata(orthancId: string, name: string, value: string): Promise<void> {
    checkMetadataName(name);
    await this.sendAndDiscard("PUT", `/studies/${checkId(orthancId)}/metadata/${name}`, {
      body: value,
      contentType: "text/plain",
    });
  }

  /** DELETE /studies/{id}/metadata/{name}; deleting absent metadata is not an error. */
  async deleteStudyMetadata(orthancId: string, name: string): Promise<void> {
    const current = await this.getStudyMetadata(orthancId, name);
    if (current === null) return;
    await this.sendAndDiscard("DELETE", `/studies/${checkId(orthancId)}/metadata/${name}`);
  }

  /** PUT /studies/{id}/labels/{label} (Orthanc >= 1.12; check system().supportsLabels first). */
  async addStudyLabel(orthancId: string, label: string): Promise<void> {
    await this.sendAndDiscard("PUT", `/studies/${checkId(orthancId)}/labels/${checkLabel(label)}`, {
      body: "",
    });
  }

  /** DELETE /studies/{id}/labels/{label} (Orthanc >= 1.12). */
  async removeStudyLabel(orthancId: string, label: string): Promise<void> {
    await this.sendAndDiscard(
      "DELETE",
      `/studies/${checkId(orthancId)}/labels/${checkLabel(label)}`,
    );
  }

  /** GET /studies/{id}/labels (Orthanc >= 1.12). */
  async studyLabels(orthancId: string): Promise<string[]> {
    return this.getJson(`/studies/${checkId(orthancId)}/labels`, IdListSchema);
  }

  // ---------------------------------------------------------------- transport

  private async getJson<T>(path: string, schema: z.ZodType<T>): Promise<T> {
    const res = await this.send("GET", path);
    return this.readJson(res, "GET", path, schema);
  }

  private async sendAndDiscard(
    method: HttpMethod,
    path: string,
    init: RequestInit = {},
  ): Promise<void> {
    const res = await this.send(method, path, init);
    await this.readBody(res, method, path);
  }

  /** Sends a request; resolves only for 2xx (the body is left for the caller to read). */
  private async send(method: HttpMethod, path: string, init: RequestInit = {}): Promise<Response> {
    const headers: Record<string, string> = { ...this.http.headers, Accept: "application/json" };
    if (init.contentType !== undefined) headers["Content-Type"] = init.contentType;
    let res: Response;
    try {
      res = await this.http.fetch(`${this.base}${path}`, {
        method,
        headers,
        body: init.body,
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
    } catch (err) {
      throw this.transportError(err, method, path);
    }
    if (res.ok) return res;

    const text = await this.readBody(res, method, path, DISCARD_MAX_BYTES).catch(() => "");
    const orthancError = describeOrthancError(text);
    const code = statusCode(res.status);
    const retryAfterMs = parseRetryAfter(res.headers.get("retry-after"));
    this.options.logger?.debug(
      { method, path, status: res.status, code },
      "Orthanc request failed",
    );
    throw new RadzError(
      code,
      `Orthanc ${method} ${stripQuery(path)} answered HTTP ${res.status}${orthancError ? ` (${orthancError})` : ""}`,
      {
        details: {
          method,
          path: stripQuery(path),
          status: res.status,
          orthancError,
          ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
        },
      },
    );
  }

  private async readBody(
    res: Response,
    method: HttpMethod,
    path: string,
    maxBytes: number = MAX_ORTHANC_RESPONSE_BYTES,
  ): Promise<string> {
    try {
      return await readTextLimited(res, maxBytes);
    } catch (err) {
      if (err instanceof ResponseTooLargeError) {
        throw new RadzError(
          "ORTHANC_RESPONSE_TOO_LARGE",
          `Orthanc ${method} ${stripQuery(path)} answered with more than ${maxBytes} bytes`,
          { details: { method, path: stripQuery(path), status: res.status, maxBytes } },
        );
      }
      throw this.transportError(err, method, path);
    }
  }

  private async readJson<T>(
    res: Response,
    method: HttpMethod,
    path: string,
    schema: z.ZodType<T>,
  ): Promise<T> {
    const text = await this.readBody(res, method, path);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new RadzError(
        "ORTHANC_HTTP_ERROR",
        `Orthanc ${method} ${stripQuery(path)} answered with invalid JSON`,
        {
          details: { method, path: stripQuery(path), status: res.status },
        },
      );
    }
    const parsed = schema.safeParse(body);
    if (!parsed.success) {
      // Name only the paths of the offending fields, never their values.
      const fields = parsed.error.issues.map((i) => i.path.join(".") || "(root)").slice(0, 5);
      throw new RadzError(
        "ORTHANC_HTTP_ERROR",
        `Orthanc ${method} ${stripQuery(path)} answered with an unexpected shape (fields: ${fields.join(", ")})`,
        { details: { method, path: stripQuery(path), status: res.status, fields } },
      );
    }
    return parsed.data;
  }

  private transportError(err: unknown, method: HttpMethod, path: string): RadzError {
    const where = `Orthanc ${method} ${stripQuery(path)}`;
    if (isTimeout(err)) {
      return new RadzError(
        "ORTHANC_TIMEOUT",
        `${where} did not answer within ${this.options.timeoutMs} ms`,
        {
          cause: err,
          details: { method, path: stripQuery(path), timeoutMs: this.options.timeoutMs },
        },
      );
    }
    const sysCode = systemErrorCode(err);
    return new RadzError(
      "ORTHANC_UNREACHABLE",
      `${where} failed: ${sysCode ?? (err instanceof Error ? err.message : String(err))}`,
      { cause: err, details: { method, path: stripQuery(path), errno: sysCode } },
    );
  }
}

function statusCode(status: number): ErrorCode {
  if (status === 404) return "ORTHANC_NOT_FOUND";
  if (status === 429 || status >= 500) return "ORTHANC_HTTP_ERROR";
  if (status >= 400) return "ORTHANC_REJECTED";
  // 1xx/3xx reaching here (redirects are followed by fetch): not something we can use.
  return "ORTHANC_HTTP_ERROR";
}

function isTimeout(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (err.name === "TimeoutError") return true;
  return err.cause instanceof Error && err.cause.name === "TimeoutError";
}

/** ECONNREFUSED, ENOTFOUND, ... from fetch's `cause` chain. */
function systemErrorCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < 4 && e instanceof Error; depth++) {
    const code = (e as Error & { code?: unknown }).code;
    if (typeof code === "string") return code;
    e = e.cause;
  }
  return undefined;
}

/** Orthanc's error JSON carries "OrthancError" (a fixed enum text, no PHI); "Details" is free text and is dropped. */
function describeOrthancError(text: string): string | undefined {
  try {
    const body: unknown = JSON.parse(text);
    if (body !== null && typeof body === "object" && "OrthancError" in body) {
      const v = body.OrthancError;
      return typeof v === "string" ? v.slice(0, 120) : undefined;
    }
  } catch {
    // not JSON
  }
  return undefined;
}

function stripQuery(path: string): string {
  const q = path.indexOf("?");
  return q === -1 ? path : path.slice(0, q);
}

function invalid(message: string): RadzError {
  return new RadzError("INPUT_INVALID", message);
}

function checkId(orthancId: string): string {
  if (!ORTHANC_ID.test(orthancId)) throw invalid("not a valid Orthanc resource ID");
  return orthancId;
}

function checkMetadataName(name: string): string {
  if (!METADATA_NAME.test(name)) throw invalid("metadata name must match [A-Za-z0-9_]{1,64}");
  return name;
}

function checkLabel(label: string): string {
  if (!LABEL.test(label)) throw invalid("label must match [A-Za-z0-9_-]{1,64}");
  return label;
}
