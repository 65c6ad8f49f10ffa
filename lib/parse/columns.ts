/**
 * REPORTs kept column by column: one typed array per number, no object per REPORT. The bulk
 * path (`LogParser` with `columnar: true`, then `joinInvocationColumns`) holds a million
 * REPORTs in a few flat arrays instead of a million records, rows and Dates.
 *
 * @module
 */
import type { PlatformStatus, ReportRecord } from "./records.ts";
import type { ReportFields } from "./text.ts";
import { checkReport, TEXT_LABELS } from "./limits.ts";

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

/** ASCII (valid UTF-8) to string: the fastest decoder for a batch of ids. */
const DECODER = new TextDecoder();

/**
 * One entry per distinct request id, in order of first appearance, once {@link dedupe} ran
 * (`joinInvocationColumns` runs it). A REPORT seen again (logs collected twice, text and JSON
 * both present) keeps the first values and fills its gaps, as `joinInvocations` merges
 * duplicates. Numbers are NaN where the REPORT did not state them.
 *
 * Request ids are kept as bytes in one pool, not as a million strings (each of which the
 * garbage collector would copy and keep its whole log chunk alive): read them with {@link id}
 * or {@link idsBetween}. Appending only stores a hash per entry: repeats are found afterwards by
 * sorting the hashes, and the id index is built only when {@link find} needs it.
 */
export class ReportTable {
  /** Entries in use. */
  length = 0;
  /** Request id bytes (ASCII ids); entry i is `#pool[#idOff[i], #idOff[i + 1])`. */
  #pool: Uint8Array = new Uint8Array(1 << 16);
  #idOff: Int32Array;
  /** Ids with a non-ASCII character, by entry (their pool range is empty). */
  #wide = new Map<number, string>();
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
    this.#idOff = new Int32Array(c + 1);
  }

  /**
   * @param i An entry index.
   * @returns Its request id.
   */
  id(i: number): string {
    if (this.#wide.size > 0) {
      const w = this.#wide.get(i);
      if (w !== undefined) return w;
    }
    return DECODER.decode(this.#pool.subarray(this.#idOff[i]!, this.#idOff[i + 1]!));
  }

  /**
   * The request ids of entries `[from, to)`, decoded in one go.
   *
   * @param from First entry.
   * @param to Entry after the last.
   * @returns The ids.
   */
  idsBetween(from: number, to: number): string[] {
    const off = this.#idOff;
    const base = off[from]!;
    const text = DECODER.decode(this.#pool.subarray(base, off[to]!));
    const out: string[] = new Array(to - from);
    for (let i = from; i < to; i++) out[i - from] = text.slice(off[i]! - base, off[i + 1]! - base);
    if (this.#wide.size > 0) {
      for (const [i, w] of this.#wide) if (i >= from && i < to) out[i - from] = w;
    }
    return out;
  }

  /** True where entry `i`'s id is `id`, without building a string. */
  #idEquals(i: number, id: string): boolean {
    if (this.#wide.size > 0) {
      const w = this.#wide.get(i);
      if (w !== undefined) return w === id;
    }
    const start = this.#idOff[i]!;
    if (this.#idOff[i + 1]! - start !== id.length) return false;
    const pool = this.#pool;
    for (let k = 0; k < id.length; k++) if (pool[start + k] !== id.charCodeAt(k)) return false;
    return true;
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
      if (slots[2 * h + 1] === hash && this.#idEquals(e - 1, id)) return e - 1;
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
    const off = new Int32Array(c + 1);
    off.set(this.#idOff);
    this.#idOff = off;
  }

  /**
   * Appends a REPORT. A repeated request id is merged into its first entry by {@link dedupe}.
   *
   * @param r The fields of one REPORT (a {@link ReportRecord} or the parser's scratch fields).
   * @throws {RangeError} When a value is one Lambda cannot report (`checkReport`): the parser
   *   rejects such REPORTs, so only a REPORT built by hand gets here.
   */
  add(r: ReportFields | ReportRecord): void {
    const impossible = checkReport(r, TEXT_LABELS);
    if (impossible !== null) {
      throw new RangeError(`Cannot keep REPORT ${r.requestId}: ${impossible.slice(8)}`);
    }
    const i = this.length;
    if (i === this.time.length) this.#grow();
    const id = r.requestId;
    const len = id.length;
    const start = this.#idOff[i]!;
    if (start + len > this.#pool.length) {
      const pool = new Uint8Array(Math.max(this.#pool.length * 2, start + len));
      pool.set(this.#pool);
      this.#pool = pool;
    }
    // Hash and copy in one pass (the hash is hashId's).
    const pool = this.#pool;
    let h = 0x811c9dc5;
    let wide = 0;
    for (let k = 0; k < len; k++) {
      const c = id.charCodeAt(k);
      h = Math.imul(h ^ c, 0x01000193);
      wide |= c;
      pool[start + k] = c;
    }
    if (wide > 127) {
      this.#wide.set(i, id);
      this.#idOff[i + 1] = start;
    } else {
      this.#idOff[i + 1] = start + len;
    }
    this.#hashes[i] = (h ^ (h >>> 15)) | 0;
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
      const id = this.id(i);
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
    const off = this.#idOff;
    const pool = this.#pool;
    const wide = new Map<number, string>();
    let w = 0;
    let o = 0;
    for (let i = 0; i < n; i++) {
      if (drop[i] === 1) continue;
      const a = off[i]!;
      const b = off[i + 1]!;
      const v = this.#wide.get(i);
      if (v !== undefined) wide.set(w, v);
      pool.copyWithin(o, a, b); // never forward: o <= a
      off[w] = o;
      o += b - a;
      if (w !== i) {
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
    off[w] = o;
    this.#wide = wide;
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
