/**
 * REPORTs kept column by column: one typed array per number, no object per REPORT. The bulk
 * path (`LogParser` with `columnar: true`, then `joinInvocationColumns`) holds a million
 * REPORTs in a few flat arrays instead of a million records, rows and Dates.
 *
 * @module
 */
import type { PlatformStatus, ReportRecord } from "./records.ts";
import { type ReportFields, reportFields } from "./text.ts";
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

/** A fresh copy of a short string, so it does not keep the log chunk it was cut from alive. */
function detach(s: string): string {
  return s.length < 13 ? s : (JSON.parse(JSON.stringify(s)) as string);
}

/** {@link RequestTable}'s contents as plain arrays (see {@link RequestTable.data}). */
export interface RequestTableData {
  length: number;
  lines: number;
  chars: Uint16Array;
  off: Int32Array;
  hashes: Int32Array;
  startTime: Float64Array;
  first: Float64Array;
  sightings: number;
}

/** {@link ReportTable}'s number columns (NaN for none), one value per entry. */
export const REPORT_NUMBER_COLUMNS = [
  "time",
  "duration",
  "billed",
  "memory",
  "maxUsed",
  "init",
  "restore",
  "billedRestore",
  "start",
] as const;

/** One of {@link REPORT_NUMBER_COLUMNS}. */
export type ReportNumberColumn = typeof REPORT_NUMBER_COLUMNS[number];

/** {@link ReportTable}'s contents as plain arrays (see {@link ReportTable.data}). */
export interface ReportTableData extends Record<ReportNumberColumn, Float64Array> {
  length: number;
  pool: Uint8Array;
  idOff: Int32Array;
  wide: Array<[number, string]>;
  hashes: Int32Array;
  status: Uint8Array;
  errorType: Array<string | null>;
  counted: number;
  requests: RequestTableData;
}

/**
 * The request ids of text START and END lines, each once, with the earliest START time: what the
 * join needs of them, kept in flat arrays instead of a record per line (a record holds a slice of
 * its log chunk, which keeps every chunk of the file alive). Ids are kept as UTF-16 code units in
 * one pool, indexed as they arrive (open addressing on {@link ReportTable}'s hash).
 */
export class RequestTable {
  /** Distinct request ids. */
  length = 0;
  /** START and END lines seen (each is a platform record). */
  lines = 0;
  #chars: Uint16Array = new Uint16Array(1 << 16);
  #off: Int32Array = new Int32Array(1025);
  #hashes: Int32Array = new Int32Array(1024);
  /** Earliest START time (epoch ms) per id; NaN where no START stated one. */
  startTime: Float64Array = new Float64Array(1024);
  /** When each id was first seen, in {@link sightings} (orphans are listed in that order). */
  first: Float64Array = new Float64Array(1024);
  /** START and END lines noted so far, in {@link ReportTable} (the order of sightings). */
  sightings = 0;
  /** Per slot: entry index + 1 (0 for empty), then the entry's hash. */
  #slots: Int32Array = new Int32Array(4096);
  #mask = 2047;

  /** The id being looked up, as code units. */
  #scratch = new Uint16Array(256);

  /**
   * Notes a START (with its time) or an END (time null) of the id at `text[from..]`, which ends
   * at a tab, space, carriage return or the line's end.
   *
   * @param text The line.
   * @param from Where the id starts.
   * @param time The START's time, or null (an END, or no time known).
   * @param seen When the line was seen (see {@link sightings}).
   * @param n Where the line ends (default: the text's end).
   * @returns False when the id is empty (the line is then not taken).
   */
  see(text: string, from: number, time: number | null, seen: number, n = text.length): boolean {
    let end = from;
    let h = 0x811c9dc5;
    let scratch = this.#scratch;
    for (; end < n; end++) {
      const c = text.charCodeAt(end);
      if (c === 9 || c === 32 || c === 13) break;
      h = Math.imul(h ^ c, 0x01000193);
      const k = end - from;
      if (k === scratch.length) {
        const more = new Uint16Array(scratch.length * 2);
        more.set(scratch);
        this.#scratch = scratch = more;
      }
      scratch[k] = c;
    }
    if (end === from) return false;
    this.lines++;
    this.#upsert(scratch, 0, end - from, (h ^ (h >>> 15)) | 0, time === null ? NaN : time, seen);
    return true;
  }

