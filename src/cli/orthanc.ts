/**
 * `radz orthanc install --orthanc-config-dir <dir> [--hook lua|python] [--radz-url URL] [--dry-run]`
 * `radz orthanc uninstall --orthanc-config-dir <dir> [--dry-run]`
 *
 * Install prints every new file and a diff of every edited file (secrets
 * redacted), backs up what it edits, and records what it wrote; uninstall
 * undoes exactly that. The hook's credential comes from intake.webhookSecret.
 */
import { readFileSync } from "node:fs";
import { InvalidArgumentError, Option, type Command } from "commander";
import type { Config } from "../config/index.js";
import { RadzError } from "../errors.js";
import { WEBHOOK_PATH } from "../http/index.js";
import { RADZ_USER_METADATA } from "../orthanc/index.js";
import {
  applyInstall,
  planInstall,
  renderPlan,
  uninstall,
  type HookKind,
  type InstallPlan,
} from "../orthanc/install/index.js";
import { webhookBearerToken } from "../security/index.js";
import { RADZ_VERSION } from "../version.js";
import { addCommonOptions, configFrom, type CommonOptions } from "./common.js";

export interface OrthancInstallCliOptions {
  orthancConfigDir: string;
  hook: HookKind;
  radzUrl?: string;
  worklistUrl?: string;
  pythonPlugin?: string;
  fileGroup?: string;
  dryRun?: boolean;
}

function httpUrl(v: string): string {
  try {
    const u = new URL(v);
    if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error("scheme");
    if (u.username !== "" || u.password !== "") throw new Error("credentials");
    return u.href.replace(/\/+$/, "");
  } catch {
    throw new InvalidArgumentError("must be an http(s) URL without credentials");
  }
}

