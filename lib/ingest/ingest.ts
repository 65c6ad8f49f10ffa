/**
 * Parses Lambda log exports into the invocation schema (`deno task ingest`). Each file's shape
 * is detected on its own: plain text (one event per line, any prefix, as `aws logs tail`
 * prints), the JSON of `aws logs filter-log-events`, JSON-format Lambda logs (JSONL), a
 * Telemetry API batch, or the JSON of `aws logs get-query-results`; `.gz` files are
 * decompressed.
 *
 * All files join into one run: a REPORT in one file and its START in another still meet, and a
 * request id seen in several files gives one row. Columns the logs cannot know (`backend`,
 * `variant`, `arch`, `client_rtt_ms`) are null; `memory_mb` comes from `Memory Size`; `run_id`
 * is the given one or `ingest-<UTC time>-<4 hex>`. Unreadable lines are counted and sampled,
 * never fatal. Merging into an existing output (re-ingesting is idempotent) instead of
 * replacing it is an option.
 *
 * @module
 */
import { dirname } from "node:path";
import {
  ExportReader,
  type ExportResult,
  type ExportShape,
  joinInvocationColumns,
  joinInvocations,
  ReportTable,
} from "../parse/mod.ts";
import type { PlatformRecord, RejectedLine } from "../parse/mod.ts";
import { mergeInvocations, newRunId, writeInvocationColumns } from "../store/mod.ts";

/** Options of {@link ingest}. */
export interface IngestOptions {
  files: readonly string[];
  out: string;
  /** Default `ingest-<UTC time>-<4 hex>`. */
  runId?: string;
  /** Merge into an existing `out` instead of replacing it. Default false. */
  merge?: boolean;
  /** Rejected lines to keep per file as samples. Default 5. */
  samples?: number;
}

/** Counts for one input file. */
export interface FileSummary {
  file: string;
  shape: ExportShape;
  lines: number;
  platform: number;
  noise: number;
  rejected: number;
  /** `rejected` by reason, the offending value left out (the parser's `rejectedByReason`). */
  rejectedByReason: Record<string, number>;
  rejectedSamples: RejectedLine[];
  unknownTypes: Record<string, number>;
}

/** What {@link ingest} did. */
export interface IngestSummary {
  runId: string;
  out: string;
  files: FileSummary[];
  lines: number;
  records: number;
  invocations: number;
  cold: number;
  rejected: number;
  unknownTypes: Record<string, number>;
  /** Request ids with START/END/runtimeDone but no REPORT. */
  orphans: number;
  initFailures: number;
}

/**
 * No input file held a single Lambda platform record (START, END, REPORT, INIT_*, or a
 * `platform.*` event): an empty file, the wrong file, or bytes that are not a log at all.
 * Nothing is written.
 */
export class NoRecordsError extends Error {
  /** @param files what each file held */
  constructor(files: readonly FileSummary[]) {
    const lines = files.reduce((n, f) => n + f.lines, 0);
    const rejected = files.reduce((n, f) => n + f.rejected, 0);
    const names = files.map((f) => `"${f.file}"`).join(", ");
    super(
      `No Lambda records were found in ${names}: ${lines} lines read, ${rejected} rejected, ` +
        "no START, END, REPORT or platform event; nothing was written",
    );
    this.name = "NoRecordsError";
  }
}

/** Streams one file (gunzipped where it ends in `.gz`) through an {@link ExportReader}. */
async function parseFile(
  path: string,
  maxSamples: number,
  reports: ReportTable | null,
): Promise<ExportResult> {
  const reader = new ExportReader({ maxSamples, ...(reports ? { columnar: reports } : {}) });
  const file = await Deno.open(path);
  try {
    let bytes: ReadableStream<Uint8Array<ArrayBuffer>> = file.readable;
    if (path.endsWith(".gz")) bytes = bytes.pipeThrough(new DecompressionStream("gzip"));
    for await (const chunk of bytes.pipeThrough(new TextDecoderStream())) reader.push(chunk);
  } catch (err) {
    const what = path.endsWith(".gz") ? "not gzip" : "unreadable";
    throw new TypeError(`Cannot read "${path}": ${what} (${(err as Error).message})`);
  } finally {
    try {
      file.close();
    } catch {
      // The stream closed it already.
    }
  }
  return reader.end();
}

/**
 * Parses the files, joins them into rows and writes the Parquet file.
 *
 * @param options See {@link IngestOptions}.
 * @returns Counts for the summary.
 * @throws {Deno.errors.NotFound} An input file is missing (nothing is written).
 * @throws {NoRecordsError} No file held a Lambda record (nothing is written).
 */
export async function ingest(options: IngestOptions): Promise<IngestSummary> {
  for (const file of options.files) {
    const info = await Deno.stat(file).catch(() => null);
    if (info === null) throw new Deno.errors.NotFound(`Cannot read "${file}": no such file`);
    if (!info.isFile) throw new TypeError(`Cannot read "${file}": not a file`);
  }
  const outInfo = await Deno.stat(options.out).catch(() => null);
  if (outInfo?.isDirectory) {
    throw new TypeError(`Cannot write "${options.out}": it is a directory, not a .parquet file`);
  }
  const runId = options.runId ?? `ingest-${newRunId()}`;
  const records: PlatformRecord[] = [];
  const files: FileSummary[] = [];
  const unknownTypes: Record<string, number> = {};
  // Without --merge, REPORTs go to one column table shared by every file: no object per line
  // or per row (the bulk path of `deno task perf:parse`). Merging needs rows.
  const reports = options.merge ? null : new ReportTable();
  for (const file of options.files) {
    const parsed = await parseFile(file, options.samples ?? 5, reports);
    for (const r of parsed.records) records.push(r);
    for (const [type, n] of Object.entries(parsed.stats.unknownTypes)) {
      unknownTypes[type] = (unknownTypes[type] ?? 0) + n;
    }
    files.push({ file, shape: parsed.shape, ...parsed.stats });
  }
  const recordCount = records.length + (reports?.length ?? 0);
  if (recordCount === 0) throw new NoRecordsError(files);
  const meta = { run_id: runId, backend: null, variant: null, arch: null, memory_mb: null };
  await Deno.mkdir(dirname(options.out), { recursive: true });
  let joined: { orphans: unknown[]; initFailures: number };
  let invocations: number;
  let cold: number;
  if (reports === null) {
    const byRows = joinInvocations({ records, meta });
    records.length = 0; // the rows hold what is needed; let the records go before the write
    await mergeInvocations(options.out, byRows.rows);
    joined = byRows;
    invocations = byRows.rows.length;
    cold = byRows.rows.filter((r) => r.cold).length;
  } else {
    const byColumns = joinInvocationColumns({ reports, records, meta });
    records.length = 0;
    await writeInvocationColumns(options.out, byColumns.columns, { unique: true });
    joined = byColumns;
    invocations = byColumns.columns.length;
    cold = byColumns.columns.cold.reduce((n, c) => n + c, 0);
  }
  return {
    runId,
    out: options.out,
    files,
    lines: files.reduce((n, f) => n + f.lines, 0),
    records: recordCount,
    invocations,
    cold,
    rejected: files.reduce((n, f) => n + f.rejected, 0),
    unknownTypes,
    orphans: joined.orphans.length,
    initFailures: joined.initFailures,
  };
}
