/**
 * Lambda's text log lines (`START`, `END`, `REPORT`, `INIT_START`, `INIT_REPORT`, ...), with any
 * prefix before them (as `aws logs tail` prints), tab-separated as Lambda writes them or with
 * spaces for tabs (console copy-paste, some log shippers). Hot path: plain `indexOf`, no regex
 * per line; spaced lines take a slower path. REPORT values Lambda cannot report (see
 * `checkReport`) and damaged names of optional fields are rejected.
 *
 * @module
 */
import { readDecimal } from "./_number.ts";
import { prefixTime } from "./_time.ts";
import { damagedName, type DamageTarget, tabSeparate } from "./_fields.ts";
import { checkDuration, checkReport, LAMBDA_LIMITS, TEXT_LABELS } from "./limits.ts";
import type { LineNotes } from "./columns.ts";
import {
  type PlatformRecord,
  type PlatformStatus,
  type ReportRecord,
  toPlatformStatus,
} from "./records.ts";

/** An `XRAY TraceId:` line that completes the REPORT before it. */
export interface XrayLine {
  kind: "xray";
  traceId: string;
}

/**
 * What one text line is: a record, an XRAY continuation, a rejection reason (string), or null
 * for noise.
 */
export type TextLineResult = PlatformRecord | XrayLine | string | null;

const REQUEST_ID = "RequestId: ";

/** True where `text[at]` starts a word: the line start, or after a space, tab or `]`. */
function atWordStart(text: string, at: number, start = 0): boolean {
  if (at === start) return true;
  const c = text.charCodeAt(at - 1);
  return c === 32 || c === 9 || c === 93;
}

/**
 * Parses one text line.
 *
 * @param text The line (no trailing newline).
 * @param lineNo 1-based line number, kept on the record.
 * @param time Epoch ms of the log event when the container knows it; else read from the prefix.
 * @returns A record, an XRAY continuation, a rejection reason, or null for noise.
 * @example
 * ```ts
 * const r = parseTextLine("END RequestId: abc", 1, null);
 * // { kind: "end", requestId: "abc", ... }
 * ```
 */
export function parseTextLine(text: string, lineNo: number, time: number | null): TextLineResult {
  const r = text.indexOf(REQUEST_ID);
  if (r >= 4) {
    if (r >= 7 && text.startsWith("REPORT ", r - 7) && atWordStart(text, r - 7)) {
      return parseReport(text, r + REQUEST_ID.length, lineNo, time ?? prefixTime(text, r - 7));
    }
    if (r >= 6 && text.startsWith("START ", r - 6) && atWordStart(text, r - 6)) {
      return parseStart(text, r + REQUEST_ID.length, lineNo, time ?? prefixTime(text, r - 6));
    }
    if (text.startsWith("END ", r - 4) && atWordStart(text, r - 4)) {
      const id = readRequestId(text, r + REQUEST_ID.length);
      if (id === null) return "END: the request id is missing";
      return {
        kind: "end",
        requestId: id,
        time: time ?? prefixTime(text, r - 4),
        line: lineNo,
        source: "text",
      };
    }
  }
  let k = text.indexOf("INIT_");
  if (k >= 0 && atWordStart(text, k)) {
    if (text.startsWith("INIT_START", k)) return parseInitStart(text, k, lineNo, time);
    if (text.startsWith("INIT_REPORT", k)) return parseInitReport(text, k, lineNo, time);
  }
  k = text.indexOf("XRAY TraceId: ");
  if (k >= 0 && atWordStart(text, k)) {
    const traceId = readRequestId(text, k + 14); // ends at a tab or space, as an id does
    return traceId !== null ? { kind: "xray", traceId } : "XRAY: the trace id is missing";
  }
  k = text.indexOf("RESTORE_");
  if (k >= 0 && atWordStart(text, k)) return parseRestore(text, k, lineNo, time);
  for (const [word, kind] of NAMED_LINES) {
    k = text.indexOf(word);
    if (k >= 0 && atWordStart(text, k)) return parseNamed(text, k, kind, lineNo, time);
  }
  return null;
}

const NAMED_LINES: ReadonlyArray<readonly [string, "extension" | "telemetrySubscription"]> = [
  ["EXTENSION\tName: ", "extension"],
  ["TELEMETRY\tName: ", "telemetrySubscription"],
  ["LOGS\tName: ", "telemetrySubscription"],
];

