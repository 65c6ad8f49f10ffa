import assert from "node:assert/strict";
import { join } from "node:path";
import { existsSync } from "node:fs";
import pl from "nodejs-polars";
import { INVOCATION_COLUMN_NAMES, type InvocationRow } from "../schema.ts";
import {
  invocationRows,
  mergeInvocationRows,
  mergeInvocations,
  readInvocations,
  rowsToColumns,
  writeInvocationColumns,
  writeInvocations,
} from "./invocations.ts";

function row(id: string, over: Partial<InvocationRow> = {}): InvocationRow {
  return {
    run_id: "20261123T010203Z-abcd",
    backend: "local",
    variant: "rust",
    arch: "arm64",
    memory_mb: 128,
    request_id: id,
    cold: false,
    init_ms: null,
    restore_ms: null,
    duration_ms: 6.17,
    billed_ms: 7,
    max_memory_mb: 72,
    runtime_done_ms: 4.5,
    post_runtime_ms: 1.67,
    client_rtt_ms: 9.25,
    status: "success",
    error_type: null,
    timestamp: new Date("2024-05-01T10:00:01.004Z"),
    ...over,
  };
}

const ROWS: InvocationRow[] = [
  row("a", { cold: true, init_ms: 168.42, duration_ms: 24.81, billed_ms: 25 }),
  row("b"),
  row("c", {
    backend: null,
    variant: null,
    arch: null,
    memory_mb: null,
    duration_ms: null,
    billed_ms: null,
    max_memory_mb: null,
    runtime_done_ms: null,
    post_runtime_ms: null,
    client_rtt_ms: null,
    status: "failure",
    error_type: "Battle.MissingReport",
    timestamp: null,
  }),
];

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "store_test_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("writeInvocations() writes exactly the schema's columns and types", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "invocations.parquet");
    await writeInvocations(path, ROWS);
    const df = pl.readParquet(path);
    assert.deepEqual(df.columns, INVOCATION_COLUMN_NAMES);
    assert.deepEqual(
      Object.fromEntries(Object.entries(df.schema).map(([k, v]) => [k, String(v)])),
      {
        run_id: "DataType(String)",
        backend: "DataType(String)",
        variant: "DataType(String)",
        function_runtime: "DataType(String)",
        extension: "DataType(String)",
        workload: "DataType(String)",
        arch: "DataType(String)",
        memory_mb: "DataType(Int32)",
        request_id: "DataType(String)",
        cold: "DataType(Bool)",
        init_ms: "DataType(Float64)",
        restore_ms: "DataType(Float64)",
        duration_ms: "DataType(Float64)",
        billed_ms: "DataType(Float64)",
        max_memory_mb: "DataType(Float64)",
        runtime_done_ms: "DataType(Float64)",
        post_runtime_ms: "DataType(Float64)",
        client_rtt_ms: "DataType(Float64)",
        status: "DataType(String)",
        error_type: "DataType(String)",
        timestamp: "DataType(Datetime(ms,UTC))",
      },
    );
    assert.deepEqual(invocationRows(df), ROWS, "values and nulls survive the round trip");
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["invocations.parquet"]);
  });
});

Deno.test("writeInvocations() writes an empty file with the schema", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "empty.parquet");
    await writeInvocations(path, []);
    const df = await readInvocations(path);
    assert.equal(df.height, 0);
    assert.deepEqual(df.columns, INVOCATION_COLUMN_NAMES);
  });
});

Deno.test("writeInvocations() refuses repeated request ids and bad rows, leaving no file", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "x.parquet");
    await assert.rejects(() => writeInvocations(path, [row("a"), row("a")]), {
      name: "RangeError",
      message: 'Cannot write invocations: request_id "a" repeats in run "20261123T010203Z-abcd"',
    });
    await assert.rejects(
      () => writeInvocations(path, [row("a", { status: "ok" as never })]),
      { name: "TypeError", message: 'Cannot write invocation 0: unknown status "ok"' },
    );
    assert.deepEqual([...Deno.readDirSync(dir)], []);
  });
});

