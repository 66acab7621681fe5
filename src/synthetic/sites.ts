/**
 * Synthetic sites: where the studies come from. A site decides how findings
 * are drawn (rates, co-occurrence, how pronounced), how each image varies
 * (positioning, exposure, noise) and how the detector responds.
 *
 *  - `default`: the generator as it always was (independent findings, clearly
 *    drawn, small jitter, a linear detector). The demo bundle was tuned on it.
 *  - `shifted`: another hospital with another detector. Exposure follows a
 *    power-law curve (gamma 0.66 to 0.94) with a wide gain and offset range,
 *    more noise and wider positioning jitter; findings are subtler (thinner
 *    pneumothorax rims, milder cardiomegaly overlapping normal hearts, faint
 *    consolidations, small faint nodules wherever they fall, even over other
 *    findings), effusions reach higher, and findings overlap the way they do
 *    in a hospital population: heart failure brings cardiomegaly and
 *    effusions together, pneumonia consolidation and a parapneumonic
 *    effusion. Every image carries a burned-in lead marker ("L"/"R") in an
 *    upper corner.
 */
import type { Prng } from "./prng.js";
import type { SyntheticLabel } from "./labels.js";
import {
  drawImageJitter,
  drawStudyFindings,
  inLungField,
  type DetectorResponse,
  type ImageJitter,
  type StudyFindings,
} from "./phantom.js";

export const SYNTHETIC_SITES = ["default", "shifted"] as const;
export type SyntheticSite = (typeof SYNTHETIC_SITES)[number];

export interface SiteProfile {
  /** Prefix of the site's UIDs (so the same seed at two sites gives different studies). */
  readonly uidRoot: string;
  /** Prng stream ids: study-level draws, and the first image's (image i uses imageStream + i). */
  readonly studyStream: number;
  readonly imageStream: number;
  readonly drawFindings: (rng: Prng, rate: number) => StudyFindings;
  readonly drawImage: (rng: Prng) => { jitter: ImageJitter; detector?: DetectorResponse };
  /** DX Detector ID written into the images. */
  readonly detectorId: string;
  readonly burnedInAnnotation: boolean;
}

/**
 * Shifted-site findings. `rate` scales the independent findings; heart failure
 * and pneumonia are latent causes, each present in a quarter of the studies.
 */
function drawShiftedFindings(rng: Prng, rate: number): StudyFindings {
  const scale = rate / 0.35;
  const heartFailure = rng.chance(0.3);
  const pneumonia = rng.chance(0.25);
  const present = {
    cardiomegaly: rng.chance(Math.min(1, (heartFailure ? 0.9 : 0.03) * scale)),
    pleural_effusion: rng.chance(
      Math.min(1, (heartFailure ? 0.9 : pneumonia ? 0.3 : 0.04) * scale),
    ),
    consolidation: rng.chance(Math.min(1, (pneumonia ? 0.9 : 0.05) * scale)),
    pneumothorax: rng.chance(Math.min(1, 0.3 * scale)),
    nodule: rng.chance(Math.min(1, 0.3 * scale)),
  };
  const labels = (
    ["pleural_effusion", "pneumothorax", "cardiomegaly", "consolidation", "nodule"] as const
  ).filter((l): l is SyntheticLabel => present[l]);
  const heartHalfWidth = present.cardiomegaly ? rng.uniform(0.3, 0.37) : rng.uniform(0.27, 0.34);
  let nodule: StudyFindings["nodule"];
  if (present.nodule) {
    const side = rng.sign();
    let t = 0.45;
    let y = -0.3;
    for (let i = 0; i < 200; i++) {
      t = rng.uniform(0.2, 0.66);
      y = rng.uniform(-0.45, 0.25);
      if (inLungField(t, y)) break;
    }
    nodule = { side, t, y, diameterMm: rng.uniform(4, 8), amplitude: rng.uniform(0.14, 0.28) };
  }
  return {
    labels,
    heartHalfWidth,
    effusion: present.pleural_effusion
      ? { side: rng.sign(), level: rng.uniform(0.1, 0.24) }
      : undefined,
    pneumothorax: present.pneumothorax
      ? { side: rng.sign(), rim: rng.uniform(0.03, 0.07), lowerY: rng.uniform(-0.3, -0.05) }
      : undefined,
    consolidation: present.consolidation
      ? {
          side: rng.sign(),
          t: rng.uniform(0.32, 0.62),
          y: rng.uniform(-0.38, -0.05),
          sigma: rng.uniform(0.06, 0.1),
          amplitude: rng.uniform(0.08, 0.22),
        }
      : undefined,
    nodule,
  };
}

function drawShiftedImage(rng: Prng): { jitter: ImageJitter; detector: DetectorResponse } {
  const jitter: ImageJitter = {
    shiftX: rng.uniform(-0.05, 0.05),
    shiftY: rng.uniform(-0.06, 0.06),
    scale: rng.uniform(0.92, 1.06),
    gain: rng.uniform(0.75, 1.18),
    offset: rng.uniform(-0.08, 0.09),
    noiseSigma: rng.uniform(0.018, 0.03),
    noiseSeed: rng.nextUint32(),
  };
  const right = rng.chance(0.5);
  const detector: DetectorResponse = {
    gamma: rng.uniform(0.66, 0.94),
    marker: {
      x: right ? rng.uniform(0.72, 0.8) : rng.uniform(-0.9, -0.82),
      y: rng.uniform(-0.92, -0.85),
      height: 0.1,
      letter: rng.chance(0.5) ? "L" : "R",
    },
  };
  return { jitter, detector };
}

export const SITE_PROFILES: Record<SyntheticSite, SiteProfile> = {
  default: {
    uidRoot: "radz-synthetic",
    studyStream: 1,
    imageStream: 100,
    drawFindings: drawStudyFindings,
    drawImage: (rng) => ({ jitter: drawImageJitter(rng) }),
    detectorId: "SYNTH-1",
    burnedInAnnotation: false,
  },
  shifted: {
    uidRoot: "radz-synthetic-shifted",
    studyStream: 2,
    imageStream: 200,
    drawFindings: drawShiftedFindings,
    drawImage: drawShiftedImage,
    detectorId: "SYNTH-2",
    burnedInAnnotation: true,
  },
};
