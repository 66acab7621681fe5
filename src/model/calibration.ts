/**
 * Calibration maps a label's raw logit (the log-odds of its uncalibrated
 * zero-shot probability) to a calibrated probability.
 *  - none:     p = sigmoid(z)
 *  - platt:    p = sigmoid(a * z + b)
 *  - isotonic: p = piecewise-linear interpolation of (x, y) at q = sigmoid(z), clamped to the ends
 */
import type { Calibration } from "./bundle-schema.js";

export function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/** log(p / (1 - p)), finite for p in (0, 1), +-Infinity at the ends. */
export function logit(p: number): number {
  return Math.log(p) - Math.log1p(-p);
}

function interpolate(xs: readonly number[], ys: readonly number[], q: number): number {
  const n = xs.length;
  if (q <= xs[0]!) return ys[0]!;
  if (q >= xs[n - 1]!) return ys[n - 1]!;
  let lo = 0;
  let hi = n - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (xs[mid]! <= q) lo = mid;
    else hi = mid;
  }
  const x0 = xs[lo]!;
  const x1 = xs[hi]!;
  const t = (q - x0) / (x1 - x0);
  return ys[lo]! + t * (ys[hi]! - ys[lo]!);
}

export function applyCalibration(calibration: Calibration, z: number): number {
  switch (calibration.method) {
    case "none":
      return sigmoid(z);
    case "platt":
      return sigmoid(calibration.a * z + calibration.b);
    case "isotonic":
      return interpolate(calibration.x, calibration.y, sigmoid(z));
  }
}

/**
 * Fits Platt scaling p = sigmoid(a z + b) by Newton's method on the
 * regularised targets of Platt (1999): positives (N+ + 1)/(N+ + 2), negatives
 * 1/(N- + 2), which keeps a and b finite when the classes separate perfectly.
 */
export function fitPlatt(
  z: readonly number[],
  truth: readonly boolean[],
  iterations = 100,
): { a: number; b: number } {
  const nPos = truth.filter(Boolean).length;
  const nNeg = truth.length - nPos;
  const tPos = (nPos + 1) / (nPos + 2);
  const tNeg = 1 / (nNeg + 2);
  let a = 1;
  let b = 0;
  for (let it = 0; it < iterations; it++) {
    let g0 = 0;
    let g1 = 0;
    let h00 = 1e-9;
    let h01 = 0;
    let h11 = 1e-9;
    for (let i = 0; i < z.length; i++) {
      const p = sigmoid(a * z[i]! + b);
      const t = truth[i] ? tPos : tNeg;
      const d = p - t;
      const w = p * (1 - p);
      g0 += d * z[i]!;
      g1 += d;
      h00 += w * z[i]! * z[i]!;
      h01 += w * z[i]!;
      h11 += w;
    }
    const det = h00 * h11 - h01 * h01;
    if (Math.abs(det) < 1e-18) break;
    const da = (h11 * g0 - h01 * g1) / det;
    const db = (h00 * g1 - h01 * g0) / det;
    a -= da;
    b -= db;
    if (Math.abs(da) < 1e-10 && Math.abs(db) < 1e-10) break;
  }
  return { a, b };
}
