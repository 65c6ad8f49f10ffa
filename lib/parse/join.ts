/**
 * Joins platform records (and, for runs, what the invoking client saw) into one
 * {@link InvocationRow} per request id.
 *
 * @module
 */
import type { Arch, Backend, InvocationRow, InvocationStatus } from "../schema.ts";
import type { InvocationColumns } from "../store/_frame.ts";
import { type ReportTable, STATUS_CODES } from "./columns.ts";
import type { PlatformRecord, ReportRecord, RuntimeDoneRecord } from "./records.ts";

/** Row fields that the logs cannot know and the run supplies. */
export interface RunMeta {
  run_id: string;
  backend: Backend | null;
  variant: string | null;
  /** The cell's parts (see the schema); null or absent where unknown. */
  function_runtime?: string | null;
  extension?: string | null;
  workload?: string | null;
  arch: Arch | null;
  /** Configured memory; used only where no REPORT states `Memory Size`. */
  memory_mb: number | null;
}

/** The cell's parts of a row, where the run states them (absent ones read as null). */
function cellParts(
  meta: RunMeta,
): Pick<InvocationRow, "function_runtime" | "extension" | "workload"> {
  const parts: Pick<InvocationRow, "function_runtime" | "extension" | "workload"> = {};
  if (meta.function_runtime != null) parts.function_runtime = meta.function_runtime;
  if (meta.extension != null) parts.extension = meta.extension;
  if (meta.workload != null) parts.workload = meta.workload;
  return parts;
}

/** What the invoker measured for one request id. */
export interface ClientObservation {
  /** Round trip of the Invoke call. */
  clientRttMs: number | null;
  /** When the client sent the request (Date or epoch ms). */
  timestamp: Date | number | null;
  /** Whether the client expected a cold start (informational; the platform decides `cold`). */
  cold?: boolean;
  /** What the client saw, e.g. a `FunctionError` answer, used when the platform says success. */
  status?: InvocationStatus;
  errorType?: string | null;
}

/** Options of {@link joinInvocations}. */
export interface JoinOptions {
  records: readonly PlatformRecord[];
  meta: RunMeta;
  /** Request ids the run invoked. When given, only these become rows (see {@link JoinResult}). */
  client?: ReadonlyMap<string, ClientObservation>;
}

/** A request id seen in the logs that does not become a row. */
export interface Orphan {
  requestId: string;
  /** `no-report`: START/runtimeDone without any REPORT (e.g. the log window ended first).
   * `not-invoked-by-client`: a REPORT for a request the client did not make (another run). */
  reason: "no-report" | "not-invoked-by-client";
}

/** {@link joinInvocations}'s result. */
export interface JoinResult {
  /** One row per request id, in client order (without a client: order of first REPORT). */
  rows: InvocationRow[];
  /** Client request ids with no REPORT. Each still gets a row: status `failure`, error_type
   * {@link MISSING_REPORT}, platform measures null, client_rtt_ms and timestamp from the client. */
  missingReport: string[];
  orphans: Orphan[];
  /** `INIT_REPORT`/`platform.initReport` records with a status other than success. */
  initFailures: number;
  /** Records the platform said it dropped (`platform.logsDropped`). */
  droppedRecords: number;
}

/** error_type of rows for invocations the client made but the logs never reported. */
export const MISSING_REPORT = "Battle.MissingReport";

/** Everything known about one request id besides its REPORT. */
interface Extras {
  runtimeDone: RuntimeDoneRecord | null;
  startTime: number | null;
}

const NO_EXTRAS: Extras = { runtimeDone: null, startTime: null };

/**
 * One pass over the records: REPORTs go to `onReport`; START times, runtimeDone and the
 * request ids seen go to the side table; failed Inits and dropped records are counted.
 */
