/**
 * The demonstration image encoder: a real ONNX graph, built from code, that
 * "sees" the synthetic phantom's findings with fixed filters and region masks
 * and projects one feature per finding into the shared embedding space.
 *
 * Input  image      [batch, 1, 224, 224] float, 0..1 display values (0 = black).
 * Output embedding  [batch, D]  (not normalised; the loader L2-normalises).
 * Output features   [batch, 5]  raw per-finding measurements (for inspection).
 *
 * Per finding (region masks in image coordinates, x and y in units of the half
 * width, image centre 0; image left is the patient's right):
 *  - pleural_effusion: fraction of bright pixels in the lateral lung bases (max of the two sides);
 *  - pneumothorax: fraction of very dark pixels along the lateral chest wall and apex (max of sides);
 *  - cardiomegaly: fraction of bright pixels across a band at heart level (cardiac width);
 *  - consolidation: peak of a 15 x 15 local mean in the mid zones minus the zone mean (max of sides);
 *  - nodule: peak of a centre-surround filter inside dark lung (gated by a dark-neighbourhood map).
 * Each is thresholded (ReLU), scaled, saturated (Min), and mapped by one Gemm onto its finding
 * direction, plus a constant along the "normal" direction: the part the text readout sees.
 *
 * Like a real CLIP embedding, it records more than its zero-shot readout uses: graded versions
 * (no floor, no saturation) of the five measurements and a few image statistics
 * (DEMO_GRADED_FEATURES), along directions orthogonal to every label text, the finding and
 * normal directions and the patch fill. They change no image-text dot product (only, a little,
 * the length the loader normalises by); a few-shot site adaptation (radz adapt) can use them.
 *
 * Output patch_embeddings [batch, G, G, D] (G = 224 / DEMO_PATCH_STRIDE): the spatial output.
 * Per finding a local map in [0, 1] at input resolution says "this pixel shows the finding":
 *  - pleural_effusion: fluid-bright (not heart-bright) pixels in the lung bases;
 *  - pneumothorax: very dark pixels inside the chest wall (the air rim);
 *  - cardiomegaly: bright pixels in the cardiac area;
 *  - consolidation: brightness in excess of the mirror-image side (11 x 11 means), mid zones;
 *  - nodule: brightness in excess of an 11 x 11 neighbourhood, gated like the nodule feature.
 * The maps are averaged over DEMO_PATCH_STRIDE-pixel patches and projected like the image
 * embedding (saturated feature value along each finding direction, plus the normal bias), so a
 * patch that is all finding k has the embedding of an image with a saturated feature k. The
 * image embedding does not depend on this branch, and patch embeddings have no graded part (zero
 * along its directions).
 */
import { GraphBuilder } from "./onnx-graph.js";

export const DEMO_IMAGE_SIZE = 224;
export const DEMO_FEATURE_COUNT = 5;
/**
 * The graded features the embedding records beyond its zero-shot readout: the
 * five raw finding measurements (before floor and saturation); the mean and
 * mean square of the chest's display values (exposure, contrast); a
 * lower-floor pneumothorax measurement (dark rather than very dark pixels along
 * chest wall and apex); the nodule filter's peak without the dark-lung gate;
 * and the mean display value across the cardiac band.
 */
export const DEMO_GRADED_FEATURES = [
  "pleural_effusion",
  "pneumothorax",
  "cardiomegaly",
  "consolidation",
  "nodule",
  "chest_mean",
  "chest_mean_square",
  "pneumothorax_soft",
  "nodule_ungated",
  "cardiac_band_mean",
] as const;
export const DEMO_GRADED_COUNT = DEMO_GRADED_FEATURES.length;
/** Side of a patch of the spatial output, in input pixels. */
export const DEMO_PATCH_STRIDE = 4;
export const DEMO_PATCH_GRID = DEMO_IMAGE_SIZE / DEMO_PATCH_STRIDE;

type Predicate = (x: number, y: number) => boolean;