/** The request id (or trace id) from `at` up to a tab, space or the end; null when empty. */
function readRequestId(text: string, at: number): string | null {
  let end = at;
  const n = text.length;
  while (end < n) {
    const c = text.charCodeAt(end);
    if (c === 9 || c === 32 || c === 13) break;
    end++;
  }
  return end > at ? text.slice(at, end) : null;
}

function parseStart(
  text: string,
  at: number,
  lineNo: number,
  time: number | null,
): PlatformRecord | string {
  const id = readRequestId(text, at);
  if (id === null) return "START: the request id is missing";
  const v = text.indexOf("Version: ", at + id.length);
  const version = v < 0 ? null : text.slice(v + 9).trim() || null;
  return { kind: "start", requestId: id, version, time, line: lineNo, source: "text" };
}

/** Reads `value ms` / `value MB` in `text[from, to)`; NaN when the unit or number is off. */
function readMeasure(text: string, from: number, to: number, unit: string): number {
  const n = unit.length;
  if (to - from < n + 1) return NaN;
  for (let k = 0; k < n; k++) if (text.charCodeAt(to - n + k) !== unit.charCodeAt(k)) return NaN;
  return readDecimal(text, from, to - n);
}

/**
 * The fields of the last REPORT line {@link readReportLine} read. One object, reused for every
 * line, so the columnar path allocates nothing per REPORT beyond the request id. Read it right
 * after a successful call: the next call overwrites it.
 */
export type ReportFields = Omit<ReportRecord, "kind" | "line" | "source">;

/** The shared {@link ReportFields} that {@link readReportLine} fills. */
export const reportFields: ReportFields = {
  requestId: "",
  time: null,
  durationMs: 0,
  billedDurationMs: 0,
  memorySizeMb: 0,
  maxMemoryUsedMb: 0,
  initDurationMs: null,
  restoreDurationMs: null,
  billedRestoreDurationMs: null,
  status: "success",
  errorType: null,
  traceId: null,
};

/**
 * Reads a text line only if it is a REPORT line, into {@link reportFields}.
 *
 * @param text The line (no trailing newline).
 * @param time Epoch ms of the log event when the container knows it; else read from the prefix.
 * @returns null when it read a REPORT (see {@link reportFields}), a rejection reason when the
 *   line is a malformed REPORT, undefined when it is not a REPORT line at all.
 */
export function readReportLine(text: string, time: number | null): string | null | undefined {
  const r = text.indexOf(REQUEST_ID);
  if (r >= 7 && text.startsWith("REPORT ", r - 7) && atWordStart(text, r - 7)) {
    return readReport(text, r + REQUEST_ID.length, time ?? prefixTime(text, r - 7));
  }
  return undefined;
}

/** The words {@link SpanMarks} finds, by index. */
const WORDS = [REQUEST_ID, "_", "{", "XRAY", "\tName: ", "\t"] as const;
const TAB = 5;

/**
 * The next place of each of a few words in one text, for reading its lines in place
 * ({@link readBulkSpan}): each search runs once over any stretch of the text, however many lines
 * it spans, so no line costs a scan of the lines after it.
 */
export class SpanMarks {
  #text = "";
  /** Per word: its next index (the text's length for none); -1 before the first search. */
  #next = new Int32Array(WORDS.length).fill(-1);

  /**
   * Starts over on another text.
   *
   * @param text The text whose lines are read next.
   */
  reset(text: string): void {
    this.#text = text;
    this.#next.fill(-1);
  }

  /**
   * @param word Index into the words.
   * @param from Where to look from: for each word, never before the last `from` (lines come in
   *   order, and fields in order within a line).
   * @returns The index of the word at or after `from`, or the text's length.
   */
  find(word: number, from: number): number {
    let at = this.#next[word]!;
    if (at < from) {
      at = this.#text.indexOf(WORDS[word]!, from);
      if (at < 0) at = this.#text.length;
      this.#next[word] = at;
    }
    return at;
  }
}

/**
 * {@link readBulkLine} for the line `text[start, end)`, read in place (no string per line).
 *
 * @param text A text holding whole lines (a decoded piece of a file).
 * @param start Where the line starts.
 * @param end Where it ends (before its newline and any carriage return).
 * @param time Epoch ms of the log event when the container knows it; else read from the prefix.
 * @param notes Where START and END lines go.
 * @param marks Searches over `text` (see {@link SpanMarks}); lines must come in order.
 * @returns As {@link readBulkLine} for the same line.
 */
