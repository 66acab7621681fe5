/**
 * What localisation costs (issue 19), for bench:e2e (docs/benchmarks.md
 * "Localisation cost"): the same studies' prepared tensors scored and
 * reported twice, with the bundle's spatial output and without it, study by
 * study in alternating order, each run's CPU seconds (this process, all
 * threads: onnxruntime, maps, regions, SR, summary image) taken from
 * process.cpuUsage.
 *
 * "Without" is exactly what the service does with a bundle that declares no
 * spatial output: one encoder run fetching only the embedding output
 * (ZeroShotModel.embedImages), the same scoring, no regions; the SR and the
 * summary image then have no SCOORDs and no outlines. Decode, transfer and
 * the STOW-RS do not depend on it (the SR is a few kB larger with regions).
 */
import type { Config } from "../src/config/index.js";
import type { DicomInstance, GreyImage } from "../src/imaging/index.js";
import type { ZeroShotModel } from "../src/model/index.js";
import { buildReport, scorePreparedImages, type PreparedInput } from "../src/pipeline/analyze.js";
import { Stopwatch } from "../src/pipeline/stopwatch.js";
import { RADZ_VERSION } from "../src/version.js";

export interface LocalisationStudy {
  readonly images: readonly PreparedInput[];
  readonly thumbnail: GreyImage;
  /** The instance the SR describes (its first image). */
  readonly source: DicomInstance;
}

export interface LocalisationCost {
  readonly studies: number;
  /** CPU-s over all studies: encoder run + scoring (+ maps and regions with the spatial output). */
  readonly inferenceWith: number;
  readonly inferenceWithout: number;
  /** CPU-s over all studies: SR + summary image built from those results. */
  readonly reportWith: number;
  readonly reportWithout: number;
  /** Regions found over all studies (with the spatial output). */
  readonly regions: number;
}

function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** Scores and reports every study with and without the spatial output (alternating which goes first). */
export async function measureLocalisationCost(
  studies: readonly LocalisationStudy[],
  model: ZeroShotModel,
  config: Config,
): Promise<LocalisationCost> {
  // A bundle without spatialOutputName: the encoder's embedding output only.
  const embeddingOnly = {
    encodeImages: async (tensors: readonly Float32Array[]) =>
      (await model.embedImages(tensors)).map((embedding) => ({ embedding })),
  };
  const sums = { inferenceWith: 0, inferenceWithout: 0, reportWith: 0, reportWithout: 0 };
  let regions = 0;
  const contentDateTime = new Date();
  // The first study once more, unmeasured, ahead of the rest: both paths warm (JIT, sharp, dcmjs).
  for (const [k, s] of [[-1, studies[0]!] as const, ...studies.entries()]) {
    const variants = k % 2 === 0 ? (["With", "Without"] as const) : (["Without", "With"] as const);
    for (const v of variants) {
      const c0 = cpuSeconds();
      const analysis = await scorePreparedImages(
        s.images,
        s.thumbnail,
        model,
        config,
        new Stopwatch(),
        v === "With" ? model : embeddingOnly,
      );
      const c1 = cpuSeconds();
      await buildReport(analysis, s.source, model, config, RADZ_VERSION, new Stopwatch(), {
        contentDateTime,
      });
      const c2 = cpuSeconds();
      if (k < 0) continue;
      sums[`inference${v}`] += c1 - c0;
      sums[`report${v}`] += c2 - c1;
      if (v === "With") for (const f of analysis.findings) regions += f.regions?.length ?? 0;
    }
  }
  return { studies: studies.length, ...sums, regions };
}