function scanRecords(
  records: readonly PlatformRecord[],
  onReport: (r: ReportRecord) => void,
): { extras: Map<string, Extras>; initFailures: number; droppedRecords: number } {
  const extras = new Map<string, Extras>();
  const extrasOf = (id: string): Extras => {
    let x = extras.get(id);
    if (x === undefined) extras.set(id, x = { runtimeDone: null, startTime: null });
    return x;
  };
  let initFailures = 0;
  let droppedRecords = 0;
  for (const r of records) {
    switch (r.kind) {
      case "report":
        onReport(r);
        break;
      case "start": {
        const x = extrasOf(r.requestId);
        if (r.time !== null && (x.startTime === null || r.time < x.startTime)) x.startTime = r.time;
        break;
      }
      case "runtimeDone": {
        const x = extrasOf(r.requestId);
        if (x.runtimeDone === null || x.runtimeDone.durationMs === null) x.runtimeDone = r;
        break;
      }
      case "end":
        extrasOf(r.requestId);
        break;
      case "initReport":
        if (r.status !== "success") initFailures++;
        break;
      case "logsDropped":
        droppedRecords += r.droppedRecords ?? 0;
        break;
      default:
        break;
    }
  }
  return { extras, initFailures, droppedRecords };
}

/**
 * Builds one row per request id. Duplicates (logs collected twice, text and JSON both present)
 * merge into one row. `cold` is true where the REPORT states an Init Duration; `status` comes
 * from the REPORT, else runtimeDone, else the client; `timestamp` from START/platform.start,
 * else the client, else the REPORT's log time minus its duration.
 *
 * @param options See {@link JoinOptions}.
 * @returns Rows, missing reports and orphans.
 * @example
 * ```ts
 * import { parseLines } from "./parser.ts";
 * const { records } = parseLines([
 *   "REPORT RequestId: a\tDuration: 1.50 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\tMax Memory Used: 40 MB\t",
 * ]);
 * const { rows } = joinInvocations({
 *   records,
 *   meta: { run_id: "r1", backend: "local", variant: "rust", arch: "x86_64", memory_mb: 128 },
 * });
 * // rows[0].duration_ms === 1.5, rows[0].cold === false
 * ```
 */
export function joinInvocations(options: JoinOptions): JoinResult {
  const { records, meta, client } = options;
  // REPORTs in order of first appearance; everything else on the side, so that a log of bare
  // REPORTs (the common bulk case) allocates nothing per request beyond its row.
  const reports = new Map<string, ReportRecord>();
  const { extras, initFailures, droppedRecords } = scanRecords(records, (r) => {
    const known = reports.get(r.requestId);
    reports.set(r.requestId, known === undefined ? r : mergeReports(known, r));
  });
  const rows: InvocationRow[] = [];
  const missingReport: string[] = [];
  const orphans: Orphan[] = [];
  if (client === undefined) {
    for (const [id, report] of reports) {
      rows.push(toRow(id, extras.get(id) ?? NO_EXTRAS, report, meta, undefined));
    }
    for (const id of extras.keys()) {
      if (!reports.has(id)) orphans.push({ requestId: id, reason: "no-report" });
    }
  } else {
    for (const [id, seen] of client) {
      const report = reports.get(id);
      if (report !== undefined) {
        rows.push(toRow(id, extras.get(id) ?? NO_EXTRAS, report, meta, seen));
      } else {
        missingReport.push(id);
        rows.push(missingRow(id, meta, seen));
      }
    }
    for (const id of reports.keys()) {
      if (!client.has(id)) orphans.push({ requestId: id, reason: "not-invoked-by-client" });
    }
    for (const id of extras.keys()) {
      if (!client.has(id) && !reports.has(id)) orphans.push({ requestId: id, reason: "no-report" });
    }
  }
  return { rows, missingReport, orphans, initFailures, droppedRecords };
}

/** The same REPORT seen twice (text and JSON, or collected twice): keep the first, fill gaps. */
function mergeReports(a: ReportRecord, b: ReportRecord): ReportRecord {
  if (
    (a.initDurationMs !== null || b.initDurationMs === null) &&
    (a.restoreDurationMs !== null || b.restoreDurationMs === null) &&
    (a.errorType !== null || b.errorType === null) &&
    (a.status !== "success" || b.status === "success") &&
    (a.traceId !== null || b.traceId === null) &&
    (a.time !== null || b.time === null)
  ) {
    return a;
  }
  return {
    ...a,
    initDurationMs: a.initDurationMs ?? b.initDurationMs,
    restoreDurationMs: a.restoreDurationMs ?? b.restoreDurationMs,
    billedRestoreDurationMs: a.billedRestoreDurationMs ?? b.billedRestoreDurationMs,
    status: a.status === "success" ? b.status : a.status,
    errorType: a.errorType ?? b.errorType,
    traceId: a.traceId ?? b.traceId,
    time: a.time ?? b.time,
  };
}

