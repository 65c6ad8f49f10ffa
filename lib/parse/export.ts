/**
 * Whole log exports in the three shapes `deno task ingest` accepts, detected per file: plain
 * text (one event per line, any prefix), the JSON of `aws logs filter-log-events`, and
 * JSON-format Lambda logs (JSONL). A Telemetry API batch (a JSON array of events) also works.
 *
 * @module
 */
import { LogParser, type LogParserOptions } from "./parser.ts";
import type { ParseResult } from "./records.ts";

/** The shape a file was read as. */
export type ExportShape = "text" | "jsonl" | "filter-log-events" | "telemetry-array";

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
