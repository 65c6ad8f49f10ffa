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
import type { ParseStats, PlatformRecord, RejectedLine } from "../parse/mod.ts";
import {
  lineCuts,
  parsePart,
  type PartRequest,
  type PartResult,
  readRange,
  readStream,
} from "./_read.ts";
import { mergeInvocations, newRunId, writeInvocationColumns } from "../store/mod.ts";
import { type NativeLines, nativeLines } from "./_native.ts";

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
  /**
   * Threads to parse each plain file with (this one and worker threads), when not merging; they
   * take the file's pieces in turn. Default: one per core (at most 4) for files of 16 MiB or
   * more, else 1. The result is the same.
   */
  parts?: number;
  /** Hears where a long ingest is (see {@link IngestProgress}); the caller decides what to show. */
  progress?: (p: IngestProgress) => void;
  /**
   * How plain files are read on the columnar path (not merging): `native`, the native line
   * reader (`rust/ingest`; an error when it cannot be loaded), `js`, the JavaScript reader only,
   * or `auto` (the default), native where it loads, else JavaScript, saying why in
   * {@link IngestSummary.readerNote}. The result is the same; native is faster.
   */
  reader?: "auto" | "native" | "js";
  /** The native reader's library; default `build/native/libbattle_ingest.so`. */
  nativeLib?: string;
}

/**
 * Where an ingest is: after each read of a file (`read`; a piece parsed by a worker thread counts
 * when it is done; a `.gz` file counts its compressed bytes), then once before the join and once
 * before the write.
 */
export type IngestProgress =
  | {
    phase: "read";
    file: string;
    /** 1-based. */
    fileIndex: number;
    files: number;
    bytesDone: number;
    bytes: number;
  }
  | { phase: "join"; records: number }
  | { phase: "write"; invocations: number; out: string };

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
  /** What read its lines: the native line reader (with the JavaScript parser for the lines it
   * leaves) or the JavaScript reader alone (JSON documents, merging, no native reader). */
  reader: "native" | "js";
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
  /** Why the native line reader was not used where it could have been (`reader: "auto"`). */
  readerNote?: string;
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

/** Plain files at least this large are parsed in parts, in parallel (columnar path only). */
const PARALLEL_BYTES = 16 << 20;

/** Pieces a file is cut into per thread that parses it. */
const PIECES_PER_THREAD = 2;

/**
 * Parts a large file is parsed in by default: one per core, at most 4 (as Polars sizes its
 * thread pool). On a host shared with other work, each runnable thread gets its share of the
 * cores, so the parts also win back time lost to the others.
 */
function defaultParts(): number {
  return Math.max(1, Math.min(4, navigator.hardwareConcurrency || 1));
}

/**
 * Parses one file (gunzipped where it ends in `.gz`). A large plain file read line by line is
 * cut at line ends into pieces: this thread and worker threads take them in turn (the first
 * into the run's table, the others into tables of their own), which are then appended in
 * order, with their line numbers moved on, so the result is the one a single pass gives.
 * `size` is the file's, as `ingest()` read it when it checked the file. With `native`, a file
 * read line by line goes through the native line reader, in every thread.
 */
async function parseFile(
  path: string,
  size: number,
  maxSamples: number,
  reports: ReportTable | null,
  parts: number | undefined,
  onBytes: (n: number) => void,
  native: NativeLines | null,
): Promise<ExportResult & { native: boolean }> {
  const reader = new ExportReader({ maxSamples, ...(reports ? { columnar: reports } : {}) });
  try {
    if (path.endsWith(".gz")) {
      const file = await Deno.open(path);
      try {
        const counted = new TransformStream<Uint8Array<ArrayBuffer>, Uint8Array<ArrayBuffer>>({
          transform(chunk, out) {
            onBytes(chunk.length);
            out.enqueue(chunk);
          },
        });
        const bytes = file.readable.pipeThrough(counted).pipeThrough(
          new DecompressionStream("gzip"),
        );
        const read = await readStream(bytes, reader, reports === null ? null : native);
        return { ...reader.end(), native: read };
      } finally {
        try {
          file.close();
        } catch {
          // The stream closed it already.
        }
      }
    }
    const threads = reports === null ? 1 : parts ?? (size >= PARALLEL_BYTES ? defaultParts() : 1);
    if (reports === null) native = null;
    // More pieces than threads, taken in turn as threads come free: a thread the host slows
    // down takes fewer, so none is left waiting long for the last one. The native reader
    // needs to know the file is read line by line, as lineCuts finds out.
    const pieces = threads > 1 ? PIECES_PER_THREAD * threads : 1;
    const cuts = threads > 1 || native !== null ? await lineCuts(path, size, pieces) : null;
    if (cuts === null) native = null;
    if (native !== null) reader.linesMode();
    if (cuts === null || cuts.length < 3) {
      await readRange(path, 0, size, reader, onBytes, native);
      return { ...reader.end(), native: native !== null };
    }
    const count = cuts.length - 1;
    const results: Array<PartResult | undefined> = new Array(count);
    let next = 1;
    const take = () => (next < count ? next++ : -1);
    const piece = (k: number): PartRequest => ({
      path,
      start: cuts[k]!,
      end: cuts[k + 1]!,
      maxSamples,
      nativeLib: native === null ? null : native.path,
    });
    const helpers: Array<Promise<void>> = [];
    const done = (k: number) => onBytes(cuts[k + 1]! - cuts[k]!);
    for (let w = 1; w < threads; w++) helpers.push(inWorker(take, piece, results, done));
    // Rejected workers are awaited below; until then their rejections are not unhandled.
    for (const p of helpers) p.catch(() => {});
    // The first piece goes straight into the run's table, the others into tables of their own.
    await readRange(path, 0, cuts[1]!, reader, onBytes, native);
    for (let k = take(); k >= 0; k = take()) results[k] = await parsePart(piece(k), onBytes);
    await Promise.all(helpers);
    const head = reader.end();
    const kinds = reader.lineKinds;
    let offset = reader.lineCount;
    const stats = head.stats;
    for (let k = 1; k < count; k++) {
      const part = results[k]!;
      results[k] = undefined;
      reports!.append(part.table);
      for (const r of part.records) {
        r.line += offset;
        head.records.push(r);
      }
      addStats(stats, part.stats, offset, maxSamples);
      kinds.json += part.lineKinds.json;
      kinds.text += part.lineKinds.text;
      offset += part.lineCount;
    }
    return { ...head, shape: kinds.json > kinds.text ? "jsonl" : "text", native: native !== null };
  } catch (err) {
    const what = path.endsWith(".gz") ? "not gzip" : "unreadable";
    throw new TypeError(`Cannot read "${path}": ${what} (${(err as Error).message})`);
  }
}

