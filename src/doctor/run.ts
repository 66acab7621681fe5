/**
 * Runs every doctor check in a fixed order. Nothing here writes to Orthanc,
 * the job store or the configuration: STOW-RS is probed with an empty request,
 * the job store is opened read-only, the bundle is loaded and closed.
 */
import { existsSync } from "node:fs";
import { dicomwebUrl, type Config } from "../config/index.js";
import { toRadzError } from "../errors.js";
import { outboundFromConfig, redactConfig, type OutboundTransports } from "../security/index.js";
import { RADZ_VERSION } from "../version.js";
import { checkHook } from "./checks/hook.js";
import { checkModel, type ModelLoader } from "./checks/model.js";
import { checkOrthanc } from "./checks/orthanc.js";
import { checkStore, type FreeSpace } from "./checks/store.js";
import { probe } from "./probe.js";
import { CHECK_IDS, result, type CheckResult, type DoctorReport } from "./types.js";

/** Debian's Orthanc configuration directory, looked at when none is given. */
export const DEFAULT_ORTHANC_CONFIG_DIR = "/etc/orthanc";

export interface DoctorOptions {
  /** Orthanc's configuration directory (install record, hook files); default /etc/orthanc when it exists; null = do not look. */
  readonly orthancConfigDir?: string | null;
  /** Per-request timeout (default min(orthanc.timeoutMs, 5000)). */
  readonly timeoutMs?: number;
  readonly now?: () => number;
  readonly freeSpace?: FreeSpace;
  readonly loadModel?: ModelLoader;
}

function isSet(v: string | undefined): boolean {
  return v !== undefined && v !== "";
}

/** A report with only the configuration failure (the config did not load). */
export function configFailureReport(err: unknown, now: Date = new Date()): DoctorReport {
  const e = toRadzError(err);
  const checks: CheckResult[] = CHECK_IDS.map((id) =>
    id === "config"
      ? result("config", "fail", `${e.code}: ${e.message}`, {
          fix: "fix the listed keys (docs/configuration.md) and run doctor again",
          details: { code: e.code },
        })
      : result(id, "skip", "the configuration did not load"),
  );
  return {
    ok: false,
    radzVersion: RADZ_VERSION,
    checkedAt: now.toISOString(),
    checks,
    config: null,
  };
}

export async function runDoctor(
  config: Config,
  options: DoctorOptions = {},
): Promise<DoctorReport> {
  const now = options.now ?? Date.now;
  const timeoutMs = options.timeoutMs ?? Math.min(config.orthanc.timeoutMs, 5_000);
  const checks: CheckResult[] = [];
  let outbound: OutboundTransports;
  try {
    outbound = outboundFromConfig(config);
  } catch (err) {
    return configFailureReport(err, new Date(now()));
  }
  try {
    checks.push(result("config", "ok", "the configuration is valid"));
    const o = config.orthanc as {
      username?: string;
      bearerToken?: string;
      headers?: Record<string, string>;
    };
    const { checks: orthancChecks, facts } = await checkOrthanc({
      orthancUrl: config.orthanc.url,
      dicomwebUrl: dicomwebUrl(config),
      orthanc: outbound.orthanc,
      dicomweb: outbound.dicomweb,
      hasCredentials:
        isSet(o.username) || isSet(o.bearerToken) || Object.keys(o.headers ?? {}).length > 0,
      timeoutMs,
      now,
    });
    checks.push(...orthancChecks);

    const dir =
      options.orthancConfigDir === undefined
        ? existsSync(DEFAULT_ORTHANC_CONFIG_DIR)
          ? DEFAULT_ORTHANC_CONFIG_DIR
          : null
        : options.orthancConfigDir;
    checks.push(
      ...(await checkHook({
        config,
        orthancUrl: config.orthanc.url,
        orthanc: outbound.orthanc,
        orthancConnected: facts.connected,
        orthancConfigDir: dir,
        timeoutMs,
      })),
    );
    checks.push(...(await checkModel(config, { loadModel: options.loadModel, timeoutMs })));
    checks.push(checkStore(config.jobs.dbPath, { freeSpace: options.freeSpace }));

    // The service itself (public liveness route): not running is normal before `radz serve`.
    const host = ["0.0.0.0", "::", ""].includes(config.http.host) ? "127.0.0.1" : config.http.host;
    const serviceUrl = `http://${host.includes(":") ? `[${host}]` : host}:${config.http.port}`;
    if (config.http.port === 0) {
      checks.push(
        result("radz-service", "skip", "http.port is 0 (any free port): nothing to probe"),
      );
    } else {
      const r = await probe((u, i) => fetch(u, i), `${serviceUrl}/healthz`, { timeoutMs, now });
      checks.push(
        r.kind === "answer" && r.status === 200
          ? result("radz-service", "ok", `RadZ answers at ${serviceUrl}`)
          : result(
              "radz-service",
              "warn",
              `RadZ does not answer at ${serviceUrl}/healthz (${r.kind === "error" ? r.code : `HTTP ${r.status}`}); fine if it is not started yet`,
              { fix: "start it: `systemctl start radz` (docs/deploy.md) or `radz serve`" },
            ),
      );
    }
  } finally {
    outbound.close();
  }
  const order = new Map(CHECK_IDS.map((id, i) => [id, i]));
  checks.sort((a, b) => order.get(a.id)! - order.get(b.id)!);
  return {
    ok: checks.every((c) => c.status !== "fail"),
    radzVersion: RADZ_VERSION,
    checkedAt: new Date(now()).toISOString(),
    checks,
    config: redactConfig(config),
  };
}
