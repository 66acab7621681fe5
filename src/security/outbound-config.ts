/**
 * Outbound transports from the configuration. The DICOMweb server inherits
 * Orthanc's credentials and TLS settings only when it IS Orthanc
 * (dicomweb.url unset, or the same origin as orthanc.url) and sets none of
 * its own, so Orthanc's password never travels to another host by default.
 * Credentials and TLS are inherited separately (setting dicomweb.caFile does
 * not drop the inherited password).
 */
import { dicomwebUrl, type Config } from "../config/index.js";
import {
  createOutboundHttp,
  loadTlsFiles,
  type HttpAuthOptions,
  type OutboundHttp,
  type OutboundOptions,
  type TlsFileOptions,
} from "./outbound.js";

type OutboundSection = HttpAuthOptions & TlsFileOptions;

function authOf(s: OutboundSection): HttpAuthOptions | undefined {
  const has =
    s.username !== undefined ||
    s.password !== undefined ||
    s.bearerToken !== undefined ||
    s.headers !== undefined;
  return has
    ? { username: s.username, password: s.password, bearerToken: s.bearerToken, headers: s.headers }
    : undefined;
}

function tlsFilesOf(s: OutboundSection): TlsFileOptions | undefined {
  const has =
    s.caFile !== undefined || s.clientCertFile !== undefined || s.clientKeyFile !== undefined;
  return has
    ? { caFile: s.caFile, clientCertFile: s.clientCertFile, clientKeyFile: s.clientKeyFile }
    : undefined;
}

function sameOrigin(a: string, b: string): boolean {
  try {
    return new URL(a).origin === new URL(b).origin;
  } catch {
    return false;
  }
}

/** The outbound options (credentials + loaded TLS material) for Orthanc REST. */
export function orthancOutboundOptions(config: Config): OutboundOptions {
  const files = tlsFilesOf(config.orthanc);
  return {
    auth: authOf(config.orthanc),
    tls: files === undefined ? undefined : loadTlsFiles(files, "orthanc"),
  };
}

/** The outbound options for the DICOMweb server (inheriting Orthanc's when it is Orthanc). */
export function dicomwebOutboundOptions(config: Config): OutboundOptions {
  const inherit =
    config.dicomweb.url === undefined || sameOrigin(dicomwebUrl(config), config.orthanc.url);
  const auth = authOf(config.dicomweb) ?? (inherit ? authOf(config.orthanc) : undefined);
  const ownFiles = tlsFilesOf(config.dicomweb);
  const files = ownFiles ?? (inherit ? tlsFilesOf(config.orthanc) : undefined);
  return {
    auth,
    tls: files === undefined ? undefined : loadTlsFiles(files, ownFiles ? "dicomweb" : "orthanc"),
  };
}

export interface OutboundTransports {
  readonly orthanc: OutboundHttp;
  readonly dicomweb: OutboundHttp;
  close(): void;
}

/** Both transports, built (and their files read and checked) at start. */
export function outboundFromConfig(config: Config): OutboundTransports {
  const orthanc = createOutboundHttp(orthancOutboundOptions(config));
  const dicomweb = createOutboundHttp(dicomwebOutboundOptions(config));
  return {
    orthanc,
    dicomweb,
    close() {
      orthanc.close();
      dicomweb.close();
    },
  };
}
