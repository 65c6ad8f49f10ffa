/**
 * The invocation schema: one row per invocation, as stored in `invocations.parquet`.
 * The README's "What you get" describes it for users. Every writer and reader goes through this
 * file.
 *
 * @module
 */

/**
 * Every status an invocation can end with, defined once: the sandbox writes them, the parser
 * reads them from Lambda's records, the store checks them.
 */
export const INVOCATION_STATUSES = ["success", "error", "timeout", "failure"] as const;

/** The status of one invocation. */
export type InvocationStatus = typeof INVOCATION_STATUSES[number];

/**
 * True for one of {@link INVOCATION_STATUSES}.
 *
 * @example
 * ```ts
 * import { isInvocationStatus } from "./schema.ts";
 * isInvocationStatus("timeout"); // true
 * isInvocationStatus("oops"); // false
 * ```
 */
export function isInvocationStatus(value: unknown): value is InvocationStatus {
  return (INVOCATION_STATUSES as readonly unknown[]).includes(value);
}

/** Where a run stands: `running` while cells are measured, then `complete` or `failed`. */
export const RUN_STATUSES = ["running", "complete", "failed"] as const;

/** One of {@link RUN_STATUSES}. */
export type RunStatus = typeof RUN_STATUSES[number];

/** Where rows can come from. */
export const BACKENDS = ["local", "aws"] as const;

/** Where a row came from. */
export type Backend = typeof BACKENDS[number];

/** Lambda's architectures. */
export const ARCHS = ["x86_64", "arm64"] as const;

/** A Lambda architecture. */
export type Arch = typeof ARCHS[number];

/**
 * The version of the invocation schema; bumped whenever a column is added, removed or changes
 * meaning. 2 added `function_runtime`, `extension` and `workload` beside `variant`.
 */
export const INVOCATION_SCHEMA_VERSION = 2;

/**
 * One invocation, as a plain object (the in-memory form of a Parquet row). The cell's parts
 * (`function_runtime`, `extension`, `workload`) may be left out in memory; they are stored as
 * null then, like every column a source cannot know.
 */
export interface InvocationRow {
  run_id: string;
  backend: Backend | null;
  variant: string | null;
  /** `nodejs`, `llrt`, `python`, `python-pyo3`, `rust`, `go`; null where unknown. */
  function_runtime?: string | null;
  /** The extension's name in the manifest, `none` without one; null where unknown. */
  extension?: string | null;
  /** `sqs`, `cpu`, `none`, ...; null where unknown. */
  workload?: string | null;
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
  function_runtime: "Utf8",
  extension: "Utf8",
  workload: "Utf8",
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
