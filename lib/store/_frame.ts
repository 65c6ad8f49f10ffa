/**
 * Rows or columns to a Polars DataFrame in the invocation schema, fast: numbers cross into
 * Polars as typed arrays and repetitive strings as dictionary codes.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import pl from "nodejs-polars";
import { INVOCATION_COLUMN_NAMES, INVOCATION_COLUMNS, type InvocationRow } from "../schema.ts";

/**
 * The Polars type of a schema column (timestamps: milliseconds, UTC).
 *
 * @param column A column of {@link INVOCATION_COLUMNS}.
 * @returns Its Polars type.
 */
export function polarsType(column: keyof typeof INVOCATION_COLUMNS): pl.DataType {
  switch (INVOCATION_COLUMNS[column]) {
    case "Utf8":
      return pl.Utf8;
    case "Int32":
      return pl.Int32;
    case "Float64":
      return pl.Float64;
    case "Bool":
      return pl.Bool;
    case "Datetime":
      return pl.Datetime("ms", "UTC");
  }
}

/**
 * One monomorphic getter per column: `row[name]` with a varying name is a megamorphic load
 * and costs more than the rest of the column loop.
 */
const GET: {
  readonly [K in keyof InvocationRow]-?: (row: InvocationRow) => InvocationRow[K];
} = {
  run_id: (r) => r.run_id,
  backend: (r) => r.backend,
  variant: (r) => r.variant,
  function_runtime: (r) => r.function_runtime ?? null,
  extension: (r) => r.extension ?? null,
  workload: (r) => r.workload ?? null,
  arch: (r) => r.arch,
  memory_mb: (r) => r.memory_mb,
  request_id: (r) => r.request_id,
  cold: (r) => r.cold,
  init_ms: (r) => r.init_ms,
  restore_ms: (r) => r.restore_ms,
  duration_ms: (r) => r.duration_ms,
  billed_ms: (r) => r.billed_ms,
  max_memory_mb: (r) => r.max_memory_mb,
  runtime_done_ms: (r) => r.runtime_done_ms,
  post_runtime_ms: (r) => r.post_runtime_ms,
  client_rtt_ms: (r) => r.client_rtt_ms,
  status: (r) => r.status,
  error_type: (r) => r.error_type,
  timestamp: (r) => r.timestamp,
};

/** Dictionary codes (a code past the end of `values` is null). */
export interface DictionaryColumn {
  readonly codes: Uint8Array | Uint16Array | Uint32Array;
  readonly values: readonly string[];
}

/**
 * Values made on demand, a batch of rows at a time, so that a million strings never live at
 * once (they cross into Polars batch by batch).
 */
export interface BatchColumn {
  /** Values of rows `[from, to)`. */
  readonly batch: (from: number, to: number) => ReadonlyArray<string | null>;
  /** True when the maker knows every value is a non-empty string (no batch is made to check). */
  readonly nonEmpty?: boolean;
  /**
   * Every value as printable ASCII (U+0021 to U+007E), each followed by `\n`, or null when
   * some value is not (then {@link batch} gives them). Polars reads these bytes as one CSV
   * column in one call, far cheaper than a string per value.
   */
  readonly lines?: () => Uint8Array | null;
}

/**
 * A string column: one value for every row (`string` or `null`), one value per row,
 * dictionary codes, or batches made on demand.
 */
export type StringColumn =
  | string
  | null
  | ReadonlyArray<string | null>
  | DictionaryColumn
  | BatchColumn;

/** Rows per batch of a {@link BatchColumn}. */
const BATCH_ROWS = 1 << 16;

/**
 * The invocation schema column by column, no object per row. Numbers (Int32, Float64 and
 * Datetime as epoch ms) are Float64Arrays with NaN for null; `cold` is 0/1.
 */
