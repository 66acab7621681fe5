/**
 * onnxruntime-node sessions: execution provider selection (CUDA, then CPU, in
 * the configured order), and checks of a model's declared inputs/outputs.
 */
import * as ort from "onnxruntime-node";
import { RadzError } from "../errors.js";
import type { Logger } from "../observability/index.js";

export type ExecutionProviderName = "cuda" | "cpu";
export type GraphOptimization = "disabled" | "basic" | "extended" | "all";

export interface OpenedSession {
  readonly session: ort.InferenceSession;
  /** The execution provider the session was created with. */
  readonly executionProvider: ExecutionProviderName;
}

export interface SessionOptions {
  readonly executionProviders: readonly ExecutionProviderName[];
  readonly requireGpu: boolean;
  readonly logger: Pick<Logger, "info" | "warn">;
  /** For log lines and messages, e.g. "image encoder". */
  readonly role: string;
  /** Bundle-relative file name, for messages. */
  readonly file: string;
  /** Intra-op threads (0 or absent: onnxruntime's default, one per physical core). */
  readonly intraOpThreads?: number;
  /** Graph optimisation level (default "all"). */
  readonly graphOptimization?: GraphOptimization;
  /**
   * Whether onnxruntime's pool threads spin while they wait for work (default
   * false: they sleep). Spinning buys a little latency per operator on cores
   * nothing else needs; on a CPU node the decode workers, the event loop and
   * Orthanc need them, and the spinning threads burnt CPU-seconds in their
   * way (docs/benchmarks.md, "End to end").
   */
  readonly spinning?: boolean;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Opens a session with the first execution provider that works. CUDA that
 * fails to initialise is logged and skipped, unless requireGpu is set, in
 * which case loading fails with GPU_UNAVAILABLE.
 */
export async function openSession(modelPath: string, opts: SessionOptions): Promise<OpenedSession> {
  const providers: ExecutionProviderName[] =
    opts.executionProviders.length > 0 ? [...opts.executionProviders] : ["cpu"];
  if (opts.requireGpu && !providers.includes("cuda")) {
    throw new RadzError(
      "GPU_UNAVAILABLE",
      `model.requireGpu is set but "cuda" is not in model.executionProviders (${providers.join(", ")})`,
    );
  }
  let lastError: unknown;
  for (const ep of providers) {
    try {
      const session = await ort.InferenceSession.create(modelPath, {
        executionProviders: [ep],
        graphOptimizationLevel: opts.graphOptimization ?? "all",
        ...(opts.intraOpThreads ? { intraOpNumThreads: opts.intraOpThreads } : {}),
        // session.intra_op.allow_spinning / session.inter_op.allow_spinning
        extra: {
          session: {
            intra_op: { allow_spinning: opts.spinning ? "1" : "0" },
            inter_op: { allow_spinning: opts.spinning ? "1" : "0" },
          },
        },
        // The CUDA provider bridge logs its own load failure at error level; ours below says it once.
        logSeverityLevel: ep === "cuda" ? 4 : 2,
      });
      opts.logger.info(
        {
          role: opts.role,
          executionProvider: ep,
          intraOpThreads: opts.intraOpThreads || "default",
          spinning: opts.spinning ?? false,
          graphOptimization: opts.graphOptimization ?? "all",
        },
        `${opts.role}: onnxruntime session on ${ep}`,
      );
      return { session, executionProvider: ep };
    } catch (err) {
      lastError = err;
      if (ep === "cuda") {
        if (opts.requireGpu) {
          throw new RadzError(
            "GPU_UNAVAILABLE",
            `model.requireGpu is set but the CUDA execution provider failed for the ${opts.role}: ${message(err)}`,
            {
              cause: err,
            },
          );
        }
        opts.logger.warn(
          { role: opts.role, err: message(err) },
          `${opts.role}: CUDA execution provider unavailable, trying the next provider`,
        );
        continue;
      }
      break;
    }
  }
  throw new RadzError(
    "BUNDLE_MODEL_MISMATCH",
    `the ${opts.role} "${opts.file}" could not be loaded by onnxruntime: ${message(lastError)}`,
    {
      cause: lastError,
      details: { file: opts.file },
    },
  );
}

export type TensorMetadata = Extract<ort.InferenceSession.ValueMetadata, { isTensor: true }>;

/** The metadata of a named input or output, or a BUNDLE_MODEL_MISMATCH naming what exists. */
export function tensorMetadata(
  session: Pick<ort.InferenceSession, "inputMetadata" | "outputMetadata">,
  kind: "input" | "output",
  name: string,
  file: string,
): TensorMetadata {
  const list = kind === "input" ? session.inputMetadata : session.outputMetadata;
  const found = list.find((m) => m.name === name);
  if (!found) {
    const names = list.map((m) => m.name).join(", ");
    throw new RadzError(
      "BUNDLE_MODEL_MISMATCH",
      `"${file}" has no ${kind} named "${name}" (it has: ${names})`,
      { details: { file } },
    );
  }
  if (!found.isTensor)
    throw new RadzError("BUNDLE_MODEL_MISMATCH", `"${file}" ${kind} "${name}" is not a tensor`, {
      details: { file },
    });
  return found;
}

/** True when a declared dimension accepts `size` (symbolic and unknown dims accept anything). */
export function dimAccepts(dim: number | string | undefined, size: number): boolean {
  return typeof dim !== "number" || dim < 0 || dim === size;
}

export function formatShape(shape: readonly (number | string)[]): string {
  return `[${shape.join(", ")}]`;
}