/** A mask over the 224 x 224 input from a predicate on image coordinates; normalised to sum 1 when `normalise`. */
function mask(pred: Predicate, normalise: boolean): Float32Array {
  const n = DEMO_IMAGE_SIZE;
  const half = n / 2;
  const m = new Float32Array(n * n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const y = (i + 0.5 - half) / half;
    for (let j = 0; j < n; j++) {
      const x = (j + 0.5 - half) / half;
      if (pred(x, y)) {
        m[i * n + j] = 1;
        sum++;
      }
    }
  }
  if (normalise && sum > 0) for (let k = 0; k < m.length; k++) m[k]! /= sum;
  return m;
}

/** Two stacked masks, one per side (image left, image right), from a predicate on (t = |x|, y). */
function sided(pred: (t: number, y: number) => boolean, normalise: boolean): Float32Array {
  const left = mask((x, y) => x < 0 && pred(-x, y), normalise);
  const right = mask((x, y) => x >= 0 && pred(x, y), normalise);
  const out = new Float32Array(left.length * 2);
  out.set(left, 0);
  out.set(right, left.length);
  return out;
}

const domeY = (t: number): number => {
  const u = (t - 0.42) / 0.32;
  return 0.36 + 0.16 * u * u;
};
const apexY = (t: number): number => -0.8 + 1.2 * (t - 0.42) * (t - 0.42);

/** Region definitions (exported for tests and docs). */
export const DEMO_REGIONS = {
  cardiacBand: (x: number, y: number): boolean => y >= 0.05 && y <= 0.16 && x >= -0.45 && x <= 0.58,
  lateralBase: (t: number, y: number): boolean =>
    t >= 0.52 && t <= 0.7 && y >= 0.22 && y <= domeY(t) - 0.06,
  chestWallAndApex: (t: number, y: number): boolean =>
    (t >= 0.62 && t <= 0.78 && y >= -0.55 && y <= -0.2) ||
    (t >= 0.25 && t <= 0.55 && y >= apexY(t) - 0.02 && y <= apexY(t) + 0.08),
  midZone: (t: number, y: number): boolean => t >= 0.28 && t <= 0.64 && y >= -0.42 && y <= -0.16,
  chest: (x: number, y: number): boolean => {
    const t = Math.abs(x);
    return t >= 0.15 && t <= 0.75 && y >= -0.6 && y <= 0.3;
  },
  noduleSearch: (x: number, y: number): boolean => {
    const t = Math.abs(x);
    return t >= 0.14 && t <= 0.72 && y >= -0.45 && y <= 0.3;
  },
};

/** Where the spatial output looks for each finding (both sides; t = |x|). */
export const DEMO_MAP_REGIONS = {
  effusion: (x: number, y: number): boolean => {
    const t = Math.abs(x);
    return t >= 0.13 && t <= 0.76 && y >= 0 && y <= domeY(t) - 0.015;
  },
  pneumothorax: (x: number, y: number): boolean => {
    const t = Math.abs(x);
    return t >= 0.13 && t <= 0.78 && y >= -0.92 && y <= 0.12;
  },
  cardiac: (x: number, y: number): boolean => x >= -0.5 && x <= 0.62 && y >= -0.06 && y <= 0.42,
  consolidation: (x: number, y: number): boolean => {
    const t = Math.abs(x);
    return t >= 0.2 && t <= 0.7 && y >= -0.55 && y <= -0.04;
  },
};

/**
 * A search mask weighted towards a centre: 0.8 at the edges, up to 1 at (cx, cy)
 * (anatomy units; `mirrored`: at t = |x| = cx on both sides), so that the peak of a
 * uniformly bright finding lies in its middle rather than on its first row.
 */