export function readBulkSpan(
  text: string,
  start: number,
  end: number,
  time: number | null,
  notes: LineNotes,
  marks: SpanMarks,
): string | null | boolean | undefined {
  const r = marks.find(0, start);
  if (r >= end) {
    // Noise for certain when none of the other words is in the line either (isPlainText).
    return marks.find(1, start) >= end && marks.find(2, start) >= end &&
        marks.find(3, start) >= end && marks.find(4, start) >= end
      ? false
      : undefined;
  }
  const rel = r - start;
  if (rel < 4) return undefined;
  const at = r + REQUEST_ID.length;
  if (rel >= 7 && text.startsWith("REPORT ", r - 7) && atWordStart(text, r - 7, start)) {
    const t = time ?? prefixTime(text, r - 7, start, marks.find(TAB, start));
    return readReport(text, at, t, false, end, marks);
  }
  if (rel >= 6 && text.startsWith("START ", r - 6) && atWordStart(text, r - 6, start)) {
    const t = time ?? prefixTime(text, r - 6, start, marks.find(TAB, start));
    return notes.start(text, at, t, end) || undefined;
  }
  if (text.startsWith("END ", r - 4) && atWordStart(text, r - 4, start)) {
    return notes.end(text, at, end) || undefined;
  }
  return undefined;
}

/**
 * True where a line without `RequestId: ` holds none of the other words {@link parseTextLine}
 * and the JSON path look for (`INIT_`, `RESTORE_`, `XRAY`, `\tName: `, `{`): noise, with four
 * scans instead of nine.
 */
function isPlainText(text: string): boolean {
  return text.indexOf("_") < 0 && text.indexOf("{") < 0 && text.indexOf("XRAY") < 0 &&
    text.indexOf("\tName: ") < 0;
}

/**
 * The bulk path's reading of a text line ({@link LogParser} with `columnar`): a REPORT into
 * {@link reportFields}, a START or END straight into {@link LineNotes}, no record object.
 *
 * @param text The line (no trailing newline).
 * @param time Epoch ms of the log event when the container knows it; else read from the prefix.
 * @param notes Where START and END lines go.
 * @returns null when it read a REPORT (see {@link reportFields}), a rejection reason when the
 *   line is a malformed REPORT, true when it took a START or END, false when the line is noise
 *   for certain (it holds none of the words a platform line or JSON event needs), undefined
 *   otherwise (read it with {@link parseTextLine}: it also rejects a START or END without a
 *   request id).
 */
export function readBulkLine(
  text: string,
  time: number | null,
  notes: LineNotes,
): string | null | boolean | undefined {
  const r = text.indexOf(REQUEST_ID);
  if (r < 4) return r < 0 && isPlainText(text) ? false : undefined;
  if (r >= 7 && text.startsWith("REPORT ", r - 7) && atWordStart(text, r - 7)) {
    return readReport(text, r + REQUEST_ID.length, time ?? prefixTime(text, r - 7));
  }
  if (r >= 6 && text.startsWith("START ", r - 6) && atWordStart(text, r - 6)) {
    const id = r + REQUEST_ID.length;
    // A START without an id is left to parseTextLine, which rejects it.
    return notes.start(text, id, time ?? prefixTime(text, r - 6)) || undefined;
  }
  if (text.startsWith("END ", r - 4) && atWordStart(text, r - 4)) {
    return notes.end(text, r + REQUEST_ID.length) || undefined;
  }
  return undefined;
}

function parseReport(
  text: string,
  at: number,
  lineNo: number,
  time: number | null,
): ReportRecord | string {
  const err = readReport(text, at, time);
  if (err !== null) return err;
  const f = reportFields;
  return {
    kind: "report",
    requestId: f.requestId,
    time: f.time,
    line: lineNo,
    source: "text",
    durationMs: f.durationMs,
    billedDurationMs: f.billedDurationMs,
    memorySizeMb: f.memorySizeMb,
    maxMemoryUsedMb: f.maxMemoryUsedMb,
    initDurationMs: f.initDurationMs,
    restoreDurationMs: f.restoreDurationMs,
    billedRestoreDurationMs: f.billedRestoreDurationMs,
    status: f.status,
    errorType: f.errorType,
    traceId: f.traceId,
  };
}

