/**
 * `invocations.parquet`: one row per invocation with exactly the columns and types of
 * `INVOCATION_COLUMNS` in lib/schema.ts (timestamps as `Datetime(ms, UTC)`), written atomically.
 *
 * @module
 */
import pl from "nodejs-polars";
import { join } from "node:path";
import {
  INVOCATION_COLUMN_NAMES,
  INVOCATION_STATUSES,
  type InvocationRow,
  type InvocationStatus,
} from "../schema.ts";
import { replaceAtomically } from "./_atomic.ts";
import {
  columnsFrame,
  type InvocationColumns,
  invocationsFrame,
  polarsType,
  type StringColumn,
} from "./_frame.ts";

export {
  type BatchColumn,
  columnsFrame,
  type DictionaryColumn,
  type InvocationColumns,
  invocationsFrame,
  polarsType,
  rowsToColumns,
  type StringColumn,
} from "./_frame.ts";

/** The file name of a run's invocations inside its run folder. */
export const INVOCATIONS_FILE = "invocations.parquet";

const STATUSES = new Set<InvocationStatus>(INVOCATION_STATUSES);
const OPTIONAL_COLUMNS = new Set<string>(["function_runtime", "extension", "workload"]);

function checkRows(rows: readonly InvocationRow[]): void {
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    if (typeof row.run_id !== "string" || row.run_id === "") {
      throw new TypeError(`Cannot write invocation ${i}: run_id is empty`);
    }
    if (typeof row.request_id !== "string" || row.request_id === "") {
      throw new TypeError(`Cannot write invocation ${i}: request_id is empty`);
    }
    if (!STATUSES.has(row.status)) {
      throw new TypeError(`Cannot write invocation ${i}: unknown status "${row.status}"`);
    }
  }
}

/** Request ids must be unique per run; Polars hashes a million ids far faster than a JS Set. */
function checkUnique(df: pl.DataFrame, rows: readonly InvocationRow[]): void {
  if (df.height < 2) return;
  const dup = df.select("run_id", "request_id").isDuplicated();
  if (!dup.any()) return;
  const at = dup.toArray().indexOf(true);
  const row = rows[at]!;
  throw new RangeError(
    `Cannot write invocations: request_id "${row.request_id}" repeats in run "${row.run_id}"`,
  );
}

/**
 * Casts any frame to the schema: columns in schema order, missing ones as nulls, extra ones
 * dropped, types cast (e.g. µs timestamps to ms UTC).
 *
 * @param df A frame read from Parquet.
 * @returns The conformed frame.
 */
export function conformInvocations(df: pl.DataFrame): pl.DataFrame {
  const have = new Set(df.columns);
  return df.select(
    ...INVOCATION_COLUMN_NAMES.map((name) =>
      (have.has(name) ? pl.col(name) : pl.lit(null)).cast(polarsType(name)).alias(name)
    ),
  );
}

/**
 * Writes rows to Parquet atomically (temporary file in the same folder, then rename).
 *
 * @param path The `.parquet` file to create or replace.
 * @param rows The rows; request ids must be unique per run.
 * @throws {TypeError} A row lacks run_id/request_id or has an unknown status.
 * @throws {RangeError} A request id repeats within a run.
 * @example
 * ```ts
 * import type { InvocationRow } from "../schema.ts";
 * const rows: InvocationRow[] = [];
 * const path = await Deno.makeTempFile({ suffix: ".parquet" });
 * await writeInvocations(path, rows);
 * await Deno.remove(path);
 * ```
 */
export async function writeInvocations(
  path: string,
  rows: readonly InvocationRow[],
): Promise<void> {
  checkRows(rows);
  const df = invocationsFrame(rows);
  checkUnique(df, rows);
  await replaceAtomically(path, (tmp) => {
    df.writeParquet(tmp);
  });
}

/** Options of {@link writeInvocationColumns}. */
export interface WriteColumnsOptions {
  /**
   * The caller guarantees (run_id, request_id) pairs are unique, as `joinInvocationColumns`
   * does: skips the uniqueness check. Default false.
   */
  unique?: boolean;
}

