/**
 * Builds and checks polars frames of the invocation schema (`lib/schema.ts`).
 *
 * @module
 */
import pl from "nodejs-polars";
import { INVOCATION_COLUMN_NAMES, INVOCATION_COLUMNS, type InvocationRow } from "../schema.ts";

function dtypeOf(name: keyof typeof INVOCATION_COLUMNS): pl.DataType {
  switch (INVOCATION_COLUMNS[name]) {
    case "Utf8":
      return pl.Utf8;
    case "Int32":
      return pl.Int32;
    case "Bool":
      return pl.Bool;
    case "Float64":
      return pl.Float64;
    case "Datetime":
      return pl.Datetime("ms");
  }
}

/**
 * Makes a frame with exactly the schema's columns and types from plain rows.
 *
 * @param rows Invocation rows.
 * @returns A polars DataFrame in schema column order.
 */
export function invocationFrame(rows: readonly InvocationRow[]): pl.DataFrame {
  return pl.DataFrame(
    INVOCATION_COLUMN_NAMES.map((name) =>
      pl.Series(name, rows.map((r) => r[name]) as unknown[], dtypeOf(name))
    ),
  );
}

/**
 * Checks that a frame has every schema column and casts each to the schema's type, so frames
 * from different writers (or older runs) concatenate cleanly.
 *
 * @param frame A frame read from `invocations.parquet`.
 * @param source Where it came from, for the error message.
 * @returns The frame with schema columns only, in schema order and types.
 * @throws {TypeError} When a column is missing.
 */
export function conformFrame(frame: pl.DataFrame, source: string): pl.DataFrame {
  const missing = INVOCATION_COLUMN_NAMES.filter((c) => !frame.columns.includes(c));
  if (missing.length > 0) {
    throw new TypeError(`${source}: missing column(s) ${missing.join(", ")}`);
  }
  return frame.select(
    ...INVOCATION_COLUMN_NAMES.map((name) => pl.col(name).cast(dtypeOf(name))),
  );
}