export interface InvocationColumns {
  /** Rows. Every array holds at least this many values (extra ones are ignored). */
  length: number;
  run_id: StringColumn;
  backend: StringColumn;
  variant: StringColumn;
  /** The cell's parts; absent means null (sources that cannot know them). */
  function_runtime?: StringColumn;
  extension?: StringColumn;
  workload?: StringColumn;
  arch: StringColumn;
  memory_mb: Float64Array;
  request_id: StringColumn;
  cold: Uint8Array;
  init_ms: Float64Array;
  restore_ms: Float64Array;
  duration_ms: Float64Array;
  billed_ms: Float64Array;
  max_memory_mb: Float64Array;
  runtime_done_ms: Float64Array;
  post_runtime_ms: Float64Array;
  client_rtt_ms: Float64Array;
  status: StringColumn;
  error_type: StringColumn;
  /** Epoch ms. */
  timestamp: Float64Array;
}

/** Above this many distinct values a string column is passed as is, not dictionary-encoded. */
const MAX_DICTIONARY = 4096;

/**
 * Turns rows into columns (NaN stands for null in number columns, so a NaN is stored as null).
 *
 * @param rows The rows.
 * @returns The same data, column by column.
 */
export function rowsToColumns(rows: readonly InvocationRow[]): InvocationColumns {
  const n = rows.length;
  const cols: Record<string, unknown> = { length: n };
  for (const name of INVOCATION_COLUMN_NAMES) {
    const type = INVOCATION_COLUMNS[name];
    const get = GET[name] as (row: InvocationRow) => unknown;
    if (type === "Float64" || type === "Int32" || type === "Datetime") {
      const values = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const v = get(rows[i]!) as number | Date | null;
        values[i] = v === null || v === undefined ? NaN : typeof v === "number" ? v : v.getTime();
      }
      cols[name] = values;
    } else if (type === "Bool") {
      const values = new Uint8Array(n);
      for (let i = 0; i < n; i++) values[i] = get(rows[i]!) === true ? 1 : 0;
      cols[name] = values;
    } else {
      const values: Array<string | null> = new Array(n);
      for (let i = 0; i < n; i++) values[i] = (get(rows[i]!) as string | null | undefined) ?? null;
      cols[name] = values;
    }
  }
  return cols as unknown as InvocationColumns;
}

/** Dictionary codes of a string array, or null past {@link MAX_DICTIONARY} distinct values. */
function encode(
  values: ReadonlyArray<string | null>,
  n: number,
): { codes: Uint32Array; values: string[] } | null {
  const dict = new Map<string, number>();
  const codes = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v === null || v === undefined) {
      codes[i] = 0xffffffff;
      continue;
    }
    let code = dict.get(v);
    if (code === undefined) {
      if (dict.size >= MAX_DICTIONARY) return null;
      code = dict.size;
      dict.set(v, code);
    }
    codes[i] = code;
  }
  return { codes, values: [...dict.keys()] };
}

function hasNaN(values: Float64Array): boolean {
  for (let i = 0; i < values.length; i++) if (values[i] !== values[i]) return true;
  return false;
}

/** Checks a column's length; returns the typed array cut to `n`. */
function fit<T extends Float64Array | Uint8Array | Uint16Array | Uint32Array>(
  name: string,
  values: T,
  n: number,
): T {
  if (values.length < n) {
    throw new RangeError(`Column "${name}" holds ${values.length} values, not ${n}`);
  }
  return (values.length === n ? values : values.subarray(0, n)) as T;
}

/**
 * A string column from printable-ASCII values, one per line ({@link BatchColumn.lines}):
 * read by Polars' CSV reader with no quoting and a separator no value holds, so each line is
 * its value exactly.
 *
 * @throws {RangeError} The bytes hold another number of values than `n`.
 */
function linesSeries(name: string, lines: Uint8Array, n: number): pl.Series {
  const csv = Buffer.from(lines.buffer, lines.byteOffset, lines.byteLength);
  const frame = pl.readCSV(csv, {
    hasHeader: false,
    sep: "\x1f",
    quoteChar: "",
    dtypes: { column_1: pl.Utf8 },
  });
  if (frame.height !== n) {
    throw new RangeError(`Column "${name}" gave ${frame.height} values for ${n} rows`);
  }
  return frame.getColumn("column_1").alias(name);
}

/**
 * Builds a DataFrame with exactly the schema's columns and types from columns.
 *
 * @param cols The columns.
 * @returns The frame (also for zero rows).
 * @throws {RangeError} A column holds fewer than `cols.length` values.
 */
