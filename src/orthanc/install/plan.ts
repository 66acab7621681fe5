/**
 * What `radz orthanc install` will write, computed without touching the disk:
 * new files (the hook script, and radz.json for settings no file defines
 * yet) and small in-place edits of the files that already define a setting
 * RadZ needs (LuaScripts, PythonScript, Plugins, UserMetadata) — Orthanc
 * refuses a key defined in two files, so those cannot go into radz.json.
 * Every edit is a splice that keeps the rest of the file byte for byte.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { RadzError } from "../../errors.js";
import {
  findKey,
  parseOrthancConfigFile,
  readOrthancConfigDir,
  type OrthancConfigFile,
} from "./config-dir.js";
import type { ExplorerPanelOptions } from "./explorer-panel.js";
import { appendItem, insertMembers, memberOf, replaceValue, type JsoncNode } from "./jsonc.js";
import { luaHookScript } from "./lua-hook.js";
import { pythonHookScript } from "./python-hook.js";

export type HookKind = "lua" | "python";

/** RadZ's own files in Orthanc's configuration directory. */
export const FRAGMENT_FILE = "radz.json";
export const HOOK_FILES: Readonly<Record<HookKind, string>> = {
  lua: "radz-hook.lua",
  python: "radz-hook.py",
};
/** Not ".json": Orthanc loads every *.json file of the directory. */
export const INSTALL_RECORD_FILE = "radz-install.record";
export const BACKUP_SUFFIX = ".radz-backup";

