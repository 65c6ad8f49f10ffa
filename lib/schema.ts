/**
 * The invocation schema: one row per invocation, as stored in `invocations.parquet`.
 * See DESIGN.md, "Invocation schema". Every writer and reader goes through this file.
 *
 * @module
 */

/** The status of one invocation. */
export type InvocationStatus = "success" | "error" | "timeout" | "failure";

/** Where a row came from. */
export type Backend = "local" | "aws";

/** Lambda architectures. */
export type Arch = "x86_64" | "arm64";

/** One invocation, as a plain object (the in-memory form of a Parquet row). */
export interface InvocationRow {
  run_id: string;
  backend: Backend | null;
  variant: string | null;
  arch: Arch | null;
  memory_mb: number | null;
  request_id: string;
  cold: boolean;
  init_ms: number | null;
  restore_ms: number | null;
  duration_ms: number | null;
  billed_ms: number | null;
  max_memory_mb: number | null;
  runtime_done_ms: number | null;
  post_runtime_ms: number | null;
  client_rtt_ms: number | null;
  status: InvocationStatus;
  error_type: string | null;
  /** When the invocation started (UTC). */
  timestamp: Date | null;
}

/** Polars type names of the schema's columns, in column order. */
export const INVOCATION_COLUMNS = {
  run_id: "Utf8",
  backend: "Utf8",
  variant: "Utf8",
  arch: "Utf8",
  memory_mb: "Int32",
  request_id: "Utf8",
  cold: "Bool",
  init_ms: "Float64",
  restore_ms: "Float64",
  duration_ms: "Float64",
  billed_ms: "Float64",
  max_memory_mb: "Float64",
  runtime_done_ms: "Float64",
  post_runtime_ms: "Float64",
  client_rtt_ms: "Float64",
  status: "Utf8",
  error_type: "Utf8",
  timestamp: "Datetime",
} as const;

/** Column names in schema order. */
export const INVOCATION_COLUMN_NAMES = Object.keys(INVOCATION_COLUMNS) as Array<
  keyof typeof INVOCATION_COLUMNS
>;
