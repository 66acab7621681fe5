/**
 * VOI LUT Functions, PS3.3 C.11.2.1.2, with output range ymin = 0, ymax = 1.
 *
 *  LINEAR (C.11.2.1.2.1, the default), width >= 1:
 *    x <= c - 0.5 - (w-1)/2  -> 0
 *    x >  c - 0.5 + (w-1)/2  -> 1
 *    else ((x - (c - 0.5)) / (w-1) + 0.5)
 *  LINEAR_EXACT (C.11.2.1.3), width > 0:
 *    x <= c - w/2 -> 0;  x > c + w/2 -> 1;  else (x - c)/w + 0.5
 *  SIGMOID (C.11.2.1.3), width > 0:
 *    1 / (1 + exp(-4 (x - c) / w))
 */
export const VoiLutFunction = {
  Linear: "LINEAR",
  LinearExact: "LINEAR_EXACT",
  Sigmoid: "SIGMOID",
} as const;
export type VoiLutFunction = (typeof VoiLutFunction)[keyof typeof VoiLutFunction];

export interface Window {
  readonly center: number;
  readonly width: number;
  readonly fn: VoiLutFunction;
}

/** Parses VOI LUT Function (0028,1056); absent or unknown values mean LINEAR (its default). */
export function parseVoiLutFunction(value: string | undefined): VoiLutFunction {
  const v = value?.trim().toUpperCase() ?? "";
  switch (v) {
    case "LINEAR_EXACT":
      return VoiLutFunction.LinearExact;
    case "SIGMOID":
      return VoiLutFunction.Sigmoid;
    default:
      return VoiLutFunction.Linear;
  }
}

/** Whether the standard allows this width for this function (LINEAR: >= 1; others: > 0). */
export function isValidWindow(w: Window): boolean {
  if (!Number.isFinite(w.center) || !Number.isFinite(w.width)) return false;
  return w.fn === VoiLutFunction.Linear ? w.width >= 1 : w.width > 0;
}

/** Returns y(x) in [0, 1] for a valid window. */
export function windowFunction(w: Window): (x: number) => number {
  const c = w.center;
  const width = w.width;
  switch (w.fn) {
    case VoiLutFunction.Linear: {
      const lo = c - 0.5 - (width - 1) / 2;
      const hi = c - 0.5 + (width - 1) / 2;
      // width == 1 makes the ramp a step at c - 0.5 (lo == hi).
      return (x) => (x <= lo ? 0 : x > hi ? 1 : (x - (c - 0.5)) / (width - 1) + 0.5);
    }
    case VoiLutFunction.LinearExact: {
      const lo = c - width / 2;
      const hi = c + width / 2;
      return (x) => (x <= lo ? 0 : x > hi ? 1 : (x - c) / width + 0.5);
    }
    case VoiLutFunction.Sigmoid:
      return (x) => 1 / (1 + Math.exp((-4 * (x - c)) / width));
  }
}
