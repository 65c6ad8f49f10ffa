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

/** FNV-1a over the whole id (hashing part of it invites collisions from ids that share it). */
function hashId(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  return (h ^ (h >>> 15)) | 0;
}

/**
 * One entry per distinct request id, in order of first appearance, once {@link dedupe} ran
 * (`joinInvocationColumns` runs it). A REPORT seen again (logs collected twice, text and JSON
 * both present) keeps the first values and fills its gaps, as `joinInvocations` merges
 * duplicates. Numbers are NaN where the REPORT did not state them.
 *
 * Appending only stores a hash per entry: repeats are found afterwards by sorting the hashes,
 * and the id index is built only when {@link find} needs it. Probing a hash table of a million
 * ids per line costs more than parsing the lines.
 */
export class ReportTable {
  /** Entries in use. */
  length = 0;
  /** Request ids (unique after {@link dedupe}). */
  readonly ids: string[] = [];
  /** Hash of each entry's request id. */
  #hashes: Int32Array;
  /** True while no entry was added since the last {@link dedupe}. */
  #clean = true;
  /** Open-addressing index: pairs of (entry index + 1, hash) per slot, 0 for empty; null until
   * {@link find} needs it. */
  #slots: Int32Array | null = null;
  #mask = 0;
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
  }

  /**
   * Finds an entry (merging repeated ids first, see {@link dedupe}).
   *
   * @param id A request id.
   * @returns Its entry index, or -1.
   */
  find(id: string): number {
    this.dedupe();
    if (this.#slots === null) this.#index();
    const mask = this.#mask;
    const slots = this.#slots!;
    const hash = hashId(id);
    for (let h = hash & mask;; h = (h + 1) & mask) {
      const e = slots[2 * h]!;
      if (e === 0) return -1;
      if (slots[2 * h + 1] === hash && this.ids[e - 1] === id) return e - 1;
    }
  }

  #index(): void {
    let size = 16;
    while (size < this.length * 2) size *= 2;
    const slots = new Int32Array(size * 2);
    const mask = size - 1;
    const hashes = this.#hashes;
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
  }

  /**
   * Appends a REPORT. A repeated request id is merged into its first entry by {@link dedupe}.
   *
   * @param r The fields of one REPORT (a {@link ReportRecord} or the parser's scratch fields).
   */
  add(r: ReportFields | ReportRecord): void {
    const i = this.length;
    if (i === this.time.length) this.#grow();
    const id = r.requestId;
    this.#hashes[i] = hashId(id);
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
    this.#clean = false;
    this.#slots = null;
  }

  /**
   * Merges entries of a repeated request id into the first one (first values kept, gaps filled
   * in order) and removes the repeats, keeping the order of first appearance. Cheap when nothing
   * repeats: one sort of the hashes.
   *
   * @returns How many entries were merged away.
   */
  dedupe(): number {
    if (this.#clean) return 0;
    this.#clean = true;
    const n = this.length;
    const hashes = this.#hashes;
    const sorted = hashes.slice(0, n).sort();
    const shared = new Set<number>();
    for (let k = 1; k < n; k++) if (sorted[k] === sorted[k - 1]) shared.add(sorted[k]!);
    if (shared.size === 0) return 0;
    // Entries whose hash is shared, grouped by id in order of appearance.
    const groups = new Map<string, number[]>();
    for (let i = 0; i < n; i++) {
      if (!shared.has(hashes[i]!)) continue;
      const id = this.ids[i]!;
      const g = groups.get(id);
      if (g === undefined) groups.set(id, [i]);
      else g.push(i);
    }
    const drop = new Uint8Array(n);
    let dropped = 0;
    for (const g of groups.values()) {
      for (let k = 1; k < g.length; k++) {
        this.#merge(g[0]!, g[k]!);
        drop[g[k]!] = 1;
        dropped++;
      }
    }
    if (dropped === 0) return 0;
    let w = 0;
    for (let i = 0; i < n; i++) {
      if (drop[i] === 1) continue;
      if (w !== i) {
        this.ids[w] = this.ids[i]!;
        hashes[w] = hashes[i]!;
        this.time[w] = this.time[i]!;
        this.duration[w] = this.duration[i]!;
        this.billed[w] = this.billed[i]!;
        this.memory[w] = this.memory[i]!;
        this.maxUsed[w] = this.maxUsed[i]!;
        this.init[w] = this.init[i]!;
        this.restore[w] = this.restore[i]!;
        this.billedRestore[w] = this.billedRestore[i]!;
        this.status[w] = this.status[i]!;
        this.errorType[w] = this.errorType[i]!;
      }
      w++;
    }
    this.ids.length = w;
    this.errorType.length = w;
    this.length = w;
    this.#slots = null;
    return dropped;
  }

  /** Entry `j` repeats entry `i`: keeps `i`'s values, fills its gaps from `j`. */
  #merge(i: number, j: number): void {
    if (Number.isNaN(this.init[i]!)) this.init[i] = this.init[j]!;
    if (Number.isNaN(this.restore[i]!)) this.restore[i] = this.restore[j]!;
    if (Number.isNaN(this.billedRestore[i]!)) this.billedRestore[i] = this.billedRestore[j]!;
    if (this.status[i] === 0) this.status[i] = this.status[j]!;
    if (this.errorType[i] === null) this.errorType[i] = this.errorType[j]!;
    if (Number.isNaN(this.time[i]!)) this.time[i] = this.time[j]!;
  }
}
