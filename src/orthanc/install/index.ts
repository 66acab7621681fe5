/**
 * `radz orthanc install` / `uninstall`: the push hook (Lua or Python) and the
 * Orthanc settings RadZ needs, written into Orthanc's configuration directory
 * as new files plus small, backed-up, diffed edits; undone byte for byte.
 */
export {
  FRAGMENT_FILE,
  HOOK_FILES,
  INSTALL_RECORD_FILE,
  planInstall,
  type HookKind,
  type InstallOptions,
  type InstallPlan,
} from "./plan.js";
export { applyInstall, installIntact, uninstall, type InstallRecord } from "./apply.js";
export { renderPlan } from "./render.js";
export { readOrthancConfigDir, mergedConfig } from "./config-dir.js";
export { luaHookScript } from "./lua-hook.js";
export { pythonHookScript, PYTHON_HOOK_ROUTE } from "./python-hook.js";
export { explorerPanelScript, EXPLORER_MARKER, EXPLORER_PANEL_ID } from "./explorer-panel.js";
