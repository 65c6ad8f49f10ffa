/**
 * The one parser for Lambda platform output, local sandbox and AWS alike: text lines with any
 * prefix, JSON-format lines, and Telemetry API arrays. Bad platform lines are counted and
 * sampled, never fatal.
 *
 * @module
 */
import { parsePlatformEvent } from "./json.ts";
import {
  type ParseResult,
  type ParseStats,
  type PlatformRecord,
  rejectionKind,
  type ReportRecord,
} from "./records.ts";
import { LineNotes, ReportTable } from "./columns.ts";
import { parseTextLine, readBulkLine, readBulkSpan, reportFields, type SpanMarks } from "./text.ts";
import { checkReport, TEXT_LABELS } from "./limits.ts";
import {
  SCAN_END,
  SCAN_INIT_START,
  SCAN_NOISE,
  SCAN_NUMS,
  SCAN_OFFS,
  SCAN_REPORT,
  SCAN_START,
  SCAN_XRAY,
  type ScannedLines,
} from "./scanned.ts";

/** Options for {@link LogParser}. */
export interface LogParserOptions {
  /** How many rejected lines to keep as samples. Default 20. */
  maxSamples?: number;
  /**
   * Keep REPORTs (text and JSON) in {@link LogParser.reports}, column by column, instead of as
   * records in {@link LogParser.records}: the bulk path for `joinInvocationColumns`. A
   * {@link ReportTable} given here is added to (one table for several files of a run). Text
   * START and END lines go to its `requests`, and records the join does not read (INIT_START,
   * EXTENSION, ...) are only counted (`counted`), so {@link LogParser.records} holds the rest.
   * Default false.
   */
  columnar?: boolean | ReportTable;
}

/** Accumulates records and counts over many lines, messages and events. */
export class LogParser {
  readonly records: PlatformRecord[] = [];
  readonly stats: ParseStats = {
    lines: 0,
    platform: 0,
    noise: 0,
    rejected: 0,
    rejectedByReason: {},
    rejectedSamples: [],
    unknownTypes: {},
  };
  /** REPORTs, when the parser is columnar (see {@link LogParserOptions.columnar}); else null. */
  readonly reports: ReportTable | null;
  #maxSamples: number;
  /** Text START and END lines on their way into {@link reports}. */
  #notes: LineNotes | null;
  /** The REPORT an `XRAY TraceId:` line on the next line belongs to. */
  #lastReport: ReportRecord | null = null;

  /** @param options See {@link LogParserOptions}. */
  constructor(options: LogParserOptions = {}) {
    this.#maxSamples = options.maxSamples ?? 20;
    const c = options.columnar;
    this.reports = c instanceof ReportTable ? c : c ? new ReportTable() : null;
    this.#notes = this.reports === null ? null : new LineNotes(this.reports);
  }

