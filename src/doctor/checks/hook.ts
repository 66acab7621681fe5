/**
 * The push hook and the webhook's credentials.
 *
 * Evidence, strongest first:
 *  1. GET <orthanc>/radz/hook answers: the Python hook is loaded in Orthanc.
 *  2. The install record in Orthanc's configuration directory (when readable
 *     here, e.g. /etc/orthanc): the hook files are installed and unchanged.
 *     Orthanc 1.10 offers no REST view of loaded Lua scripts, so for the Lua
 *     hook this is the evidence (Orthanc must have been restarted since).
 * When the hook file is readable, its credential is compared with
 * intake.webhookSecret: a mismatch means every push is refused.
 * No hook is a warning (polling still finds every study) unless polling is off.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Config } from "../../config/index.js";
import { HOOK_FILES, installIntact, type InstallRecord } from "../../orthanc/install/index.js";
import { webhookBearerToken, type OutboundHttp } from "../../security/index.js";
import { RADZ_VERSION } from "../../version.js";
import { jsonOf, probe } from "../probe.js";
import { result, type CheckResult } from "../types.js";

export interface HookCheckContext {
  readonly config: Config;
  readonly orthancUrl: string;
  readonly orthanc: OutboundHttp;
  /** Orthanc answered /system (else the REST evidence is skipped). */
  readonly orthancConnected: boolean;
  /** Orthanc's configuration directory, when known and local. */
  readonly orthancConfigDir: string | null;
  readonly timeoutMs: number;
}

type HookKind = "lua" | "python";

interface HookEvidence {
  kind: HookKind;
  version: string | null;
  webhookUrl: string | null;
  how: string;
  record: InstallRecord | null;
}

/** The credential a hook file holds, or null when it cannot be read. */
function hookCredential(dir: string, kind: HookKind): string | null {
  let text: string;
  try {
    text = readFileSync(join(dir, HOOK_FILES[kind]), "utf8");
  } catch {
    return null;
  }
  const m =
    kind === "lua"
      ? /local radzAuthorization = "Bearer ([0-9a-f]+)"/.exec(text)
      : /_RADZ_SECRET = ("(?:[^"\\]|\\.)*")\.encode/.exec(text);
  if (!m?.[1]) return null;
  if (kind === "lua") return m[1];
  try {
    return JSON.parse(m[1]) as string;
  } catch {
    return null;
  }
}

function portOf(url: string): number | null {
  try {
    const u = new URL(url);
    return Number(u.port || (u.protocol === "https:" ? 443 : 80));
  } catch {
    return null;
  }
}

