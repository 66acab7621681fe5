import type { Command } from "commander";
import { loadModel, modelOptionsFromConfig } from "../model/index.js";
import { inferFiles } from "../pipeline/index.js";
import { RADZ_VERSION } from "../version.js";
import { addCommonOptions, configFrom, loggerFor, type CommonOptions } from "./common.js";

interface InferOptions extends CommonOptions {
  bundle?: string;
  out: string;
  json?: boolean;
}

export function registerInferCommand(program: Command): void {
  addCommonOptions(
    program
      .command("infer")
      .description(
        "Run the pipeline on DICOM Part-10 files without Orthanc: one SR per study into --out.\n" +
          "With --json, prints one JSON object per study per line.",
      )
      .argument("<paths...>", "files or directories (searched recursively)")
      .option("-b, --bundle <dir>", "model bundle directory (overrides model.bundle)")
      .requiredOption("-o, --out <dir>", "directory for the SR files")
      .option("--json", "print one JSON line per study"),
  ).action(async (paths: string[], opts: InferOptions) => {
    const config = configFrom(opts, opts.bundle ? { model: { bundle: opts.bundle } } : {});
    const logger = loggerFor(config);
    // The same model options as the service (labels, calibration overlay, threads).
    const model = await loadModel(
      config.model.bundle,
      modelOptionsFromConfig(config.model, logger),
    );
    let failed = 0;
    try {
      for await (const outcome of inferFiles(paths, {
        model,
        config,
        outDir: opts.out,
        logger,
        softwareVersion: RADZ_VERSION,
      })) {
        if (outcome.state === "failed") failed++;
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(outcome)}\n`);
        } else {
          const top = outcome.findings
            .filter((f) => f.positive)
            .map((f) => `${f.label} ${f.probability.toFixed(2)}`)
            .join(", ");
          const what = outcome.error
            ? `${outcome.error.code}: ${outcome.error.message}`
            : top || "no positive finding";
          process.stdout.write(
            `${outcome.studyInstanceUID ?? outcome.files?.join(",")}  ${outcome.state}  ${outcome.priority ?? "-"}  ${what}\n`,
          );
        }
      }
    } finally {
      await model.close();
    }
    process.exitCode = failed > 0 ? 1 : 0;
  });
}