  /**
   * {@link see} for an id already scanned: code units `chars[from, from + len)` (`len` > 0).
   *
   * @param chars The id's code units.
   * @param from Where it starts in them.
   * @param len Its length.
   * @param hash Its hash ({@link ReportTable}'s).
   * @param time The START's time, or NaN.
   * @param seen When the line was seen (see {@link sightings}).
   */
  seeChars(
    chars: Uint16Array,
    from: number,
    len: number,
    hash: number,
    time: number,
    seen: number,
  ): void {
    this.lines++;
    this.#upsert(chars, from, from + len, hash, time, seen);
  }

  /** Adds the id `src[from, to)` or, when known, keeps the earlier of the two START times. */
  #upsert(
    src: Uint16Array,
    from: number,
    to: number,
    hash: number,
    time: number,
    seen: number,
  ): void {
    const len = to - from;
    const chars = this.#chars;
    const off = this.#off;
    const mask = this.#mask;
    const slots = this.#slots;
    let slot = hash & mask;
    for (;; slot = (slot + 1) & mask) {
      const e = slots[2 * slot]!;
      if (e === 0) break;
      if (slots[2 * slot + 1] !== hash) continue;
      const i = e - 1;
      if (off[i + 1]! - off[i]! !== len) continue;
      const at = off[i]!;
      let k = 0;
      while (k < len && chars[at + k] === src[from + k]) k++;
      if (k < len) continue;
      if (time === time && !(this.startTime[i]! <= time)) this.startTime[i] = time;
      if (seen < this.first[i]!) this.first[i] = seen;
      return;
    }
    const i = this.length;
    if (i + 1 === this.#hashes.length) this.#grow();
    const start = this.#off[i]!;
    if (start + len > this.#chars.length) {
      const more = new Uint16Array(Math.max(this.#chars.length * 2, start + len));
      more.set(this.#chars);
      this.#chars = more;
    }
    this.#chars.set(src.subarray(from, to), start);
    this.#off[i + 1] = start + len;
    this.#hashes[i] = hash;
    this.startTime[i] = time;
    this.first[i] = seen;
    this.length = i + 1;
    if (this.length * 2 > this.#mask + 1) {
      this.#reindex();
    } else {
      slots[2 * slot] = i + 1;
      slots[2 * slot + 1] = hash;
    }
  }

  /** @returns A copy of the contents, for {@link absorb} (e.g. from another thread). */
  data(): RequestTableData {
    const n = this.length;
    return {
      length: n,
      lines: this.lines,
      chars: this.#chars.slice(0, this.#off[n]!),
      off: this.#off.slice(0, n + 1),
      hashes: this.#hashes.slice(0, n),
      startTime: this.startTime.slice(0, n),
      first: this.first.slice(0, n),
      sightings: this.sightings,
    };
  }

  /**
   * Adds another table's ids (as {@link data} gave them), as if its lines came after these.
   *
   * @param d The other table's contents.
   */
  absorb(d: RequestTableData): void {
    this.lines += d.lines;
    const base = this.sightings;
    for (let j = 0; j < d.length; j++) {
      const seen = base + d.first[j]!;
      this.#upsert(d.chars, d.off[j]!, d.off[j + 1]!, d.hashes[j]!, d.startTime[j]!, seen);
    }
    this.sightings = base + d.sightings;
  }

  #grow(): void {
    const c = this.#hashes.length * 2;
    const hashes = new Int32Array(c);
    hashes.set(this.#hashes);
    this.#hashes = hashes;
    const off = new Int32Array(c + 1);
    off.set(this.#off);
    this.#off = off;
    const times = new Float64Array(c);
    times.set(this.startTime);
    this.startTime = times;
    const first = new Float64Array(c);
    first.set(this.first);
    this.first = first;
  }

  #reindex(): void {
    const size = (this.#mask + 1) * 2;
    const slots = new Int32Array(size * 2);
    const mask = size - 1;
    for (let i = 0; i < this.length; i++) {
      const hash = this.#hashes[i]!;
      let h = hash & mask;
      while (slots[2 * h] !== 0) h = (h + 1) & mask;
      slots[2 * h] = i + 1;
      slots[2 * h + 1] = hash;
    }
    this.#slots = slots;
    this.#mask = mask;
  }

  /**
   * @param i An entry index.
   * @returns Its request id.
   */
  id(i: number): string {
    const end = this.#off[i + 1]!;
    let id = "";
    for (let at = this.#off[i]!; at < end; at += 4096) {
      id += String.fromCharCode(...this.#chars.subarray(at, Math.min(end, at + 4096)));
    }
    return id;
  }

  /**
   * @param id A request id.
   * @returns Its entry index, or -1.
   */
  find(id: string): number {
    const hash = hashId(id);
    const off = this.#off;
    const chars = this.#chars;
    const slots = this.#slots;
    for (let h = hash & this.#mask;; h = (h + 1) & this.#mask) {
      const e = slots[2 * h]!;
      if (e === 0) return -1;
      if (slots[2 * h + 1] !== hash) continue;
      const i = e - 1;
      if (off[i + 1]! - off[i]! !== id.length) continue;
      const at = off[i]!;
      let k = 0;
      while (k < id.length && chars[at + k] === id.charCodeAt(k)) k++;
      if (k === id.length) return i;
    }
  }

  /**
   * @param entries Entry indexes.
   * @returns The same, in the order their ids were first seen.
   */
  inOrderSeen(entries: number[]): number[] {
    return entries.sort((a, b) => this.first[a]! - this.first[b]!);
  }

  /**
   * The entry of each of these ids in a {@link ReportTable} (merging its repeats first).
   *
   * @param reports The REPORTs.
   * @returns Per entry here, the entry there, or -1 when that id has no REPORT.
   */
  inReports(reports: ReportTable): Int32Array {
    const at = new Int32Array(this.length);
    for (let i = 0; i < this.length; i++) {
      at[i] = reports.findChars(this.#chars, this.#off[i]!, this.#off[i + 1]!, this.#hashes[i]!);
    }
    return at;
  }
}

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
  /**
   * Earliest time of a text START of the same id that the bulk parser saw just before this
   * REPORT (see {@link LineNotes}); NaN otherwise. Other STARTs are in {@link requests}.
   */
  start: Float64Array;
  /** Index into {@link STATUS_CODES}. */
  status: Uint8Array;
  readonly errorType: Array<string | null> = [];
  /** The text START and END lines of the same run (the bulk parser fills it). */
  readonly requests = new RequestTable();
  /**
   * Platform records the bulk parser kept only as a count: START and END lines (see
   * {@link requests}) and records the join does not read (INIT_START, EXTENSION, ...).
   */
  counted = 0;
  /** Parsers' START and END lines not yet in {@link requests} or {@link start}. */
  readonly #notes = new Set<LineNotes>();
  /** Error types, each kept once (detached from the log text). */
  #errorTypes = new Map<string, string>();

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
    this.start = new Float64Array(c);
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
   * @param i An entry index.
   * @returns The hash of its request id.
   */
  hashAt(i: number): number {
    return this.#hashes[i]!;
  }

  /**
   * @param i An entry index.
   * @param chars Code units.
   * @param from Where the id starts in them.
   * @param len Its length.
   * @returns True where entry `i`'s id is `chars[from, from + len)`.
   */
  idEqualsChars(i: number, chars: Uint16Array, from: number, len: number): boolean {
    const w = this.#wide.size > 0 ? this.#wide.get(i) : undefined;
    if (w !== undefined) {
      if (w.length !== len) return false;
      for (let k = 0; k < len; k++) if (w.charCodeAt(k) !== chars[from + k]) return false;
      return true;
    }
    const at = this.#idOff[i]!;
    if (this.#idOff[i + 1]! - at !== len) return false;
    const pool = this.#pool;
    for (let k = 0; k < len; k++) if (pool[at + k] !== chars[from + k]) return false;
    return true;
  }

  /** @returns True when some entry's request id is empty (only a REPORT added by hand). */
  hasEmptyId(): boolean {
    const off = this.#idOff;
    for (let i = 0; i < this.length; i++) {
      if (off[i + 1] === off[i] && this.#wide.get(i) === undefined) return true;
    }
    return false;
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

  /**
   * Every entry's request id, one per line (each followed by `\n`), for Polars' CSV reader,
   * which makes the column in one call where one string per id would cross one at a time.
   *
   * @returns The bytes, or null when some id is empty or holds a character outside printable
   *   ASCII (U+0021 to U+007E): such ids go by {@link idsBetween}.
   */
  idLines(): Uint8Array | null {
    if (this.#wide.size > 0) return null;
    const n = this.length;
    const off = this.#idOff;
    const pool = this.#pool;
    const out = new Uint8Array(off[n]! - off[0]! + n);
    let o = 0;
    for (let i = 0; i < n; i++) {
      const to = off[i + 1]!;
      let k = off[i]!;
      if (k === to) return null;
      for (; k < to; k++) {
        const c = pool[k]!;
        if (c < 0x21 || c > 0x7e) return null;
        out[o++] = c;
      }
      out[o++] = 10;
    }
    return out;
  }

  /** True where entries `a` and `b` have the same id, compared in place where both are bytes. */
  #sameId(a: number, b: number): boolean {
    if (this.#wide.size > 0 && (this.#wide.has(a) || this.#wide.has(b))) {
      return this.id(a) === this.id(b);
    }
    const off = this.#idOff;
    const at = off[a]!;
    const bt = off[b]!;
    const len = off[a + 1]! - at;
    if (off[b + 1]! - bt !== len) return false;
    const pool = this.#pool;
    for (let k = 0; k < len; k++) if (pool[at + k] !== pool[bt + k]) return false;
    return true;
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

  /**
   * Finds an entry by an id held as UTF-16 code units (see {@link RequestTable}), merging
   * repeated ids first.
   *
   * @param chars The code units.
   * @param start First unit of the id.
   * @param end Unit after its last.
   * @param hash Its hash (as {@link RequestTable} computes it).
   * @returns The entry index, or -1.
   */
  findChars(chars: Uint16Array, start: number, end: number, hash: number): number {
    this.dedupe();
    if (this.#slots === null) this.#index();
    const mask = this.#mask;
    const slots = this.#slots!;
    const len = end - start;
    const pool = this.#pool;
    const off = this.#idOff;
    for (let h = hash & mask;; h = (h + 1) & mask) {
      const e = slots[2 * h]!;
      if (e === 0) return -1;
      if (slots[2 * h + 1] !== hash) continue;
      const i = e - 1;
      const w = this.#wide.size > 0 ? this.#wide.get(i) : undefined;
      if (w !== undefined) {
        if (w.length !== len) continue;
        let k = 0;
        while (k < len && w.charCodeAt(k) === chars[start + k]) k++;
        if (k === len) return i;
        continue;
      }
      const at = off[i]!;
      if (off[i + 1]! - at !== len) continue;
      let k = 0;
      while (k < len && pool[at + k] === chars[start + k]) k++;
      if (k === len) return i;
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

  /** Grows the id pool to hold at least `end` bytes. */
  #poolRoom(end: number): void {
    if (end <= this.#pool.length) return;
    const pool = new Uint8Array(Math.max(this.#pool.length * 2, end));
    pool.set(this.#pool);
    this.#pool = pool;
  }

  #grow(): void {
    const c = this.time.length * 2;
    for (const k of REPORT_NUMBER_COLUMNS) this[k] = grow(this[k], c);
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
    // The parser's own fields were checked as they were read (readReportLine, readBulkLine).
    const impossible = r === reportFields ? null : checkReport(r, TEXT_LABELS);
    if (impossible !== null) {
      throw new RangeError(`Cannot keep REPORT ${r.requestId}: ${impossible.slice(8)}`);
    }
    const i = this.length;
    if (i === this.time.length) this.#grow();
    const id = r.requestId;
    const len = id.length;
    const start = this.#idOff[i]!;
    this.#poolRoom(start + len);
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
      this.#wide.set(i, detach(id));
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
    this.start[i] = NaN;
    this.status[i] = statusCode(r.status);
    let errorType = r.errorType;
    if (errorType !== null) {
      const known = this.#errorTypes.get(errorType);
      if (known === undefined) this.#errorTypes.set(errorType, errorType = detach(errorType));
      else errorType = known;
    }
    this.errorType.push(errorType);
    this.length = i + 1;
    this.#clean = false;
    this.#slots = null;
  }

  /**
   * Appends a REPORT the native line reader read (see `ExportReader.readScanned`): its id as
   * ASCII bytes with its hash, its numbers at `nums[o, o + 6)` (time, duration, billed, memory,
   * max memory used, init; NaN for none), checked by the caller, success, no error type.
   *
   * @param bytes Where the id is.
   * @param from Its first byte.
   * @param len Its length.
   * @param hash Its hash (as {@link add} computes it).
   * @param nums The numbers.
   * @param o Where this REPORT's numbers start in them.
   */
  addScanned(
    bytes: Uint8Array,
    from: number,
    len: number,
    hash: number,
    nums: Float64Array,
    o: number,
  ): void {
    const i = this.length;
    if (i === this.time.length) this.#grow();
    const start = this.#idOff[i]!;
    this.#poolRoom(start + len);
    const pool = this.#pool;
    for (let k = 0; k < len; k++) pool[start + k] = bytes[from + k]!;
    this.#idOff[i + 1] = start + len;
    this.#hashes[i] = hash;
    this.time[i] = nums[o]!;
    this.duration[i] = nums[o + 1]!;
    this.billed[i] = nums[o + 2]!;
    this.memory[i] = nums[o + 3]!;
    this.maxUsed[i] = nums[o + 4]!;
    this.init[i] = nums[o + 5]!;
    this.restore[i] = NaN;
    this.billedRestore[i] = NaN;
    this.start[i] = NaN;
    this.status[i] = 0;
    this.errorType.push(null);
    this.length = i + 1;
    this.#clean = false;
    this.#slots = null;
  }

  /**
   * Lets `notes` be settled by {@link settle}.
   *
   * @param notes A parser's START and END lines on their way into this table.
   */
  register(notes: LineNotes): void {
    this.#notes.add(notes);
  }

  /** Puts the START and END lines still waiting in parsers into {@link requests}. */
  settle(): void {
    for (const n of this.#notes) n.flush();
  }

  /**
   * Notes the time of a START of entry `i`'s id, keeping the earliest.
   *
   * @param i An entry index.
   * @param time Epoch ms, or NaN (nothing to note).
   */
  noteStart(i: number, time: number): void {
    if (time === time && !(this.start[i]! <= time)) this.start[i] = time;
  }

  /**
   * @returns A copy of the entries as they are (repeats not merged), for {@link append} (e.g.
   *   from another thread).
   */
  data(): ReportTableData {
    this.settle();
    const n = this.length;
    const numbers = Object.fromEntries(
      REPORT_NUMBER_COLUMNS.map((k) => [k, this[k].slice(0, n)]),
    ) as Record<ReportNumberColumn, Float64Array>;
    return {
      length: n,
      pool: this.#pool.slice(0, this.#idOff[n]!),
      idOff: this.#idOff.slice(0, n + 1),
      wide: [...this.#wide],
      hashes: this.#hashes.slice(0, n),
      ...numbers,
      status: this.status.slice(0, n),
      errorType: this.errorType.slice(0, n),
      counted: this.counted,
      requests: this.requests.data(),
    };
  }

  /**
   * Appends another table's entries (as {@link data} gave them) after these, as if its lines
   * came after these lines: repeats are merged by {@link dedupe} as usual.
   *
   * @param d The other table's contents.
   */
  append(d: ReportTableData): void {
    const base = this.length;
    const n = d.length;
    while (this.time.length < base + n + 1) this.#grow();
    const start = this.#idOff[base]!;
    const bytes = d.idOff[n]! - d.idOff[0]!;
    this.#poolRoom(start + bytes);
    this.#pool.set(d.pool.subarray(d.idOff[0]!, d.idOff[n]!), start);
    for (let k = 1; k <= n; k++) this.#idOff[base + k] = start + d.idOff[k]! - d.idOff[0]!;
    for (const [i, id] of d.wide) this.#wide.set(base + i, id);
    this.#hashes.set(d.hashes.subarray(0, n), base);
    for (const k of REPORT_NUMBER_COLUMNS) this[k].set(d[k].subarray(0, n), base);
    this.status.set(d.status.subarray(0, n), base);
    for (let k = 0; k < n; k++) {
      let e = d.errorType[k] ?? null;
      if (e !== null) {
        const known = this.#errorTypes.get(e);
        if (known === undefined) this.#errorTypes.set(e, e);
        else e = known;
      }
      this.errorType.push(e);
    }
    this.length = base + n;
    this.counted += d.counted;
    this.requests.absorb(d.requests);
    if (n > 0) {
      this.#clean = false;
      this.#slots = null;
    }
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
    // Each entry whose hash is shared merges into the first entry of its id, in order of
    // appearance. The first entries are kept by hash (several only when different ids collide)
    // and ids compared in place: no string per entry.
    const firsts = new Map<number, number | number[]>();
    const drop = new Uint8Array(n);
    let dropped = 0;
    for (let i = 0; i < n; i++) {
      const h = hashes[i]!;
      if (!shared.has(h)) continue;
      const known = firsts.get(h);
      if (known === undefined) {
        firsts.set(h, i);
        continue;
      }
      let first = -1;
      if (typeof known === "number") {
        if (this.#sameId(known, i)) first = known;
      } else {
        for (const f of known) {
          if (this.#sameId(f, i)) {
            first = f;
            break;
          }
        }
      }
      if (first < 0) {
        if (typeof known === "number") firsts.set(h, [known, i]);
        else known.push(i);
        continue;
      }
      this.#merge(first, i);
      drop[i] = 1;
      dropped++;
    }
    if (dropped === 0) return 0;
    const off = this.#idOff;
    const pool = this.#pool;
    const wide = new Map<number, string>();
    const numbers = REPORT_NUMBER_COLUMNS.map((k) => this[k]);
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
        for (const column of numbers) column[w] = column[i]!;
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
    this.noteStart(i, this.start[j]!);
    if (this.status[i] === 0) this.status[i] = this.status[j]!;
    if (this.errorType[i] === null) this.errorType[i] = this.errorType[j]!;
    if (Number.isNaN(this.time[i]!)) this.time[i] = this.time[j]!;
  }
}

/** STARTs kept near at hand for the REPORT that follows them (see {@link LineNotes}). */
const RING = 16;

/** Code units of an id kept in a {@link LineNotes} slot; longer ids are compared as strings. */
const SLOT = 64;

/** The hash {@link scanId} computed last ({@link ReportTable}'s hash of the id). */
let scannedHash = 0;

/**
 * Length of the request id at `text[from..]` (up to a tab, space, carriage return or the end);
 * copies its first {@link SLOT} code units to `into[at..]` and leaves its hash in
 * {@link scannedHash}.
 */
function scanId(text: string, from: number, into: Uint16Array, at: number, n: number): number {
  let end = from;
  let h = 0x811c9dc5;
  while (end < n) {
    const c = text.charCodeAt(end);
    if (c === 9 || c === 32 || c === 13) break;
    h = Math.imul(h ^ c, 0x01000193);
    const k = end - from;
    if (k < SLOT) into[at + k] = c;
    end++;
  }
  scannedHash = (h ^ (h >>> 15)) | 0;
  return end - from;
}

/** True where `text` holds `id` at `from` (a loop beats startsWith on a slice of a chunk). */
function sameAt(text: string, from: number, id: string): boolean {
  for (let k = 0; k < id.length; k++) {
    if (text.charCodeAt(from + k) !== id.charCodeAt(k)) return false;
  }
  return true;
}

/**
 * Text START and END lines on their way into a {@link ReportTable}, for the bulk parser. Lambda
 * writes an invocation's END right before its REPORT, and its START a few lines before: so the
 * last END waits for the next line, and the last STARTs wait in a small ring for their REPORT.
 * An END followed by its REPORT adds nothing; a START whose REPORT comes gives its time to that
 * REPORT's entry ({@link ReportTable.start}). Every other START or END goes into
 * {@link ReportTable.requests}, which the join reads too, so the rows are the same either way.
 */
export class LineNotes {
  readonly #reports: ReportTable;
  #ringLine: string[] = new Array<string>(RING).fill("");
  #ringFrom = new Int32Array(RING);
  /** 0: the slot is free. */
  #ringLen = new Int32Array(RING);
  #ringTime = new Float64Array(RING);
  #ringSeen = new Float64Array(RING);
  #ringHash = new Int32Array(RING);
  #ringChars = new Uint16Array(RING * SLOT);
  #next = 0;
  #endLine = "";
  #endFrom = 0;
  #endSeen = 0;
  #endHash = 0;
  #endChars = new Uint16Array(SLOT);
  /** 0: no END waits. */
  #endLen = 0;

  /** @param reports Where the STARTs and ENDs go. */
  constructor(reports: ReportTable) {
    this.#reports = reports;
    reports.register(this);
  }

  /**
   * A START line.
   *
   * @param text The line.
   * @param from Where its request id starts.
   * @param time Its time, or null.
   * @param end Where the line ends (default: the text's end).
   * @returns False when the id is empty (the line is then not taken).
   */
  start(text: string, from: number, time: number | null, end = text.length): boolean {
    const k = this.#next;
    if (this.#ringLen[k] !== 0) this.#spill(k);
    const len = scanId(text, from, this.#ringChars, k * SLOT, end);
    if (len === 0) return false;
    this.other();
    this.#next = (k + 1) % RING;
    this.#ringHash[k] = scannedHash;
    this.#ringLine[k] = text;
    this.#ringFrom[k] = from;
    this.#ringLen[k] = len;
    this.#ringTime[k] = time === null ? NaN : time;
    this.#ringSeen[k] = this.#reports.requests.sightings++;
    return true;
  }

  /**
   * An END line.
   *
   * @param text The line.
   * @param from Where its request id starts.
   * @param end Where the line ends (default: the text's end).
   * @returns False when the id is empty (the line is then not taken).
   */
  end(text: string, from: number, end = text.length): boolean {
    this.other();
    const len = scanId(text, from, this.#endChars, 0, end);
    if (len === 0) return false;
    this.#endHash = scannedHash;
    this.#endLine = text;
    this.#endFrom = from;
    this.#endLen = len;
    this.#endSeen = this.#reports.requests.sightings++;
    return true;
  }

  /**
   * {@link start} for an id the native line reader found: ASCII bytes `bytes[from, from + len)`
   * (0 < `len` <= 64) with their hash.
   *
   * @param bytes Where the id is.
   * @param from Its first byte.
   * @param len Its length.
   * @param hash Its hash.
   * @param time The START's time, or NaN.
   */
  startId(bytes: Uint8Array, from: number, len: number, hash: number, time: number): void {
    const k = this.#next;
    if (this.#ringLen[k] !== 0) this.#spill(k);
    this.other();
    const chars = this.#ringChars;
    const at = k * SLOT;
    for (let j = 0; j < len; j++) chars[at + j] = bytes[from + j]!;
    this.#next = (k + 1) % RING;
    this.#ringHash[k] = hash;
    this.#ringLine[k] = "";
    this.#ringFrom[k] = 0;
    this.#ringLen[k] = len;
    this.#ringTime[k] = time;
    this.#ringSeen[k] = this.#reports.requests.sightings++;
  }

  /**
   * {@link end} for an id the native line reader found (as for {@link startId}).
   *
   * @param bytes Where the id is.
   * @param from Its first byte.
   * @param len Its length.
   * @param hash Its hash.
   */
  endId(bytes: Uint8Array, from: number, len: number, hash: number): void {
    this.other();
    const chars = this.#endChars;
    for (let j = 0; j < len; j++) chars[j] = bytes[from + j]!;
    this.#endHash = hash;
    this.#endLine = "";
    this.#endFrom = 0;
    this.#endLen = len;
    this.#endSeen = this.#reports.requests.sightings++;
  }

  /**
   * The REPORT just added as entry `i` of the table.
   *
   * @param i Its entry.
   * @param id Its request id.
   */
  report(i: number, id: string): void {
    this.reportOf(i, id.length, id);
  }

  /**
   * {@link report} by the id's length; `id` is needed only for an id over 64 code units.
   *
   * @param i The entry.
   * @param len Its request id's length.
   * @param id The id, or null when `len` <= 64.
   */
  reportOf(i: number, len: number, id: string | null): void {
    const t = this.#reports;
    const hash = t.hashAt(i);
    if (this.#endLen !== 0) {
      const same = this.#endLen === len && this.#endHash === hash &&
        (len <= SLOT
          ? t.idEqualsChars(i, this.#endChars, 0, len)
          : sameAt(this.#endLine, this.#endFrom, id!));
      if (same) {
        this.#endLen = 0;
        this.#endLine = "";
      } else {
        this.other();
      }
    }
    // Newest first: most STARTs are the last one before their REPORT.
    for (let j = 1; j <= RING; j++) {
      const k = (this.#next + RING - j) % RING;
      if (this.#ringLen[k] !== len || this.#ringHash[k] !== hash) continue;
      const same = len <= SLOT
        ? t.idEqualsChars(i, this.#ringChars, k * SLOT, len)
        : sameAt(this.#ringLine[k]!, this.#ringFrom[k]!, id!);
      if (same) {
        t.noteStart(i, this.#ringTime[k]!);
        this.#ringLen[k] = 0;
        this.#ringLine[k] = "";
        return;
      }
    }
  }

  /** Any other line: a waiting END did not meet its REPORT. */
  other(): void {
    const len = this.#endLen;
    if (len === 0) return;
    const requests = this.#reports.requests;
    if (len <= SLOT) {
      requests.seeChars(this.#endChars, 0, len, this.#endHash, NaN, this.#endSeen);
    } else {
      const from = this.#endFrom;
      requests.see(this.#endLine, from, null, this.#endSeen, from + len);
    }
    this.#endLen = 0;
    this.#endLine = "";
  }

  /** Puts everything still waiting into the table's requests, oldest first. */
  flush(): void {
    this.other();
    for (let j = 0; j < RING; j++) {
      const k = (this.#next + j) % RING;
      if (this.#ringLen[k] !== 0) this.#spill(k);
    }
  }

  #spill(k: number): void {
    const t = this.#ringTime[k]!;
    const len = this.#ringLen[k]!;
    const requests = this.#reports.requests;
    if (len <= SLOT) {
      requests.seeChars(this.#ringChars, k * SLOT, len, this.#ringHash[k]!, t, this.#ringSeen[k]!);
    } else {
      const from = this.#ringFrom[k]!;
      requests.see(this.#ringLine[k]!, from, t === t ? t : null, this.#ringSeen[k]!, from + len);
    }
    this.#ringLen[k] = 0;
    this.#ringLine[k] = "";
  }
}
