/**
 * The one quantile definition of the project: linear interpolation between closest ranks (R's
 * type 7, numpy's default), for stats, reports, benchmarks and tests alike. Summaries of delay
 * samples build on it.
 */

/** Linear interpolation between closest ranks (R type 7) on an ascending array. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  if (q <= 0) return sorted[0];
  if (q >= 1) return sorted[n - 1];
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

export function quantile(values: ArrayLike<number>, q: number): number {
  return quantileSorted(Float64Array.from(values).sort(), q);
}

/** The median (the mean of the two middle values of an even count); NaN when empty. */
export function median(values: ArrayLike<number>): number {
  return quantile(values, 0.5);
}

export interface DelaySummary {
  /** Pairs measured. */
  n: number;
  /** Share of pairs in which at least one singer hears the other at all. */
  heardShare: number;
  /** Quantiles over the heard pairs (ms). */
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
  /** Share of all measured pairs under each threshold (ms), keyed by threshold. */
  under: Record<string, number>;
}

/** Summarises delays; Infinity marks a pair that never hears each other. */
export function summarizeDelays(values: ArrayLike<number>, thresholdsMs: readonly number[]): DelaySummary {
  const n = values.length;
  const finite = new Float64Array(n);
  let m = 0;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (Number.isFinite(v)) {
      finite[m++] = v;
      sum += v;
    }
  }
  const sorted = finite.subarray(0, m).sort();
  const under: Record<string, number> = {};
  for (const t of thresholdsMs) {
    // Strictly under: count via binary search on the sorted heard delays.
    let lo = 0;
    let hi = m;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sorted[mid] < t) lo = mid + 1;
      else hi = mid;
    }
    under[String(t)] = n === 0 ? 0 : lo / n;
  }
  return {
    n,
    heardShare: n === 0 ? 0 : m / n,
    p50: quantileSorted(sorted, 0.5),
    p95: quantileSorted(sorted, 0.95),
    p99: quantileSorted(sorted, 0.99),
    max: m === 0 ? NaN : sorted[m - 1],
    mean: m === 0 ? NaN : sum / m,
    under,
  };
}

export interface ValueSummary {
  p50: number;
  p95: number;
  max: number;
  mean: number;
}

export function summarizeValues(values: ArrayLike<number>): ValueSummary {
  const sorted = Float64Array.from(values).sort();
  let sum = 0;
  for (let i = 0; i < sorted.length; i++) sum += sorted[i];
  return {
    p50: quantileSorted(sorted, 0.5),
    p95: quantileSorted(sorted, 0.95),
    max: sorted.length ? sorted[sorted.length - 1] : NaN,
    mean: sorted.length ? sum / sorted.length : NaN,
  };
}
