/**
 * The cost model: price table, cost per million invocations, SQS requests, memory sweep and
 * Pareto front.
 *
 * @module
 */
export * from "./prices.ts";
export * from "./model.ts";
export * from "./sweep.ts";
export * from "./tables.ts";
