/**
 * The Lua push hook (Orthanc's built-in Lua engine; the default hook).
 *
 * OnStableStudy posts {"ChangeType":"StableStudy","ID":…} to RadZ's webhook
 * with the bearer token derived from the webhook secret (Orthanc 1.10's Lua
 * has no HMAC function; see src/security/webhook-auth.ts for the trade-off).
 *
 * Orthanc never waits on RadZ for long: RadZ answers 202 at once; with
 * Orthanc >= 1.11.1 the request times out after 2 s (SetHttpTimeout); older
 * Orthanc uses its global "HttpTimeout". Lua events run on Orthanc's Lua
 * thread, not on the threads that receive images, so a slow RadZ delays only
 * other Lua callbacks. A failed push is only logged: polling catches it.
 *
 * A previously defined OnStableStudy (the user's own script, loaded earlier)
 * is kept and called after the push.
 */

export interface LuaHookOptions {
  /** RadZ's webhook, e.g. http://127.0.0.1:8700/webhook/orthanc. */
  readonly webhookUrl: string;
  /** webhookBearerToken(intake.webhookSecret). */
  readonly bearerToken: string;
  readonly version: string;
  /** Seconds, for Orthanc >= 1.11.1 (default 2). */
  readonly timeoutSeconds?: number;
}

/** Global the script defines (doctor and tests look for it). */
export const LUA_HOOK_GLOBAL = "RADZ_HOOK";

/** A Lua double-quoted string literal (ASCII; escapes quotes, backslashes and control characters). */
export function luaString(value: string): string {
  let out = '"';
  for (const ch of value) {
    const code = ch.codePointAt(0)!;
    if (ch === '"' || ch === "\\") out += `\\${ch}`;
    else if (code < 0x20 || code === 0x7f) out += `\\${String(code).padStart(3, "0")}`;
    else if (code > 0x7e) throw new TypeError("Lua hook values must be ASCII");
    else out += ch;
  }
  return `${out}"`;
}

export function luaHookScript(o: LuaHookOptions): string {
  const timeout = o.timeoutSeconds ?? 2;
  if (!Number.isInteger(timeout) || timeout < 1 || timeout > 60) {
    throw new TypeError("timeoutSeconds must be an integer between 1 and 60");
  }
  if (!/^[0-9a-f]{16,128}$/.test(o.bearerToken)) throw new TypeError("bearerToken must be hex");
  return `-- RadZ push hook for Orthanc (Lua), version ${o.version}.
-- Written by \`radz orthanc install\`; \`radz orthanc uninstall\` removes it.
-- Do not edit: uninstall refuses to remove a file that changed after install.
--
-- On each stable study, tells RadZ at once (POST ${o.webhookUrl}).
-- This file holds a credential for that webhook: keep it readable by Orthanc only.
-- A failed push is only logged; RadZ's polling of /changes catches the study anyway.

${LUA_HOOK_GLOBAL} = { version = ${luaString(o.version)}, kind = "lua" }

local radzWebhookUrl = ${luaString(o.webhookUrl)}
local radzAuthorization = ${luaString(`Bearer ${o.bearerToken}`)}
local radzPreviousOnStableStudy = OnStableStudy

-- Orthanc >= 1.11.1: do not let a silent network hold Orthanc's Lua thread.
if SetHttpTimeout then SetHttpTimeout(${timeout}) end

function OnStableStudy(studyId, tags, metadata)
  local body = '{"ChangeType":"StableStudy","ID":"' .. studyId .. '"}'
  local headers = {
    ["Authorization"] = radzAuthorization,
    ["Content-Type"] = "application/json",
    ["Expect"] = "",
    ["X-Radz-Hook"] = "lua/" .. ${LUA_HOOK_GLOBAL}.version
  }
  local ok, answer = pcall(HttpPost, radzWebhookUrl, body, headers)
  if not ok or answer == nil then
    print("RadZ: push for study " .. studyId .. " failed; the polling feed will pick it up")
  end
  if radzPreviousOnStableStudy then
    return radzPreviousOnStableStudy(studyId, tags, metadata)
  end
end
`;
}
