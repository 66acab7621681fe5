/**
 * WADO-RS retrieve of a study's selected images, each handed to the decode
 * pool as soon as its bytes arrive, so the next image's transfer overlaps the
 * previous image's decode (and, across studies, other studies' inference).
 * Stage timings: "wado" (transfer), "decodeWait" (waiting for the pool after
 * the last transfer), and the workers' own "parse", "decode", "thumbnail",
 * "preprocess" (CPU time per image, summed).
 */
import type { Config } from "../config/index.js";
import type { DicomWebClient } from "../dicomweb/index.js";
import type { PreprocessSpec } from "../imaging/index.js";
import type { ImageCandidate } from "../intake/index.js";
import type { DecodePool } from "./decode-pool.js";
import type { PreparedImage } from "./prepare-image.js";
import type { Stopwatch } from "./stopwatch.js";

export interface FetchImagesDeps {
  readonly dicomweb: Pick<DicomWebClient, "retrieveInstance">;
  readonly pool: Pick<DecodePool, "prepare" | "allocate">;
  readonly config: Pick<Config, "imaging" | "dicomweb">;
  readonly preprocess: PreprocessSpec;
}

/** Fetches and prepares the images in order; the first carries the summary image's thumbnail. */
export async function fetchAndPrepareImages(
  selected: readonly ImageCandidate[],
  deps: FetchImagesDeps,
  clock: Stopwatch,
): Promise<PreparedImage[]> {
  const pending: Promise<PreparedImage>[] = [];
  try {
    for (const [i, c] of selected.entries()) {
      const bytes = await clock.timeAsync("wado", () =>
        // Received into the decode pool's reusable buffers (buffer-pool.ts).
        deps.dicomweb.retrieveInstance(c.studyInstanceUid, c.seriesInstanceUid, c.sopInstanceUid, {
          allocate: deps.pool.allocate,
        }),
      );
      pending.push(
        deps.pool.prepare({
          bytes,
          maxBytes: deps.config.dicomweb.maxInstanceBytes,
          windowIndex: deps.config.imaging.windowIndex,
          maxPixels: deps.config.imaging.maxPixels,
          preprocess: deps.preprocess,
          thumbnail: i === 0,
        }),
      );
    }
  } catch (err) {
    // A transfer failed: the images already handed over must not reject unobserved.
    for (const p of pending) p.catch(() => undefined);
    throw err;
  }
  const prepared = await clock.timeAsync("decodeWait", () => Promise.all(pending));
  for (const p of prepared)
    for (const [stage, ms] of Object.entries(p.timings)) clock.add(stage, ms);
  return prepared;
}
