/**
 * The Python push hook (Debian's orthanc-python plugin, 4.0).
 *
 * - StableStudy changes are queued and POSTed by one background thread, so
 *   Orthanc's change callback returns at once; each push is signed with
 *   HMAC-SHA256 over "<timestamp>.<body>" (X-Radz-Timestamp, X-Radz-Signature;
 *   see src/security/webhook-auth.ts), retried twice on network errors and 5xx.
 * - GET /radz/hook (an Orthanc REST route, behind Orthanc's own auth) tells
 *   `radz doctor` the hook is loaded, with its version; no secret.
 * - orthanc.ExtendOrthancExplorer adds the "AI findings" panel to the study
 *   page of Orthanc Explorer (explorer-panel.ts).
 */
import { explorerPanelScript, type ExplorerPanelOptions } from "./explorer-panel.js";

export interface PythonHookOptions {
  readonly webhookUrl: string;
  /** intake.webhookSecret (the HMAC key). */
  readonly secret: string;
  readonly version: string;
  readonly explorer: ExplorerPanelOptions;
  /** Per-attempt timeout in seconds (default 5). */
  readonly timeoutSeconds?: number;
}

/** The REST route the Python hook registers in Orthanc. */
export const PYTHON_HOOK_ROUTE = "/radz/hook";

/** A Python string literal (JSON string syntax is valid Python for these values). */
function pyString(value: string): string {
  return JSON.stringify(value);
}

export function pythonHookScript(o: PythonHookOptions): string {
  const timeout = o.timeoutSeconds ?? 5;
  return `"""RadZ push hook for Orthanc (orthanc-python), version ${o.version}.

Written by \`radz orthanc install --hook python\`; \`radz orthanc uninstall\` removes it.
Do not edit: uninstall refuses to remove a file that changed after install.

On each stable study, tells RadZ at once (POST ${o.webhookUrl}), from a
background thread so that Orthanc never waits. This file holds the webhook
secret: keep it readable by Orthanc only. A failed push is only logged:
RadZ's polling of /changes catches the study anyway.
"""
import hashlib
import hmac
import json
import queue
import threading
import time
import urllib.error
import urllib.request

import orthanc

RADZ_HOOK_VERSION = ${pyString(o.version)}
RADZ_WEBHOOK_URL = ${pyString(o.webhookUrl)}
_RADZ_SECRET = ${pyString(o.secret)}.encode("utf-8")
_RADZ_TIMEOUT_SECONDS = ${timeout}
_RADZ_ATTEMPTS = 3
RADZ_EXPLORER_JS = ${pyString(explorerPanelScript(o.explorer))}

_radz_pending = queue.Queue(maxsize=10000)
# Never through a proxy from Orthanc's environment: RadZ sits beside Orthanc.
_radz_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _radz_post(study_id):
    body = json.dumps({"ChangeType": "StableStudy", "ID": study_id}, separators=(",", ":")).encode("utf-8")
    timestamp = str(int(time.time()))
    signature = hmac.new(_RADZ_SECRET, timestamp.encode("ascii") + b"." + body, hashlib.sha256).hexdigest()
    request = urllib.request.Request(
        RADZ_WEBHOOK_URL,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "X-Radz-Timestamp": timestamp,
            "X-Radz-Signature": "sha256=" + signature,
            "X-Radz-Hook": "python/" + RADZ_HOOK_VERSION,
        },
    )
    with _radz_opener.open(request, timeout=_RADZ_TIMEOUT_SECONDS) as response:
        response.read()


def _radz_push(study_id):
    for attempt in range(1, _RADZ_ATTEMPTS + 1):
        try:
            _radz_post(study_id)
            return
        except urllib.error.HTTPError as error:
            if error.code < 500 or attempt == _RADZ_ATTEMPTS:
                orthanc.LogWarning("RadZ: push for study %s refused (HTTP %d); the polling feed will pick it up" % (study_id, error.code))
                return
        except Exception as error:  # network errors, timeouts
            if attempt == _RADZ_ATTEMPTS:
                orthanc.LogWarning("RadZ: push for study %s failed (%s); the polling feed will pick it up" % (study_id, type(error).__name__))
                return
        # A new attempt signs with a new timestamp (RadZ refuses a signature it has seen).
        time.sleep(1 + attempt)


def _radz_worker():
    while True:
        study_id = _radz_pending.get()
        if study_id is None:
            _radz_pending.task_done()
            return
        try:
            _radz_push(study_id)
        except Exception as error:
            orthanc.LogError("RadZ: push hook error (%s)" % type(error).__name__)
        finally:
            _radz_pending.task_done()


def _radz_on_change(change_type, level, resource_id):
    if change_type == orthanc.ChangeType.STABLE_STUDY:
        try:
            _radz_pending.put_nowait(resource_id)
        except queue.Full:
            orthanc.LogWarning("RadZ: push queue full; the polling feed will pick up study %s" % resource_id)


def _radz_hook_info(output, uri, **request):
    if request.get("method") != "GET":
        output.SendMethodNotAllowed("GET")
        return
    info = {"hook": "python", "version": RADZ_HOOK_VERSION, "webhookUrl": RADZ_WEBHOOK_URL, "pending": _radz_pending.qsize()}
    output.AnswerBuffer(json.dumps(info), "application/json")


threading.Thread(target=_radz_worker, name="radz-push", daemon=True).start()
orthanc.RegisterOnChangeCallback(_radz_on_change)
orthanc.RegisterRestCallback(${pyString(PYTHON_HOOK_ROUTE)}, _radz_hook_info)
orthanc.ExtendOrthancExplorer(RADZ_EXPLORER_JS)
orthanc.LogWarning("RadZ: push hook %s loaded (webhook %s)" % (RADZ_HOOK_VERSION, RADZ_WEBHOOK_URL))
`;
}
