/**
 * A small seeded pseudo-random generator, so bootstrap intervals and simulated fixtures are
 * the same on every run.
 *
 * @module
 */

/** A source of uniform numbers in [0, 1). */
export type Random = () => number;

/**
 * Creates a seeded generator (mulberry32: 32-bit state, fast, good enough for resampling).
 *
 * @param seed Any integer; equal seeds give equal sequences.
 * @returns A function that returns the next number in [0, 1).
 * @example
 * ```ts
 * import { seededRandom } from "./random.ts";
 * const rnd = seededRandom(42);
 * rnd() === seededRandom(42)(); // true
 * ```
 */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Draws from a normal distribution (Box–Muller) using the given uniform source.
 *
 * @param random The uniform source.
 * @param mean Mean of the distribution.
 * @param sd Standard deviation.
 * @returns One draw.
 */
export function normal(random: Random, mean = 0, sd = 1): number {
  const u = 1 - random(); // (0, 1]: log(0) never happens
  const v = random();
  return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}