  /**
   * Reads one line: Lambda text (any prefix), a JSON event, a JSON array of events, or noise.
   *
   * @param text The line without its newline.
   * @param lineNo 1-based line number (or event number), used in samples.
   * @param time Epoch ms of the log event when the container states it (filter-log-events).
   */
  line(text: string, lineNo: number, time: number | null = null): void {
    this.stats.lines++;
    if (this.reports === null) {
      this.#rest(text, lineNo, time, undefined);
      return;
    }
    const read = readBulkLine(text, time, this.#notes!);
    if (!this.#bulk(read)) this.#rest(text, lineNo, time, read as string | undefined);
  }

  /**
   * {@link line} for the line `text[start, end)`, read in place: on the columnar path no string
   * is made for a START, END, REPORT or plain noise line.
   *
   * @param text A text holding whole lines.
   * @param start Where the line starts.
   * @param end Where it ends (before its newline and any carriage return).
   * @param lineNo 1-based line number, used in samples.
   * @param marks Searches over `text` (reset for each text; lines must come in order).
   */
  span(text: string, start: number, end: number, lineNo: number, marks: SpanMarks): void {
    if (this.reports === null) {
      this.line(text.slice(start, end), lineNo);
      return;
    }
    this.stats.lines++;
    const read = readBulkSpan(text, start, end, null, this.#notes!, marks);
    if (!this.#bulk(read)) {
      this.#rest(text.slice(start, end), lineNo, null, read as string | undefined);
    }
  }

  /**
   * Columnar: takes line `k` of `lines` as the native line reader read it from `bytes` (a
   * START, END, REPORT, XRAY or INIT_START line, or certain noise), as {@link span} takes the
   * same line.
   *
   * @param bytes The bytes the lines were read from.
   * @param lines What was read.
   * @param k The line.
   * @returns False, with nothing taken, for a REPORT with a value Lambda cannot report: read
   *   that line with {@link span}, which words the rejection.
   */
  scanned(bytes: Uint8Array, lines: ScannedLines, k: number): boolean {
    const notes = this.#notes!;
    const kind = lines.kinds[k]!;
    const o = k * SCAN_OFFS;
    const from = lines.offs[o + 2]!;
    const len = lines.offs[o + 3]!;
    const hash = lines.hashes[k]!;
    const nums = lines.nums;
    const n = k * SCAN_NUMS;
    if (kind === SCAN_REPORT) {
      const f = reportFields;
      f.durationMs = nums[n + 1]!;
      f.billedDurationMs = nums[n + 2]!;
      f.memorySizeMb = nums[n + 3]!;
      f.maxMemoryUsedMb = nums[n + 4]!;
      const init = nums[n + 5]!;
      f.initDurationMs = init === init ? init : null;
      f.restoreDurationMs = null;
      f.billedRestoreDurationMs = null;
      if (checkReport(f, TEXT_LABELS) !== null) return false;
      this.stats.lines++;
      this.stats.platform++;
      const reports = this.reports!;
      reports.addScanned(bytes, from, len, hash, nums, n);
      notes.reportOf(reports.length - 1, len, null);
    } else if (kind === SCAN_NOISE) {
      this.stats.lines++;
      notes.other();
      this.stats.noise++;
    } else if (kind === SCAN_XRAY || kind === SCAN_INIT_START) {
      // As #rest takes them on the columnar path: no trace ids kept, INIT_START only counted.
      this.stats.lines++;
      notes.other();
      this.stats.platform++;
      if (kind === SCAN_INIT_START) this.reports!.counted++;
    } else if (kind === SCAN_START || kind === SCAN_END) {
      this.stats.lines++;
      if (kind === SCAN_START) notes.startId(bytes, from, len, hash, nums[n]!);
      else notes.endId(bytes, from, len, hash);
      this.stats.platform++;
      this.reports!.counted++;
    } else {
      throw new RangeError(`Not a line the parser takes as read: kind ${kind}`);
    }
    this.#lastReport = null;
    return true;
  }

  /**
   * Columnar: takes what {@link readBulkLine} read (a REPORT into the table, a START or END into
   * its notes, certain noise) with no record object; false when the line needs the full reading.
   */
  #bulk(read: string | null | boolean | undefined): boolean {
    const notes = this.#notes!;
    if (read === null) {
      this.stats.platform++;
      this.reports!.add(reportFields);
      notes.report(this.reports!.length - 1, reportFields.requestId);
      this.#lastReport = null; // trace ids are not kept in columns
      return true;
    }
    if (read === true) {
      this.stats.platform++;
      this.reports!.counted++;
      this.#lastReport = null;
      return true;
    }
    notes.other();
    if (read === false) {
      this.stats.noise++;
      this.#lastReport = null;
      return true;
    }
    return false;
  }

  /**
   * The rest of {@link line}: `bulk` is a rejection reason {@link readBulkLine} gave for the line
   * (a malformed REPORT), or undefined.
   */
  #rest(text: string, lineNo: number, time: number | null, bulk: string | undefined): void {
    if (typeof bulk === "string") {
      this.#lastReport = null;
      this.reject(lineNo, text, bulk);
      return;
    }
    const r = parseTextLine(text, lineNo, time);
    if (r === null) {
      this.#lastReport = null;
      this.#json(text, lineNo, time);
      return;
    }
    if (typeof r === "string") {
      this.#lastReport = null;
      this.reject(lineNo, text, r);
      return;
    }
    this.stats.platform++;
    if (r.kind === "xray") {
      if (this.#lastReport !== null && this.#lastReport.traceId === null) {
        this.#lastReport.traceId = r.traceId;
      }
      this.#lastReport = null;
      return;
    }
    if (this.reports !== null) {
      if (r.kind === "report") this.reports.add(r); // not reached: readBulkLine took it
      else this.#keep(r);
      this.#lastReport = null;
      return;
    }
    this.records.push(r);
    this.#lastReport = r.kind === "report" ? r : null;
  }

  /**
   * Reads one log event whose message may hold several lines (REPORT then XRAY).
   *
   * @param message The event's message.
   * @param lineNo Event number, used in samples.
   * @param time Epoch ms of the event, or null.
   */
  message(message: string, lineNo: number, time: number | null = null): void {
    if (message.indexOf("\n") < 0) {
      this.line(message, lineNo, time);
      return;
    }
    const parts = message.split("\n");
    if (parts.at(-1) === "") parts.pop();
    for (const part of parts) this.line(part, lineNo, time);
  }

  /**
   * Reads one already-parsed `{time, type, record}` event (Telemetry API, JSON log format).
   *
   * @param event The value.
   * @param lineNo Line or element number, used in samples.
   * @param time Epoch ms to use when the event has no readable `time`.
   */
  event(event: unknown, lineNo: number, time: number | null = null): void {
    this.stats.lines++;
    this.#lastReport = null;
    this.#event(event, lineNo, time, event);
  }

  /** @returns The records and counts so far. */
  result(): ParseResult {
    if (this.reports !== null) {
      this.#notes!.flush();
      return { records: this.records, stats: this.stats, reports: this.reports };
    }
    return { records: this.records, stats: this.stats };
  }

  /** Columnar: keeps a record the join reads; counts the others (see `ReportTable.counted`). */
  #keep(r: PlatformRecord): void {
    if (JOINED_KINDS.has(r.kind)) this.records.push(r);
    else this.reports!.counted++;
  }

