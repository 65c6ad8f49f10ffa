/**
 * The text lines and `platform.*` telemetry records Lambda writes, built from plain numbers so
 * the sandbox, its tests and the log parser agree on one format.
 *
 * @module
 */
import type { InvocationStatus } from "../schema.ts";

/** How an invocation or Init ended, as Lambda's telemetry spells it. */
export type Status = InvocationStatus;

/** One telemetry event as the Telemetry API delivers it. */
export interface TelemetryEvent {
  /** ISO 8601 time with milliseconds. */
  time: string;
  /** `platform.*`, `function` or `extension`. */
  type: string;
  /** The record: an object for `platform.*`, the log line for `function`/`extension`. */
  record: unknown;
}

/** What the REPORT line and `platform.report` say about one invocation. */
export interface ReportFacts {
  requestId: string;
  durationMs: number;
  billedMs: number;
  memoryMb: number;
  maxMemoryMb: number;
  /** Init Duration on the first invocation after Init; null on warm ones. */
  initMs: number | null;
  status: Status;
  /** Set on failures; null on success. */
  errorType: string | null;
}

const ms2 = (ms: number): string => ms.toFixed(2);

/**
 * Billed duration: the duration rounded up to the next whole millisecond, at least 1 ms.
 *
 * @param durationMs the measured duration in milliseconds
 * @returns the billed milliseconds
 * @example billedMs(12.34) // 13
 */
export function billedMs(durationMs: number): number {
  return Math.max(1, Math.ceil(durationMs));
}

/**
 * `START RequestId: <id> Version: $LATEST`.
 *
 * @param requestId the invocation's request id
 * @returns the log line
 */
export function startLine(requestId: string): string {
  return `START RequestId: ${requestId} Version: $LATEST`;
}

/**
 * `END RequestId: <id>`.
 *
 * @param requestId the invocation's request id
 * @returns the log line
 */
export function endLine(requestId: string): string {
  return `END RequestId: ${requestId}`;
}

/**
 * The tab-separated REPORT line with a trailing tab, as Lambda's text log format writes it.
 * `Status`/`Error Type` appear only when the environment failed (timeout, crash, out of
 * memory), not for errors the handler reported itself.
 *
 * @param facts the invocation's figures
 * @param showStatus whether to append `Status` and `Error Type`
 * @returns the log line
 * @example reportLine({requestId: "r", durationMs: 1, billedMs: 1, memoryMb: 128,
 *   maxMemoryMb: 40, initMs: null, status: "success", errorType: null}, false)
 */
export function reportLine(facts: ReportFacts, showStatus: boolean): string {
  let line = `REPORT RequestId: ${facts.requestId}\tDuration: ${ms2(facts.durationMs)} ms\t` +
    `Billed Duration: ${facts.billedMs} ms\tMemory Size: ${facts.memoryMb} MB\t` +
    `Max Memory Used: ${facts.maxMemoryMb} MB\t`;
  if (facts.initMs !== null) line += `Init Duration: ${ms2(facts.initMs)} ms\t`;
  if (showStatus && facts.status !== "success") {
    line += `Status: ${facts.status}\t`;
    if (facts.errorType !== null) line += `Error Type: ${facts.errorType}\t`;
  }
  return line;
}

/**
 * `INIT_START Runtime Version: ...\tRuntime Version ARN: ...`.
 *
 * @param runtimeVersion e.g. `nodejs:20.sandbox`
 * @param runtimeVersionArn the matching ARN
 * @returns the log line
 */
export function initStartLine(runtimeVersion: string, runtimeVersionArn: string): string {
  return `INIT_START Runtime Version: ${runtimeVersion}\tRuntime Version ARN: ${runtimeVersionArn}`;
}

/**
 * `INIT_REPORT Init Duration: X ms\tPhase: init|invoke\tStatus: ...[\tError Type: ...]`,
 * written when Init fails.
 *
 * @param opts the failed Init's duration, phase, status and error type
 * @returns the log line
 */
