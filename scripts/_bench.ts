/**
 * What the harness's benchmark scripts share: a sample's summary and a seeded generator for
 * reproducible synthetic logs.
 *
 * @module
 */

/** Median, p90, p99 and mean of a sample, in ms. */
export interface Stats {
  median: number;
  p90: number;
  p99: number;
  mean: number;
}

/**
 * @param values the sample
 * @returns its median, p90, p99 and mean
 * @example stats([1, 2, 3]).median // 2
 */
export function stats(values: number[]): Stats {
  const s = [...values].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? NaN;
  return {
    median: q(0.5),
    p90: q(0.9),
    p99: q(0.99),
    mean: s.reduce((a, b) => a + b, 0) / s.length,
  };
}

/**
 * @param s a sample's summary
 * @returns it as one line, in ms
 */
export const fmt = (s: Stats): string =>
  `median ${s.median.toFixed(3)} ms, p90 ${s.p90.toFixed(3)}, p99 ${s.p99.toFixed(3)}, mean ${
    s.mean.toFixed(3)
  }`;

/**
 * A seeded generator (mulberry32) and lowercase hex strings drawn from it, so a generated file
 * is the same on every run.
 *
 * @param seed the seed
 * @returns `rand()` in [0, 1) and `hex(n)`, n hex digits
 * @example seeded(1).hex(4).length // 4
 */
export function seeded(seed: number): { rand: () => number; hex: (n: number) => string } {
  const rand = () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  const hex = (n: number) => {
    let s = "";
    for (let i = 0; i < n; i++) s += "0123456789abcdef"[Math.floor(rand() * 16)];
    return s;
  };
  return { rand, hex };
}
