/**
 * Rows to a Polars DataFrame in the invocation schema, fast: numbers cross into Polars as
 * typed arrays and repetitive strings as dictionary codes.
 *
 * @module
 */
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
const GET: { readonly [K in keyof InvocationRow]: (row: InvocationRow) => InvocationRow[K] } = {
  run_id: (r) => r.run_id,
  backend: (r) => r.backend,
  variant: (r) => r.variant,
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

/** Above this many distinct values a string column is passed as is, not dictionary-encoded. */
const MAX_DICTIONARY = 4096;

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
  const n = rows.length;
  const base: pl.Series[] = [];
  const exprs: pl.Expr[] = [];
  for (const name of INVOCATION_COLUMN_NAMES) {
    const type = INVOCATION_COLUMNS[name];
    const get = GET[name] as (row: InvocationRow) => unknown;
    const raw = `__${name}`;
    if (type === "Float64" || type === "Int32" || type === "Datetime") {
      const values = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const v = get(rows[i]!) as number | Date | null;
        values[i] = v === null || v === undefined ? NaN : typeof v === "number" ? v : v.getTime();
      }
      base.push(pl.Series(raw, values));
      let e = pl.when(pl.col(raw).isNan()).then(pl.lit(null)).otherwise(pl.col(raw));
      if (type === "Datetime") e = e.cast(pl.Int64);
      exprs.push(e.cast(polarsType(name)).alias(name));
    } else if (type === "Bool") {
      const values = new Uint8Array(n);
      for (let i = 0; i < n; i++) values[i] = get(rows[i]!) === true ? 1 : 0;
      base.push(pl.Series(raw, values));
      exprs.push(pl.col(raw).cast(pl.Bool).alias(name));
    } else {
      const dict = new Map<string, number>();
      const codes = new Uint32Array(n);
      let dense = false;
      for (let i = 0; i < n; i++) {
        const v = get(rows[i]!) as string | null;
        if (v === null || v === undefined) {
          codes[i] = 0xffffffff;
          continue;
        }
        let code = dict.get(v);
        if (code === undefined) {
          if (dict.size >= MAX_DICTIONARY) {
            dense = true;
            break;
          }
          code = dict.size;
          dict.set(v, code);
        }
        codes[i] = code;
      }
      if (dense) {
        base.push(pl.Series(raw, rows.map((r) => get(r) ?? null), pl.Utf8));
        exprs.push(pl.col(raw).alias(name));
      } else if (dict.size === 0) {
        exprs.push(pl.lit(null).cast(pl.Utf8).alias(name));
      } else {
        base.push(pl.Series(raw, codes));
        exprs.push(
          pl.col(raw)
            .replaceStrict(
              [...dict.values()],
              [...dict.keys()],
              pl.lit(null).cast(pl.Utf8),
              pl.Utf8,
            )
            .alias(name),
        );
      }
    }
  }
  return pl.DataFrame(base).select(...exprs);
}