export function initReportLine(
  opts: { durationMs: number; phase: "init" | "invoke"; status: Status; errorType: string | null },
): string {
  let line = `INIT_REPORT Init Duration: ${ms2(opts.durationMs)} ms\tPhase: ${opts.phase}\t` +
    `Status: ${opts.status}`;
  if (opts.errorType !== null) line += `\tError Type: ${opts.errorType}`;
  return line;
}

/**
 * `platform.report` with Lambda's field names (`memorySizeMB`, `maxMemoryUsedMB`, integers).
 *
 * @param facts the invocation's figures
 * @param tracing the trace context of the invocation, if any
 * @returns the record
 */
export function reportRecord(facts: ReportFacts, tracing?: TraceContext): Record<string, unknown> {
  const metrics: Record<string, number> = {
    durationMs: round3(facts.durationMs),
    billedDurationMs: facts.billedMs,
    memorySizeMB: facts.memoryMb,
    maxMemoryUsedMB: facts.maxMemoryMb,
  };
  if (facts.initMs !== null) metrics.initDurationMs = round3(facts.initMs);
  return {
    requestId: facts.requestId,
    status: facts.status,
    ...(facts.errorType === null ? {} : { errorType: facts.errorType }),
    metrics,
    ...(tracing ? { tracing } : {}),
  };
}

/** X-Ray trace context as telemetry records carry it. */
export interface TraceContext {
  type: "X-Amzn-Trace-Id";
  value: string;
  spanId?: string;
}

/**
 * Rounds to microseconds, as Lambda's telemetry reports durations.
 *
 * @param ms milliseconds
 * @returns the value with at most three decimals
 */
export function round3(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/**
 * Random bytes as lower-case hex.
 *
 * @param bytes how many bytes (twice as many digits)
 * @returns the digits
 */
export function randomHex(bytes: number): string {
  let hex = "";
  for (const b of crypto.getRandomValues(new Uint8Array(bytes))) hex += HEX[b]!;
  return hex;
}

/**
 * A new X-Ray trace header value: `Root=1-<8 hex time>-<24 hex>;Parent=<16 hex>;Sampled=0`.
 *
 * @param now the current time in epoch milliseconds
 * @param hex 40 random hex digits (default new ones), e.g. drawn ahead of time
 * @returns the trace id
 */
export function newTraceId(now: number, hex: string = randomHex(20)): string {
  const epoch = Math.floor(now / 1000).toString(16).padStart(8, "0");
  return `Root=1-${epoch}-${hex.slice(0, 24)};Parent=${hex.slice(24, 40)};Sampled=0`;
}

const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, "0"));

/** An extension at the end of Init, as its `EXTENSION` line and `platform.extension` say. */
export interface ExtensionFacts {
  name: string;
  /** `Ready` (in /next), `Registered` (never called /next), `InitError` (reported one). */
  state: string;
  /** The events it registered for, in its order (e.g. `INVOKE`, `SHUTDOWN`). */
  events: readonly string[];
  /** The error it reported; null for none. */
  errorType: string | null;
}

/**
 * `EXTENSION\tName: <name>\tState: <state>\tEvents: [INVOKE, SHUTDOWN]` (and `\tError Type: ...`
 * when it reported one), as Lambda writes it for each extension at the end of Init.
 *
 * @param facts the extension's name, state, events and error
 * @returns the log line
 * @example extensionLine({ name: "x", state: "Ready", events: ["INVOKE"], errorType: null })
 *   // "EXTENSION\tName: x\tState: Ready\tEvents: [INVOKE]"
 */
export function extensionLine(facts: ExtensionFacts): string {
  let line = `EXTENSION\tName: ${facts.name}\tState: ${facts.state}\tEvents: [${
    facts.events.join(", ")
  }]`;
  if (facts.errorType !== null) line += `\tError Type: ${facts.errorType}`;
  return line;
}

