/**
 * The one DICOMweb facade, with PS3.18's verbs as method names:
 *
 *   QIDO-RS  searchForStudies / searchForSeries / searchForInstances  (fetch)
 *   WADO-RS  retrieveInstance                                          (node:http, streamed)
 *   STOW-RS  storeInstances                                            (dicomweb-client + xhr2)
 *
 * dicomweb-client carries STOW-RS. Retrievals use Node's http client so the
 * body is streamed, size-limited while it arrives and parsed without copying
 * every byte through an XMLHttpRequest shim (bench/dicomweb-retrieve.ts: about
 * 2.5x faster on a 10 MB instance). QIDO-RS builds its own query string
 * because dicomweb-client's encoding defeats Orthanc 1.10 (see qido-rs.ts).
 *
 * Errors: DICOMWEB_UNREACHABLE, DICOMWEB_TIMEOUT, DICOMWEB_HTTP_ERROR (5xx/429),
 * DICOMWEB_REJECTED (other 4xx), DICOMWEB_BAD_RESPONSE, DICOMWEB_INSTANCE_TOO_LARGE,
 * STOW_FAILED, INPUT_INVALID (a malformed UID or query key). Messages name
 * UIDs and statuses only; QIDO query values are never logged.
 */
import type { Logger } from "../observability/index.js";
import { createOutboundHttp, type OutboundHttp } from "../security/index.js";
import type { DicomJsonObject } from "../dicom/index.js";
import { DicomwebClientAdapter } from "./dicomweb-client-adapter.js";
import {
  checkUid,
  retrieveSeriesMetadata,
  searchForInstances,
  searchForSeries,
  searchForStudies,
  type QidoEndpoint,
  type QidoQuery,
} from "./qido-rs.js";
import { storeInstancesViaStow, type StoreInstancesResult } from "./stow-rs.js";
import { retrieveInstancePart10, type WadoEndpoint } from "./wado-rs.js";

export interface DicomWebClientOptions {
  /** DICOMweb root, e.g. "http://127.0.0.1:8042/dicom-web". */
  readonly url: string;
  readonly username?: string;
  readonly password?: string;
  /** Extra headers for every request (e.g. a bearer token). */
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * Credentials + TLS built from the configuration (security/outboundFromConfig):
   * Basic/bearer/custom headers, custom CA, client certificate. When given,
   * username/password/headers above are ignored.
   */
  readonly http?: OutboundHttp;
  /** Per-request limit: connect, headers and the whole body. */
  readonly timeoutMs: number;
  /** Largest instance retrieveInstance accepts (DICOMWEB_INSTANCE_TOO_LARGE beyond). */
  readonly maxInstanceBytes: number;
  readonly logger?: Logger;
  /**
   * Whether seriesInstances() reads WADO-RS series metadata instead of
   * searching instances with QIDO-RS; asked on first use and remembered once
   * it answers (default: QIDO-RS). For Orthanc: DICOMweb plugin ≥ 1.15, which
   * caches series metadata (see app.ts).
   */
  readonly preferSeriesMetadata?: () => Promise<boolean>;
}

export interface RetrieveOptions {
  /**
   * Where the instance's bytes go: `allocate(n)` returns n bytes to copy them
   * into (e.g. BufferPool.acquire). Default: a new array.
   */
  readonly allocate?: (n: number) => Uint8Array;
}

export class DicomWebClient {
  readonly #adapter: DicomwebClientAdapter;
  readonly #endpoint: WadoEndpoint & QidoEndpoint;
  readonly #maxInstanceBytes: number;
  readonly #logger: Logger | undefined;
  readonly #preferSeriesMetadata: (() => Promise<boolean>) | undefined;
  #seriesMetadata: Promise<boolean> | null = null;

