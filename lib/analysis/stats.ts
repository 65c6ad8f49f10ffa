/**
 * Order statistics, medians with exact (binomial) confidence intervals and a seeded bootstrap
 * for the ratio of two medians. Pure functions over plain number arrays: the polars code in
 * `summary.ts` groups rows, these functions do the statistics.
 *
 * @module
 */
import { type Random, seededRandom } from "./random.ts";

/** A confidence interval. `level` is the coverage actually achieved (exact intervals overshoot). */
export interface Interval {
  lower: number;
  upper: number;
  level: number;
}

/** Point estimates of one sample, with the median's interval or the reason there is none. */
export interface Estimate {
  /** Number of values used (nulls and non-finite values dropped). */
  n: number;
  p50: number | null;
  p90: number | null;
  p99: number | null;
  mean: number | null;
  /** Confidence interval of the median, or null with `note` saying why. */
  ci: Interval | null;
  /** Why `ci` is null, e.g. `n=3: too few for a 95% interval`. */
  note: string | null;
}

/** A ratio of two medians (`a / b`) with its bootstrap interval. */
export interface RatioEstimate {
  ratio: number | null;
  ci: Interval | null;
  note: string | null;
  nA: number;
  nB: number;
}

/** Default confidence level of every interval. */
export const DEFAULT_LEVEL = 0.95;

/** Keeps the finite numbers of a list and sorts them ascending. */
export function sortedFinite(values: Iterable<number | null | undefined>): Float64Array {
  const kept: number[] = [];
  for (const v of values) if (typeof v === "number" && Number.isFinite(v)) kept.push(v);
  return Float64Array.from(kept).sort();
}

/**
 * The p-quantile of sorted values by linear interpolation (Hyndman–Fan type 7, as polars'
 * `quantile(p, "linear")` and numpy's default).
 *
 * @param sorted Values in ascending order.
 * @param p Probability in [0, 1].
 * @returns The quantile, or null for an empty sample.
 * @throws {RangeError} When p is outside [0, 1].
 */
export function quantileSorted(sorted: ArrayLike<number>, p: number): number | null {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`Quantile must be within [0, 1], got ${p}`);
  const n = sorted.length;
  if (n === 0) return null;
  const h = (n - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  const a = sorted[lo]!;
  return a + (h - lo) * (sorted[hi]! - a);
}

/** Median of sorted values (null when empty). */
export function medianSorted(sorted: ArrayLike<number>): number | null {
  return quantileSorted(sorted, 0.5);
}

function meanOf(values: ArrayLike<number>): number | null {
  if (values.length === 0) return null;
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i]!;
  return sum / values.length;
}

/**
 * 1-based ranks (l, u) of the order statistics that bound the median with at least `level`
 * coverage: the largest l with P(B ≤ l−1) ≤ (1−level)/2 for B ~ Binomial(n, ½), and u = n+1−l.
 *
 * @param n Sample size.
 * @param level Confidence level, e.g. 0.95.
 * @returns The ranks and the exact coverage 1 − 2·P(B ≤ l−1), or null when even the sample
 * minimum and maximum cover less than `level` (n < 6 at 95%).
 */
export function medianRanks(
  n: number,
  level = DEFAULT_LEVEL,
): { lower: number; upper: number; level: number } | null {
  if (n < 1) return null;
  const tail = (1 - level) / 2;
  // Binomial(n, ½) log-pmf built up term by term, so large n never underflows.
  let logPmf = -n * Math.LN2; // log P(B = 0)
  let cdf = 0;
  let l = 0;
  for (let k = 0; k < n; k++) {
    const next = cdf + Math.exp(logPmf); // P(B ≤ k)
    if (next > tail + 1e-12) break;
    cdf = next;
    l = k + 1;
    logPmf += Math.log(n - k) - Math.log(k + 1);
  }
  if (l < 1) return null;
  return { lower: l, upper: n + 1 - l, level: 1 - 2 * cdf };
}

/** The smallest sample size that has an exact median interval at `level`. */
export function minSamplesForInterval(level = DEFAULT_LEVEL): number {
  let n = 1;
  while (medianRanks(n, level) === null) n++;
  return n;
}

/** The text used where a sample is too small for an interval. */
export function tooFewNote(n: number, level = DEFAULT_LEVEL): string {
  return `n=${n}: too few for a ${Math.round(level * 100)}% interval`;
}

/**
 * Distribution-free confidence interval of the median from order statistics.
 *
 * @param sorted Values in ascending order.
 * @param level Confidence level (default 0.95).
 * @returns The interval, or null when the sample is too small.
 */
export function medianInterval(sorted: ArrayLike<number>, level = DEFAULT_LEVEL): Interval | null {
  const ranks = medianRanks(sorted.length, level);
  if (ranks === null) return null;
  return {
    lower: sorted[ranks.lower - 1]!,
    upper: sorted[ranks.upper - 1]!,
    level: ranks.level,
  };
}