/** RadZ's base URL as Orthanc (on the same host, by default) reaches it. */
export function defaultRadzUrl(config: Config): string {
  const host = ["0.0.0.0", "::", ""].includes(config.http.host) ? "127.0.0.1" : config.http.host;
  const port = config.http.port === 0 ? 8700 : config.http.port;
  return `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
}

/** The group whose members may read the hook: "orthanc" when running as root and it exists. */
export function lookupGroup(
  name: string,
  groupFile = "/etc/group",
): { name: string; gid: number } | null {
  try {
    for (const line of readFileSync(groupFile, "utf8").split("\n")) {
      const [g, , gid] = line.split(":");
      if (g === name && gid !== undefined && /^\d+$/.test(gid)) return { name, gid: Number(gid) };
    }
  } catch {
    // no /etc/group
  }
  return null;
}

/** User metadata names RadZ flags with (config flags.metadata) and their indexes. */
export function radzUserMetadata(config: Config): Record<string, number> {
  const m = config.flags.metadata;
  return {
    [m.status]: RADZ_USER_METADATA.RadzStatus!,
    [m.priority]: RADZ_USER_METADATA.RadzPriority!,
    [m.findings]: RADZ_USER_METADATA.RadzFindings!,
    [m.result]: RADZ_USER_METADATA.RadzResult!,
  };
}

/** Builds the install plan from the CLI options and RadZ's configuration. */
export function orthancInstallPlan(opts: OrthancInstallCliOptions, config: Config): InstallPlan {
  const secret = config.intake.webhookSecret;
  if (secret === undefined) {
    throw new RadzError(
      "INPUT_INVALID",
      "set intake.webhookSecret first (e.g. RADZ_INTAKE__WEBHOOK_SECRET=$(openssl rand -hex 32)); the hook authenticates with it and RadZ must run with the same value",
    );
  }
  if (opts.hook === "lua" && !config.intake.webhookAcceptBearer) {
    throw new RadzError(
      "INPUT_INVALID",
      "the Lua hook sends a bearer token, but intake.webhookAcceptBearer is false: use --hook python or allow bearer tokens",
    );
  }
  const radzUrl = opts.radzUrl ?? defaultRadzUrl(config);
  let group: { name: string; gid: number } | null = null;
  if (opts.fileGroup !== undefined) {
    group = lookupGroup(opts.fileGroup);
    if (group === null) throw new RadzError("INPUT_INVALID", `no group named ${opts.fileGroup}`);
  } else if (process.getuid?.() === 0) {
    group = lookupGroup("orthanc");
  }
  return planInstall({
    configDir: opts.orthancConfigDir,
    hook: opts.hook,
    webhookUrl: `${radzUrl}${WEBHOOK_PATH}`,
    secret,
    bearerToken: webhookBearerToken(secret),
    version: RADZ_VERSION,
    userMetadata: radzUserMetadata(config),
    explorer: {
      worklistUrl: opts.worklistUrl ?? `${radzUrl}/worklist`,
      metadata: config.flags.metadata,
      labelPrefix: config.flags.labelPrefix,
    },
    pythonPluginPath: opts.pythonPlugin,
    secretFileGroup: group,
  });
}

export function registerOrthancCommands(program: Command): void {
  const orthanc = program
    .command("orthanc")
    .description("Install RadZ's push hook and settings into an Orthanc configuration directory.");

  addCommonOptions(
    orthanc
      .command("install")
      .description(
        "Write the push hook (Lua or Python) and the Orthanc settings RadZ needs into Orthanc's configuration directory: new files, plus backed-up edits shown as a diff. Restart Orthanc afterwards.",
      )
      .requiredOption(
        "--orthanc-config-dir <dir>",
        "Orthanc's configuration directory (Debian: /etc/orthanc)",
      )
      .addOption(
        new Option(
          "--hook <kind>",
          "lua (built into Orthanc) or python (orthanc-python; adds the Explorer panel)",
        )
          .choices(["lua", "python"])
          .default("lua"),
      )
      .option(
        "--radz-url <url>",
        "RadZ as Orthanc reaches it (default: from http.host/http.port)",
        httpUrl,
      )
      .option(
        "--worklist-url <url>",
        "the worklist as users' browsers reach it (default: <radz-url>/worklist)",
        httpUrl,
      )
      .option("--python-plugin <path>", "libOrthancPython.so, when not in Orthanc's plugin folders")
      .option(
        "--file-group <group>",
        "group that may read the hook file (default: orthanc, when run as root)",
      )
      .option("--dry-run", "print everything that would be written, write nothing"),
  ).action((opts: OrthancInstallCliOptions & CommonOptions) => {
    const config = configFrom(opts);
    const plan = orthancInstallPlan(opts, config);
    const dryRun = opts.dryRun === true;
    process.stdout.write(renderPlan(plan, { dryRun }));
    if (!dryRun) {
      applyInstall(plan);
      process.stdout.write(
        `\nInstalled. Restart Orthanc, then check with \`radz doctor --orthanc-config-dir ${plan.configDir}\`.\n` +
          `Undo with \`radz orthanc uninstall --orthanc-config-dir ${plan.configDir}\`.\n`,
      );
    }
  });

  orthanc
    .command("uninstall")
    .description(
      "Remove exactly what `radz orthanc install` wrote and restore the files it edited from their backups. Refuses (changing nothing) when a file was edited since.",
    )
    .requiredOption("--orthanc-config-dir <dir>", "Orthanc's configuration directory")
    .option("--dry-run", "print what would be done, do nothing")
    .action((opts: { orthancConfigDir: string; dryRun?: boolean }) => {
      const dryRun = opts.dryRun === true;
      const result = uninstall(opts.orthancConfigDir, { dryRun });
      process.stdout.write(
        `${dryRun ? "Would uninstall" : "Uninstalled"} the RadZ ${result.hook} hook from ${result.configDir}:\n` +
          result.actions.map((a) => `  - ${a}\n`).join("") +
          (dryRun ? "--dry-run: nothing was changed.\n" : "Restart Orthanc to unload the hook.\n"),
      );
    });
}