  constructor(options: DicomWebClientOptions) {
    const baseUrl = options.url.replace(/\/+$/, "");
    const http =
      options.http ??
      createOutboundHttp({
        auth: { username: options.username, password: options.password, headers: options.headers },
      });
    const headers = http.headers;
    this.#adapter = new DicomwebClientAdapter({
      baseUrl,
      headers,
      timeoutMs: options.timeoutMs,
      httpsAgent: http.httpsAgent,
    });
    this.#endpoint = {
      baseUrl,
      headers,
      timeoutMs: options.timeoutMs,
      fetch: http.fetch,
      agentFor: (url) => http.agentFor(url),
    };
    this.#maxInstanceBytes = options.maxInstanceBytes;
    this.#logger = options.logger;
    this.#preferSeriesMetadata = options.preferSeriesMetadata;
  }

  /** QIDO-RS Search for Studies: GET /studies?{query}. */
  async searchForStudies(query?: QidoQuery): Promise<DicomJsonObject[]> {
    return this.#timed("searchForStudies", { keys: Object.keys(query ?? {}) }, () =>
      searchForStudies(this.#endpoint, query),
    );
  }

  /** QIDO-RS Search for Series of a study: GET /studies/{study}/series?{query}. */
  async searchForSeries(studyUid: string, query?: QidoQuery): Promise<DicomJsonObject[]> {
    return this.#timed("searchForSeries", { studyUid }, () =>
      searchForSeries(this.#endpoint, studyUid, query),
    );
  }

  /**
   * QIDO-RS Search for Instances of a study or one of its series, with
   * `includefield` for attributes beyond the default set.
   */
  async searchForInstances(
    studyUid: string,
    seriesUid?: string,
    includeFields?: readonly string[],
  ): Promise<DicomJsonObject[]> {
    return this.#timed("searchForInstances", { studyUid, seriesUid }, () =>
      searchForInstances(this.#endpoint, studyUid, seriesUid, includeFields),
    );
  }

  /**
   * The instances of one series, each with at least `includeFields` and the
   * identifying UIDs (DICOM JSON): a QIDO-RS instance search, or — when
   * `preferSeriesMetadata` says so — WADO-RS series metadata (every attribute).
   * Both answer [] for a series the server does not have.
   */
  async seriesInstances(
    studyUid: string,
    seriesUid: string,
    includeFields?: readonly string[],
  ): Promise<DicomJsonObject[]> {
    return (await this.#useSeriesMetadata())
      ? this.retrieveSeriesMetadata(studyUid, seriesUid)
      : this.searchForInstances(studyUid, seriesUid, includeFields);
  }

  #useSeriesMetadata(): Promise<boolean> {
    const ask = this.#preferSeriesMetadata;
    if (ask === undefined) return Promise.resolve(false);
    this.#seriesMetadata ??= ask().catch((err: unknown) => {
      // Not remembered: the next call asks again.
      this.#seriesMetadata = null;
      this.#logger?.debug({ err }, "could not tell whether to read series metadata; using QIDO-RS");
      return false;
    });
    return this.#seriesMetadata;
  }

  /**
   * WADO-RS Retrieve Series Metadata: GET /studies/{study}/series/{series}/metadata,
   * one DICOM JSON object per instance ([] when the series is not there).
   */
  async retrieveSeriesMetadata(studyUid: string, seriesUid: string): Promise<DicomJsonObject[]> {
    return this.#timed("retrieveSeriesMetadata", { studyUid, seriesUid }, () =>
      retrieveSeriesMetadata(this.#endpoint, studyUid, seriesUid),
    );
  }

  /**
   * WADO-RS Retrieve Instance: the Part-10 bytes, in the transfer syntax as
   * stored when the server allows (`transfer-syntax=*`).
   */
  async retrieveInstance(
    studyUid: string,
    seriesUid: string,
    sopUid: string,
    options: RetrieveOptions = {},
  ): Promise<Uint8Array> {
    checkUid(studyUid, "Study Instance UID");
    checkUid(seriesUid, "Series Instance UID");
    checkUid(sopUid, "SOP Instance UID");
    return this.#timed("retrieveInstance", { sopUid }, () =>
      retrieveInstancePart10(
        this.#endpoint,
        this.#maxInstanceBytes,
        studyUid,
        seriesUid,
        sopUid,
        options.allocate,
      ),
    );
  }

  /** STOW-RS Store Instances: POST /studies[/{study}] with Part-10 files. */
  async storeInstances(
    part10s: readonly Uint8Array[],
    studyUid?: string,
  ): Promise<StoreInstancesResult> {
    return this.#timed("storeInstances", { count: part10s.length, studyUid }, () =>
      storeInstancesViaStow(this.#adapter, part10s, studyUid),
    );
  }

  async #timed<T>(op: string, ctx: Record<string, unknown>, fn: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      const result = await fn();
      this.#logger?.debug(
        { op, ...ctx, ms: Math.round(performance.now() - started) },
        "DICOMweb request done",
      );
      return result;
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      this.#logger?.debug(
        { op, ...ctx, code, ms: Math.round(performance.now() - started) },
        "DICOMweb request failed",
      );
      throw err;
    }
  }
}
