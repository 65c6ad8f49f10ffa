/**
 * Plotly figure specs (plain JSON) for the study's charts. Every figure colours a variant with
 * `Variant.color`, names traces after the variant, and carries the source note.
 *
 * @module
 */
export type { ChartContext } from "./_traces.ts";
export { coldStartBox, initEcdf, initVsMemory } from "./cold_starts.ts";
export { memoryUsed, warmAndOverhead } from "./invocations.ts";
export { costVsMemory, paretoChart } from "./cost.ts";
