/**
 * `radz doctor [--json] [--orthanc-config-dir <dir>]`: checks Orthanc, DICOMweb,
 * the hook, the bundle, the execution provider, the job store and the clocks,
 * and says how to fix each failure. Exit code 1 when a check fails (warnings
 * do not fail). Secrets are redacted from the configuration it prints.
 */
import type { Command } from "commander";
import type { Config } from "../config/index.js";
import {
  configFailureReport,
  formatReport,
  runDoctor,
  type DoctorReport,
} from "../doctor/index.js";
import { addCommonOptions, configFrom, type CommonOptions } from "./common.js";

export interface DoctorCliOptions extends CommonOptions {
  json?: boolean;
  orthancConfigDir?: string;
  timeout?: number;
}

export function registerDoctorCommand(program: Command): void {
  addCommonOptions(
    program
      .command("doctor")
      .description(
        "Check the installation (Orthanc, credentials, DICOMweb, STOW, hook, bundle, execution provider, job store, clocks) and explain each failure. Exit code 1 when a check fails.",
      )
      .option("--json", "print the report as JSON (configuration included, secrets redacted)")
      .option(
        "--orthanc-config-dir <dir>",
        "Orthanc's configuration directory, to check the installed hook (default: /etc/orthanc when present)",
      )
      .option("--timeout <ms>", "per-request timeout in milliseconds (default 5000)", (v) =>
        Number(v),
      ),
  ).action(async (opts: DoctorCliOptions) => {
    const json = opts.json === true;
    let config: Config;
    try {
      config = configFrom({ ...opts, logLevel: opts.logLevel ?? "silent" });
    } catch (err) {
      print(configFailureReport(err), json);
      return;
    }
    const report = await runDoctor(config, {
      ...(opts.orthancConfigDir !== undefined ? { orthancConfigDir: opts.orthancConfigDir } : {}),
      ...(opts.timeout !== undefined && Number.isFinite(opts.timeout) && opts.timeout > 0
        ? { timeoutMs: opts.timeout }
        : {}),
    });
    print(report, json);
  });
}

function print(report: DoctorReport, json: boolean): void {
  process.stdout.write(json ? JSON.stringify(report, null, 2) + "\n" : formatReport(report));
  process.exitCode = report.ok ? 0 : 1;
}