/**
 * Describes one sample: p50, p90, p99, mean and the median's interval.
 *
 * @param values Raw values; null and non-finite entries are dropped.
 * @param level Confidence level of the median interval (default 0.95).
 * @returns The estimate; `ci` is null with a `note` when the sample is too small.
 * @example
 * ```ts
 * import { describe } from "./stats.ts";
 * describe([3, 1, 2]).note; // "n=3: too few for a 95% interval"
 * ```
 */
export function describe(
  values: Iterable<number | null | undefined>,
  level = DEFAULT_LEVEL,
): Estimate {
  const sorted = sortedFinite(values);
  const n = sorted.length;
  const ci = medianInterval(sorted, level);
  return {
    n,
    p50: quantileSorted(sorted, 0.5),
    p90: quantileSorted(sorted, 0.9),
    p99: quantileSorted(sorted, 0.99),
    mean: meanOf(sorted),
    ci,
    note: ci === null ? (n === 0 ? "no data" : tooFewNote(n, level)) : null,
  };
}

/**
 * Median of one bootstrap resample of sorted values without sorting: count how often each rank
 * is drawn, then walk the counts to the middle rank(s). O(n) per resample; same draws, same
 * median as sorting the resample.
 */
function resampledMedian(sorted: Float64Array, random: Random, counts: Int32Array): number {
  const n = sorted.length;
  counts.fill(0);
  for (let i = 0; i < n; i++) counts[Math.floor(random() * n)]!++;
  const lowRank = (n - 1) >> 1; // 0-based ranks of the middle value(s)
  const highRank = n >> 1;
  let seen = 0;
  let low = Number.NaN;
  for (let i = 0; i < n; i++) {
    seen += counts[i]!;
    if (Number.isNaN(low) && seen > lowRank) low = sorted[i]!;
    if (seen > highRank) return (low + sorted[i]!) / 2;
  }
  return low;
}

/** Options of {@link ratioOfMedians}. */
export interface RatioOptions {
  /** Confidence level (default 0.95). */
  level?: number;
  /** Bootstrap resamples (default 2000). */
  resamples?: number;
  /** Seed of the resampling generator (default 1), so reports are reproducible. */
  seed?: number;
}

/**
 * Ratio of the medians of two samples (`a / b`) with a percentile-bootstrap interval: both
 * samples are resampled independently with a seeded generator.
 *
 * @param a Numerator sample (e.g. llrt Init durations).
 * @param b Denominator sample (e.g. node Init durations).
 * @param options Level, resamples and seed.
 * @returns The ratio; `ci` is null with a `note` when either sample is too small for an exact
 * median interval at that level, or when b's median is 0.
 * @example
 * ```ts
 * import { ratioOfMedians } from "./stats.ts";
 * ratioOfMedians([2, 2, 2, 2, 2, 2], [4, 4, 4, 4, 4, 4]).ratio; // 0.5
 * ```
 */
export function ratioOfMedians(
  a: Iterable<number | null | undefined>,
  b: Iterable<number | null | undefined>,
  options: RatioOptions = {},
): RatioEstimate {
  const level = options.level ?? DEFAULT_LEVEL;
  const resamples = options.resamples ?? 2000;
  const sa = sortedFinite(a);
  const sb = sortedFinite(b);
  const ma = medianSorted(sa);
  const mb = medianSorted(sb);
  const base = { nA: sa.length, nB: sb.length };
  if (ma === null || mb === null) {
    return { ...base, ratio: null, ci: null, note: "no data" };
  }
  if (mb === 0) return { ...base, ratio: null, ci: null, note: "denominator median is 0" };
  const ratio = ma / mb;
  const min = minSamplesForInterval(level);
  if (sa.length < min || sb.length < min) {
    return { ...base, ratio, ci: null, note: tooFewNote(Math.min(sa.length, sb.length), level) };
  }
  const random = seededRandom(options.seed ?? 1);
  const countsA = new Int32Array(sa.length);
  const countsB = new Int32Array(sb.length);
  const ratios = new Float64Array(resamples);
  let kept = 0;
  for (let i = 0; i < resamples; i++) {
    const rb = resampledMedian(sb, random, countsB);
    const ra = resampledMedian(sa, random, countsA);
    if (rb !== 0) ratios[kept++] = ra / rb;
  }
  const sorted = ratios.subarray(0, kept).sort();
  const alpha = (1 - level) / 2;
  return {
    ...base,
    ratio,
    ci: {
      lower: quantileSorted(sorted, alpha)!,
      upper: quantileSorted(sorted, 1 - alpha)!,
      level,
    },
    note: null,
  };
}
