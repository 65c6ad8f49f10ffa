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

/** FNV-1a over the id (its first and last 12 characters when longer than 24). */
function hashId(id: string): number {
  const n = id.length;
  let h = 0x811c9dc5 ^ n;
  if (n <= 24) {
    for (let i = 0; i < n; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  } else {
    for (let i = 0; i < 12; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
    for (let i = n - 12; i < n; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  }
  return (h ^ (h >>> 15)) | 0;
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
  /** Open-addressing hash of request ids: pairs of (entry index + 1, hash) per slot, 0 for
   * empty, so a probe reads one cache line and compares strings only on equal hashes. A JS Map
   * of a million string keys costs more than parsing the lines. */
  #slots: Int32Array;
  #mask: number;
  /** Hash of each entry's request id, to rehash on growth. */
  #hashes: Int32Array;
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
    this.#hashes = new Int32Array(c);
    this.#slots = new Int32Array(c * 4);
    this.#mask = c * 2 - 1;
  }

  /**
   * @param id A request id.
   * @returns Its entry index, or -1.
   */
  find(id: string): number {
    const mask = this.#mask;
    const slots = this.#slots;
    const hash = hashId(id);
    for (let h = hash & mask;; h = (h + 1) & mask) {
      const e = slots[2 * h]!;
      if (e === 0) return -1;
      if (slots[2 * h + 1] === hash && this.ids[e - 1] === id) return e - 1;
    }
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
    const hashes = new Int32Array(c);
    hashes.set(this.#hashes);
    this.#hashes = hashes;
    const slots = new Int32Array(c * 4);
    const mask = c * 2 - 1;
    for (let i = 0; i < this.length; i++) {
      const hash = hashes[i]!;
      let h = hash & mask;
      while (slots[2 * h] !== 0) h = (h + 1) & mask;
      slots[2 * h] = i + 1;
      slots[2 * h + 1] = hash;
    }
    this.#slots = slots;
    this.#mask = mask;
  }

  /**
   * Adds a REPORT (or merges it into the entry of its request id).
   *
   * @param r The fields of one REPORT (a {@link ReportRecord} or the parser's scratch fields).
   * @returns The entry index.
   */
  add(r: ReportFields | ReportRecord): number {
    const id = r.requestId;
    const hash = hashId(id);
    let mask = this.#mask;
    let h = hash & mask;
    let slots = this.#slots;
    for (;; h = (h + 1) & mask) {
      const e = slots[2 * h]!;
      if (e === 0) break;
      if (slots[2 * h + 1] === hash && this.ids[e - 1] === id) {
        this.#merge(e - 1, r);
        return e - 1;
      }
    }
    const i = this.length;
    if (i === this.time.length) {
      this.#grow();
      slots = this.#slots;
      mask = this.#mask;
      h = hash & mask;
      while (slots[2 * h] !== 0) h = (h + 1) & mask;
    }
    slots[2 * h] = i + 1;
    slots[2 * h + 1] = hash;
    this.#hashes[i] = hash;
    this.ids.push(id);
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
