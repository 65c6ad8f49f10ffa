/**
 * Whole log exports in the three shapes `deno task ingest` accepts, detected per file: plain
 * text (one event per line, any prefix), the JSON of `aws logs filter-log-events`, and
 * JSON-format Lambda logs (JSONL). A Telemetry API batch (a JSON array of events) and the JSON of
 * `aws logs get-query-results` (Logs Insights rows with `@message`) also work.
 *
 * @module
 */
import { LogParser, type LogParserOptions } from "./parser.ts";
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
export function parseExport(
  text: string,
  options: LogParserOptions = {},
): ExportResult {
  const parser = new LogParser(options);
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // a byte-order mark
  const whole = tryWholeJson(text);
  if (whole !== undefined) {
    if (Array.isArray(whole)) {
      whole.forEach((item, i) => parser.event(item, i + 1));
      return { ...parser.result(), shape: "telemetry-array" };
    }
    if (isEventsPage(whole)) {
      readEvents(parser, whole.events);
      return { ...parser.result(), shape: "filter-log-events" };
    }
    if (isInsightsResults(whole)) {
      readInsightsRows(parser, whole.results);
      return { ...parser.result(), shape: "insights-results" };
    }
  }
  let jsonLines = 0;
  let textLines = 0;
  let lineNo = 0;
  let start = 0;
  const n = text.length;
  while (start < n) {
    let end = text.indexOf("\n", start);
    if (end < 0) end = n;
    const stop = end > start && text.charCodeAt(end - 1) === 13 ? end - 1 : end;
    lineNo++;
    if (stop > start) {
      const line = text.slice(start, stop);
      if (line.charCodeAt(0) === 123 /* { */) {
        const page = tryEventsPage(line);
        if (page !== null) readEvents(parser, page.events);
        else parser.line(line, lineNo);
        jsonLines++;
      } else {
        parser.line(line, lineNo);
        textLines++;
      }
    }
    start = end + 1;
  }
  return { ...parser.result(), shape: jsonLines > textLines ? "jsonl" : "text" };
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

/** One line holding a whole `filter-log-events` page (pages saved one per line). */
function tryEventsPage(line: string): EventsPage | null {
  if (!line.startsWith('{"events"') && !line.startsWith('{ "events"')) return null;
  try {
    const v: unknown = JSON.parse(line);
    return isEventsPage(v) ? v : null;
  } catch {
    return null;
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
