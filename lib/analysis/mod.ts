/**
 * Analysis of benchmark runs: loading run folders, per-cell statistics with intervals, ratios
 * between variants, and their text forms.
 *
 * @module
 */
export * from "./frame.ts";
export * from "./load.ts";
export * from "./stats.ts";
export * from "./summary.ts";
export * from "./format.ts";
export { normal, type Random, seededRandom } from "./random.ts";