function centreWeighted(
  pred: Predicate,
  cx: number,
  cy: number,
  sx2: number,
  sy2: number,
  mirrored = false,
): Float32Array {
  const n = DEMO_IMAGE_SIZE;
  const half = n / 2;
  return mask(pred, false).map((m, k) => {
    if (m === 0) return 0;
    const x = ((k % n) + 0.5 - half) / half;
    const y = (Math.floor(k / n) + 0.5 - half) / half;
    const dx = (mirrored ? Math.abs(x) : x) - cx;
    return 0.8 + 0.2 * Math.exp(-(dx * dx) / sx2 - ((y - cy) * (y - cy)) / sy2);
  });
}

/** 9 x 9 centre-surround kernel: +mean over radius <= 1.5, -mean over 2.5 < radius <= 4.5. */
function centreSurroundKernel(): Float32Array {
  const k = new Float32Array(81);
  let nc = 0;
  let ns = 0;
  for (let i = -4; i <= 4; i++)
    for (let j = -4; j <= 4; j++) {
      const r = Math.hypot(i, j);
      if (r <= 1.5) nc++;
      else if (r > 2.5 && r <= 4.5) ns++;
    }
  for (let i = -4; i <= 4; i++)
    for (let j = -4; j <= 4; j++) {
      const r = Math.hypot(i, j);
      k[(i + 4) * 9 + (j + 4)] = r <= 1.5 ? 1 / nc : r > 2.5 && r <= 4.5 ? -1 / ns : 0;
    }
  return k;
}

export interface DemoImageEncoderSpec {
  /** Embedding size D. */
  readonly embeddingSize: number;
  /** Per feature: value subtracted before the ReLU. */
  readonly thresholds: readonly number[];
  /** Per feature: gain after the ReLU. */
  readonly gains: readonly number[];
  /** Per feature: saturation (upper bound) after the gain, so one strong finding cannot swamp the others. */
  readonly caps: readonly number[];
  /** Row-major [DEMO_FEATURE_COUNT, D]: where each finding feature points in the embedding space. */
  readonly projection: Float32Array;
  /** [D]: the constant part of every embedding (the "normal study" direction). */
  readonly bias: Float32Array;
  /**
   * [D]: a unit direction orthogonal to the bias, the finding directions and
   * every label's text embeddings. Patch embeddings are topped up along it to
   * one common length, so a patch's logit for one label is linear in that
   * label's local map and does not move with the others' (the cosine's
   * normalisation would otherwise let, say, the heart raise every label's map).
   */
  readonly patchFill: Float32Array;
  /**
   * What the zero-shot readout ignores: graded measurements placed along
   * directions orthogonal to every text embedding (so they change no
   * image-text dot product), as a real CLIP embedding records far more than
   * its text directions read. Per graded feature (DEMO_GRADED_FEATURES order):
   * value = (measurement - offset) * gain, no floor, no saturation.
   */
  readonly graded: {
    readonly offsets: readonly number[];
    readonly gains: readonly number[];
    /** Row-major [DEMO_GRADED_COUNT, D]: unit directions, orthogonal to the label texts, bias, findings and patchFill. */
    readonly projection: Float32Array;
  };
}