export const PLUGIN_DIRS = [
  "/usr/share/orthanc/plugins",
  "/usr/lib/orthanc",
  "/usr/local/share/orthanc/plugins",
];
const PYTHON_PLUGIN = /^libOrthancPython\.so(?:\.[0-9.]+)?$/;
const DICOMWEB_PLUGIN = /^libOrthancDicomWeb\.so(?:\.[0-9.]+)?$/;
/** Debian's /etc/orthanc/sample.py (orthanc-python): safe to replace. */
const DEBIAN_SAMPLE_PY =
  /^import orthanc\s+orthanc\.LogWarning\(['"]Hello world from Python!['"]\)\s*$/;

export interface InstallOptions {
  readonly configDir: string;
  readonly hook: HookKind;
  /** RadZ's webhook as Orthanc reaches it. */
  readonly webhookUrl: string;
  /** intake.webhookSecret (the Python hook signs with it). */
  readonly secret: string;
  /** webhookBearerToken(secret) (the Lua hook sends it). */
  readonly bearerToken: string;
  readonly version: string;
  /** User metadata names → indexes to register ("UserMetadata"). */
  readonly userMetadata: Readonly<Record<string, number>>;
  readonly explorer: ExplorerPanelOptions;
  /** The orthanc-python plugin; default: found in PLUGIN_DIRS. */
  readonly pythonPluginPath?: string;
  /** Group that may read the hook (it holds a credential); null = leave the default group. */
  readonly secretFileGroup?: { readonly name: string; readonly gid: number } | null;
}

export interface PlannedFile {
  /** Name inside the configuration directory. */
  readonly name: string;
  readonly action: "create" | "modify";
  /** Current content (modify) or null (create). */
  readonly before: string | null;
  readonly after: string;
  /** Mode of a created file (a modified file keeps its own). */
  readonly mode: number | null;
  /** Group of a created file, or null. */
  readonly group: { readonly name: string; readonly gid: number } | null;
  /** Name of the backup of a modified file. */
  readonly backup: string | null;
  /** One line per change, for the summary. */
  readonly changes: readonly string[];
}

export interface InstallPlan {
  readonly configDir: string;
  readonly hook: HookKind;
  readonly webhookUrl: string;
  readonly version: string;
  readonly files: readonly PlannedFile[];
  /** Things the user should know (not changed by the install). */
  readonly notes: readonly string[];
  /** Values to hide when the plan is printed (the secret and the token). */
  readonly secrets: readonly string[];
}

function conflict(message: string): RadzError {
  return new RadzError("ORTHANC_INSTALL_CONFLICT", message);
}

/** Plugin files a "Plugins" entry loads (a folder is scanned non-recursively, as Orthanc does). */
function pluginFiles(entry: string, configDir: string): string[] {
  const path = resolve(configDir, entry);
  try {
    if (statSync(path).isDirectory()) return readdirSync(path);
    return [basename(path)];
  } catch {
    return [];
  }
}

function loadsPlugin(plugins: unknown, pattern: RegExp, configDir: string): boolean {
  return (
    Array.isArray(plugins) &&
    plugins.some(
      (p) => typeof p === "string" && pluginFiles(p, configDir).some((f) => pattern.test(f)),
    )
  );
}

/** The orthanc-python plugin shared library, or throws. */
export function findPythonPlugin(explicit?: string, dirs: readonly string[] = PLUGIN_DIRS): string {
  if (explicit !== undefined) {
    if (existsSync(explicit)) return explicit;
    throw conflict(`the Python plugin ${explicit} does not exist`);
  }
  for (const dir of dirs) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    const hit = names
      .filter((n) => PYTHON_PLUGIN.test(n))
      .sort((a, b) => a.length - b.length || b.localeCompare(a))[0];
    if (hit !== undefined) return join(dir, hit);
  }
  throw conflict(
    "the Python hook needs Orthanc's Python plugin: `apt-get install orthanc-python` (or pass --python-plugin), or use --hook lua",
  );
}

function isReplaceablePythonScript(path: string): boolean {
  try {
    return DEBIAN_SAMPLE_PY.test(readFileSync(path, "utf8").trim());
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "ENOENT";
  }
}

/** Accumulates edits of existing files; each edit re-parses so spans stay right. */
class Edits {
  private readonly current = new Map<string, OrthancConfigFile>();
  private readonly changes = new Map<string, string[]>();

  constructor(private readonly original: readonly OrthancConfigFile[]) {}

  file(name: string): OrthancConfigFile {
    const f = this.current.get(name) ?? this.original.find((o) => o.name === name);
    if (!f) throw new Error(`no configuration file ${name}`);
    return f;
  }

  edit(
    name: string,
    key: string,
    change: string,
    fn: (text: string, value: JsoncNode, keyAt: number) => string,
  ): void {
    const f = this.file(name);
    const member = memberOf(f.root, key);
    if (!member) throw new Error(`${key} vanished from ${name}`);
    const text = fn(f.text, member.value, member.keyStart);
    this.current.set(name, parseOrthancConfigFile(f.name, f.path, text));
    this.changes.set(name, [...(this.changes.get(name) ?? []), change]);
  }

  modified(): { file: OrthancConfigFile; before: string; changes: string[] }[] {
    return [...this.current.entries()].map(([name, file]) => ({
      file,
      before: this.original.find((o) => o.name === name)!.text,
      changes: this.changes.get(name) ?? [],
    }));
  }
}

function freeBackupName(configDir: string, name: string): string {
  for (let i = 0; ; i++) {
    const candidate = `${name}${BACKUP_SUFFIX}${i === 0 ? "" : `.${i}`}`;
    if (!existsSync(join(configDir, candidate))) return candidate;
  }
}

/** Computes the install without writing anything. Throws ORTHANC_INSTALL_CONFLICT / _FAILED. */
export function planInstall(o: InstallOptions): InstallPlan {
  const configDir = resolve(o.configDir);
  if (existsSync(join(configDir, INSTALL_RECORD_FILE))) {
    throw conflict(
      `RadZ is already installed in ${configDir} (${INSTALL_RECORD_FILE}); run \`radz orthanc uninstall\` first`,
    );
  }
  const hookName = HOOK_FILES[o.hook];
  for (const own of [hookName, FRAGMENT_FILE]) {
    if (existsSync(join(configDir, own))) {
      throw conflict(
        `${join(configDir, own)} already exists and was not written by this install; move it away first`,
      );
    }
  }
  const files = readOrthancConfigDir(configDir);
  const hookPath = join(configDir, hookName);
  const edits = new Edits(files);
  const fragment: Record<string, unknown> = {};
  const fragmentChanges: string[] = [];
  const notes: string[] = [];

  // UserMetadata: RadZ's flags on Orthanc < 1.12.
  const wanted = Object.entries(o.userMetadata);
  const um = findKey(files, "UserMetadata");
  if (um === null) {
    fragment.UserMetadata = Object.fromEntries(wanted);
    fragmentChanges.push(`UserMetadata: ${wanted.map(([k, v]) => `${k}=${v}`).join(", ")}`);
  } else {
    if (um.member.value.kind !== "object")
      throw conflict(`UserMetadata in ${um.file.name} is not an object`);
    const existing = um.value as Record<string, unknown>;
    const missing: [string, number][] = [];
    for (const [name, index] of wanted) {
      const have = existing[name];
      if (have === index) continue;
      if (have !== undefined) {
        throw conflict(
          `UserMetadata "${name}" is ${JSON.stringify(have)} in ${um.file.name}; RadZ needs ${index}`,
        );
      }
      const taken = Object.entries(existing).find(([, v]) => v === index);
      if (taken) {
        throw conflict(
          `UserMetadata index ${index} is used by "${taken[0]}" in ${um.file.name}; RadZ needs it for "${name}"`,
        );
      }
      missing.push([name, index]);
    }
    if (missing.length > 0) {
      edits.edit(
        um.file.name,
        "UserMetadata",
        `UserMetadata += ${missing.map(([k, v]) => `${k}=${v}`).join(", ")}`,
        (text, node, keyAt) =>
          insertMembers(text, node as Extract<JsoncNode, { kind: "object" }>, missing, keyAt),
      );
    }
  }

  if (o.hook === "lua") {
    const lua = findKey(files, "LuaScripts");
    if (lua === null) {
      fragment.LuaScripts = [hookPath];
      fragmentChanges.push(`LuaScripts: ${hookPath}`);
    } else {
      if (lua.member.value.kind !== "array")
        throw conflict(`LuaScripts in ${lua.file.name} is not a list`);
      if (!(lua.value as unknown[]).includes(hookPath)) {
        // Last, so that an OnStableStudy of the user's is loaded first and chained.
        edits.edit(lua.file.name, "LuaScripts", `LuaScripts += ${hookPath}`, (text, node, keyAt) =>
          appendItem(text, node as Extract<JsoncNode, { kind: "array" }>, hookPath, keyAt),
        );
      }
    }
  } else {
    const py = findKey(files, "PythonScript");
    if (py === null) {
      fragment.PythonScript = hookPath;
      fragmentChanges.push(`PythonScript: ${hookPath}`);
    } else {
      const current = py.value;
      if (typeof current !== "string")
        throw conflict(`PythonScript in ${py.file.name} is not a path`);
      if (current !== hookPath) {
        if (!isReplaceablePythonScript(resolve(configDir, current))) {
          throw conflict(
            `PythonScript in ${py.file.name} already runs ${current}, and Orthanc runs one Python script: ` +
              "use --hook lua, or add RadZ's push to your script (see docs/install-orthanc.md)",
          );
        }
        edits.edit(
          py.file.name,
          "PythonScript",
          `PythonScript: ${current} → ${hookPath}`,
          (text, node) => replaceValue(text, node, hookPath),
        );
      }
    }
    const plugins = findKey(files, "Plugins");
    if (!loadsPlugin(plugins?.value, PYTHON_PLUGIN, configDir)) {
      const plugin = findPythonPlugin(o.pythonPluginPath);
      if (plugins === null) {
        fragment.Plugins = [plugin];
        fragmentChanges.push(`Plugins: ${plugin}`);
      } else {
        if (plugins.member.value.kind !== "array")
          throw conflict(`Plugins in ${plugins.file.name} is not a list`);
        edits.edit(plugins.file.name, "Plugins", `Plugins += ${plugin}`, (text, node, keyAt) =>
          appendItem(text, node as Extract<JsoncNode, { kind: "array" }>, plugin, keyAt),
        );
      }
    }
  }

  // Checks that change nothing.
  const plugins = findKey(files, "Plugins");
  if (!loadsPlugin(plugins?.value, DICOMWEB_PLUGIN, configDir)) {
    notes.push(
      "warning: no Plugins entry loads the DICOMweb plugin (libOrthancDicomWeb.so); RadZ needs it: `apt-get install orthanc-dicomweb`",
    );
  }
  const dicomWeb = findKey(files, "DicomWeb");
  const dwValue = dicomWeb?.value as { Enable?: unknown } | undefined;
  if (dwValue && dwValue.Enable === false) {
    notes.push(
      `warning: DicomWeb.Enable is false in ${dicomWeb!.file.name}; RadZ needs DICOMweb enabled`,
    );
  }
  const stable = findKey(files, "StableAge");
  notes.push(
    `StableAge is ${typeof stable?.value === "number" ? stable.value : 60} s${stable ? ` (${stable.file.name})` : " (Orthanc's default)"}: Orthanc calls the hook that long after a study's last image`,
  );
  notes.push("restart Orthanc to load the hook (e.g. `systemctl restart orthanc`)");
  notes.push(`RadZ must run with the same intake.webhookSecret and listen at ${o.webhookUrl}`);

  const hookText =
    o.hook === "lua"
      ? luaHookScript({ webhookUrl: o.webhookUrl, bearerToken: o.bearerToken, version: o.version })
      : pythonHookScript({
          webhookUrl: o.webhookUrl,
          secret: o.secret,
          version: o.version,
          explorer: o.explorer,
        });
  const planned: PlannedFile[] = [
    {
      name: hookName,
      action: "create",
      before: null,
      after: hookText,
      mode: 0o640,
      group: o.secretFileGroup ?? null,
      backup: null,
      changes: [
        `${o.hook === "lua" ? "Lua" : "Python"} push hook → ${o.webhookUrl} (holds a credential: mode 0640)`,
      ],
    },
  ];
  if (Object.keys(fragment).length > 0) {
    planned.push({
      name: FRAGMENT_FILE,
      action: "create",
      before: null,
      after: JSON.stringify(fragment, null, 2) + "\n",
      mode: 0o644,
      group: null,
      backup: null,
      changes: fragmentChanges,
    });
  }
  for (const m of edits.modified()) {
    planned.push({
      name: m.file.name,
      action: "modify",
      before: m.before,
      after: m.file.text,
      mode: null,
      group: null,
      backup: freeBackupName(configDir, m.file.name),
      changes: m.changes,
    });
  }
  return {
    configDir,
    hook: o.hook,
    webhookUrl: o.webhookUrl,
    version: o.version,
    files: planned,
    notes,
    secrets: [o.secret, o.bearerToken],
  };
}
