/**
 * A warm, successful invocation row with plain values, for tests to override field by field.
 *
 * @module
 */
import type { InvocationRow } from "../../schema.ts";

let seq = 0;

/**
 * @param over Fields to change.
 * @returns A row with a fresh request id unless `over` names one.
 */
export function testRow(over: Partial<InvocationRow> = {}): InvocationRow {
  return {
    run_id: "t",
    backend: "local",
    variant: "rust",
    arch: "arm64",
    memory_mb: 512,
    request_id: `r${seq++}`,
    cold: false,
    init_ms: null,
    restore_ms: null,
    duration_ms: 10,
    billed_ms: 10,
    max_memory_mb: 60,
    runtime_done_ms: 8,
    post_runtime_ms: 2,
    client_rtt_ms: 12,
    status: "success",
    error_type: null,
    timestamp: new Date(0),
    ...over,
  };
}
