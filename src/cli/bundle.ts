import type { Command } from "commander";
import { writeDemoBundle } from "../model/index.js";
import { registerExportTritonCommand } from "./bundle-export-triton.js";

export function registerBundleCommands(program: Command): void {
  const bundle = program.command("bundle").description("Model bundle tools.");
  bundle
    .command("demo")
    .description(
      "Write the synthetic demonstration bundle (generated from code; it recognises only the demo's drawn patterns).",
    )
    .argument("<dir>", "output directory")
    .action(async (dir: string) => {
      await writeDemoBundle(dir);
      process.stdout.write(`demo bundle written to ${dir}\n`);
    });
  registerExportTritonCommand(bundle);
}