Deno.test("readInvocations() concatenates files, run folders and folders of runs", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(join(dir, "runs", "r1"), { recursive: true });
    await Deno.mkdir(join(dir, "runs", "r2"), { recursive: true });
    await Deno.mkdir(join(dir, "runs", "empty"), { recursive: true });
    await writeInvocations(join(dir, "runs", "r1", "invocations.parquet"), [
      row("a", { run_id: "r1" }),
    ]);
    await writeInvocations(join(dir, "runs", "r2", "invocations.parquet"), [
      row("a", { run_id: "r2" }),
      row("b", { run_id: "r2" }),
    ]);
    const all = await readInvocations(join(dir, "runs"));
    assert.deepEqual(all.getColumn("run_id").toArray(), ["r1", "r2", "r2"]);
    const two = await readInvocations([
      join(dir, "runs", "r1"),
      join(dir, "runs", "r2", "invocations.parquet"),
    ]);
    assert.equal(two.height, 3);
    assert.equal(String(two.getColumn("memory_mb").dtype), "DataType(Int32)");
    await assert.rejects(() => readInvocations(join(dir, "nope")), {
      name: "NotFound",
      message: `Cannot read invocations: "${join(dir, "nope")}" does not exist`,
    });
  });
});

Deno.test("readInvocations() conforms foreign files to the schema", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "foreign.parquet");
    pl.DataFrame([
      pl.Series("request_id", ["z"], pl.Utf8),
      pl.Series("run_id", ["r"], pl.Utf8),
      pl.Series("memory_mb", [256], pl.Int64),
      pl.Series("timestamp", [new Date(1000)], pl.Datetime("us", "UTC")),
      pl.Series("extra", [1], pl.Float64),
      pl.Series("cold", [true], pl.Bool),
      pl.Series("status", ["success"], pl.Utf8),
    ]).writeParquet(path);
    const df = await readInvocations(path);
    assert.deepEqual(df.columns, INVOCATION_COLUMN_NAMES);
    const [r] = invocationRows(df);
    assert.equal(r?.memory_mb, 256);
    assert.deepEqual(r?.timestamp, new Date(1000));
    assert.equal(r?.duration_ms, null);
  });
});

Deno.test("mergeInvocationRows() keeps one row per request id and fills, never erases", () => {
  const { rows, added, updated } = mergeInvocationRows(
    [row("a", { client_rtt_ms: 30 }), row("b", { runtime_done_ms: null })],
    [
      row("b", { runtime_done_ms: 3.5, client_rtt_ms: null }),
      row("c"),
      row("a", { run_id: "other" }),
    ],
  );
  assert.deepEqual(rows.map((r) => [r.run_id, r.request_id]), [
    ["20261123T010203Z-abcd", "a"],
    ["20261123T010203Z-abcd", "b"],
    ["20261123T010203Z-abcd", "c"],
    ["other", "a"],
  ]);
  assert.equal(rows[1]?.runtime_done_ms, 3.5);
  assert.equal(rows[1]?.client_rtt_ms, 9.25);
  assert.deepEqual({ added, updated }, { added: 2, updated: 1 });
});

Deno.test("mergeInvocations() is idempotent when a run is collected twice", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "invocations.parquet");
    assert.deepEqual(await mergeInvocations(path, ROWS), { added: 3, updated: 0, total: 3 });
    assert.deepEqual(await mergeInvocations(path, ROWS), { added: 0, updated: 3, total: 3 });
    assert.deepEqual(invocationRows(await readInvocations(path)), ROWS);
  });
});

Deno.test("writeInvocations() keeps values and nulls in many-valued string columns", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "many.parquet");
    const rows = Array.from({ length: 5000 }, (_, i) =>
      row(`id-${i}`, {
        error_type: i % 3 === 0 ? null : `Type${i}`,
        variant: i % 2 === 0 ? null : "node",
        timestamp: i % 5 === 0 ? null : new Date(1_714_557_600_000 + i),
        memory_mb: i % 4 === 0 ? null : 10_240,
        cold: i % 7 === 0,
      }));
    await writeInvocations(path, rows);
    assert.deepEqual(invocationRows(await readInvocations(path)), rows);
  });
});

Deno.test("writeInvocationColumns() writes the same file as writeInvocations()", async () => {
  await withTempDir(async (dir) => {
    const byRows = join(dir, "rows.parquet");
    const byColumns = join(dir, "columns.parquet");
    await writeInvocations(byRows, ROWS);
    const cols = rowsToColumns(ROWS);
    await writeInvocationColumns(byColumns, {
      ...cols,
      run_id: ROWS[0]!.run_id, // a constant column
      status: { codes: new Uint8Array([0, 0, 1]), values: ["success", "failure"] },
    });
    const a = pl.readParquet(byRows);
    const b = pl.readParquet(byColumns);
    assert.deepEqual(b.columns, INVOCATION_COLUMN_NAMES);
    assert.deepEqual(b.dtypes.map(String), a.dtypes.map(String));
    assert.deepEqual(invocationRows(b), ROWS);
    await writeInvocationColumns(join(dir, "empty.parquet"), rowsToColumns([]));
    assert.equal(pl.readParquet(join(dir, "empty.parquet")).height, 0);
  });
});