export async function checkHook(ctx: HookCheckContext): Promise<CheckResult[]> {
  const { config } = ctx;
  const evidence: HookEvidence[] = [];
  const problems: string[] = [];

  if (ctx.orthancConnected) {
    const r = await probe(ctx.orthanc.fetch, `${ctx.orthancUrl.replace(/\/+$/, "")}/radz/hook`, {
      headers: { ...ctx.orthanc.headers, Accept: "application/json" },
      timeoutMs: ctx.timeoutMs,
    });
    const info =
      r.kind === "answer" && r.status === 200
        ? (jsonOf(r.body) as Record<string, unknown> | undefined)
        : undefined;
    if (info?.hook === "python") {
      evidence.push({
        kind: "python",
        version: typeof info.version === "string" ? info.version : null,
        webhookUrl: typeof info.webhookUrl === "string" ? info.webhookUrl : null,
        how: "loaded in Orthanc (GET /radz/hook)",
        record: null,
      });
    }
  }

  let recordKind: HookKind | null = null;
  const dir = ctx.orthancConfigDir;
  if (dir !== null && existsSync(dir)) {
    let state: ReturnType<typeof installIntact> | null = null;
    try {
      state = installIntact(dir);
    } catch (err) {
      problems.push(`the install record in ${dir} is unreadable: ${(err as Error).message}`);
    }
    if (state?.record) {
      recordKind = state.record.hook;
      if (!state.intact) problems.push(`install in ${dir}: ${state.problems.join("; ")}`);
      const known = evidence.find((e) => e.kind === state.record!.hook);
      if (known) {
        known.record = state.record;
      } else {
        evidence.push({
          kind: state.record.hook,
          version: state.record.radzVersion,
          webhookUrl: state.record.webhookUrl,
          how: `installed in ${dir} on ${state.record.installedAt.slice(0, 10)}`,
          record: state.record,
        });
      }
    }
  }
  if (recordKind === "python" && !evidence.some((e) => e.how.startsWith("loaded"))) {
    problems.push(
      ctx.orthancConnected
        ? "the Python hook is installed but Orthanc has not loaded it (no /radz/hook): restart Orthanc; is orthanc-python installed and is PythonScript pointing at radz-hook.py?"
        : "the Python hook is installed; Orthanc was not reachable to confirm it is loaded",
    );
  }

  const hookChecks: CheckResult[] = [];
  const hook = evidence[0];
  if (hook === undefined) {
    hookChecks.push(
      config.intake.poll
        ? result(
            "hook",
            problems.length > 0 ? "fail" : "warn",
            problems[0] ??
              "no push hook found: RadZ finds new studies by polling Orthanc's /changes only",
            {
              fix: "optional: `radz orthanc install --orthanc-config-dir /etc/orthanc` (pass --orthanc-config-dir to doctor when Orthanc's configuration is elsewhere)",
            },
          )
        : result(
            "hook",
            "fail",
            "intake.poll is false and no push hook was found: RadZ will never hear of a new study",
            {
              fix: "install the hook (`radz orthanc install`) or set intake.poll to true",
            },
          ),
    );
  } else {
    const notes: string[] = [];
    if (hook.version !== null && hook.version !== RADZ_VERSION) {
      notes.push(`hook version ${hook.version}, RadZ ${RADZ_VERSION}: reinstall to update it`);
    }
    const port = hook.webhookUrl === null ? null : portOf(hook.webhookUrl);
    if (port !== null && config.http.port !== 0 && port !== config.http.port) {
      notes.push(`the hook pushes to port ${port} but RadZ listens on ${config.http.port}`);
    }
    const status = problems.length > 0 ? "fail" : notes.length > 0 ? "warn" : "ok";
    hookChecks.push(
      result(
        "hook",
        status,
        `${hook.kind === "lua" ? "Lua" : "Python"} hook ${hook.how}${hook.webhookUrl ? `, pushing to ${hook.webhookUrl}` : ""}${[...problems, ...notes].length > 0 ? `; ${[...problems, ...notes].join("; ")}` : ""}`,
        {
          ...(status === "ok"
            ? {}
            : {
                fix: "reinstall: `radz orthanc uninstall` then `radz orthanc install`, and restart Orthanc",
              }),
          details: { kind: hook.kind, version: hook.version, webhookUrl: hook.webhookUrl },
        },
      ),
    );
  }

  // The webhook's credentials.
  const secret = config.intake.webhookSecret;
  if (hook === undefined) {
    hookChecks.push(
      result(
        "webhook",
        "ok",
        secret === undefined
          ? "webhook off (no intake.webhookSecret), no hook pushes to it"
          : "webhook on; no hook pushes to it yet",
      ),
    );
    return hookChecks;
  }
  if (secret === undefined) {
    hookChecks.push(
      result(
        "webhook",
        "fail",
        "a push hook is installed but intake.webhookSecret is not set: RadZ refuses every push (404 WEBHOOK_DISABLED)",
        {
          fix: "set RADZ_INTAKE__WEBHOOK_SECRET to the secret the hook was installed with (or reinstall the hook)",
        },
      ),
    );
    return hookChecks;
  }
  if (hook.kind === "lua" && !config.intake.webhookAcceptBearer) {
    hookChecks.push(
      result(
        "webhook",
        "fail",
        "the Lua hook sends a bearer token but intake.webhookAcceptBearer is false: every push is refused",
        {
          fix: "set intake.webhookAcceptBearer to true, or reinstall with --hook python",
        },
      ),
    );
    return hookChecks;
  }
  const held = dir === null ? null : hookCredential(dir, hook.kind);
  if (held === null) {
    hookChecks.push(
      result(
        "webhook",
        "ok",
        "webhook on (the hook's credential could not be read here to compare)",
      ),
    );
  } else {
    const expected = hook.kind === "lua" ? webhookBearerToken(secret) : secret;
    hookChecks.push(
      held === expected
        ? result(
            "webhook",
            "ok",
            `the hook's credential matches intake.webhookSecret (${hook.kind === "lua" ? "bearer token" : "HMAC"})`,
          )
        : result(
            "webhook",
            "fail",
            "the hook's credential does not match intake.webhookSecret: RadZ refuses every push (401 WEBHOOK_UNAUTHORIZED)",
            {
              fix: "reinstall the hook with RadZ's current secret (`radz orthanc uninstall`, `radz orthanc install`), restart Orthanc",
            },
          ),
    );
  }
  return hookChecks;
}