/**
 * Reads the REPORT fields after `RequestId: ` into {@link reportFields} and checks them against
 * what Lambda can report ({@link checkReport}); a string on failure. Fields separated by spaces
 * instead of tabs are read once they are rewritten with tabs.
 */
function readReport(
  text: string,
  at: number,
  time: number | null,
  respaced = false,
  n = text.length,
  marks: SpanMarks | null = null,
): string | null {
  let pos = marks === null ? text.indexOf("\t", at) : marks.find(TAB, at);
  if (pos < 0 || pos > n) pos = n;
  const requestId = text.slice(at, pos).trim();
  if (requestId === "") return "REPORT: the request id is missing";
  if (requestId.includes(" ")) {
    if (respaced) return `REPORT: the request id has a bad value "${requestId}"`;
    return readReport(tabSeparate(text.slice(at, n), 0, 1), 0, time, true);
  }
  let duration = NaN;
  let billed = NaN;
  let memory = NaN;
  let maxUsed = NaN;
  let init: number | null = null;
  let restore: number | null = null;
  let billedRestore: number | null = null;
  let status: PlatformStatus = "success";
  let errorType: string | null = null;
  let traceId: string | null = null;
  while (pos < n) {
    let s = pos + 1; // past the tab
    pos = marks === null ? text.indexOf("\t", s) : marks.find(TAB, s);
    if (pos < 0 || pos > n) pos = n;
    let e = pos;
    while (s < e && text.charCodeAt(s) === 32) s++;
    while (e > s && (text.charCodeAt(e - 1) === 32 || text.charCodeAt(e - 1) === 13)) e--;
    if (s === e) continue;
    let value: number;
    // Known keys are matched in place (`Key: ` at `s`); anything else must still be `k: v`.
    switch (text.charCodeAt(s)) {
      case 68: // D
        if (isKey(text, s, e, "Duration")) {
          if (!Number.isNaN(duration)) return twice("Duration");
          const v = s + 10;
          duration = readMeasure(text, v, e, " ms");
          if (Number.isNaN(duration)) return badValue("Duration", text, v, e);
          continue;
        }
        break;
      case 66: // B
        if (isKey(text, s, e, "Billed Duration")) {
          if (!Number.isNaN(billed)) return twice("Billed Duration");
          const v = s + 17;
          billed = readMeasure(text, v, e, " ms");
          if (Number.isNaN(billed)) return badValue("Billed Duration", text, v, e);
          continue;
        } else if (isKey(text, s, e, "Billed Restore Duration")) {
          if (billedRestore !== null) return twice("Billed Restore Duration");
          const v = s + 25;
          billedRestore = value = readMeasure(text, v, e, " ms");
          if (Number.isNaN(value)) return badValue("Billed Restore Duration", text, v, e);
          continue;
        }
        break;
      case 77: // M
        if (isKey(text, s, e, "Memory Size")) {
          if (!Number.isNaN(memory)) return twice("Memory Size");
          const v = s + 13;
          memory = readMeasure(text, v, e, " MB");
          if (Number.isNaN(memory)) return badValue("Memory Size", text, v, e);
          continue;
        } else if (isKey(text, s, e, "Max Memory Used")) {
          if (!Number.isNaN(maxUsed)) return twice("Max Memory Used");
          const v = s + 17;
          maxUsed = readMeasure(text, v, e, " MB");
          if (Number.isNaN(maxUsed)) return badValue("Max Memory Used", text, v, e);
          continue;
        }
        break;
      case 73: // I
        if (isKey(text, s, e, "Init Duration")) {
          if (init !== null) return twice("Init Duration");
          const v = s + 15;
          init = value = readMeasure(text, v, e, " ms");
          if (Number.isNaN(value)) return badValue("Init Duration", text, v, e);
          continue;
        }
        break;
      case 82: // R
        if (isKey(text, s, e, "Restore Duration")) {
          if (restore !== null) return twice("Restore Duration");
          const v = s + 18;
          restore = value = readMeasure(text, v, e, " ms");
          if (Number.isNaN(value)) return badValue("Restore Duration", text, v, e);
          continue;
        }
        break;
      case 83: // S
        if (isKey(text, s, e, "Status")) {
          if (status !== "success") return twice("Status");
          const raw = text.slice(s + 8, e);
          status = toPlatformStatus(raw);
          // Unknown words are refused, so a cut-off `Status: time` cannot pass as a failure.
          if (status !== raw.toLowerCase()) return `REPORT: "Status" has a bad value "${raw}"`;
          continue;
        }
        break;
      case 69: // E
        if (isKey(text, s, e, "Error Type")) {
          if (errorType !== null) return twice("Error Type");
          errorType = text.slice(s + 12, e);
          continue;
        }
        break;
      case 88: // X
        if (isKey(text, s, e, "XRAY TraceId")) {
          traceId = text.slice(s + 14, e);
          continue;
        }
        break;
      default:
        break;
    }
    // An unknown field (or a known name not followed by `: `): skipped when it is `k: v`,
    // unless its name is a damaged copy of an optional field's (SegmentId and Sampled of
    // X-Ray are the unknown fields of real lines).
    const colon = text.indexOf(": ", s);
    if (colon < 0 || colon >= e) return `REPORT: cannot read field "${text.slice(s, e)}"`;
    if (!text.startsWith("SegmentId", s) && !text.startsWith("Sampled", s)) {
      const damaged = damagedName(text.slice(s, colon), TEXT_DAMAGE);
      if (damaged !== null) return `${damaged} has a damaged field "${text.slice(s, e)}"`;
    }
  }
  if (Number.isNaN(duration)) return missing("Duration");
  if (Number.isNaN(billed)) return missing("Billed Duration");
  if (Number.isNaN(memory)) return missing("Memory Size");
  if (Number.isNaN(maxUsed)) return missing("Max Memory Used");
  const f = reportFields;
  // The shared fields are read only after a success, so they can hold values being checked.
  f.durationMs = duration;
  f.billedDurationMs = billed;
  f.memorySizeMb = memory;
  f.maxMemoryUsedMb = maxUsed;
  f.initDurationMs = init;
  f.restoreDurationMs = restore;
  f.billedRestoreDurationMs = billedRestore;
  const impossible = checkReport(f, TEXT_LABELS);
  if (impossible !== null) return impossible;
  f.requestId = requestId;
  f.time = time;
  f.status = status;
  f.errorType = errorType;
  f.traceId = traceId;
  return null;
}