Deno.test("writeInvocationColumns() refuses what writeInvocations() refuses", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "bad.parquet");
    const cols = rowsToColumns(ROWS);
    await assert.rejects(() => writeInvocationColumns(path, { ...cols, run_id: "" }), {
      name: "TypeError",
      message: "Cannot write invocation 0: run_id is empty",
    });
    await assert.rejects(
      () => writeInvocationColumns(path, { ...cols, request_id: ["a", null, "c"] }),
      { name: "TypeError", message: "Cannot write invocation 1: request_id is empty" },
    );
    await assert.rejects(
      () =>
        writeInvocationColumns(path, {
          ...cols,
          status: { codes: new Uint8Array([0, 7, 0]), values: ["success"] },
        }),
      { name: "TypeError", message: 'Cannot write invocation 1: unknown status "null"' },
    );
    await assert.rejects(
      () => writeInvocationColumns(path, { ...cols, request_id: ["a", "b", "a"] }),
      {
        name: "RangeError",
        message: 'Cannot write invocations: request_id "a" repeats in run "20261123T010203Z-abcd"',
      },
    );
    await assert.rejects(
      () => writeInvocationColumns(path, { ...cols, duration_ms: new Float64Array(2) }),
      { name: "RangeError", message: 'Column "duration_ms" holds 2 values, not 3' },
    );
    assert.deepEqual([...Deno.readDirSync(dir)], []);
  });
});

Deno.test("writeInvocationColumns() reads batch columns across many batches", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "batches.parquet");
    const n = 70_000;
    const cols = rowsToColumns(Array.from({ length: n }, (_, i) => row(`id-${i}`)));
    const calls: Array<[number, number]> = [];
    await writeInvocationColumns(path, {
      ...cols,
      request_id: {
        batch: (from, to) => {
          calls.push([from, to]);
          return Array.from({ length: to - from }, (_, k) => `id-${from + k}`);
        },
      },
    });
    const ids = pl.readParquet(path).getColumn("request_id").toArray();
    assert.equal(ids.length, n);
    assert.equal(ids[0], "id-0");
    assert.equal(ids[65_536], "id-65536");
    assert.equal(ids[n - 1], `id-${n - 1}`);
    assert.ok(calls.some(([from, to]) => from === 65_536 && to === n));
  });
});

Deno.test("writeInvocationColumns() reads a batch column's lines as they are, else its batches", async () => {
  await withTempDir(async (dir) => {
    const ids = ['a"b', "x,y", "#c", "NA", "null", "id\\z"];
    const cols = rowsToColumns(ids.map((id) => row(id)));
    const lines = new TextEncoder().encode(ids.map((id) => `${id}\n`).join(""));
    let batches = 0;
    const batch = (from: number, to: number) => {
      batches++;
      return ids.slice(from, to);
    };
    const path = join(dir, "lines.parquet");
    const known = { batch, lines: () => lines, nonEmpty: true };
    await writeInvocationColumns(path, { ...cols, request_id: known });
    assert.deepEqual(pl.readParquet(path).getColumn("request_id").toArray(), ids);
    assert.equal(batches, 0, "the lines were read, no batch was made");
    // No lines (a value that is not printable ASCII): the batches.
    await writeInvocationColumns(path, { ...cols, request_id: { ...known, lines: () => null } });
    assert.deepEqual(pl.readParquet(path).getColumn("request_id").toArray(), ids);
    assert.equal(batches, 1);
    // Lines that do not hold one value per row are refused, and nothing is written.
    const short = new TextEncoder().encode("a\nb\n");
    const other = join(dir, "short.parquet");
    await assert.rejects(
      () =>
        writeInvocationColumns(other, { ...cols, request_id: { ...known, lines: () => short } }),
      { name: "RangeError", message: /gave 2 values for 6 rows/ },
    );
    assert.equal(existsSync(other), false);
  });
});