/** Adds a later part's counts; its sample line numbers move on by `offset`. */
function addStats(into: ParseStats, part: ParseStats, offset: number, maxSamples: number): void {
  into.lines += part.lines;
  into.platform += part.platform;
  into.noise += part.noise;
  into.rejected += part.rejected;
  for (const [reason, n] of Object.entries(part.rejectedByReason)) {
    into.rejectedByReason[reason] = (into.rejectedByReason[reason] ?? 0) + n;
  }
  for (const sample of part.rejectedSamples) {
    if (into.rejectedSamples.length >= maxSamples) break;
    into.rejectedSamples.push({ ...sample, line: sample.line + offset });
  }
  for (const [type, n] of Object.entries(part.unknownTypes)) {
    into.unknownTypes[type] = (into.unknownTypes[type] ?? 0) + n;
  }
}

/**
 * A worker thread that parses pieces until none is left: it asks `take` for the next piece,
 * keeps the result in `results`, and ends when `take` has none.
 */
function inWorker(
  take: () => number,
  piece: (k: number) => PartRequest,
  results: Array<PartResult | undefined>,
  done: (k: number) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL("./_part_worker.ts", import.meta.url).href, {
      type: "module",
    });
    let current = -1;
    const feed = () => {
      current = take();
      if (current < 0) {
        worker.terminate();
        resolve();
      } else {
        worker.postMessage(piece(current));
      }
    };
    worker.onmessage = (e: MessageEvent<{ result: PartResult } | { error: string }>) => {
      if ("error" in e.data) {
        worker.terminate();
        reject(new Error(e.data.error));
        return;
      }
      results[current] = e.data.result;
      done(current);
      feed();
    };
    worker.onerror = (e) => {
      e.preventDefault();
      worker.terminate();
      reject(new Error(e.message));
    };
    feed();
  });
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
  const sizes: number[] = [];
  for (const file of options.files) {
    const info = await Deno.stat(file).catch(() => null);
    if (info === null) throw new Deno.errors.NotFound(`Cannot read "${file}": no such file`);
    if (!info.isFile) throw new TypeError(`Cannot read "${file}": not a file`);
    sizes.push(info.size);
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
  const progress = options.progress ?? (() => {});
  const mode = options.reader ?? "auto";
  let native: NativeLines | null = null;
  let readerNote: string | undefined;
  if (reports !== null && mode !== "js") {
    const got = nativeLines(options.nativeLib);
    if (typeof got !== "string") native = got;
    else if (mode === "native") throw new Error(`Cannot read with the native reader: ${got}`);
    else readerNote = got;
  }
  for (const [i, file] of options.files.entries()) {
    const bytes = sizes[i]!;
    let bytesDone = 0;
    const base = { file, fileIndex: i + 1, files: options.files.length, bytes };
    const onBytes = (n: number) => {
      bytesDone += n;
      progress({ phase: "read", ...base, bytesDone });
    };
    const parsed = await parseFile(
      file,
      bytes,
      options.samples ?? 5,
      reports,
      options.parts,
      onBytes,
      native,
    );
    for (const r of parsed.records) records.push(r);
    for (const [type, n] of Object.entries(parsed.stats.unknownTypes)) {
      unknownTypes[type] = (unknownTypes[type] ?? 0) + n;
    }
    files.push({
      file,
      shape: parsed.shape,
      ...parsed.stats,
      reader: parsed.native ? "native" : "js",
    });
  }
  const recordCount = records.length + (reports === null ? 0 : reports.length + reports.counted);
  if (recordCount === 0) throw new NoRecordsError(files);
  const meta = { run_id: runId, backend: null, variant: null, arch: null, memory_mb: null };
  await Deno.mkdir(dirname(options.out), { recursive: true });
  progress({ phase: "join", records: recordCount });
  let joined: { orphans: unknown[]; initFailures: number };
  let invocations: number;
  let cold: number;
  if (reports === null) {
    const byRows = joinInvocations({ records, meta });
    records.length = 0; // the rows hold what is needed; let the records go before the write
    progress({ phase: "write", invocations: byRows.rows.length, out: options.out });
    await mergeInvocations(options.out, byRows.rows);
    joined = byRows;
    invocations = byRows.rows.length;
    cold = byRows.rows.filter((r) => r.cold).length;
  } else {
    const byColumns = joinInvocationColumns({ reports, records, meta });
    records.length = 0;
    progress({ phase: "write", invocations: byColumns.columns.length, out: options.out });
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
    ...(readerNote === undefined ? {} : { readerNote }),
  };
}