/** The optional REPORT fields whose damaged names are refused rather than skipped. */
const TEXT_DAMAGE: readonly DamageTarget[] = [
  { folded: "initduration", label: 'REPORT: "Init Duration"', maxEdits: 2, prefix: "init" },
  { folded: "restoreduration", label: 'REPORT: "Restore Duration"', maxEdits: 2 },
  { folded: "billedrestoreduration", label: 'REPORT: "Billed Restore Duration"', maxEdits: 2 },
  { folded: "status", label: 'REPORT: "Status"', maxEdits: 1 },
  { folded: "errortype", label: 'REPORT: "Error Type"', maxEdits: 1 },
];

/** True where `text[s..]` is `key: ` inside the field that ends at `e`. */
function isKey(text: string, s: number, e: number, key: string): boolean {
  const n = key.length;
  const c = s + n;
  if (!(c < e && text.charCodeAt(c) === 58 && text.charCodeAt(c + 1) === 32)) return false;
  // A loop over the few characters beats startsWith on a slice of a log chunk.
  for (let k = 0; k < n; k++) if (text.charCodeAt(s + k) !== key.charCodeAt(k)) return false;
  return true;
}

/** A field stated twice: a damaged line (two lines run together, a mangled name) to refuse. */
function twice(field: string): string {
  return `REPORT: "${field}" appears twice`;
}

function missing(field: string): string {
  return `REPORT: "${field}" is missing`;
}

function badValue(field: string, text: string, from: number, to: number): string {
  return `REPORT: "${field}" has a bad value "${text.slice(from, to)}"`;
}

/**
 * Splits `Key: value\tKey: value` from `at` (spaces for tabs too: see {@link tabSeparate}); a
 * string names the first unreadable field.
 */
