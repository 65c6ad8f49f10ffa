/**
 * JSON platform events: Lambda's JSON log format and the Telemetry API both carry
 * `{time, type, record}` objects with `type` `platform.*`.
 *
 * @module
 */
import { type PlatformRecord, type ReportRecord, toPlatformStatus } from "./records.ts";
import { damagedName, type DamageTarget } from "./_fields.ts";
import { checkDuration, checkReport, JSON_LABELS, LAMBDA_LIMITS } from "./limits.ts";

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

/** A number as JSON holds it: `1e400` parses to Infinity, which the limits then refuse. */
function metric(v: unknown): number | null {
  return typeof v === "number" ? v : null;
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
    case "runtimeDone": {
      if (requestId === null) return `${type}: "requestId" is missing`;
      const durationMs = metric(metrics.durationMs);
      if (durationMs !== null) {
        const label = `${type}: "metrics.durationMs"`;
        const impossible = checkDuration(label, durationMs, LAMBDA_LIMITS.maxDurationMs);
        if (impossible !== null) return impossible;
      }
      return {
        kind: "runtimeDone",
        requestId,
        status,
        errorType,
        durationMs,
        producedBytes: num(metrics.producedBytes),
        ...base,
      };
    }
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
      const ms = metric(metrics.durationMs);
      if (ms === null) return `${type}: "metrics.durationMs" is missing or not a number`;
      const label = `${type}: "metrics.durationMs"`;
      const impossible = checkDuration(label, ms, LAMBDA_LIMITS.maxInitMs);
      if (impossible !== null) return impossible;
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
    case "telemetrySubscription":
    case "logsSubscription": {
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
    case "restoreReport": {
      const durationMs = metric(metrics.durationMs);
      if (durationMs !== null) {
        const label = `${type}: "metrics.durationMs"`;
        const impossible = checkDuration(label, durationMs, LAMBDA_LIMITS.maxRestoreMs);
        if (impossible !== null) return impossible;
      }
      return { kind: "restore", phase: name, durationMs, ...base };
    }
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
  "logsSubscription",
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
  const durationMs = metric(metrics.durationMs);
  const billedDurationMs = metric(metrics.billedDurationMs);
  const memorySizeMb = metric(metrics.memorySizeMB);
  const maxMemoryUsedMb = metric(metrics.maxMemoryUsedMB);
  if (durationMs === null) return `${type}: "metrics.durationMs" is missing or not a number`;
  if (billedDurationMs === null) {
    return `${type}: "metrics.billedDurationMs" is missing or not a number`;
  }
  if (memorySizeMb === null) return `${type}: "metrics.memorySizeMB" is missing or not a number`;
  if (maxMemoryUsedMb === null) {
    return `${type}: "metrics.maxMemoryUsedMB" is missing or not a number`;
  }
  const initDurationMs = optionalMetric(metrics.initDurationMs);
  if (initDurationMs === undefined) {
    return badValue(JSON_LABELS.initDurationMs, metrics.initDurationMs);
  }
  const restoreDurationMs = optionalMetric(metrics.restoreDurationMs);
  if (restoreDurationMs === undefined) {
    return badValue(JSON_LABELS.restoreDurationMs, metrics.restoreDurationMs);
  }
  const billedRestoreDurationMs = optionalMetric(metrics.billedRestoreDurationMs);
  if (billedRestoreDurationMs === undefined) {
    return badValue(JSON_LABELS.billedRestoreDurationMs, metrics.billedRestoreDurationMs);
  }
  for (const key in metrics) {
    if (METRIC_KEYS.has(key)) continue;
    const damaged = damagedName(key, METRIC_DAMAGE);
    if (damaged !== null) return `${damaged} has a damaged field "${key}"`;
  }
  for (const key in record) {
    if (RECORD_KEYS.has(key)) continue;
    const damaged = damagedName(key, RECORD_DAMAGE);
    if (damaged !== null) return `${damaged} has a damaged field "${key}"`;
  }
  let status: ReportRecord["status"] = "success";
  if (record.status !== undefined) {
    status = toPlatformStatus(record.status);
    // Unknown words are refused, as in text REPORTs: a damaged status is not a failure.
    if (typeof record.status !== "string" || status !== record.status.toLowerCase()) {
      return badValue(`${type}: "status"`, record.status);
    }
  }
  const r: ReportRecord = {
    kind: "report",
    requestId,
    durationMs,
    billedDurationMs,
    memorySizeMb,
    maxMemoryUsedMb,
    initDurationMs,
    restoreDurationMs,
    billedRestoreDurationMs,
    status,
    errorType: str(record.errorType),
    traceId: str(isObj(record.tracing) ? record.tracing.value : undefined),
    ...base,
  };
  return checkReport(r, JSON_LABELS) ?? r;
}

/** An optional metric: null when absent (or JSON null), undefined when present but no number. */
function optionalMetric(v: unknown): number | null | undefined {
  if (v === undefined || v === null) return null;
  return typeof v === "number" ? v : undefined;
}

function badValue(label: string, v: unknown): string {
  const shown = typeof v === "string" ? v : String(JSON.stringify(v));
  return `${label} has a bad value "${shown.slice(0, 60)}"`;
}

/** `platform.report` metrics Lambda sends. */
const METRIC_KEYS = new Set([
  "durationMs",
  "billedDurationMs",
  "memorySizeMB",
  "maxMemoryUsedMB",
  "initDurationMs",
  "restoreDurationMs",
  "billedRestoreDurationMs",
]);

/** `platform.report` record fields Lambda sends. */
const RECORD_KEYS = new Set(["requestId", "metrics", "tracing", "spans", "status", "errorType"]);

/** Optional metrics and fields whose damaged names are refused rather than skipped. */
const METRIC_DAMAGE: readonly DamageTarget[] = [
  { folded: "initdurationms", label: JSON_LABELS.initDurationMs, maxEdits: 2, prefix: "init" },
  { folded: "restoredurationms", label: JSON_LABELS.restoreDurationMs, maxEdits: 2 },
  { folded: "billedrestoredurationms", label: JSON_LABELS.billedRestoreDurationMs, maxEdits: 2 },
];
const RECORD_DAMAGE: readonly DamageTarget[] = [
  { folded: "status", label: 'platform.report: "status"', maxEdits: 1 },
  { folded: "errortype", label: 'platform.report: "errorType"', maxEdits: 1 },
];
