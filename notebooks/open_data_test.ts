/**
 * Open data: a run's `invocations.parquet`, as the benchmark writes it, reads as it is in
 * pyarrow and pandas (from the notebooks' venv, pinned in `notebooks/requirements.txt`), with
 * the schema's columns and types and the same values.
 *
 * @module
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureNotebookTools, PYTHON } from "../lib/jupyter.ts";
import { INVOCATION_COLUMNS, type InvocationRow } from "../lib/schema.ts";
import { writeInvocations } from "../lib/store/invocations.ts";

const toolsError = await ensureNotebookTools(() => {}).then(() => null, (e: Error) => e.message);

const READ = `
import json, sys
import pyarrow.parquet as pq
import pandas as pd
table = pq.read_table(sys.argv[1])
df = pd.read_parquet(sys.argv[1])
cold = df[df.cold & (df.status == "success")]
print(json.dumps({
    "columns": table.schema.names,
    "types": {f.name: str(f.type) for f in table.schema},
    "rows": table.num_rows,
    "pandas_rows": len(df),
    "init_median": float(cold.init_ms.median()),
    "nulls": int(df.init_ms.isna().sum()),
    "error_type": df.error_type.dropna().tolist(),
    "first_timestamp": df.timestamp.iloc[0].isoformat(),
}))
`;

function row(i: number, extra: Partial<InvocationRow>): InvocationRow {
  const full: Record<string, unknown> = {
    run_id: "open-data",
    backend: "local",
    variant: "rust",
    function_runtime: "nodejs",
    extension: "rust",
    workload: "sqs",
    arch: "x86_64",
    memory_mb: 512,
    request_id: `req-${i}`,
    cold: false,
    init_ms: null,
    restore_ms: null,
    duration_ms: 5 + i,
    billed_ms: 6 + i,
    max_memory_mb: 54,
    runtime_done_ms: 3,
    post_runtime_ms: 2 + i,
    client_rtt_ms: 4,
    status: "success",
    error_type: null,
    timestamp: new Date(Date.UTC(2026, 11, 1, 12, 0, i)),
    ...extra,
  };
  // Only the columns of this checkout's schema.
  return Object.fromEntries(
    Object.entries(full).filter(([k]) => k in INVOCATION_COLUMNS),
  ) as unknown as InvocationRow;
}

Deno.test({
  name: toolsError === null
    ? "a run's invocations.parquet reads as it is in pyarrow and pandas"
    : `a run's Parquet in pyarrow and pandas (skipped: the Jupyter venv could not be set up: ${toolsError})`,
  ignore: toolsError !== null,
  async fn() {
    const dir = mkdtempSync(join(tmpdir(), "open-data-"));
    try {
      const path = join(dir, "invocations.parquet");
      await writeInvocations(path, [
        row(0, { cold: true, init_ms: 70 }),
        row(1, { cold: true, init_ms: 90 }),
        row(2, {}),
        row(3, { status: "error", error_type: "Runtime.OutOfMemory", duration_ms: null }),
      ]);
      const out = await new Deno.Command(PYTHON, {
        args: ["-c", READ, path],
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.ok(out.success, new TextDecoder().decode(out.stderr));
      const read = JSON.parse(new TextDecoder().decode(out.stdout));
      assert.deepEqual(read.columns, Object.keys(INVOCATION_COLUMNS));
      assert.equal(read.rows, 4);
      assert.equal(read.pandas_rows, 4);
      assert.equal(read.types.memory_mb, "int32");
      assert.equal(read.types.cold, "bool");
      assert.equal(read.types.init_ms, "double");
      assert.match(read.types.timestamp, /^timestamp\[(ms|us|ns), tz=UTC\]$/);
      assert.match(read.types.variant, /^(string|large_string|string_view)$/);
      assert.equal(read.init_median, 80);
      assert.equal(read.nulls, 2);
      assert.deepEqual(read.error_type, ["Runtime.OutOfMemory"]);
      assert.equal(read.first_timestamp, "2026-12-01T12:00:00+00:00");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
});
