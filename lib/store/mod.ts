/**
 * Durable run data: `invocations.parquet` (nodejs-polars) and `run.json`, written atomically.
 *
 * @module
 */
export {
  type BatchColumn,
  columnsFrame,
  conformInvocations,
  type DictionaryColumn,
  type InvocationColumns,
  invocationRows,
  INVOCATIONS_FILE,
  invocationsFrame,
  mergeInvocationRows,
  mergeInvocations,
  polarsType,
  readInvocations,
  rowsToColumns,
  type StringColumn,
  type WriteColumnsOptions,
  writeInvocationColumns,
  writeInvocations,
} from "./invocations.ts";
export { createRunDir, newRunId, readRunJson, RUN_JSON_FILE, writeRunJson } from "./runs.ts";
export { replaceAtomically, writeTextAtomic } from "./_atomic.ts";