/** Rounds to the microsecond so `12.34 - 10.1` reads 2.24, not 2.2399999999999984. */
function roundMicros(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

function toDate(t: Date | number | null | undefined): Date | null {
  if (t === null || t === undefined) return null;
  return t instanceof Date ? t : new Date(t);
}

function toRow(
  id: string,
  acc: Extras,
  r: ReportRecord,
  meta: RunMeta,
  seen: ClientObservation | undefined,
): InvocationRow {
  const done = acc.runtimeDone;
  const runtimeDoneMs = done?.durationMs ?? null;
  let status: InvocationStatus = r.status;
  let errorType = r.errorType;
  if (status === "success" && done !== null && done.status !== "success") {
    status = done.status;
    errorType = done.errorType;
  }
  if (status === "success" && seen?.status !== undefined && seen.status !== "success") {
    status = seen.status;
    errorType = seen.errorType ?? null;
  }
  if (status !== "success") errorType ??= done?.errorType ?? seen?.errorType ?? null;
  else errorType = null;
  let startTime = acc.startTime;
  if (startTime === null && seen !== undefined) {
    startTime = toDate(seen.timestamp)?.getTime() ?? null;
  }
  if (startTime === null && r.time !== null) startTime = r.time - r.durationMs;
  return {
    run_id: meta.run_id,
    backend: meta.backend,
    variant: meta.variant,
    ...cellParts(meta),
    arch: meta.arch,
    memory_mb: Math.round(r.memorySizeMb),
    request_id: id,
    cold: r.initDurationMs !== null,
    init_ms: r.initDurationMs,
    restore_ms: r.restoreDurationMs,
    duration_ms: r.durationMs,
    billed_ms: r.billedDurationMs,
    max_memory_mb: r.maxMemoryUsedMb,
    runtime_done_ms: runtimeDoneMs,
    post_runtime_ms: runtimeDoneMs === null ? null : roundMicros(r.durationMs - runtimeDoneMs),
    client_rtt_ms: seen?.clientRttMs ?? null,
    status,
    error_type: errorType,
    timestamp: startTime === null ? null : new Date(startTime),
  };
}

function missingRow(id: string, meta: RunMeta, seen: ClientObservation): InvocationRow {
  return {
    run_id: meta.run_id,
    backend: meta.backend,
    variant: meta.variant,
    ...cellParts(meta),
    arch: meta.arch,
    memory_mb: meta.memory_mb,
    request_id: id,
    cold: seen.cold ?? false,
    init_ms: null,
    restore_ms: null,
    duration_ms: null,
    billed_ms: null,
    max_memory_mb: null,
    runtime_done_ms: null,
    post_runtime_ms: null,
    client_rtt_ms: seen.clientRttMs,
    status: "failure",
    error_type: seen.errorType ?? MISSING_REPORT,
    timestamp: toDate(seen.timestamp),
  };
}

/** Options of {@link joinInvocationColumns}. */
export interface ColumnJoinOptions {
  /** REPORTs from a columnar parser ({@link LogParserOptions.columnar}). */
  reports: ReportTable;
  /** The other records (START, runtimeDone, ...). REPORT records here are added to `reports`. */
  records: readonly PlatformRecord[];
  meta: RunMeta;
  /** Request ids the run invoked. When given, only these become rows. */
  client?: ReadonlyMap<string, ClientObservation>;
}

/** {@link joinInvocationColumns}'s result: {@link JoinResult} with columns instead of rows. */
export interface ColumnJoinResult extends Omit<JoinResult, "rows"> {
  /** One row per request id (unique), in the order {@link joinInvocations} gives. */
  columns: InvocationColumns;
}

/** Status codes of the output `status` column: {@link STATUS_CODES}. */
function codeOf(status: InvocationStatus): number {
  return STATUS_CODES.indexOf(status);
}

/**
 * {@link joinInvocations} for the bulk path: the same rows, built column by column from a
 * {@link ReportTable}, with no object per row (and no Date). Write them with
 * `writeInvocationColumns`.
 *
 * @param options See {@link ColumnJoinOptions}.
 * @returns Columns, missing reports and orphans.
 * @example
 * ```ts
 * import { LogParser } from "./parser.ts";
 * const p = new LogParser({ columnar: true });
 * p.line("REPORT RequestId: a\tDuration: 1.50 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\tMax Memory Used: 40 MB\t", 1);
 * const { columns } = joinInvocationColumns({
 *   reports: p.reports!,
 *   records: p.records,
 *   meta: { run_id: "r1", backend: "local", variant: "rust", arch: "x86_64", memory_mb: 128 },
 * });
 * // columns.length === 1, columns.duration_ms[0] === 1.5
 * ```
 */
export function joinInvocationColumns(options: ColumnJoinOptions): ColumnJoinResult {
  const { reports: t, records, meta, client } = options;
  t.settle();
  const { extras, initFailures, droppedRecords } = scanRecords(records, (r) => t.add(r));
  t.dedupe();
  const missingReport: string[] = [];
  const orphans: Orphan[] = [];
  // Text START/END lines of the bulk parser: their ids and START times, by REPORT entry.
  const requests = t.requests;
  const requestAt = requests.length > 0 ? requests.inReports(t) : null;
  let sideStart: Float64Array | null = null;
  if (requestAt !== null) {
    sideStart = new Float64Array(t.length).fill(NaN);
    for (let j = 0; j < requestAt.length; j++) {
      const i = requestAt[j]!;
      if (i >= 0) sideStart[i] = requests.startTime[j]!;
    }
  }
  /** True where the text START/END lines hold this id too (then `unreported` lists it). */
  const knownOrphan = (id: string) => requestAt !== null && requests.find(id) >= 0;
  const n = client === undefined ? t.length : client.size;
  // Table entry of each output row (-1: the client's request had no REPORT).
  let at: Int32Array | null = null;
  // Client ids, or null: the table's own ids (read only where needed, see ReportTable).
  let ids: string[] | null = null;
  const seens: Array<ClientObservation | undefined> = [];
  // START/END ids without a REPORT, in the order they were first seen.
  const unreported: number[] = [];
  if (requestAt !== null) {
    for (let j = 0; j < requestAt.length; j++) if (requestAt[j]! < 0) unreported.push(j);
    requests.inOrderSeen(unreported);
  }
  if (client === undefined) {
    for (const j of unreported) orphans.push({ requestId: requests.id(j), reason: "no-report" });
    for (const id of extras.keys()) {
      if (t.find(id) < 0 && !knownOrphan(id)) orphans.push({ requestId: id, reason: "no-report" });
    }
  } else {
    at = new Int32Array(n);
    ids = new Array(n);
    let k = 0;
    for (const [id, seen] of client) {
      const i = t.find(id);
      at[k] = i;
      ids[k] = id;
      seens.push(seen);
      if (i < 0) missingReport.push(id);
      k++;
    }
    for (let i = 0; i < t.length; i++) {
      const id = t.id(i);
      if (!client.has(id)) orphans.push({ requestId: id, reason: "not-invoked-by-client" });
    }
    for (const j of unreported) {
      const id = requests.id(j);
      if (!client.has(id)) orphans.push({ requestId: id, reason: "no-report" });
    }
    for (const id of extras.keys()) {
      if (!client.has(id) && t.find(id) < 0 && !knownOrphan(id)) {
        orphans.push({ requestId: id, reason: "no-report" });
      }
    }
  }
  const pick = (src: Float64Array): Float64Array => {
    if (at === null) return src.slice(0, n);
    const out = new Float64Array(n);
    for (let k = 0; k < n; k++) {
      const i = at[k]!;
      out[k] = i < 0 ? NaN : src[i]!;
    }
    return out;
  };
  const memory = pick(t.memory);
  const init = pick(t.init);
  const duration = pick(t.duration);
  const cold = new Uint8Array(n);
  const runtimeDone = new Float64Array(n).fill(NaN);
  const postRuntime = new Float64Array(n).fill(NaN);
  const rtt = new Float64Array(n).fill(NaN);
  const timestamp = new Float64Array(n);
  const status = new Uint8Array(n);
  const errorType: Array<string | null> = new Array(n).fill(null);
  const configured = meta.memory_mb ?? NaN;
  // The records' extras by table entry: one lookup per extra, none per row.
  let extraOf: Array<Extras | undefined> | null = null;
  if (extras.size > 0) {
    extraOf = new Array(t.length);
    for (const [id, x] of extras) {
      const i = t.find(id);
      if (i >= 0) extraOf[i] = x;
    }
  }
  for (let k = 0; k < n; k++) {
    const i = at === null ? k : at[k]!;
    const seen = at === null ? undefined : seens[k];
    if (i < 0) {
      // The client invoked it, the logs never reported it.
      const s = seen!;
      memory[k] = configured;
      cold[k] = s.cold === true ? 1 : 0;
      rtt[k] = s.clientRttMs ?? NaN;
      status[k] = 3; // failure
      errorType[k] = s.errorType ?? MISSING_REPORT;
      timestamp[k] = clientTime(s.timestamp);
      continue;
    }
    memory[k] = Math.round(memory[k]!);
    cold[k] = init[k] === init[k] ? 1 : 0;
    const x = extraOf === null ? undefined : extraOf[i];
    const done = x === undefined ? null : x.runtimeDone;
    const doneMs = done === null ? null : done.durationMs;
    if (doneMs !== null) {
      runtimeDone[k] = doneMs;
      postRuntime[k] = roundMicros(duration[k]! - doneMs);
    }
    let code = t.status[i]!;
    let err: string | null = t.errorType[i]!;
    if (code === 0 && done !== null && done.status !== "success") {
      code = codeOf(done.status);
      err = done.errorType;
    }
    if (seen !== undefined) {
      rtt[k] = seen.clientRttMs ?? NaN;
      if (code === 0 && seen.status !== undefined && seen.status !== "success") {
        code = codeOf(seen.status);
        err = seen.errorType ?? null;
      }
    }
    if (code !== 0) err ??= done?.errorType ?? seen?.errorType ?? null;
    else err = null;
    status[k] = code;
    errorType[k] = err;
    let start = x === undefined ? null : x.startTime;
    const own = t.start[i]!;
    if (own === own && (start === null || own < start)) start = own;
    if (sideStart !== null) {
      const side = sideStart[i]!;
      if (side === side && (start === null || side < start)) start = side;
    }
    if (start === null && seen !== undefined) start = clientTimeOrNull(seen.timestamp);
    timestamp[k] = start === null ? t.time[i]! - t.duration[i]! : start;
  }
  const columns: InvocationColumns = {
    length: n,
    run_id: meta.run_id,
    backend: meta.backend,
    variant: meta.variant,
    function_runtime: meta.function_runtime ?? null,
    extension: meta.extension ?? null,
    workload: meta.workload ?? null,
    arch: meta.arch,
    memory_mb: memory,
    request_id: ids ?? {
      batch: (from: number, to: number) => t.idsBetween(from, to),
      lines: () => t.idLines(),
      nonEmpty: !t.hasEmptyId(),
    },
    cold,
    init_ms: init,
    restore_ms: pick(t.restore),
    duration_ms: duration,
    billed_ms: pick(t.billed),
    max_memory_mb: pick(t.maxUsed),
    runtime_done_ms: runtimeDone,
    post_runtime_ms: postRuntime,
    client_rtt_ms: rtt,
    status: { codes: status, values: STATUS_CODES },
    error_type: errorType,
    timestamp,
  };
  return { columns, missingReport, orphans, initFailures, droppedRecords };
}

function clientTimeOrNull(t: Date | number | null | undefined): number | null {
  if (t === null || t === undefined) return null;
  const ms = t instanceof Date ? t.getTime() : t;
  return Number.isNaN(ms) ? null : ms;
}

function clientTime(t: Date | number | null | undefined): number {
  return clientTimeOrNull(t) ?? NaN;
}
