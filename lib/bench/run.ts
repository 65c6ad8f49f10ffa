/**
 * Runs the benchmark matrix on one backend and writes `invocations.parquet` and `run.json`
 * into the run folder after every cell, so an interrupted run keeps what it measured. Each cell
 * is measured with the cold/warm protocol, or with the load protocol (lib/load) when a load is
 * given; a load run's `run.json` holds the load and a record per cell (`loadCells`).
 *
 * @module
 */
import { join } from "node:path";
import {
  type Arch,
  INVOCATION_SCHEMA_VERSION,
  type InvocationRow,
  type RunStatus,
} from "../schema.ts";
import type { Variant } from "../variants.ts";
import { type Cell, cellLabel, expandMatrix, type SkippedCell } from "./matrix.ts";
import { Progress } from "./progress.ts";
import { busyNote, type HostLoad, hostLoad, isBusy, sampleHost } from "./host_load.ts";
import { measureCell, type PlatformAdapter, type ProtocolOptions } from "./protocol.ts";
import { canLoad, measureLoad } from "../load/measure.ts";
import type { LoadCellRecord, LoadPlan } from "../load/summary.ts";
import { gitFacts, hostFacts, toolVersions } from "./run_info.ts";
import type { CellPlan } from "./types.ts";
import {
  type CellRecord,
  claimRunDir,
  createRunDir,
  type FunctionSettings,
  RUN_MANIFEST_SCHEMA_VERSION,
  type RunManifest,
  runPaths,
  writeInvocations,
  writeRunManifest,
} from "../store/mod.ts";

/** What to run. */
export interface BenchOptions {
  variants: readonly Variant[];
  memoryMb: readonly number[];
  archs: readonly Arch[];
  plan: CellPlan;
  /**
   * What the runner gave every function (local), or null where each function brings its own
   * deployed settings (aws); recorded in run.json as `config.functionSettings`.
   */
  functionSettings: FunctionSettings | null;
  /** Cells run at the same time (each is its own environment). Default 1. */
  concurrency?: number;
  /** Run folder; default a new `data/runs/<run-id>/`. */
  out?: string;
  /** Where progress lines go; default stderr. */
  log?: (line: string) => void;
  /** Knobs of the measurement protocol (retry budget). */
  protocol?: ProtocolOptions;
  /** Measure each cell under this load instead of cold and warm (`deno task load`). */
  load?: LoadPlan;
}

/** What a finished run looks like. */
export interface BenchSummary {
  runId: string;
  runDir: string;
  parquetPath: string;
  rows: number;
  skipped: SkippedCell[];
  failedCells: { cell: string; error: string }[];
  /** What each cell of a load run measured; empty for the cold/warm protocol. */
  loadCells: LoadCellRecord[];
  /** Local cells that ran while the host was busy with other work (see host_load.ts). */
  busyCells: { cell: string; host: HostLoad }[];
}

/**
 * Runs every cell of the matrix on the platform, with one measurement protocol.
 *
 * @param backend Where invocations run (local sandbox or AWS).
 * @param options Axes, counts and output folder.
 * @returns Where the run was written and what it holds.
 */
