/**
 * Whole log exports in the three shapes `deno task ingest` accepts, detected per file: plain
 * text (one event per line, any prefix), the JSON of `aws logs filter-log-events`, and
 * JSON-format Lambda logs (JSONL). A Telemetry API batch (a JSON array of events) and the JSON of
 * `aws logs get-query-results` (Logs Insights rows with `@message`) also work.
 *
 * @module
 */
import { LogParser, type LogParserOptions } from "./parser.ts";
import { SpanMarks } from "./text.ts";
import { SCAN_BLANK, SCAN_OFFS, SCAN_OTHER, type ScannedLines } from "./scanned.ts";
import type { ParseResult } from "./records.ts";

/** The shape a file was read as. */
export type ExportShape =
  | "text"
  | "jsonl"
  | "filter-log-events"
  | "insights-results"
  | "telemetry-array";

/** {@link parseExport}'s result: records, counts and the shape found. */
export interface ExportResult extends ParseResult {
  shape: ExportShape;
}

/** Options of {@link ExportReader}. */
export interface ExportReaderOptions extends LogParserOptions {
  /**
   * Read the pieces line by line from the start, without deciding the shape on the first line:
   * for a part of a file cut at a line's end (see {@link readsLineByLine}). Default false.
   */
  lines?: boolean;
}

/**
 * Whether a file whose first line is this is read line by line (text, JSONL) rather than as one
 * JSON document, as {@link ExportReader} decides it.
 *
 * @param firstLine The file's first line, without its newline (and without a BOM).
 * @returns True for line by line.
 */
export function readsLineByLine(firstLine: string): boolean {
  return !opensMultiLineJson(firstLine);
}

/**
 * Reads one export fed in pieces (a decoded stream), so text and JSONL files of any size never
 * have to fit in one string. The shape is decided on the first line: a first line that opens a
 * multi-line JSON value (`{`, `[`, a `{"`/`[{` line that is not valid JSON alone) buffers the
 * whole file as one JSON document; anything else is read line by line as it arrives.
 */
export class ExportReader {
  readonly parser: LogParser;
  #mode: "undecided" | "lines" | "whole" = "undecided";
  #buffer = "";
  #lineNo = 0;
  #jsonLines = 0;
  #textLines = 0;
  #wholeShape: ExportShape | null = null;
  /** Searches over the text whose lines are being read (see `LogParser.span`). */
  #marks = new SpanMarks();

  /** @param options See {@link ExportReaderOptions}. */
  constructor(options: ExportReaderOptions = {}) {
    this.parser = new LogParser(options);
    if (options.lines === true) this.#mode = "lines";
  }

  /** Lines read so far (blank ones too): the number of the last line. */
  get lineCount(): number {
    return this.#lineNo;
  }

