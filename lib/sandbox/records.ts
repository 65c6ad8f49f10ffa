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
 * A new X-Ray trace header value: `Root=1-<8 hex time>-<24 hex>;Parent=<16 hex>;Sampled=0`.
 *
 * @param now the current time in epoch milliseconds
 * @returns the trace id
 */
export function newTraceId(now: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(20));
  let hex = "";
  for (const b of bytes) hex += HEX[b]!;
  const epoch = Math.floor(now / 1000).toString(16).padStart(8, "0");
  return `Root=1-${epoch}-${hex.slice(0, 24)};Parent=${hex.slice(24, 40)};Sampled=0`;
}

const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, "0"));
