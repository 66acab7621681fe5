/**
 * `radz orthanc install` / `uninstall`: the push hook (Lua or Python) and the
 * Orthanc settings RadZ needs, written into Orthanc's configuration directory
 * as new files plus small, backed-up, diffed edits; undone byte for byte.
 */
export {
  BACKUP_SUFFIX,
  findPythonPlugin,
  FRAGMENT_FILE,
  HOOK_FILES,
  INSTALL_RECORD_FILE,
  planInstall,
  type HookKind,
  type InstallOptions,
  type InstallPlan,
  type PlannedFile,
} from "./plan.js";
export {
  applyInstall,
  installIntact,
  readInstallRecord,
  uninstall,
  type InstallRecord,
  type UninstallResult,
} from "./apply.js";
export { renderPlan } from "./render.js";
export { unifiedDiff } from "./diff.js";
export {
  appendItem,
  insertMembers,
  jsoncValue,
  parseJsonc,
  replaceValue,
  JsoncSyntaxError,
  type JsoncNode,
} from "./jsonc.js";
export {
  readOrthancConfigDir,
  findKey,
  mergedConfig,
  type OrthancConfigFile,
} from "./config-dir.js";
export { luaHookScript, LUA_HOOK_GLOBAL, type LuaHookOptions } from "./lua-hook.js";
export { pythonHookScript, PYTHON_HOOK_ROUTE, type PythonHookOptions } from "./python-hook.js";
export {
  explorerPanelScript,
  EXPLORER_MARKER,
  EXPLORER_PANEL_ID,
  type ExplorerPanelOptions,
} from "./explorer-panel.js";
