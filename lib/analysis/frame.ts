/**
 * Frames of the invocation schema. Building and casting live in `lib/store` (one definition of
 * the Parquet layout); this module adds the check the analysis needs on what it reads.
 *
 * @module
 */
import type pl from "nodejs-polars";
import { conformInvocations, invocationsFrame } from "../store/invocations.ts";

/** Builds a frame with exactly the schema's columns and types from plain rows. */
export const invocationFrame: typeof invocationsFrame = invocationsFrame;

/** Columns without which no statistic can be computed. */
export const REQUIRED_COLUMNS = ["request_id", "cold", "status"] as const;

/**
 * Checks that a frame has the columns the analysis cannot do without, then casts it to the
 * schema (columns in schema order and types; other missing columns become nulls, e.g.
 * `client_rtt_ms` for ingested logs).
 *
 * @param frame A frame read from `invocations.parquet`.
 * @param source Where it came from, for the error message.
 * @returns The conformed frame.
 * @throws {TypeError} When a required column is missing.
 */
export function conformFrame(frame: pl.DataFrame, source: string): pl.DataFrame {
  const missing = REQUIRED_COLUMNS.filter((c) => !frame.columns.includes(c));
  if (missing.length > 0) {
    throw new TypeError(`${source}: missing column(s) ${missing.join(", ")}`);
  }
  return conformInvocations(frame);
}
