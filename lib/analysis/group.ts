/**
 * Grouping rows by one part of their cell: the analysis and the charts group by `variant`, so
 * grouping by function runtime (or extension, or workload) relabels `variant` with that column.
 *
 * @module
 */
import pl from "nodejs-polars";

/** The columns a report can group by. */
export const GROUP_COLUMNS = ["variant", "function_runtime", "extension", "workload"] as const;

/** One of {@link GROUP_COLUMNS}. */
export type GroupColumn = typeof GROUP_COLUMNS[number];

/**
 * Parses `--group-by`.
 *
 * @param value A column name.
 * @returns The column.
 * @throws {RangeError} When it is not one of {@link GROUP_COLUMNS}.
 */
export function parseGroupColumn(value: string): GroupColumn {
  if (!(GROUP_COLUMNS as readonly string[]).includes(value)) {
    throw new RangeError(`Invalid group "${value}": expected one of ${GROUP_COLUMNS.join(", ")}`);
  }
  return value as GroupColumn;
}

/**
 * The rows with `variant` replaced by `column`'s value (rows where it is null keep their variant),
 * so every table and chart groups by that part of the cell.
 *
 * @param frame Rows of the invocation schema.
 * @param column What to group by; `variant` returns the frame as it is.
 * @returns The relabelled rows.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import pl from "nodejs-polars";
 * import { groupRowsBy } from "./group.ts";
 * const frame = pl.DataFrame({
 *   variant: ["go-none-sqs", "python-none-sqs", "rust"],
 *   function_runtime: ["go", "python", null],
 * });
 * const grouped = groupRowsBy(frame, "function_runtime");
 * assert.deepEqual(grouped.getColumn("variant").toArray(), ["go", "python", "rust"]);
 * ```
 */
export function groupRowsBy(frame: pl.DataFrame, column: GroupColumn): pl.DataFrame {
  if (column === "variant" || !frame.columns.includes(column)) return frame;
  return frame.withColumns(pl.col(column).fillNull(pl.col("variant")).alias("variant"));
}