export async function runBench(
  backend: PlatformAdapter,
  options: BenchOptions,
): Promise<BenchSummary> {
  const log = options.log ?? ((line: string) => console.error(line));
  const { cells, skipped } = expandMatrix({
    variants: options.variants,
    memoryMb: options.memoryMb,
    archs: options.archs,
    skipReason: (cell) => backend.skipReason(cell),
  });
  for (const s of skipped) log(`skipped ${cellLabel(s)}: ${s.reason}`);
  const { runId, dir: runDir } = options.out === undefined
    ? await createRunDir()
    : await claimRunDir(options.out);
  const paths = runPaths(runDir);
  const parquetPath = paths.invocations;
  const startedAt = new Date();
  const [versions, git] = await Promise.all([toolVersions(), gitFacts()]);
  const rows: InvocationRow[] = [];
  const cellRecords: CellRecord[] = [];
  const loadCells: LoadCellRecord[] = [];
  const load = options.load;
  if (load && !canLoad(backend)) {
    throw new Error(`The ${backend.name} backend cannot run loads`);
  }
  const failedCells: { cell: string; error: string }[] = [];

  const manifest = (status: RunStatus): RunManifest => ({
    schemaVersion: RUN_MANIFEST_SCHEMA_VERSION,
    invocationSchemaVersion: INVOCATION_SCHEMA_VERSION,
    runId,
    status,
    backend: backend.name,
    startedAt: startedAt.toISOString(),
    finishedAt: status === "running" ? null : new Date().toISOString(),
    config: {
      variants: options.variants.map((v) => v.name),
      memoryMb: [...options.memoryMb],
      archs: [...options.archs],
      cold: options.plan.cold,
      warm: options.plan.warm,
      payloadBytes: options.plan.payloadBytes,
      concurrency: options.concurrency ?? 1,
      invokeGapMs: options.plan.gapMs ?? 0,
      functionSettings: options.functionSettings,
      ...(load ? { load } : {}),
    },
    variants: options.variants.map((v) => ({ ...v })),
    backendFacts: backend.describe(),
    versions,
    git,
    host: hostFacts(),
    skipped: skipped.map((s) => ({ cell: cellLabel(s), reason: s.reason })),
    cells: cellRecords,
    failedCells,
    rejectedLines: cellRecords.reduce((n, c) => n + c.rejectedLines, 0),
    rejectedByReason: sumCounts(cellRecords.map((c) => c.rejectedByReason)),
    missingReport: cellRecords.reduce((n, c) => n + c.missingReport.length, 0),
    rows: rows.length,
    ...(load ? { loadCells } : {}),
  });
  await writeRunManifest(runDir, manifest("running"));

  const perCell = load ? load.requests : options.plan.cold + options.plan.warm;
  const progress = new Progress(cells.length * perCell, {
    write: log,
  });
  log(`run ${runId}: ${cells.length} cells on ${backend.name} → ${runDir}`);

  // Writes are serialised so concurrent cells never interleave two renames of the same file.
  let writing: Promise<void> = Promise.resolve();
  // A failed write (a full disk, say) is reported and the next cell tries again: one failure
  // must not stop every later cell from being saved.
  const persist = () => {
    writing = writing.then(async () => {
      try {
        await writeInvocations(parquetPath, rows);
        await writeRunManifest(runDir, manifest("running"));
      } catch (error) {
        log(`cannot save the run yet: ${error instanceof Error ? error.message : error}`);
      }
    });
    return writing;
  };

  const runOne = async (cell: Cell) => {
    const label = cellLabel(cell);
    const t0 = performance.now();
    const hostBefore = sampleHost();
    try {
      const logDir = join(paths.logs, label);
      await Deno.mkdir(logDir, { recursive: true });
      const context = { runId, runDir, logDir, progress };
      const result = load && canLoad(backend)
        ? await measureLoad(backend, cell, load, context)
        : await measureCell(backend, cell, options.plan, context, options.protocol);
      if ("load" in result) loadCells.push(result.load as LoadCellRecord);
      rows.push(...result.rows);
      const hostAfter = sampleHost();
      const host = hostBefore && hostAfter ? hostLoad(hostBefore, hostAfter) : null;
      cellRecords.push({
        cell: label,
        variant: cell.variant.name,
        functionRuntime: cell.variant.functionRuntime,
        extension: cell.variant.extensionName,
        workload: cell.variant.workload,
        memoryMb: cell.memoryMb,
        arch: cell.arch,
        settings: result.settings,
        invocations: result.rows.length,
        cold: result.rows.filter((r) => r.cold).length,
        warm: result.rows.filter((r) => !r.cold).length,
        rejectedLines: result.rejectedLines,
        rejectedByReason: result.rejectedByReason,
        missingReport: result.missingReport,
        coldMismatches: result.coldMismatches,
        coldRetries: result.coldRetries,
        messages: result.messages,
        ...(result.items ? { items: result.items } : {}),
        notes: result.notes,
        seconds: (performance.now() - t0) / 1000,
        host,
      });
      const problems = [
        result.missingReport.length ? `${result.missingReport.length} without REPORT` : "",
        result.coldMismatches.length ? `${result.coldMismatches.length} cold mismatches` : "",
        result.messages && result.messages.received !== result.messages.expected
          ? `SQS ${result.messages.received}/${result.messages.expected} messages`
          : "",
        result.items && result.items.received !== result.items.expected
          ? `DynamoDB ${result.items.received}/${result.items.expected} items`
          : "",
        // Only a local cell runs on this host; an AWS cell's figures come from Lambda.
        backend.name === "local" && host ? busyNote(host) ?? "" : "",
      ].filter((p) => p !== "");
      progress.report(
        `${label} done: ${result.rows.length} rows${
          problems.length ? ` (${problems.join(", ")})` : ""
        }`,
      );
      await persist();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      failedCells.push({ cell: label, error: message });
      log(`cell ${label} failed: ${message}`);
      await persist();
    }
  };

  const queue = [...cells];
  const workers = Array.from(
    { length: Math.max(1, Math.min(options.concurrency ?? 1, queue.length)) },
    async () => {
      for (let cell = queue.shift(); cell !== undefined; cell = queue.shift()) await runOne(cell);
    },
  );
  try {
    await Promise.all(workers);
  } finally {
    await writing;
    await backend.close();
  }
  await writeInvocations(parquetPath, rows);
  const status: RunStatus = failedCells.length > 0 && rows.length === 0 ? "failed" : "complete";
  await writeRunManifest(runDir, manifest(status));
  const busyCells = backend.name === "local"
    ? cellRecords.flatMap((c) => c.host && isBusy(c.host) ? [{ cell: c.cell, host: c.host }] : [])
    : [];
  return {
    runId,
    runDir,
    parquetPath,
    rows: rows.length,
    skipped,
    failedCells,
    loadCells,
    busyCells,
  };
}

/** Adds up per-reason counts. */
function sumCounts(counts: readonly Record<string, number>[]): Record<string, number> {
  const total: Record<string, number> = {};
  for (const c of counts) for (const [k, n] of Object.entries(c)) total[k] = (total[k] ?? 0) + n;
  return total;
}
