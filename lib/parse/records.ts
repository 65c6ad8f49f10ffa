/**
 * The platform records the parser produces, one shape for text and JSON log formats alike.
 * Times are epoch milliseconds of the log event (null where the input did not say).
 *
 * @module
 */
import type { InvocationStatus } from "../schema.ts";
import type { ReportTable } from "./columns.ts";

/** Status as Lambda states it (`REPORT ... Status:`, `record.status`). */
export type PlatformStatus = InvocationStatus;

/** Which log format a record came from. */
export type RecordSource = "text" | "json";

/** Fields every record carries. */
interface RecordBase {
  /** Epoch ms of the log event, or null where the input did not say. */
  time: number | null;
  /** 1-based line (or event) number in the input, for messages. */
  line: number;
  source: RecordSource;
}

/** `START RequestId: <id> Version: <v>` or `platform.start`. */
export interface StartRecord extends RecordBase {
  kind: "start";
  requestId: string;
  version: string | null;
}

/** `END RequestId: <id>` (text only). */
export interface EndRecord extends RecordBase {
  kind: "end";
  requestId: string;
}

/** `REPORT RequestId: ...` or `platform.report`. */
export interface ReportRecord extends RecordBase {
  kind: "report";
  requestId: string;
  durationMs: number;
  billedDurationMs: number;
  memorySizeMb: number;
  maxMemoryUsedMb: number;
  /** Present on invocations that ran Init (cold starts). */
  initDurationMs: number | null;
  /** SnapStart only. */
  restoreDurationMs: number | null;
  billedRestoreDurationMs: number | null;
  /** Text lines without `Status:` are successes. */
  status: PlatformStatus;
  errorType: string | null;
  /** `XRAY TraceId:` on the same line or the next one, or `record.tracing.value`. */
  traceId: string | null;
}

/** `platform.runtimeDone`: the runtime finished (the response is out); extensions may still run. */
export interface RuntimeDoneRecord extends RecordBase {
  kind: "runtimeDone";
  requestId: string;
  status: PlatformStatus;
  errorType: string | null;
  durationMs: number | null;
  producedBytes: number | null;
}

/** `INIT_START Runtime Version: ...` or `platform.initStart`. */
export interface InitStartRecord extends RecordBase {
  kind: "initStart";
  runtimeVersion: string | null;
  runtimeVersionArn: string | null;
  phase: string | null;
  initializationType: string | null;
}

/** `platform.initRuntimeDone`. */
export interface InitRuntimeDoneRecord extends RecordBase {
  kind: "initRuntimeDone";
  phase: string | null;
  status: PlatformStatus;
  errorType: string | null;
}

/** `INIT_REPORT Init Duration: ...` (failed Init, text) or `platform.initReport`. */
export interface InitReportRecord extends RecordBase {
  kind: "initReport";
  initDurationMs: number;
  phase: string | null;
  status: PlatformStatus;
  errorType: string | null;
}

/** `EXTENSION Name: ...` or `platform.extension`. */
export interface ExtensionRecord extends RecordBase {
  kind: "extension";
  name: string;
  state: string | null;
  errorType: string | null;
}

/** `TELEMETRY Name: ...` / `LOGS Name: ...` or `platform.telemetrySubscription`. */
export interface TelemetrySubscriptionRecord extends RecordBase {
  kind: "telemetrySubscription";
  name: string;
  state: string | null;
}

/** `platform.logsDropped`: the platform dropped records; the run should say so. */
export interface LogsDroppedRecord extends RecordBase {
  kind: "logsDropped";
  reason: string | null;
  droppedRecords: number | null;
  droppedBytes: number | null;
}

/** SnapStart restore lines and events (`RESTORE_START`, `platform.restoreReport`, ...). */
export interface RestoreRecord extends RecordBase {
  kind: "restore";
  /** `restoreStart`, `restoreRuntimeDone` or `restoreReport`. */
  phase: string;
  durationMs: number | null;
}

/** Any platform record. */
export type PlatformRecord =
  | StartRecord
  | EndRecord
  | ReportRecord
  | RuntimeDoneRecord
  | InitStartRecord
  | InitRuntimeDoneRecord
  | InitReportRecord
  | ExtensionRecord
  | TelemetrySubscriptionRecord
  | LogsDroppedRecord
  | RestoreRecord;

/** A line the parser refused: it looked like a platform line but could not be read. */
export interface RejectedLine {
  /** 1-based line number (event number for `filter-log-events` exports). */
  line: number;
  /** The line, cut to 300 characters. */
  text: string;
  /** Why, e.g. `REPORT: "Duration" is missing`. */
  reason: string;
}

/** Counts over everything the parser saw. */
export interface ParseStats {
  /** Lines read (a multi-line message counts each line). */
  lines: number;
  /** Lines that produced or completed a platform record (XRAY continuations included). */
  platform: number;
  /** Application output and other lines that are not platform lines. */
  noise: number;
  /** Malformed or truncated platform lines, and records with values Lambda cannot report. */
  rejected: number;
  /**
   * {@link ParseStats.rejected} by reason, the offending value left out (see
   * {@link rejectionKind}), e.g. `{ 'REPORT: "Duration" has a too-large value': 2 }`.
   */
  rejectedByReason: Record<string, number>;
  /** The first rejected lines, for the summary. */
  rejectedSamples: RejectedLine[];
  /** JSON events with a `platform.*` type the parser does not know, by type. */
  unknownTypes: Record<string, number>;
}

/**
 * A rejection reason without the offending value: the key of
 * {@link ParseStats.rejectedByReason}. Reasons quote that value last, after the word `value`
 * or `field` (`REPORT: "Duration" has a bad value "12."`), and anything from that quote on is
 * left out.
 *
 * @param reason A rejection reason.
 * @returns The reason without its value.
 * @example
 * ```ts
 * rejectionKind('REPORT: "Duration" has a bad value "12."'); // 'REPORT: "Duration" has a bad value'
 * ```
 */
export function rejectionKind(reason: string): string {
  const m = VALUE_QUOTE.exec(reason);
  return m === null ? reason : reason.slice(0, m.index + m[0].length - 2);
}

const VALUE_QUOTE = / (?:value|field) "/;

/** What a parse returns. */
export interface ParseResult {
  records: PlatformRecord[];
  stats: ParseStats;
  /** REPORTs, column by column, when the parser was columnar (then none are in `records`). */
  reports?: ReportTable;
}

/** Maps a status as Lambda spells it to the schema's statuses (unknown values are failures). */
export function toPlatformStatus(value: unknown): PlatformStatus {
  switch (typeof value === "string" ? value.toLowerCase() : value) {
    case "success":
      return "success";
    case "error":
      return "error";
    case "timeout":
      return "timeout";
    default:
      return "failure";
  }
}