  #event(event: unknown, lineNo: number, time: number | null, original: unknown): void {
    const r = parsePlatformEvent(event, lineNo, time);
    if (r === null) {
      this.stats.noise++;
    } else if (typeof r === "string") {
      this.reject(lineNo, typeof original === "string" ? original : JSON.stringify(original), r);
    } else if (r.kind === "unknownType") {
      this.stats.unknownTypes[r.type] = (this.stats.unknownTypes[r.type] ?? 0) + 1;
    } else {
      this.stats.platform++;
      if (this.reports === null) this.records.push(r);
      else if (r.kind === "report") this.reports.add(r);
      else this.#keep(r);
    }
  }

  /** A line that is not Lambda text: a JSON event, a JSON array of events, or noise. */
  #json(text: string, lineNo: number, time: number | null): void {
    const brace = firstJsonStart(text);
    if (brace < 0) {
      this.stats.noise++;
      return;
    }
    const looksPlatform = text.indexOf('"platform.', brace) >= 0 ||
      text.startsWith('{"time":', brace);
    if (!looksPlatform) {
      this.stats.noise++;
      return;
    }
    let value: unknown;
    try {
      value = JSON.parse(text.slice(brace));
    } catch {
      this.reject(lineNo, text, "malformed JSON platform event");
      return;
    }
    if (Array.isArray(value)) {
      // A Telemetry API batch on one line: each element counts as one more line read.
      this.stats.lines += value.length - 1; // never empty: it starts with "[{"
      for (const item of value) this.#event(item, lineNo, time, item);
    } else {
      this.#event(value, lineNo, time, text);
    }
  }

  /**
   * Counts a rejected line (in total and by {@link rejectionKind}) and keeps it as a sample
   * while there is room.
   *
   * @param lineNo 1-based line or event number.
   * @param text The line.
   * @param reason Why it was rejected.
   */
  reject(lineNo: number, text: string, reason: string): void {
    this.stats.rejected++;
    const kind = rejectionKind(reason);
    const byReason = this.stats.rejectedByReason;
    byReason[kind] = (byReason[kind] ?? 0) + 1;
    if (this.stats.rejectedSamples.length < this.#maxSamples) {
      this.stats.rejectedSamples.push({ line: lineNo, text: text.slice(0, 300), reason });
    }
  }
}

/** The record kinds `joinInvocationColumns` reads besides REPORTs. */
const JOINED_KINDS = new Set<PlatformRecord["kind"]>([
  "start",
  "end",
  "runtimeDone",
  "initReport",
  "logsDropped",
]);

/** Index of the `{` or `[{` that starts JSON after an optional prefix, or -1. */
function firstJsonStart(text: string): number {
  const brace = wordStartIndex(text, "{");
  const batch = wordStartIndex(text, "[{");
  if (brace < 0) return batch;
  return batch >= 0 && batch < brace ? batch : brace;
}

/** First `needle` at the line start or after a space or tab, or -1. */
function wordStartIndex(text: string, needle: string): number {
  let i = text.indexOf(needle);
  while (i > 0) {
    const p = text.charCodeAt(i - 1);
    if (p === 32 || p === 9) return i;
    i = text.indexOf(needle, i + 1);
  }
  return i;
}

/**
 * Parses lines with one {@link LogParser}.
 *
 * @param lines The lines, without newlines.
 * @param options See {@link LogParserOptions}.
 * @returns Records and counts.
 * @example
 * ```ts
 * const { records, stats } = parseLines(["START RequestId: a Version: $LATEST"]);
 * ```
 */
export function parseLines(lines: Iterable<string>, options: LogParserOptions = {}): ParseResult {
  const parser = new LogParser(options);
  let n = 0;
  for (const l of lines) parser.line(l, ++n);
  return parser.result();
}
