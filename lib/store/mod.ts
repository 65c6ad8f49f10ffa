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
export {
  claimRunDir,
  createRunDir,
  LOGS_DIR,
  newestRunDir,
  newRunId,
  readRunManifest,
  resolveRunDir,
  RUN_JSON_FILE,
  type RunPaths,
  runPaths,
  writeRunManifest,
} from "./runs.ts";
export * from "./run_manifest.ts";
export { replaceAtomically, writeTextAtomic } from "./_atomic.ts";
