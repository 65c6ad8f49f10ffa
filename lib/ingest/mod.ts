/**
 * Ingest of Lambda log exports into the invocation schema, and its human summary.
 *
 * @module
 */
export * from "./ingest.ts";
export * from "./format.ts";
