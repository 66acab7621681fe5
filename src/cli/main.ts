/**
 * `radz` command line. Each command builds what it needs through the
 * composition root (app.ts) or the parts' facades; exit codes: 0 ok,
 * 1 failure, 2 usage error.
 */
import { Command, CommanderError } from "commander";
import { RadzError } from "../errors.js";
import { RADZ_VERSION } from "../version.js";
import { registerBundleCommands } from "./bundle.js";
import { registerCalibrateCommand } from "./calibrate.js";
import { registerDemoCommand } from "./demo.js";
import { registerImageCommand } from "./image.js";
import { registerDoctorCommand } from "./doctor.js";
import { registerAdaptCommand } from "./adapt.js";
import { registerEvalCommand } from "./eval.js";
import { registerFeedbackCommands } from "./feedback.js";
import { registerInferCommand } from "./infer.js";
import { registerOrthancCommands } from "./orthanc.js";
import { registerServeCommand } from "./serve.js";
import { registerBackfillCommand } from "./backfill.js";
import { registerJobsCommands } from "./jobs.js";
import { registerTokenCommands } from "./token.js";
import { registerWorkerCommand } from "./worker.js";

export function buildProgram(): Command {
  const program = new Command()
    .name("radz")
    .description(
      "RadZ for Orthanc: zero-shot chest radiograph findings written back as DICOM SR.\n" +
        "Results are machine-generated, unverified and not for clinical use.",
    )
    .version(RADZ_VERSION)
    .showHelpAfterError()
    .exitOverride();
  registerServeCommand(program);
  registerJobsCommands(program);
  registerBackfillCommand(program);
  registerInferCommand(program);
  registerImageCommand(program);
  registerDemoCommand(program);
  registerBundleCommands(program);
  registerEvalCommand(program);
  registerCalibrateCommand(program);
  registerAdaptCommand(program);
  registerFeedbackCommands(program);
  registerTokenCommands(program);
  registerWorkerCommand(program);
  registerDoctorCommand(program);
  registerOrthancCommands(program);
  return program;
}

export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv]);
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? 0 : 2;
    }
    if (err instanceof RadzError) {
      process.stderr.write(`radz: ${err.code}: ${err.message}\n`);
      return 1;
    }
    process.stderr.write(
      `radz: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    return 1;
  }
}

// Run when executed directly (node --import tsx src/cli/main.ts ...).
if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  main(process.argv).then(
    (code) => {
      process.exitCode = code;
    },
    () => {
      process.exitCode = 1;
    },
  );
}
