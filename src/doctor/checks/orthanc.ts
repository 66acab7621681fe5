/**
 * Orthanc and DICOMweb checks: reachable, credentials, version and features,
 * the DICOMweb plugin answering QIDO-RS, STOW-RS allowed, and clock skew.
 *
 * STOW-RS is checked with an EMPTY store request (a multipart/related body
 * with no parts): Orthanc's DICOMweb plugin answers 200 and stores nothing.
 * That proves the route, the POST method and the credentials without writing
 * anything into the PACS (no throw-away instance, no patient appears).
 */
import { isVersionAtLeast, LABELS_MIN_VERSION } from "../../orthanc/index.js";
import type { OutboundHttp } from "../../security/index.js";
import { jsonOf, probe, type ProbeResult } from "../probe.js";
import { result, type CheckResult } from "../types.js";

/** Oldest Orthanc RadZ supports (Debian 12 ships 1.10.1). */
export const MIN_ORTHANC_VERSION = "1.10.0";
/** Clock skew that is worth a warning / that breaks signed webhooks and timestamps. */
export const SKEW_WARN_SECONDS = 5;
export const SKEW_FAIL_SECONDS = 60;

export interface OrthancCheckContext {
  readonly orthancUrl: string;
  readonly dicomwebUrl: string;
  readonly orthanc: OutboundHttp;
  readonly dicomweb: OutboundHttp;
  readonly hasCredentials: boolean;
  readonly timeoutMs: number;
  readonly now: () => number;
}

export interface OrthancFacts {
  /** Orthanc answered /system with 2xx. */
  readonly connected: boolean;
  readonly version: string | null;
  readonly plugins: readonly string[];
}

function base(url: string): string {
  return url.replace(/\/+$/, "");
}

function describeError(r: Extract<ProbeResult, { kind: "error" }>, timeoutMs: number): string {
  return r.code === "TIMEOUT" ? `no answer within ${timeoutMs} ms` : r.code;
}

/** Orthanc's "YYYYMMDDTHHMMSS" (UTC, /tools/now) as epoch ms. */
export function parseOrthancNow(text: string): number | null {
  const m = /^"?(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})"?\s*$/.exec(text.trim());
  if (!m) return null;
  const [, y, mo, d, h, mi, s] = m.map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  return Date.UTC(y, mo - 1, d, h, mi, s);
}

