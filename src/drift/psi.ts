/**
 * Population Stability Index (PSI) of one label's scores: how far the
 * distribution of a current window has moved from a reference window.
 *
 *   bins:  edges at the reference's quantiles k/B (k = 1 … B−1), ties merged,
 *          so each bin holds about 1/B of the reference; a score equal to an
 *          edge goes to the upper bin
 *   p, q:  the reference's and the current window's share per bin, smoothed
 *          with ε = 0.5 studies per bin: (n_i + ε) / (N + ε·bins), so an empty
 *          bin never divides by zero
 *   PSI =  Σ (q_i − p_i) · ln(q_i / p_i)
 *
 * With no drift, PSI is still above zero by sampling noise: about
 * (bins − 1) · (1/N_reference + 1/N_window) on average (N·M/(N+M) · PSI is
 * roughly χ² with bins − 1 degrees of freedom), so the window sizes must be
 * large enough for the levels (docs/drift.md).
 */

/** Additive smoothing per bin, in studies. */
export const PSI_SMOOTHING = 0.5;

/** Upper-bin edges at the reference's quantiles (sorted, distinct; at most bins − 1 of them). */
export function quantileEdges(reference: readonly number[], bins: number): number[] {
  const sorted = [...reference].sort((a, b) => a - b);
  const edges: number[] = [];
  if (sorted.length === 0) return edges;
  for (let k = 1; k < bins; k++) {
    const q = sorted[Math.min(sorted.length - 1, Math.floor((k * sorted.length) / bins))]!;
    // A quantile equal to the minimum would leave the first bin empty by construction.
    if (q > sorted[0]! && (edges.length === 0 || q > edges[edges.length - 1]!)) edges.push(q);
  }
  return edges;
}

/** Counts per bin (edges.length + 1 bins). */
export function binCounts(values: readonly number[], edges: readonly number[]): number[] {
  const counts = new Array<number>(edges.length + 1).fill(0);
  for (const v of values) {
    let lo = 0;
    let hi = edges.length;
    // The first edge above v (binary search): v's bin.
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (v >= edges[mid]!) lo = mid + 1;
      else hi = mid;
    }
    counts[lo]!++;
  }
  return counts;
}

/** Smoothed shares per bin. */
export function binShares(counts: readonly number[]): number[] {
  const total = counts.reduce((s, n) => s + n, 0);
  return counts.map((n) => (n + PSI_SMOOTHING) / (total + PSI_SMOOTHING * counts.length));
}

export interface PsiResult {
  readonly psi: number;
  /** The bins' upper edges (from the reference). */
  readonly edges: readonly number[];
  /** Smoothed shares per bin. */
  readonly reference: readonly number[];
  readonly current: readonly number[];
}

/** PSI of `current` against `reference` with `bins` reference-quantile bins. */
export function populationStabilityIndex(
  reference: readonly number[],
  current: readonly number[],
  bins: number,
): PsiResult {
  const edges = quantileEdges(reference, bins);
  const p = binShares(binCounts(reference, edges));
  const q = binShares(binCounts(current, edges));
  let psi = 0;
  for (let i = 0; i < p.length; i++) psi += (q[i]! - p[i]!) * Math.log(q[i]! / p[i]!);
  return { psi, edges, reference: p, current: q };
}

/** PSI expected from sampling noise alone (no drift) for these sizes. */
export function expectedNoisePsi(bins: number, referenceSize: number, windowSize: number): number {
  return (bins - 1) * (1 / referenceSize + 1 / windowSize);
}
