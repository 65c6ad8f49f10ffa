/**
 * The report of `deno task report`: charts and `summary.md` for one or more runs, and the
 * pieces of `summary.md` (which variants are compared, the ratio and cost tables) that the
 * notebooks show too.
 *
 * @module
 */
export * from "./comparisons.ts";
export * from "./fidelity.ts";
export * from "./headlines.ts";
export * from "./summary.ts";
export * from "./write.ts";