/** Calls `bad(i)` for the first row whose value fails `ok`; constants count as row 0. */
function checkStrings(
  col: StringColumn,
  n: number,
  ok: (v: string | null) => boolean,
  bad: (i: number, v: string | null) => never,
): void {
  if (n === 0) return;
  if (col === null || typeof col === "string") {
    if (!ok(col)) bad(0, col);
  } else if (Array.isArray(col)) {
    const values = col as ReadonlyArray<string | null>;
    for (let i = 0; i < n; i++) if (!ok(values[i] ?? null)) bad(i, values[i] ?? null);
  } else if ("batch" in col) {
    for (let from = 0; from < n; from += 1 << 16) {
      const values = col.batch(from, Math.min(n, from + (1 << 16)));
      for (let i = 0; i < values.length; i++) {
        if (!ok(values[i] ?? null)) bad(from + i, values[i] ?? null);
      }
    }
  } else {
    const { codes, values } = col as { codes: ArrayLike<number>; values: readonly string[] };
    const okCode = values.map((v) => ok(v));
    const okNull = ok(null);
    for (let i = 0; i < n; i++) {
      const c = codes[i]!;
      if (c < values.length ? !okCode[c] : !okNull) bad(i, values[c] ?? null);
    }
  }
}

/**
 * Writes columns to Parquet atomically: the bulk form of {@link writeInvocations}, with the same
 * checks, the same file, and no object per row.
 *
 * @param path The `.parquet` file to create or replace.
 * @param columns The columns (see {@link InvocationColumns}).
 * @param options See {@link WriteColumnsOptions}.
 * @throws {TypeError} A row lacks run_id/request_id or has an unknown status.
 * @throws {RangeError} A request id repeats within a run, or a column is too short.
 */
export async function writeInvocationColumns(
  path: string,
  columns: InvocationColumns,
  options: WriteColumnsOptions = {},
): Promise<void> {
  const n = columns.length;
  const nonEmpty = (v: string | null) => typeof v === "string" && v !== "";
  checkStrings(columns.run_id, n, nonEmpty, (i) => {
    throw new TypeError(`Cannot write invocation ${i}: run_id is empty`);
  });
  const ids = columns.request_id;
  const known = typeof ids === "object" && ids !== null && "batch" in ids && ids.nonEmpty === true;
  if (!known) {
    checkStrings(ids, n, nonEmpty, (i) => {
      throw new TypeError(`Cannot write invocation ${i}: request_id is empty`);
    });
  }
  checkStrings(columns.status, n, (v) => STATUSES.has(v as InvocationStatus), (i, v) => {
    throw new TypeError(`Cannot write invocation ${i}: unknown status "${v}"`);
  });
  const df = columnsFrame(columns);
  if (!options.unique && df.height >= 2) {
    const dup = df.select("run_id", "request_id").isDuplicated();
    if (dup.any()) {
      const at = dup.toArray().indexOf(true);
      const row = df.row(at);
      const runId = row[INVOCATION_COLUMN_NAMES.indexOf("run_id")];
      const id = row[INVOCATION_COLUMN_NAMES.indexOf("request_id")];
      throw new RangeError(
        `Cannot write invocations: request_id "${id}" repeats in run "${runId}"`,
      );
    }
  }
  await replaceAtomically(path, (tmp) => {
    df.writeParquet(tmp);
  });
}

async function parquetFilesOf(path: string): Promise<string[]> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new Deno.errors.NotFound(`Cannot read invocations: "${path}" does not exist`);
    }
    throw err;
  }
  if (info.isFile) return [path];
  const direct = join(path, INVOCATIONS_FILE);
  if (await exists(direct)) return [direct];
  // A folder of runs (e.g. data/runs): every run folder that has invocations.
  const files: string[] = [];
  for await (const entry of Deno.readDir(path)) {
    if (!entry.isDirectory) continue;
    const file = join(path, entry.name, INVOCATIONS_FILE);
    if (await exists(file)) files.push(file);
  }
  return files.sort();
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

