/**
 * Scores a folder of DICOM studies exactly as the service would: through the
 * pipeline's inferFiles (selection, decoding, preprocessing, batching into the
 * model, study-level aggregation), keeping each study's per-label probability.
 * The SRs inferFiles writes go to a temporary directory that is removed.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Config } from "../config/index.js";
import type { ZeroShotModel } from "../model/index.js";
import type { Logger } from "../observability/index.js";
import { inferFiles } from "../pipeline/index.js";
import type { ScoredStudy } from "./evaluate.js";

export interface ScoreStudiesOptions {
  readonly model: ZeroShotModel;
  readonly config: Pick<Config, "imaging" | "model" | "report" | "selection" | "dicomweb">;
  readonly logger: Logger;
  readonly softwareVersion: string;
  /** Called after each study (scored, skipped or failed). */
  readonly onStudy?: (done: number) => void;
  /** Keep each study's image embeddings (for radz adapt). */
  readonly keepEmbeddings?: boolean;
}

export interface ScoredRun {
  readonly studies: ScoredStudy[];
  /** Studies (or files) that failed, with their error codes. */
  readonly failed: readonly { readonly studyInstanceUid: string | null; readonly code: string }[];
  /** Studies without an eligible image. */
  readonly skipped: number;
}

export async function scoreStudies(
  paths: readonly string[],
  o: ScoreStudiesOptions,
): Promise<ScoredRun> {
  const thresholds = new Map(o.model.labels.map((l) => [l.id, l.threshold]));
  const outDir = await mkdtemp(path.join(tmpdir(), "radz-eval-sr-"));
  const studies: ScoredStudy[] = [];
  const failed: { studyInstanceUid: string | null; code: string }[] = [];
  let skipped = 0;
  let done = 0;
  // inferFiles scores one study at a time, and every image's embedding passes
  // through model.scoreEmbeddings, so the rows scored since the last outcome
  // are that study's images.
  let pending: ArrayLike<number>[] = [];
  const model: ZeroShotModel = o.keepEmbeddings
    ? new Proxy(o.model, {
        get(target, prop, receiver) {
          if (prop === "scoreEmbeddings")
            return (embeddings: readonly ArrayLike<number>[]) => {
              pending.push(...embeddings);
              return target.scoreEmbeddings(embeddings);
            };
          const value: unknown = Reflect.get(target, prop, receiver);
          return typeof value === "function" ? (value as () => unknown).bind(target) : value;
        },
      })
    : o.model;
  try {
    for await (const outcome of inferFiles(paths, {
      model,
      config: o.config,
      outDir,
      logger: o.logger,
      softwareVersion: o.softwareVersion,
      // Every label's regions: localisation is judged on every truly positive study.
      localise: "all",
    })) {
      done++;
      if (outcome.state === "done" && outcome.studyInstanceUID) {
        studies.push({
          studyInstanceUid: outcome.studyInstanceUID,
          scores: new Map(
            outcome.findings.map((f) => [
              f.label,
              { probability: f.probability, threshold: thresholds.get(f.label) ?? Number.NaN },
            ]),
          ),
          regions: new Map(
            outcome.findings.flatMap((f) =>
              f.regions
                ? [
                    [
                      f.label,
                      f.regions.map((r) => ({
                        sopInstanceUid: r.sopInstanceUID,
                        peak: r.peak,
                        box: r.box,
                        score: r.score,
                      })),
                    ] as const,
                  ]
                : [],
            ),
          ),
          ...(o.keepEmbeddings ? { embeddings: pending } : {}),
        });
      } else if (outcome.state === "skipped") {
        skipped++;
      } else {
        failed.push({
          studyInstanceUid: outcome.studyInstanceUID,
          code: outcome.error?.code ?? "INTERNAL",
        });
      }
      pending = [];
      o.onStudy?.(done);
    }
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
  return { studies, failed, skipped };
}
