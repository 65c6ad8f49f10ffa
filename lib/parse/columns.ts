/**
 * REPORTs kept column by column: one typed array per number, no object per REPORT. The bulk
 * path (`LogParser` with `columnar: true`, then `joinInvocationColumns`) holds a million
 * REPORTs in a few flat arrays instead of a million records, rows and Dates.
 *
 * @module
 */
import type { PlatformStatus, ReportRecord } from "./records.ts";
import type { ReportFields } from "./text.ts";

/** Status codes of {@link ReportTable.status}, in order. */
export const STATUS_CODES: readonly PlatformStatus[] = ["success", "error", "timeout", "failure"];

function statusCode(status: PlatformStatus): number {
  switch (status) {
    case "success":
      return 0;
    case "error":
      return 1;
    case "timeout":
      return 2;
    default:
      return 3;
  }
}

function grow(a: Float64Array, size: number): Float64Array {
  const b = new Float64Array(size);
  b.set(a);
  return b;
}

function nn(v: number | null): number {
  return v === null ? NaN : v;
}

/**
 * One entry per distinct request id, in order of first appearance. A REPORT seen again (logs
 * collected twice, text and JSON both present) keeps the first values and fills its gaps, as
 * `joinInvocations` merges duplicates. Numbers are NaN where the REPORT did not state them.
 */
export class ReportTable {
  /** Entries in use. */
  length = 0;
  /** Request ids, unique. */
  readonly ids: string[] = [];
  /** Entry index by request id. */
  readonly index: Map<string, number> = new Map();
  /** Epoch ms of the log event. */
  time: Float64Array;
  duration: Float64Array;
  billed: Float64Array;
  memory: Float64Array;
  maxUsed: Float64Array;
  init: Float64Array;
  restore: Float64Array;
  billedRestore: Float64Array;
  /** Index into {@link STATUS_CODES}. */
  status: Uint8Array;
  readonly errorType: Array<string | null> = [];

  /** @param capacity Initial room, in entries (grows as needed). */
  constructor(capacity = 1024) {
    const c = Math.max(16, capacity);
    this.time = new Float64Array(c);
    this.duration = new Float64Array(c);
    this.billed = new Float64Array(c);
    this.memory = new Float64Array(c);
    this.maxUsed = new Float64Array(c);
    this.init = new Float64Array(c);
    this.restore = new Float64Array(c);
    this.billedRestore = new Float64Array(c);
    this.status = new Uint8Array(c);
  }

  #grow(): void {
    const c = this.time.length * 2;
    this.time = grow(this.time, c);
    this.duration = grow(this.duration, c);
    this.billed = grow(this.billed, c);
    this.memory = grow(this.memory, c);
    this.maxUsed = grow(this.maxUsed, c);
    this.init = grow(this.init, c);
    this.restore = grow(this.restore, c);
    this.billedRestore = grow(this.billedRestore, c);
    const s = new Uint8Array(c);
    s.set(this.status);
    this.status = s;
  }

  /**
   * Adds a REPORT (or merges it into the entry of its request id).
   *
   * @param r The fields of one REPORT (a {@link ReportRecord} or the parser's scratch fields).
   * @returns The entry index.
   */
  add(r: ReportFields | ReportRecord): number {
    const known = this.index.get(r.requestId);
    if (known !== undefined) {
      this.#merge(known, r);
      return known;
    }
    const i = this.length;
    if (i === this.time.length) this.#grow();
    this.index.set(r.requestId, i);
    this.ids.push(r.requestId);
    this.time[i] = nn(r.time);
    this.duration[i] = r.durationMs;
    this.billed[i] = r.billedDurationMs;
    this.memory[i] = r.memorySizeMb;
    this.maxUsed[i] = r.maxMemoryUsedMb;
    this.init[i] = nn(r.initDurationMs);
    this.restore[i] = nn(r.restoreDurationMs);
    this.billedRestore[i] = nn(r.billedRestoreDurationMs);
    this.status[i] = statusCode(r.status);
    this.errorType.push(r.errorType);
    this.length = i + 1;
    return i;
  }

  /** Keeps the first values, fills the gaps (as `joinInvocations` merges duplicates). */
  #merge(i: number, b: ReportFields | ReportRecord): void {
    if (Number.isNaN(this.init[i]!) && b.initDurationMs !== null) this.init[i] = b.initDurationMs;
    if (Number.isNaN(this.restore[i]!) && b.restoreDurationMs !== null) {
      this.restore[i] = b.restoreDurationMs;
    }
    if (Number.isNaN(this.billedRestore[i]!) && b.billedRestoreDurationMs !== null) {
      this.billedRestore[i] = b.billedRestoreDurationMs;
    }
    if (this.status[i] === 0) this.status[i] = statusCode(b.status);
    if (this.errorType[i] === null) this.errorType[i] = b.errorType;
    if (Number.isNaN(this.time[i]!) && b.time !== null) this.time[i] = b.time;
  }
}