/**
 * Reads and concatenates invocations. Each path is a `.parquet` file, a run folder holding
 * `invocations.parquet`, or a folder of run folders (e.g. `data/runs`).
 *
 * @param paths One path or several.
 * @returns One frame in the schema (zero rows when the folders hold no runs).
 * @throws {Deno.errors.NotFound} A path does not exist.
 */
export async function readInvocations(paths: string | readonly string[]): Promise<pl.DataFrame> {
  const files: string[] = [];
  for (const p of typeof paths === "string" ? [paths] : paths) {
    files.push(...await parquetFilesOf(p));
  }
  const frames = files.map((f) => conformInvocations(pl.readParquet(f)));
  if (frames.length === 0) return invocationsFrame([]);
  return frames.length === 1 ? frames[0]! : pl.concat(frames, { how: "vertical" });
}

/**
 * Turns a frame in the schema back into rows.
 *
 * @param df A frame with the schema's columns (see {@link conformInvocations}).
 * @returns Plain rows; timestamps as Date.
 */
export function invocationRows(df: pl.DataFrame): InvocationRow[] {
  const conformed = conformInvocations(df);
  const columns = INVOCATION_COLUMN_NAMES.map((name) => conformed.getColumn(name).toArray());
  const rows: InvocationRow[] = new Array(conformed.height);
  for (let i = 0; i < conformed.height; i++) {
    const row: Record<string, unknown> = {};
    INVOCATION_COLUMN_NAMES.forEach((name, c) => {
      const value = columns[c]![i] ?? null;
      // The cell's parts are optional in memory (see InvocationRow): present where known.
      if (value !== null || !OPTIONAL_COLUMNS.has(name)) row[name] = value;
    });
    rows[i] = row as unknown as InvocationRow;
  }
  return rows;
}

/**
 * Merges re-collected rows into existing ones: one row per (run_id, request_id); a field the
 * new row states replaces the old value, a field it leaves null keeps the old one.
 *
 * @param existing Rows already stored.
 * @param incoming Rows just collected.
 * @returns The merged rows (existing order first, new request ids appended) and counts.
 */
export function mergeInvocationRows(
  existing: readonly InvocationRow[],
  incoming: readonly InvocationRow[],
): { rows: InvocationRow[]; added: number; updated: number } {
  const index = new Map<string, number>();
  const rows: InvocationRow[] = [];
  let added = 0;
  let updated = 0;
  const put = (row: InvocationRow, isNew: boolean) => {
    const key = `${row.run_id}\u0000${row.request_id}`;
    const at = index.get(key);
    if (at === undefined) {
      index.set(key, rows.length);
      rows.push({ ...row });
      if (isNew) added++;
      return;
    }
    const merged: Record<string, unknown> = { ...rows[at]! };
    for (const name of INVOCATION_COLUMN_NAMES) {
      if (row[name] !== null && row[name] !== undefined) merged[name] = row[name];
    }
    rows[at] = merged as unknown as InvocationRow;
    if (isNew) updated++;
  };
  for (const row of existing) put(row, false);
  for (const row of incoming) put(row, true);
  return { rows, added, updated };
}

/**
 * Merges rows into a Parquet file (created when missing) and rewrites it atomically, so
 * collecting a run twice leaves one row per request id.
 *
 * @param path The `.parquet` file.
 * @param rows Rows just collected.
 * @returns How many rows were added and updated, and the total.
 */
export async function mergeInvocations(
  path: string,
  rows: readonly InvocationRow[],
): Promise<{ added: number; updated: number; total: number }> {
  const existing = (await exists(path)) ? invocationRows(pl.readParquet(path)) : [];
  const merged = mergeInvocationRows(existing, rows);
  await writeInvocations(path, merged.rows);
  return { added: merged.added, updated: merged.updated, total: merged.rows.length };
}