export async function checkOrthanc(
  ctx: OrthancCheckContext,
): Promise<{ checks: CheckResult[]; facts: OrthancFacts }> {
  const checks: CheckResult[] = [];
  const url = base(ctx.orthancUrl);
  const get = (path: string) =>
    probe(ctx.orthanc.fetch, `${url}${path}`, {
      headers: { ...ctx.orthanc.headers, Accept: "application/json" },
      timeoutMs: ctx.timeoutMs,
      now: ctx.now,
    });
  const facts = { connected: false, version: null as string | null, plugins: [] as string[] };
  const skipRest = (why: string) => {
    for (const id of ["orthanc-version", "dicomweb", "stow-allowed", "clock-skew"] as const) {
      checks.push(result(id, "skip", why));
    }
  };

  const system = await get("/system");
  if (system.kind === "error") {
    checks.push(
      result(
        "orthanc-reachable",
        "fail",
        `Orthanc does not answer at ${url}: ${describeError(system, ctx.timeoutMs)}`,
        {
          fix: "check orthanc.url, that Orthanc runs (systemctl status orthanc) and that no firewall is in the way",
          details: { url, error: system.code, ms: system.ms },
        },
      ),
    );
    checks.push(result("orthanc-credentials", "skip", "Orthanc is not reachable"));
    skipRest("Orthanc is not reachable");
    return { checks, facts };
  }
  checks.push(
    result("orthanc-reachable", "ok", `Orthanc answers at ${url} (${system.ms} ms)`, {
      details: { url, ms: system.ms },
    }),
  );
  if (system.status === 401 || system.status === 403) {
    checks.push(
      result(
        "orthanc-credentials",
        "fail",
        ctx.hasCredentials
          ? `Orthanc refused RadZ's credentials (HTTP ${system.status})`
          : `Orthanc requires credentials and none are configured (HTTP ${system.status})`,
        {
          fix: "set orthanc.username and RADZ_ORTHANC__PASSWORD (or orthanc.bearerToken) to a user in Orthanc's RegisteredUsers",
          details: { status: system.status },
        },
      ),
    );
    skipRest("Orthanc refused the credentials");
    return { checks, facts };
  }
  const sys = jsonOf(system.body) as
    { Version?: unknown; HasLabels?: unknown; Name?: unknown } | undefined;
  if (system.status !== 200 || typeof sys?.Version !== "string") {
    checks.push(
      result(
        "orthanc-credentials",
        "fail",
        `GET /system answered HTTP ${system.status}, not Orthanc's /system`,
        {
          fix: "orthanc.url must be Orthanc's REST root (behind a proxy, include its path prefix)",
          details: { status: system.status },
        },
      ),
    );
    skipRest("GET /system did not answer like Orthanc");
    return { checks, facts };
  }
  facts.connected = true;
  facts.version = sys.Version;
  checks.push(
    result(
      "orthanc-credentials",
      "ok",
      ctx.hasCredentials
        ? "Orthanc accepts RadZ's credentials"
        : "Orthanc accepts requests without credentials",
    ),
  );

  const pluginsAnswer = await get("/plugins");
  const plugins = pluginsAnswer.kind === "answer" ? jsonOf(pluginsAnswer.body) : undefined;
  facts.plugins = Array.isArray(plugins)
    ? plugins.filter((p): p is string => typeof p === "string")
    : [];
  const labels =
    typeof sys.HasLabels === "boolean"
      ? sys.HasLabels
      : isVersionAtLeast(sys.Version, LABELS_MIN_VERSION);
  const features = {
    version: sys.Version,
    labels,
    python: facts.plugins.includes("python"),
    dicomWeb: facts.plugins.includes("dicom-web"),
  };
  if (!isVersionAtLeast(sys.Version, MIN_ORTHANC_VERSION)) {
    checks.push(
      result(
        "orthanc-version",
        "fail",
        `Orthanc ${sys.Version} is older than ${MIN_ORTHANC_VERSION}`,
        {
          fix: `upgrade Orthanc to ${MIN_ORTHANC_VERSION} or newer (Debian 12: apt-get install orthanc)`,
          details: features,
        },
      ),
    );
  } else {
    checks.push(
      result(
        "orthanc-version",
        "ok",
        `Orthanc ${sys.Version}; labels: ${labels ? "yes (flags as labels)" : "no (flags as study metadata)"}; plugins: ${facts.plugins.join(", ") || "none"}`,
        { details: features },
      ),
    );
  }

  // DICOMweb: the plugin is loaded and QIDO-RS answers where RadZ looks for it.
  const dw = base(ctx.dicomwebUrl);
  const qido = await probe(ctx.dicomweb.fetch, `${dw}/studies?limit=1`, {
    headers: { ...ctx.dicomweb.headers, Accept: "application/dicom+json" },
    timeoutMs: ctx.timeoutMs,
    now: ctx.now,
  });
  const dicomWebLoaded = facts.plugins.includes("dicom-web");
  const sameServer = dw.startsWith(url);
  if (qido.kind === "answer" && (qido.status === 200 || qido.status === 204)) {
    checks.push(
      result(
        "dicomweb",
        "ok",
        `QIDO-RS answers at ${dw}${dicomWebLoaded ? " (Orthanc's DICOMweb plugin)" : ""}`,
        {
          details: { url: dw, ms: qido.ms },
        },
      ),
    );
  } else {
    const why = qido.kind === "error" ? describeError(qido, ctx.timeoutMs) : `HTTP ${qido.status}`;
    const noPlugin = sameServer && !dicomWebLoaded;
    checks.push(
      result(
        "dicomweb",
        "fail",
        noPlugin
          ? `Orthanc has no DICOMweb plugin (GET /plugins lists ${facts.plugins.join(", ") || "none"}); QIDO-RS at ${dw}: ${why}`
          : `QIDO-RS at ${dw} failed: ${why}`,
        {
          fix: noPlugin
            ? "apt-get install orthanc-dicomweb, make sure Orthanc's Plugins list loads it and DicomWeb.Enable is true, restart Orthanc"
            : "check dicomweb.url (default <orthanc.url>/dicom-web) and its credentials",
          details: {
            url: dw,
            plugins: facts.plugins,
            ...(qido.kind === "answer" ? { status: qido.status } : { error: qido.code }),
          },
        },
      ),
    );
  }

  // STOW-RS: an empty store request (no parts) writes nothing.
  const boundary = "radz-doctor-empty-stow";
  const stow = await probe(ctx.dicomweb.fetch, `${dw}/studies`, {
    method: "POST",
    headers: {
      ...ctx.dicomweb.headers,
      Accept: "application/dicom+json",
      "Content-Type": `multipart/related; type="application/dicom"; boundary=${boundary}`,
    },
    body: `--${boundary}--\r\n`,
    timeoutMs: ctx.timeoutMs,
    now: ctx.now,
  });
  if (stow.kind === "answer" && stow.status >= 200 && stow.status < 300) {
    checks.push(
      result(
        "stow-allowed",
        "ok",
        "STOW-RS accepts RadZ's requests (checked with an empty store request: nothing was stored)",
        {
          details: { status: stow.status },
        },
      ),
    );
  } else if (stow.kind === "answer" && stow.status === 400) {
    checks.push(
      result(
        "stow-allowed",
        "warn",
        "the DICOMweb server refused an empty STOW-RS request (HTTP 400): the route exists, but whether it stores RadZ's SR is not proven",
        {
          fix: "watch the first study's job: STOW_FAILED or DICOMWEB_REJECTED there means STOW is not allowed",
          details: { status: 400 },
        },
      ),
    );
  } else {
    const why = stow.kind === "error" ? describeError(stow, ctx.timeoutMs) : `HTTP ${stow.status}`;
    checks.push(
      result("stow-allowed", "fail", `STOW-RS at ${dw}/studies is not allowed for RadZ: ${why}`, {
        fix: "give RadZ's Orthanc user write access (POST) to /dicom-web/studies; check proxies and authorization plugins",
        details: stow.kind === "answer" ? { status: stow.status } : { error: stow.code },
      }),
    );
  }

  // Clock skew: Orthanc's UTC clock (/tools/now, 1 s resolution) against ours.
  const now = await get("/tools/now");
  const theirs = now.kind === "answer" && now.status === 200 ? parseOrthancNow(now.body) : null;
  if (now.kind !== "answer" || theirs === null) {
    checks.push(result("clock-skew", "warn", "Orthanc's clock could not be read (GET /tools/now)"));
  } else {
    // Orthanc truncates to the second: compare with our clock at the request's midpoint.
    const skew = Math.round((theirs + 500 - now.midpoint) / 1000);
    const abs = Math.abs(skew);
    const status = abs > SKEW_FAIL_SECONDS ? "fail" : abs > SKEW_WARN_SECONDS ? "warn" : "ok";
    checks.push(
      result(
        "clock-skew",
        status,
        status === "ok"
          ? `clocks agree within ${SKEW_WARN_SECONDS} s (skew ${skew} s)`
          : `Orthanc's clock is ${abs} s ${skew > 0 ? "ahead of" : "behind"} this machine's`,
        {
          ...(status === "ok"
            ? {}
            : { fix: "run NTP on both machines (timedatectl set-ntp true)" }),
          details: { skewSeconds: skew },
        },
      ),
    );
  }
  return { checks, facts };
}
