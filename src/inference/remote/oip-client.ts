/**
 * A client for one Open Inference Protocol (KServe v2) HTTP/REST endpoint:
 * health, server and model metadata, model readiness and inference, with
 * tensors as JSON or as binary tensor data. It speaks to `radz worker`,
 * NVIDIA Triton, KServe and any other server that follows the protocol.
 */
import type http from "node:http";
import {
  decodeInferenceResponse,
  encodeInferenceRequest,
  errorMessage,
  type DecodedResponse,
  type OutgoingTensor,
} from "../oip/codec.js";
import { OipFormatError } from "../oip/datatypes.js";
import {
  HEADER_LENGTH_HEADER,
  type OipModelMetadata,
  type OipServerMetadata,
  type OipTensorMetadata,
} from "../oip/types.js";
import { endpointAgent, httpRequest, type HttpResult } from "./http-transport.js";

/** The endpoint answered with an HTTP error status. */
export class OipHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "OipHttpError";
  }
}

export interface OipClientOptions {
  /** Base URL; the protocol's paths (/v2/...) are appended to its path. */
  readonly url: string;
  readonly token?: string | undefined;
  readonly maxResponseBytes?: number;
}

export interface InferCall {
  readonly inputs: readonly OutgoingTensor[];
  readonly outputs: readonly { readonly name: string; readonly binary: boolean }[];
  readonly binaryInputs: boolean;
  readonly id?: string;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal | undefined;
}

/** The URL with any user:password removed, for logs and status pages. */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = "";
    u.password = "";
    u.search = "";
    return u.toString().replace(/\/$/, "");
  } catch {
    return "(invalid URL)";
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function tensorMetadataList(v: unknown, what: string): OipTensorMetadata[] {
  if (!Array.isArray(v)) throw new OipFormatError(`model metadata has no ${what} array`);
  return v.map((t, i) => {
    if (
      !isObject(t) ||
      typeof t.name !== "string" ||
      typeof t.datatype !== "string" ||
      !Array.isArray(t.shape) ||
      !t.shape.every((d) => Number.isInteger(d))
    )
      throw new OipFormatError(`model metadata ${what}[${i}] is not a tensor description`);
    return { name: t.name, datatype: t.datatype, shape: t.shape as number[] };
  });
}

export class OipClient {
  readonly base: URL;
  readonly display: string;
  private readonly agent: http.Agent;
  private readonly headers: Record<string, string>;
  private readonly maxResponseBytes: number;

  constructor(opts: OipClientOptions) {
    this.base = new URL(opts.url);
    this.display = displayUrl(opts.url);
    this.agent = endpointAgent(this.base);
    this.headers = { Accept: "application/json, application/octet-stream" };
    if (opts.token) this.headers.Authorization = `Bearer ${opts.token}`;
    this.maxResponseBytes = opts.maxResponseBytes ?? 512 * 1024 * 1024;
  }

  private url(path: string): URL {
    const u = new URL(this.base);
    u.pathname = `${u.pathname.replace(/\/+$/, "")}${path}`;
    return u;
  }

  private static modelPath(name: string, version: string | undefined): string {
    const v = version ? `/versions/${encodeURIComponent(version)}` : "";
    return `/v2/models/${encodeURIComponent(name)}${v}`;
  }

  private get(path: string, timeoutMs: number, signal?: AbortSignal): Promise<HttpResult> {
    return httpRequest(this.url(path), {
      method: "GET",
      headers: this.headers,
      timeoutMs,
      signal,
      agent: this.agent,
      maxResponseBytes: 1024 * 1024,
    });
  }

  private async getJson(path: string, timeoutMs: number): Promise<unknown> {
    const r = await this.get(path, timeoutMs);
    if (r.status !== 200)
      throw new OipHttpError(r.status, errorMessage(r.body) ?? `HTTP ${r.status} for GET ${path}`);
    try {
      return JSON.parse(r.body.toString("utf8"));
    } catch {
      throw new OipFormatError(`GET ${path} did not answer JSON`);
    }
  }

  /** GET /v2/health/live: the status code is the answer. */
  async serverLive(timeoutMs: number): Promise<boolean> {
    return (await this.get("/v2/health/live", timeoutMs)).status === 200;
  }

  /** GET /v2/health/ready: the status code is the answer. */
  async serverReady(timeoutMs: number): Promise<boolean> {
    return (await this.get("/v2/health/ready", timeoutMs)).status === 200;
  }

  /** GET /v2 */
  async serverMetadata(timeoutMs: number): Promise<OipServerMetadata> {
    const v = await this.getJson("/v2", timeoutMs);
    if (!isObject(v) || typeof v.name !== "string")
      throw new OipFormatError("server metadata has no name");
    const extensions = Array.isArray(v.extensions)
      ? v.extensions.filter((e): e is string => typeof e === "string")
      : [];
    return { name: v.name, version: typeof v.version === "string" ? v.version : "", extensions };
  }

  /** GET /v2/models/{name}[/versions/{version}] */
  async modelMetadata(
    name: string,
    version: string | undefined,
    timeoutMs: number,
  ): Promise<OipModelMetadata> {
    const v = await this.getJson(OipClient.modelPath(name, version), timeoutMs);
    if (!isObject(v) || typeof v.name !== "string")
      throw new OipFormatError("model metadata has no name");
    return {
      name: v.name,
      platform: typeof v.platform === "string" ? v.platform : "",
      ...(Array.isArray(v.versions)
        ? { versions: v.versions.filter((x): x is string => typeof x === "string") }
        : {}),
      inputs: tensorMetadataList(v.inputs, "inputs"),
      outputs: tensorMetadataList(v.outputs, "outputs"),
    };
  }

  /** GET /v2/models/{name}[/versions/{version}]/ready: the status code is the answer. */
  async modelReady(name: string, version: string | undefined, timeoutMs: number): Promise<boolean> {
    return (
      (await this.get(`${OipClient.modelPath(name, version)}/ready`, timeoutMs)).status === 200
    );
  }

  /** POST /v2/models/{name}[/versions/{version}]/infer */
  async infer(
    name: string,
    version: string | undefined,
    call: InferCall,
  ): Promise<DecodedResponse> {
    const body = encodeInferenceRequest({
      inputs: call.inputs,
      binaryInputs: call.binaryInputs,
      outputs: call.outputs,
      ...(call.id !== undefined ? { id: call.id } : {}),
    });
    const headers: Record<string, string> = {
      ...this.headers,
      "Content-Type": body.contentType,
    };
    if (body.headerLength !== undefined)
      headers["Inference-Header-Content-Length"] = String(body.headerLength);
    const r = await httpRequest(this.url(`${OipClient.modelPath(name, version)}/infer`), {
      method: "POST",
      headers,
      chunks: body.chunks,
      timeoutMs: call.timeoutMs,
      signal: call.signal,
      agent: this.agent,
      maxResponseBytes: this.maxResponseBytes,
    });
    if (r.status !== 200)
      throw new OipHttpError(r.status, errorMessage(r.body) ?? `HTTP ${r.status} from infer`);
    const hl = r.headers[HEADER_LENGTH_HEADER];
    return decodeInferenceResponse(r.body, Array.isArray(hl) ? hl[0] : hl);
  }

  close(): void {
    this.agent.destroy();
  }
}
