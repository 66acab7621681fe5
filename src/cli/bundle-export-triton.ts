/** `radz bundle export-triton <bundle> <model-repo-dir>` (logic: inference/triton-export.ts). */
import { InvalidArgumentError, type Command } from "commander";
import {
  DEFAULT_TRITON_EXPORT,
  exportTritonRepository,
  type TritonInstanceKind,
} from "../inference/index.js";

interface ExportOptions {
  maxBatch: number;
  maxQueueDelayUs: number;
  instanceKind: TritonInstanceKind;
  instances: number;
  text: boolean;
}

function positive(v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || n < 1)
    throw new InvalidArgumentError("must be a positive integer");
  return n;
}

function nonNegative(v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v.trim())) throw new InvalidArgumentError("must be a non-negative integer");
  return n;
}

function kind(v: string): TritonInstanceKind {
  if (v === "gpu" || v === "cpu" || v === "auto") return v;
  throw new InvalidArgumentError("must be gpu, cpu or auto");
}

export function registerExportTritonCommand(bundle: Command): void {
  bundle
    .command("export-triton")
    .description(
      "Write a Triton Inference Server model repository (config.pbtxt + ONNX per encoder) serving\n" +
        "the bundle as '<bundle id>-image' (and '<bundle id>-text'), the names `radz worker` uses.",
    )
    .argument("<bundle>", "model bundle directory")
    .argument("<model-repo-dir>", "Triton model repository directory (created if missing)")
    .option("--max-batch <n>", "max_batch_size", positive, DEFAULT_TRITON_EXPORT.maxBatch)
    .option(
      "--max-queue-delay-us <us>",
      "dynamic_batching max_queue_delay_microseconds",
      nonNegative,
      DEFAULT_TRITON_EXPORT.maxQueueDelayMicroseconds,
    )
    .option(
      "--instance-kind <kind>",
      "instance_group kind: gpu, cpu or auto",
      kind,
      DEFAULT_TRITON_EXPORT.instanceKind,
    )
    .option(
      "--instances <n>",
      "instance_group count (per GPU for gpu)",
      positive,
      DEFAULT_TRITON_EXPORT.instanceCount,
    )
    .option("--no-text", "do not export the text encoder")
    .action(async (bundleDir: string, repoDir: string, opts: ExportOptions) => {
      const result = await exportTritonRepository(bundleDir, repoDir, {
        maxBatch: opts.maxBatch,
        maxQueueDelayMicroseconds: opts.maxQueueDelayUs,
        instanceKind: opts.instanceKind,
        instanceCount: opts.instances,
        includeTextEncoder: opts.text,
      });
      for (const m of result.models) process.stdout.write(`${m.name}: ${m.configPath}\n`);
      process.stdout.write(
        `Triton model repository for ${result.bundleId} ${result.bundleVersion} written to ${repoDir}\n`,
      );
    });
}