/**
 * `TELEMETRY\tName: <name>\tState: Subscribed\tTypes: [Platform, Function]` for a Telemetry API
 * subscription, `LOGS\t...` for a Logs API one, as Lambda writes them when an extension
 * subscribes; the types capitalised, in the subscriber's order.
 *
 * @param api which API the extension subscribed through
 * @param name the extension's name
 * @param types the categories it asked for (`platform`, `function`, `extension`)
 * @returns the log line
 */
export function subscriptionLine(
  api: "telemetry" | "logs",
  name: string,
  types: readonly string[],
): string {
  const label = api === "logs" ? "LOGS" : "TELEMETRY";
  const shown = types.map((t) => t.charAt(0).toUpperCase() + t.slice(1)).join(", ");
  return `${label}\tName: ${name}\tState: Subscribed\tTypes: [${shown}]`;
}

/** What one failed Telemetry/Logs API delivery dropped. */
export interface LogsDroppedFacts {
  /** The subscriber. */
  name: string;
  droppedRecords: number;
  droppedBytes: number;
  reason: string;
}

/**
 * `LOGS_DROPPED\tName: <ext>\tDropped Records: N\tDropped Bytes: B\tReason: ...`: the sandbox's
 * own line for a delivery to a subscriber that failed (Lambda reports it only as the
 * `platform.logsDropped` record; the line makes it visible in the text log).
 *
 * @param facts the subscriber and what was dropped
 * @returns the log line
 */
export function logsDroppedLine(facts: LogsDroppedFacts): string {
  return `LOGS_DROPPED\tName: ${facts.name}\tDropped Records: ${facts.droppedRecords}\t` +
    `Dropped Bytes: ${facts.droppedBytes}\tReason: ${facts.reason}`;
}

/** How an extension's process ended at shutdown. */
export interface ShutdownExitFacts {
  name: string;
  /**
   * `exited`: it exited by itself before the deadline; `killed`: it still ran at the deadline
   * (e.g. back in /next after SHUTDOWN); `not-subscribed`: it had not registered for SHUTDOWN,
   * so it was killed without one.
   */
  how: "exited" | "killed" | "not-subscribed";
  /** Exit code (exited without a signal); null otherwise. */
  code: number | null;
  /** The signal that ended it (exited), or `SIGKILL` (killed); null for a plain exit. */
  signal: string | null;
  /** From SHUTDOWN to its exit, or to the kill. */
  ms: number;
}

/**
 * `SHUTDOWN\tName: <ext>\tState: Exited|ShutdownFailed\t...\tDuration: X ms`: the sandbox's own
 * line for each extension at shutdown (Lambda's log has none). `Exited` is a clean exit (code
 * 0); `ShutdownFailed` anything else (the states of the Extensions API's agents): an exit code
 * or signal, or `Signal: SIGKILL` with `Reason: deadline` for one killed when the deadline came
 * (`Reason: not registered for SHUTDOWN` for one that never gets the event).
 *
 * @param facts how the extension ended
 * @returns the log line
 * @example shutdownLine({ name: "x", how: "exited", code: 0, signal: null, ms: 3 })
 *   // "SHUTDOWN\tName: x\tState: Exited\tExit Status: 0\tDuration: 3.00 ms"
 */
export function shutdownLine(facts: ShutdownExitFacts): string {
  const clean = facts.how === "exited" && facts.signal === null && facts.code === 0;
  let line = `SHUTDOWN\tName: ${facts.name}\tState: ${clean ? "Exited" : "ShutdownFailed"}\t`;
  if (facts.how === "exited") {
    line += facts.signal === null ? `Exit Status: ${facts.code}\t` : `Signal: ${facts.signal}\t`;
  } else {
    const reason = facts.how === "killed" ? "deadline" : "not registered for SHUTDOWN";
    line += `Signal: SIGKILL\tReason: ${reason}\t`;
  }
  return `${line}Duration: ${ms2(facts.ms)} ms`;
}