export function columnsFrame(cols: InvocationColumns): pl.DataFrame {
  const n = cols.length;
  const base: pl.Series[] = [];
  const exprs: pl.Expr[] = [];
  for (const name of INVOCATION_COLUMN_NAMES) {
    const type = INVOCATION_COLUMNS[name];
    const raw = `__${name}`;
    if (type === "Float64" || type === "Int32" || type === "Datetime") {
      const values = fit(name, cols[name] as Float64Array, n);
      base.push(pl.Series(raw, values));
      let e = hasNaN(values)
        ? pl.when(pl.col(raw).isNan()).then(pl.lit(null)).otherwise(pl.col(raw))
        : pl.col(raw);
      if (type === "Datetime") e = e.cast(pl.Int64);
      exprs.push(e.cast(polarsType(name)).alias(name));
    } else if (type === "Bool") {
      base.push(pl.Series(raw, fit(name, cols[name] as Uint8Array, n)));
      exprs.push(pl.col(raw).cast(pl.Bool).alias(name));
    } else {
      const col = cols[name] as StringColumn | undefined;
      if (col === null || col === undefined || typeof col === "string") {
        exprs.push(pl.lit(col ?? null).cast(pl.Utf8).alias(name));
        continue;
      }
      if ("batch" in col) {
        const lines = n > 0 ? col.lines?.() ?? null : null;
        if (lines !== null) {
          base.push(linesSeries(raw, lines, n));
          exprs.push(pl.col(raw).alias(name));
          continue;
        }
        const parts: pl.Series[] = [];
        for (let from = 0; from < n || parts.length === 0; from += BATCH_ROWS) {
          const to = Math.min(n, from + BATCH_ROWS);
          const values = col.batch(from, to);
          if (values.length !== to - from) {
            throw new RangeError(
              `Column "${name}" gave ${values.length} values for rows ${from} to ${to}`,
            );
          }
          parts.push(pl.Series(raw, values as string[], pl.Utf8));
        }
        base.push(
          parts.length === 1 ? parts[0]! : pl.concat(parts, { rechunk: true, parallel: false }),
        );
        exprs.push(pl.col(raw).alias(name));
        continue;
      }
      let dict: DictionaryColumn | null;
      if (Array.isArray(col)) {
        const values = col as ReadonlyArray<string | null>;
        if (values.length < n) {
          throw new RangeError(`Column "${name}" holds ${values.length} values, not ${n}`);
        }
        dict = encode(values, n);
        if (dict === null) {
          const all = (values.length === n ? values : values.slice(0, n)) as string[];
          base.push(pl.Series(raw, all, pl.Utf8));
          exprs.push(pl.col(raw).alias(name));
          continue;
        }
      } else {
        dict = col as DictionaryColumn;
      }
      if (dict.values.length === 0) {
        exprs.push(pl.lit(null).cast(pl.Utf8).alias(name));
        continue;
      }
      let codes = fit(name, dict.codes, n);
      if (!(codes instanceof Uint32Array)) codes = Uint32Array.from(codes);
      base.push(pl.Series(raw, codes));
      exprs.push(
        pl.col(raw)
          .replaceStrict(
            dict.values.map((_, i) => i),
            [...dict.values],
            pl.lit(null).cast(pl.Utf8),
            pl.Utf8,
          )
          .alias(name),
      );
    }
  }
  // A frame of constants alone still needs its height.
  if (base.length === 0) base.push(pl.Series("__height", new Uint8Array(n)));
  return pl.DataFrame(base).select(...exprs);
}

/**
 * Builds a DataFrame with exactly the schema's columns and types.
 *
 * Numbers cross into Polars as Float64Arrays with NaN for null (turned back into nulls on the
 * Rust side), and repetitive strings as dictionary codes: far cheaper than one napi call per
 * value. So a NaN in a row is stored as null.
 *
 * @param rows The rows.
 * @returns The frame (also for zero rows).
 */
export function invocationsFrame(rows: readonly InvocationRow[]): pl.DataFrame {
  return columnsFrame(rowsToColumns(rows));
}
