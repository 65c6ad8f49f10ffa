/**
 * JSON platform events: Lambda's JSON log format and the Telemetry API both carry
 * `{time, type, record}` objects with `type` `platform.*`.
 *
 * @module
 */
import { type PlatformRecord, type ReportRecord, toPlatformStatus } from "./records.ts";

/** A `platform.*` event whose type the parser does not know. */
export interface UnknownType {
  kind: "unknownType";
  type: string;
}

/** What one JSON event is: a record, an unknown platform type, a rejection reason, or noise. */
export type JsonEventResult = PlatformRecord | UnknownType | string | null;

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function num(v: unknown): number | null {
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

function str(v: unknown): string | null {
  return typeof v === "string" && v !== "" ? v : null;
}

/**
 * Reads one `{time, type, record}` event.
 *
 * @param event The parsed JSON value.
 * @param lineNo 1-based line (or event) number, kept on the record.
 * @param fallbackTime Epoch ms to use when the event has no readable `time`.
 * @returns A record; an `unknownType` for unknown `platform.*` types; a rejection reason for a
 *   platform event with missing or bad fields; null for anything else (application logs,
 *   `function` and `extension` telemetry).
 */
export function parsePlatformEvent(
  event: unknown,
  lineNo: number,
  fallbackTime: number | null,
): JsonEventResult {
  if (!isObj(event)) return null;
  const type = event.type;
  if (typeof type !== "string" || !type.startsWith("platform.")) return null;
  const record = event.record;
  const parsed = typeof event.time === "string" ? Date.parse(event.time) : NaN;
  const time = Number.isNaN(parsed) ? fallbackTime : parsed;
  const base = { time, line: lineNo, source: "json" as const };
  const name = type.slice(9);
  if (!isObj(record)) {
    if (KNOWN.has(name)) return `${type}: "record" is missing`;
    return { kind: "unknownType", type };
  }
  const requestId = str(record.requestId);
  const metrics = isObj(record.metrics) ? record.metrics : {};
  const status = record.status === undefined ? "success" : toPlatformStatus(record.status);
  const errorType = str(record.errorType);
  switch (name) {
    case "start":
      if (requestId === null) return `${type}: "requestId" is missing`;
      return { kind: "start", requestId, version: str(record.version), ...base };
    case "runtimeDone":
      if (requestId === null) return `${type}: "requestId" is missing`;
      return {
        kind: "runtimeDone",
        requestId,
        status,
        errorType,
        durationMs: num(metrics.durationMs),
        producedBytes: num(metrics.producedBytes),
        ...base,
      };
    case "report":
      return readReport(type, requestId, metrics, record, base);
    case "initStart":
      return {
        kind: "initStart",
        runtimeVersion: str(record.runtimeVersion),
        runtimeVersionArn: str(record.runtimeVersionArn),
        phase: str(record.phase),
        initializationType: str(record.initializationType),
        ...base,
      };
    case "initRuntimeDone":
      return { kind: "initRuntimeDone", phase: str(record.phase), status, errorType, ...base };
    case "initReport": {
      const ms = num(metrics.durationMs);
      if (ms === null) return `${type}: "metrics.durationMs" is missing or not a number`;
      return {
        kind: "initReport",
        initDurationMs: ms,
        phase: str(record.phase),
        status,
        errorType,
        ...base,
      };
    }
    case "extension":
    case "telemetrySubscription": {
      const extName = str(record.name);
      if (extName === null) return `${type}: "name" is missing`;
      return name === "extension"
        ? { kind: "extension", name: extName, state: str(record.state), errorType, ...base }
        : { kind: "telemetrySubscription", name: extName, state: str(record.state), ...base };
    }
    case "logsDropped":
      return {
        kind: "logsDropped",
        reason: str(record.reason),
        droppedRecords: num(record.droppedRecords),
        droppedBytes: num(record.droppedBytes),
        ...base,
      };
    case "restoreStart":
    case "restoreRuntimeDone":
    case "restoreReport":
      return { kind: "restore", phase: name, durationMs: num(metrics.durationMs), ...base };
    default:
      return { kind: "unknownType", type };
  }
}

const KNOWN = new Set([
  "start",
  "runtimeDone",
  "report",
  "initStart",
  "initRuntimeDone",
  "initReport",
  "extension",
  "telemetrySubscription",
  "logsDropped",
  "restoreStart",
  "restoreRuntimeDone",
  "restoreReport",
]);

function readReport(
  type: string,
  requestId: string | null,
  metrics: Obj,
  record: Obj,
  base: { time: number | null; line: number; source: "json" },
): ReportRecord | string {
  if (requestId === null) return `${type}: "requestId" is missing`;
  const durationMs = num(metrics.durationMs);
  const billedDurationMs = num(metrics.billedDurationMs);
  const memorySizeMb = num(metrics.memorySizeMB);
  const maxMemoryUsedMb = num(metrics.maxMemoryUsedMB);
  if (durationMs === null) return `${type}: "metrics.durationMs" is missing or not a number`;
  if (billedDurationMs === null) {
    return `${type}: "metrics.billedDurationMs" is missing or not a number`;
  }
  if (memorySizeMb === null) return `${type}: "metrics.memorySizeMB" is missing or not a number`;
  if (maxMemoryUsedMb === null) {
    return `${type}: "metrics.maxMemoryUsedMB" is missing or not a number`;
  }
  const tracing = isObj(record.tracing) ? record.tracing : {};
  return {
    kind: "report",
    requestId,
    durationMs,
    billedDurationMs,
    memorySizeMb,
    maxMemoryUsedMb,
    initDurationMs: num(metrics.initDurationMs),
    restoreDurationMs: num(metrics.restoreDurationMs),
    billedRestoreDurationMs: num(metrics.billedRestoreDurationMs),
    status: record.status === undefined ? "success" : toPlatformStatus(record.status),
    errorType: str(record.errorType),
    traceId: str(tracing.value),
    ...base,
  };
}