  /** Lines read so far that start with `{` (JSON) and that do not (text): they decide the shape. */
  get lineKinds(): { json: number; text: number } {
    return { json: this.#jsonLines, text: this.#textLines };
  }

  /**
   * Feeds the next piece of decoded text.
   *
   * @param chunk Any piece; lines may span pieces.
   */
  push(chunk: string): void {
    if (this.#mode === "whole") {
      this.#buffer += chunk;
      return;
    }
    if (this.#mode === "lines") {
      // Read the chunk in place: only the line cut at the chunk's start is pieced together,
      // so no chunk is ever copied into a bigger string.
      const first = chunk.indexOf("\n");
      if (first < 0) {
        this.#buffer += chunk;
        return;
      }
      const head = this.#buffer + chunk.slice(0, first + 1);
      this.#lines(head, head.length);
      const last = chunk.lastIndexOf("\n");
      if (last > first) this.#lines(chunk, last + 1, first + 1);
      this.#buffer = chunk.slice(last + 1);
      return;
    }
    this.#buffer = this.#buffer === "" ? chunk : this.#buffer + chunk;
    if (this.#mode === "undecided") {
      if (this.#buffer.charCodeAt(0) === 0xfeff) this.#buffer = this.#buffer.slice(1); // BOM
      const newline = this.#buffer.indexOf("\n");
      if (newline < 0) return;
      this.#mode = opensMultiLineJson(this.#buffer.slice(0, newline)) ? "whole" : "lines";
      if (this.#mode === "whole") return;
    }
    const last = this.#buffer.lastIndexOf("\n");
    if (last < 0) return;
    this.#lines(this.#buffer, last + 1);
    this.#buffer = this.#buffer.slice(last + 1);
  }

  /** @returns Records, counts and the shape, after the last piece. */
  end(): ExportResult {
    const text = this.#buffer;
    this.#buffer = "";
    if (this.#mode !== "lines" && this.#whole(text)) {
      return { ...this.parser.result(), shape: this.#wholeShape! };
    }
    this.#lines(text, text.length);
    if (this.#mode === "whole" && opensExport(text) && tryWholeJson(text) === undefined) {
      // A multi-line JSON export that does not parse (cut off): its events are lost, say so.
      this.parser.reject(1, text, "JSON document does not parse (cut off?)");
    }
    const shape = this.#jsonLines > this.#textLines ? "jsonl" : "text";
    return { ...this.parser.result(), shape };
  }

  /**
   * Reads the file line by line from here on, as when its first line decided it (the caller
   * checked that line with {@link readsLineByLine}). Only before the first piece.
   */
  linesMode(): void {
    if (this.#mode === "undecided" && this.#buffer === "") this.#mode = "lines";
  }

  /**
   * Takes `count` lines the native line reader read from `bytes` (`lib/ingest/_native.ts`), in
   * lines mode ({@link linesMode}, or `lines` in the options) and never mixed with {@link push}
   * (the native reader keeps its own partial line). Lines it settled go to the parser as read;
   * the others (kind {@link SCAN_OTHER}) are decoded and read as {@link push} reads a line, so
   * the result is the one the same bytes decoded and pushed give.
   *
   * @param bytes The bytes the lines were read from.
   * @param lines What was read.
   * @param count How many lines.
   */
  readScanned(bytes: Uint8Array, lines: ScannedLines, count: number): void {
    if (this.#mode !== "lines" || this.#buffer !== "") {
      throw new Error("readScanned needs lines mode and no partial line pushed");
    }
    const parser = this.parser;
    const kinds = lines.kinds;
    for (let k = 0; k < count; k++) {
      const kind = kinds[k]!;
      const lineNo = ++this.#lineNo;
      if (kind === SCAN_BLANK) continue;
      if (kind !== SCAN_OTHER && parser.scanned(bytes, lines, k)) {
        this.#textLines++;
        continue;
      }
      const o = k * SCAN_OFFS;
      const text = LINE_DECODER.decode(bytes.subarray(lines.offs[o]!, lines.offs[o + 1]!));
      this.#line(text, lineNo);
    }
  }

  /** One line that is not blank, as {@link #lines} reads it. */
  #line(text: string, lineNo: number): void {
    if (text.charCodeAt(0) === 123 /* { */) {
      if (!this.#documentLine(text, lineNo)) this.parser.line(text, lineNo);
      this.#jsonLines++;
    } else {
      this.#marks.reset(text);
      this.parser.span(text, 0, text.length, lineNo, this.#marks);
      this.#textLines++;
    }
  }

  /** Reads `text` as one JSON document; false when it is not one of the known shapes. */
  #whole(text: string): boolean {
    const whole = tryWholeJson(text);
    if (whole === undefined) return false;
    if (Array.isArray(whole)) {
      whole.forEach((item, i) => this.parser.event(item, i + 1));
      this.#wholeShape = "telemetry-array";
    } else if (isEventsPage(whole)) {
      readEvents(this.parser, whole.events);
      this.#wholeShape = "filter-log-events";
    } else if (isInsightsResults(whole)) {
      readInsightsRows(this.parser, whole.results);
      this.#wholeShape = "insights-results";
    } else {
      return false;
    }
    return true;
  }

  /** Reads the lines of `text[from, stopAt)` (a blank line counts as a line, too). */
  #lines(text: string, stopAt: number, from = 0): void {
    const parser = this.parser;
    const marks = this.#marks;
    marks.reset(text);
    let start = from;
    while (start < stopAt) {
      let end = text.indexOf("\n", start);
      if (end < 0 || end > stopAt) end = stopAt;
      const stop = end > start && text.charCodeAt(end - 1) === 13 ? end - 1 : end;
      const lineNo = ++this.#lineNo;
      if (stop > start) {
        if (text.charCodeAt(start) === 123 /* { */) {
          const line = text.slice(start, stop);
          if (!this.#documentLine(line, lineNo)) parser.line(line, lineNo);
          this.#jsonLines++;
        } else {
          parser.span(text, start, stop, lineNo, marks);
          this.#textLines++;
        }
      }
      start = end + 1;
    }
  }

  /** A line holding a whole `filter-log-events` page or Insights result (one per line). */
  #documentLine(line: string, lineNo: number): boolean {
    if (!/^\{\s*"(events|results)"/.test(line)) return false;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      this.parser.stats.lines++;
      this.parser.reject(lineNo, line, "JSON page does not parse (cut off?)");
      return true;
    }
    if (isEventsPage(v)) readEvents(this.parser, v.events);
    else if (isInsightsResults(v)) readInsightsRows(this.parser, v.results);
    else return false;
    return true;
  }
}

/**
 * Decodes the lines the native reader leaves as the file's stream decoder would: bad bytes as
 * U+FFFD, and a U+FEFF kept (a stream drops only the file's first).
 */
const LINE_DECODER = new TextDecoder("utf-8", { ignoreBOM: true });

/** True where `text` starts like a pretty-printed export (not like a JSONL line). */
function opensExport(text: string): boolean {
  const newline = text.indexOf("\n");
  const first = (newline < 0 ? text : text.slice(0, newline)).trim();
  return first === "{" || first === "[" || first === "[{" || /^\{\s*"(events|results)"/.test(first);
}

/** True where a first line opens a JSON value that spans lines (pretty-printed exports). */
function opensMultiLineJson(firstLine: string): boolean {
  const t = firstLine.trim();
  if (t === "{" || t === "[" || t === "[{") return true;
  if (!t.startsWith('{"') && !t.startsWith("[{") && !t.startsWith("[\n")) return false;
  try {
    JSON.parse(t);
    return false;
  } catch {
    return true;
  }
}

/**
 * Parses one export, detecting its shape. Never throws on content: unreadable lines are counted.
 *
 * @param text The whole file.
 * @param options See {@link LogParserOptions}.
 * @returns Records, counts and the shape. For `filter-log-events`, sample line numbers are
 *   1-based event numbers.
 * @example
 * ```ts
 * const { shape, records } = parseExport('{"events":[{"message":"END RequestId: a"}]}');
 * // shape === "filter-log-events"
 * ```
 */
export function parseExport(text: string, options: LogParserOptions = {}): ExportResult {
  const reader = new ExportReader(options);
  reader.push(text);
  return reader.end();
}

interface EventsPage {
  events: unknown[];
}

function isEventsPage(v: unknown): v is EventsPage {
  return typeof v === "object" && v !== null && Array.isArray((v as { events?: unknown }).events);
}

/** Parses the whole file as JSON only where it can be one value (not JSONL). */
function tryWholeJson(text: string): unknown {
  const t = text.trimStart();
  if (t[0] !== "{" && t[0] !== "[") return undefined;
  try {
    return JSON.parse(t);
  } catch {
    return undefined;
  }
}

function readEvents(parser: LogParser, events: unknown[]): void {
  events.forEach((event, i) => {
    const e = event as { message?: unknown; timestamp?: unknown };
    if (typeof e !== "object" || e === null || typeof e.message !== "string") {
      parser.stats.lines++;
      parser.reject(i + 1, JSON.stringify(event), 'filter-log-events: event has no "message"');
      return;
    }
    const time = typeof e.timestamp === "number" ? e.timestamp : null;
    parser.message(e.message, i + 1, time);
  });
}

interface InsightsResults {
  results: unknown[];
}

function isInsightsResults(v: unknown): v is InsightsResults {
  if (typeof v !== "object" || v === null) return false;
  const results = (v as { results?: unknown }).results;
  return Array.isArray(results) && (results.length === 0 || Array.isArray(results[0]));
}

/** Logs Insights rows: `[{field, value}, ...]` with `@message` and `@timestamp` (UTC). */
function readInsightsRows(parser: LogParser, rows: unknown[]): void {
  rows.forEach((row, i) => {
    let message: string | undefined;
    let time: number | null = null;
    if (Array.isArray(row)) {
      for (const f of row as Array<{ field?: unknown; value?: unknown }>) {
        if (f?.field === "@message" && typeof f.value === "string") message = f.value;
        if (f?.field === "@timestamp" && typeof f.value === "string") {
          time = insightsTimestamp(f.value);
        }
      }
    }
    if (message === undefined) {
      parser.stats.lines++;
      parser.reject(i + 1, JSON.stringify(row), 'insights-results: row has no "@message"');
      return;
    }
    parser.message(message, i + 1, time);
  });
}

/**
 * Reads a Logs Insights `@timestamp` (`2024-05-01 10:00:00.123`, UTC without a zone).
 *
 * @param value The field's value.
 * @returns Epoch ms, or null when unreadable or missing.
 */
export function insightsTimestamp(value: string | undefined): number | null {
  if (value === undefined) return null;
  const t = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(value) ? value : `${value.replace(" ", "T")}Z`);
  return Number.isNaN(t) ? null : t;
}