export function buildDemoImageEncoder(spec: DemoImageEncoderSpec, docString: string): Uint8Array {
  const S = DEMO_IMAGE_SIZE;
  const D = spec.embeddingSize;
  const g = new GraphBuilder("radz_demo_image_encoder");
  const x = g.input("image", "float32", ["batch", 1, S, S]);
  const full = [S, S];
  const sigmoidStep = (v: string, at: number, slope: number): string =>
    g.op("Sigmoid", [g.op("Mul", [g.op("Sub", [v, g.scalar(at)]), g.scalar(slope)])]);
  const maxOverSides = (v: string): string =>
    g.op("ReduceMax", [g.op("Flatten", [v])], { axes: [1], keepdims: 1 });

  // cardiomegaly: bright fraction across the cardiac band.
  const bright48 = sigmoidStep(x, 0.48, 30);
  const cardiac = g.op("Flatten", [
    g.op("Conv", [
      bright48,
      g.floats(mask(DEMO_REGIONS.cardiacBand, true), [1, 1, ...full], "cardiac_band"),
    ]),
  ]);

  // pleural_effusion: bright fraction in the lateral lung bases.
  const bright42 = sigmoidStep(x, 0.42, 30);
  const effusion = maxOverSides(
    g.op("Conv", [
      bright42,
      g.floats(sided(DEMO_REGIONS.lateralBase, true), [2, 1, ...full], "lateral_base"),
    ]),
  );

  // pneumothorax: very dark fraction along chest wall and apex (after a 3 x 3 mean to quiet noise).
  const smooth3 = g.op("AveragePool", [x], {
    kernel_shape: [3, 3],
    pads: [1, 1, 1, 1],
    strides: [1, 1],
    count_include_pad: 0,
  });
  const veryDark = g.op("Sigmoid", [
    g.op("Mul", [g.op("Sub", [g.scalar(0.105), smooth3]), g.scalar(60)]),
  ]);
  const pneumothorax = maxOverSides(
    g.op("Conv", [
      veryDark,
      g.floats(sided(DEMO_REGIONS.chestWallAndApex, true), [2, 1, ...full], "chest_wall_apex"),
    ]),
  );

  // consolidation: local-mean peak minus zone mean, per side.
  const smooth15 = g.op("AveragePool", [x], {
    kernel_shape: [15, 15],
    pads: [7, 7, 7, 7],
    strides: [1, 1],
    count_include_pad: 0,
  });
  const midMask = sided(DEMO_REGIONS.midZone, false);
  const midOffset = midMask.map((m) => (m > 0 ? 0 : -10));
  const peak = g.op(
    "ReduceMax",
    [
      g.op("Add", [
        g.op("Mul", [smooth15, g.floats(midMask, [1, 2, ...full], "mid_zone")]),
        g.floats(midOffset, [1, 2, ...full], "mid_zone_off"),
      ]),
    ],
    {
      axes: [2, 3],
      keepdims: 0,
    },
  );
  // A consolidation is one-sided: measure the asymmetry of the two sides' peaks.
  const consolidation = g.op("Sub", [
    g.op("ReduceMax", [peak], { axes: [1], keepdims: 1 }),
    g.op("ReduceMin", [peak], { axes: [1], keepdims: 1 }),
  ]);

  // nodule: centre-surround peak inside dark lung.
  const cs = g.op("Conv", [x, g.floats(centreSurroundKernel(), [1, 1, 9, 9], "centre_surround")], {
    pads: [4, 4, 4, 4],
  });
  const dark = g.op("Sigmoid", [g.op("Mul", [g.op("Sub", [g.scalar(0.38), x]), g.scalar(40)])]);
  const darkNeighbourhood = g.op("AveragePool", [dark], {
    kernel_shape: [15, 15],
    pads: [7, 7, 7, 7],
    strides: [1, 1],
    count_include_pad: 1,
  });
  const gate = sigmoidStep(darkNeighbourhood, 0.7, 40);
  // ...and away from pneumothorax air, whose pleural line would otherwise ring the filter.
  const veryDarkNeighbourhood = g.op("AveragePool", [veryDark], {
    kernel_shape: [15, 15],
    pads: [7, 7, 7, 7],
    strides: [1, 1],
    count_include_pad: 1,
  });
  const notAir = g.op("Sigmoid", [
    g.op("Mul", [g.op("Sub", [g.scalar(0.08), veryDarkNeighbourhood]), g.scalar(60)]),
  ]);
  const gated = g.op("Mul", [
    g.op("Mul", [g.op("Mul", [cs, gate]), notAir]),
    g.floats(mask(DEMO_REGIONS.noduleSearch, false), [1, 1, ...full], "nodule_search"),
  ]);
  const nodule = g.op("Flatten", [g.op("GlobalMaxPool", [gated])]);

  // Order = SYNTHETIC_LABELS: pleural_effusion, pneumothorax, cardiomegaly, consolidation, nodule.
  const raw = g.op("Concat", [effusion, pneumothorax, cardiac, consolidation, nodule], { axis: 1 });
  const shaped = g.op("Min", [
    g.op("Mul", [
      g.op("Relu", [
        g.op("Sub", [raw, g.floats(spec.thresholds, [1, DEMO_FEATURE_COUNT], "thresholds")]),
      ]),
      g.floats(spec.gains, [1, DEMO_FEATURE_COUNT], "gains"),
    ]),
    g.floats(spec.caps, [1, DEMO_FEATURE_COUNT], "caps"),
  ]);
  // What the zero-shot readout ignores: the raw measurements and the chest's exposure and
  // contrast, graded, along directions orthogonal to every label text.
  const chestMask = g.floats(mask(DEMO_REGIONS.chest, true), [1, 1, ...full], "chest");
  const chestMean = g.op("Flatten", [g.op("Conv", [x, chestMask])]);
  const chestMeanSquare = g.op("Flatten", [g.op("Conv", [g.op("Mul", [x, x]), chestMask])]);
  const softDark = g.op("Sigmoid", [
    g.op("Mul", [g.op("Sub", [g.scalar(0.2), smooth3]), g.scalar(30)]),
  ]);
  const pneumothoraxSoft = maxOverSides(
    g.op("Conv", [
      softDark,
      g.floats(sided(DEMO_REGIONS.chestWallAndApex, true), [2, 1, ...full], "chest_wall_apex_soft"),
    ]),
  );
  const noduleUngated = g.op("Flatten", [
    g.op("GlobalMaxPool", [
      g.op("Mul", [
        g.op("Mul", [cs, notAir]),
        g.floats(mask(DEMO_REGIONS.noduleSearch, false), [1, 1, ...full], "nodule_search_all"),
      ]),
    ]),
  ]);
  const cardiacMean = g.op("Flatten", [
    g.op("Conv", [
      x,
      g.floats(mask(DEMO_REGIONS.cardiacBand, true), [1, 1, ...full], "cardiac_band_mean"),
    ]),
  ]);
  const gradedRaw = g.op(
    "Concat",
    [raw, chestMean, chestMeanSquare, pneumothoraxSoft, noduleUngated, cardiacMean],
    { axis: 1 },
  );
  const graded = g.op("Mul", [
    g.op("Sub", [
      gradedRaw,
      g.floats(spec.graded.offsets, [1, DEMO_GRADED_COUNT], "graded_offsets"),
    ]),
    g.floats(spec.graded.gains, [1, DEMO_GRADED_COUNT], "graded_gains"),
  ]);
  const embedding = g.op("Add", [
    g.op("Gemm", [
      shaped,
      g.floats(spec.projection, [DEMO_FEATURE_COUNT, D], "projection"),
      g.floats(spec.bias, [D], "normal_bias"),
    ]),
    g.op("MatMul", [
      graded,
      g.floats(spec.graded.projection, [DEMO_GRADED_COUNT, D], "graded_projection"),
    ]),
  ]);
  // ---- spatial output: one local map per finding, pooled to patches, projected ----
  const mapMask = (pred: Predicate, name: string): string =>
    g.floats(mask(pred, false), [1, 1, ...full], name);
  const clamp01 = (v: string): string => g.op("Clip", [v, g.scalar(0), g.scalar(1)]);
  const smooth11 = g.op("AveragePool", [x], {
    kernel_shape: [11, 11],
    pads: [5, 5, 5, 5],
    strides: [1, 1],
    count_include_pad: 0,
  });
  const mirror = (v: string): string =>
    g.op("Slice", [v, g.ints([-1]), g.ints([-(S + 1)]), g.ints([3]), g.ints([-1])]);
  const excessOverMirror = g.op("Sub", [smooth11, mirror(smooth11)]);
  const asymmetric = clamp01(g.op("Mul", [excessOverMirror, g.scalar(5)]));
  const notHeartBright = g.op("Sigmoid", [
    g.op("Mul", [g.op("Sub", [g.scalar(0.655), smooth3]), g.scalar(40)]),
  ]);
  // Weighted towards the middle of each base (0.8 at the edges of the search area, 1 at its
  // centre), so the peak of a uniformly bright effusion lies inside it, not on its rim.
  const fluid = g.op("Mul", [
    g.op("Mul", [sigmoidStep(smooth3, 0.45, 40), notHeartBright]),
    g.floats(
      centreWeighted(DEMO_MAP_REGIONS.effusion, 0.45, 0.3, 0.02, 0.01, true),
      [1, 1, ...full],
      "map_effusion",
    ),
  ]);
  const air = g.op("Mul", [veryDark, mapMask(DEMO_MAP_REGIONS.pneumothorax, "map_ptx")]);
  const heart = g.op("Mul", [
    bright48,
    g.floats(
      centreWeighted(DEMO_MAP_REGIONS.cardiac, 0.08, 0.2, 0.04, 0.03),
      [1, 1, ...full],
      "map_cardiac",
    ),
  ]);
  const consolidationMap = g.op("Mul", [
    g.op("Mul", [asymmetric, mapMask(DEMO_MAP_REGIONS.consolidation, "map_consolidation")]),
    mirror(notAir),
  ]);
  const localExcess = g.op("Sub", [x, smooth11]);
  const noduleMap = g.op("Mul", [
    g.op("Mul", [
      g.op("Mul", [
        clamp01(g.op("Mul", [g.op("Sub", [localExcess, g.scalar(0.05)]), g.scalar(10)])),
        gate,
      ]),
      notAir,
    ]),
    mapMask(DEMO_REGIONS.noduleSearch, "map_nodule"),
  ]);
  const maps = g.op("Concat", [fluid, air, heart, consolidationMap, noduleMap], { axis: 1 });
  const pooled = g.op("AveragePool", [maps], {
    kernel_shape: [DEMO_PATCH_STRIDE, DEMO_PATCH_STRIDE],
    strides: [DEMO_PATCH_STRIDE, DEMO_PATCH_STRIDE],
  });
  const perPatch = g.op("Transpose", [pooled], { perm: [0, 2, 3, 1] });
  const patchProjection = new Float32Array(DEMO_FEATURE_COUNT * D);
  for (let k = 0; k < DEMO_FEATURE_COUNT; k++)
    for (let i = 0; i < D; i++)
      patchProjection[k * D + i] = spec.caps[k]! * spec.projection[k * D + i]!;
  // Length of every patch embedding: that of a patch with every finding saturated.
  const biasSquared = spec.bias.reduce((a, v) => a + v * v, 0);
  const capsSquared = spec.caps.map((c) => c * c);
  const lengthSquared = biasSquared + capsSquared.reduce((a, v) => a + v, 0);
  const findingSquared = g.op("MatMul", [
    g.op("Mul", [perPatch, perPatch]),
    g.floats(capsSquared, [DEMO_FEATURE_COUNT, 1], "caps_squared"),
  ]);
  const fill = g.op("Sqrt", [
    g.op("Relu", [g.op("Sub", [g.scalar(lengthSquared - biasSquared), findingSquared])]),
  ]);
  const patches = g.op("Add", [
    g.op("Add", [
      g.op("MatMul", [perPatch, g.floats(patchProjection, [DEMO_FEATURE_COUNT, D], "patch_proj")]),
      g.floats(spec.bias, [D], "patch_bias"),
    ]),
    g.op("Mul", [fill, g.floats(spec.patchFill, [D], "patch_fill")]),
  ]);

  g.output(embedding, "embedding", "float32", ["batch", D]);
  g.output(raw, "features", "float32", ["batch", DEMO_FEATURE_COUNT]);
  g.output(patches, "patch_embeddings", "float32", ["batch", DEMO_PATCH_GRID, DEMO_PATCH_GRID, D]);
  return g.toBytes({ producerName: "radz", producerVersion: "1", docString });
}