function readFields(text: string, at: number): Map<string, string> | string {
  const fields = new Map<string, string>();
  let rest = text.slice(at);
  const colon = rest.indexOf(": ");
  if (rest.indexOf("\t") < 0 && colon >= 0 && rest.indexOf(": ", colon + 2) >= 0) {
    rest = tabSeparate(rest, 0, 0);
  }
  for (const raw of rest.split("\t")) {
    const part = raw.trim();
    if (part === "") continue;
    const colon = part.indexOf(": ");
    if (colon < 0) {
      // `INIT_START Runtime Version: ...`: the first field follows the line's keyword.
      return `cannot read field "${part}"`;
    }
    fields.set(part.slice(0, colon), part.slice(colon + 2).trim());
  }
  return fields;
}

function parseInitStart(
  text: string,
  at: number,
  lineNo: number,
  time: number | null,
): PlatformRecord | string {
  const fields = readFields(text, at + "INIT_START ".length);
  if (typeof fields === "string") return `INIT_START: ${fields}`;
  const version = fields.get("Runtime Version");
  if (!version) return `INIT_START: "Runtime Version" is missing`;
  return {
    kind: "initStart",
    runtimeVersion: version,
    runtimeVersionArn: fields.get("Runtime Version ARN") ?? null,
    phase: null,
    initializationType: null,
    time: time ?? prefixTime(text, at),
    line: lineNo,
    source: "text",
  };
}

function parseInitReport(
  text: string,
  at: number,
  lineNo: number,
  time: number | null,
): PlatformRecord | string {
  const fields = readFields(text, at + "INIT_REPORT ".length);
  if (typeof fields === "string") return `INIT_REPORT: ${fields}`;
  const raw = fields.get("Init Duration");
  if (raw === undefined) return `INIT_REPORT: "Init Duration" is missing`;
  const ms = readMeasure(raw, 0, raw.length, " ms");
  if (Number.isNaN(ms)) return `INIT_REPORT: "Init Duration" has a bad value "${raw}"`;
  const impossible = checkDuration('INIT_REPORT: "Init Duration"', ms, LAMBDA_LIMITS.maxInitMs);
  if (impossible !== null) return impossible;
  const rawStatus = fields.get("Status");
  const status = rawStatus === undefined ? "success" : toPlatformStatus(rawStatus);
  if (rawStatus !== undefined && status !== rawStatus.toLowerCase()) {
    return `INIT_REPORT: "Status" has a bad value "${rawStatus}"`;
  }
  return {
    kind: "initReport",
    initDurationMs: ms,
    phase: fields.get("Phase") ?? null,
    status,
    errorType: fields.get("Error Type") ?? null,
    time: time ?? prefixTime(text, at),
    line: lineNo,
    source: "text",
  };
}

function parseRestore(
  text: string,
  at: number,
  lineNo: number,
  time: number | null,
): PlatformRecord | string | null {
  const isStart = text.startsWith("RESTORE_START", at);
  if (!isStart && !text.startsWith("RESTORE_REPORT", at)) return null;
  const fields = readFields(text, at + (isStart ? 14 : 15));
  if (typeof fields === "string") return `RESTORE: ${fields}`;
  let durationMs: number | null = null;
  const raw = fields.get("Restore Duration");
  if (raw !== undefined) {
    durationMs = readMeasure(raw, 0, raw.length, " ms");
    if (Number.isNaN(durationMs)) return `RESTORE_REPORT: "Restore Duration" has a bad value`;
    const impossible = checkDuration(
      'RESTORE_REPORT: "Restore Duration"',
      durationMs,
      LAMBDA_LIMITS.maxRestoreMs,
    );
    if (impossible !== null) return impossible;
  }
  return {
    kind: "restore",
    phase: isStart ? "restoreStart" : "restoreReport",
    durationMs,
    time: time ?? prefixTime(text, at),
    line: lineNo,
    source: "text",
  };
}

function parseNamed(
  text: string,
  at: number,
  kind: "extension" | "telemetrySubscription",
  lineNo: number,
  time: number | null,
): PlatformRecord | string {
  const fields = readFields(text, text.indexOf("\t", at) + 1);
  if (typeof fields === "string") return `${kind}: ${fields}`;
  const name = fields.get("Name");
  if (!name) return `${kind}: "Name" is missing`;
  const base = {
    name,
    state: fields.get("State") ?? null,
    time: time ?? prefixTime(text, at),
    line: lineNo,
    source: "text" as const,
  };
  return kind === "extension"
    ? { kind, ...base, errorType: fields.get("Error Type") ?? null }
    : { kind, ...base };
}
