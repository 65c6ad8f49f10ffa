/**
 * Reading a plain log file, or a part of one cut at line ends, into an {@link ExportReader},
 * for `ingest()` and its worker threads (no Polars here, so a worker loads only the parser).
 *
 * @module
 */
import {
  ExportReader,
  type ParseStats,
  type PlatformRecord,
  readsLineByLine,
  ReportTable,
  type ReportTableData,
} from "../parse/mod.ts";

import { type NativeLines, nativeLines } from "./_native.ts";

/** Bytes per read: a stream's 64 KiB pieces cost more than the parse. */
const READ_BYTES = 4 << 20;

/**
 * Bytes decoded into one string. A read is decoded in pieces this small so that each string
 * lives in V8's young generation: a string of a whole read (megabytes) goes to the large-object
 * space, mapped and faulted in afresh for every read, and threads parsing at once then wait on
 * each other's page faults.
 */
const DECODE_BYTES = 32 << 10;

/**
 * Feeds bytes `[start, end)` of a file to a reader, decoded as UTF-8 (bad bytes as U+FFFD).
 *
 * @param path The file.
 * @param start First byte (the start of a line).
 * @param end Byte after the last (the end of a line, or the file's size).
 * @param reader Where the text goes.
 * @param onBytes Hears of each read, with its size in bytes (after the text went to `reader`).
 * @param native The native line reader, or null: with it, `reader` must be in lines mode (see
 *   {@link readScanned}).
 */
export async function readRange(
  path: string,
  start: number,
  end: number,
  reader: ExportReader,
  onBytes?: (n: number) => void,
  native: NativeLines | null = null,
): Promise<void> {
  if (native !== null) return readScanned(path, start, end, reader, native, onBytes);
  const file = await Deno.open(path);
  try {
    if (start > 0) await file.seek(start, Deno.SeekMode.Start);
    const buffer = new Uint8Array(Math.max(1, Math.min(READ_BYTES, end - start)));
    // Only the file's own byte order mark is dropped: a part that starts mid-file keeps a
    // U+FEFF that begins its first line, as one reader of the whole file keeps it.
    const decoder = new TextDecoder("utf-8", { ignoreBOM: start > 0 });
    let left = end - start;
    while (left > 0) {
      const n = await file.read(left < buffer.length ? buffer.subarray(0, left) : buffer);
      if (n === null) break;
      left -= n;
      for (let at = 0; at < n; at += DECODE_BYTES) {
        const to = Math.min(n, at + DECODE_BYTES);
        const text = decoder.decode(buffer.subarray(at, to), { stream: true });
        if (text !== "") reader.push(text);
      }
      onBytes?.(n);
    }
    const rest = decoder.decode();
    if (rest !== "") reader.push(rest);
  } finally {
    file.close();
  }
}

/**
 * Bytes on their way to the native line reader: whole lines go to `reader` as the buffer fills
 * (`ExportReader.readScanned`), a line cut at the buffer's end waits for the rest. At the file's
 * start, byte order marks are dropped as the decoder and `ExportReader` drop them.
 */
class ScanBuffer {
  #buffer: Uint8Array<ArrayBuffer>;
  #filled = 0;
  #atFileStart: boolean;
  readonly #reader: ExportReader;
  readonly #native: NativeLines;

  /**
   * @param reader Where the lines go (in lines mode).
   * @param native The native reader.
   * @param atFileStart True when the first byte is the file's first.
   * @param size Bytes the buffer starts with room for.
   */
  constructor(reader: ExportReader, native: NativeLines, atFileStart: boolean, size = READ_BYTES) {
    this.#reader = reader;
    this.#native = native;
    this.#atFileStart = atFileStart;
    this.#buffer = new Uint8Array(Math.max(1, size));
  }

  /** Free room at the end, at least 1 byte (the buffer grows when one line fills it). */
  room(): Uint8Array<ArrayBuffer> {
    if (this.#filled === this.#buffer.length) this.#grow(this.#buffer.length * 2);
    return this.#buffer.subarray(this.#filled);
  }

  /** @param n Bytes just written at the start of {@link room}. */
  wrote(n: number): void {
    this.#filled += n;
  }

  /** Copies `chunk` in, reading whole lines out first when the buffer is full. */
  add(chunk: Uint8Array): void {
    if (this.#filled + chunk.length > this.#buffer.length) this.scan(false);
    const need = this.#filled + chunk.length;
    if (need > this.#buffer.length) this.#grow(Math.max(need, this.#buffer.length * 2));
    this.#buffer.set(chunk, this.#filled);
    this.#filled += chunk.length;
  }

  /**
   * Reads the whole lines held (and, with `last`, the bytes after the last newline as a line).
   *
   * @param last True at the end of the range.
   */
  scan(last: boolean): void {
    const buffer = this.#buffer;
    const filled = this.#filled;
    let from = 0;
    if (this.#atFileStart) {
      if (filled < 6 && !last) return;
      this.#atFileStart = false;
      for (let k = 0; k < 2 && isBom(buffer, from, filled); k++) from += 3;
    }
    const native = this.#native;
    for (;;) {
      const view = buffer.subarray(from, filled);
      const count = native.scan(view, last);
      this.#reader.readScanned(view, native.lines, count);
      from += native.consumed;
      if (count < native.cap) break;
    }
    buffer.copyWithin(0, from, filled);
    this.#filled = filled - from;
  }

  #grow(size: number): void {
    const more = new Uint8Array(size);
    more.set(this.#buffer.subarray(0, this.#filled));
    this.#buffer = more;
  }
}

/** {@link readRange} through the native line reader. */
async function readScanned(
  path: string,
  start: number,
  end: number,
  reader: ExportReader,
  native: NativeLines,
  onBytes?: (n: number) => void,
): Promise<void> {
  const file = await Deno.open(path);
  try {
    if (start > 0) await file.seek(start, Deno.SeekMode.Start);
    const lines = new ScanBuffer(reader, native, start === 0, Math.min(READ_BYTES, end - start));
    let left = end - start;
    for (;;) {
      const room = lines.room();
      const n = left > 0 ? await file.read(room.subarray(0, Math.min(room.length, left))) : null;
      if (n !== null) {
        left -= n;
        lines.wrote(n);
      }
      const last = n === null || left === 0;
      lines.scan(last);
      if (n !== null) onBytes?.(n);
      if (last) break;
    }
  } finally {
    file.close();
  }
}

/**
 * Feeds a whole file given as a stream of bytes (a decompressed `.gz`) to `reader`: through the
 * native line reader when one is given and the file's first line says it is read line by line
 * ({@link readsLineByLine}, as {@link lineCuts} decides for a plain file), else decoded and
 * pushed as text.
 *
 * @param bytes The file's bytes.
 * @param reader Where they go (undecided: not yet fed).
 * @param native The native line reader, or null.
 * @returns True when the native reader read the file.
 */
export async function readStream(
  bytes: AsyncIterable<Uint8Array>,
  reader: ExportReader,
  native: NativeLines | null,
): Promise<boolean> {
  const decoder = new TextDecoder();
  const asText = (chunk: Uint8Array) => {
    const text = decoder.decode(chunk, { stream: true });
    if (text !== "") reader.push(text);
  };
  // Up to the first newline (within the first 64 KiB), to decide.
  const head: Uint8Array[] = [];
  let headBytes = 0;
  let lines: ScanBuffer | null = null;
  let decided = native === null;
  for await (const chunk of bytes) {
    if (lines !== null) {
      lines.add(chunk);
      continue;
    }
    if (decided) {
      asText(chunk);
      continue;
    }
    head.push(chunk);
    headBytes += chunk.length;
    const joined = concat(head, headBytes);
    const newline = joined.subarray(0, PROBE_BYTES).indexOf(NEWLINE);
    if (newline < 0 && headBytes < PROBE_BYTES) continue;
    decided = true;
    if (newline >= 0 && readsLineByLine(firstLine(joined.subarray(0, newline)))) {
      reader.linesMode();
      lines = new ScanBuffer(reader, native!, true);
      lines.add(joined);
    } else {
      asText(joined);
    }
  }
  if (lines === null && !decided) {
    // The whole file ended before a newline or 64 KiB: JavaScript reads it.
    asText(concat(head, headBytes));
  }
  if (lines !== null) {
    lines.scan(true);
    return true;
  }
  const rest = decoder.decode();
  if (rest !== "") reader.push(rest);
  return false;
}

function concat(parts: Uint8Array[], bytes: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(bytes);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  parts.length = 0;
  parts.push(out);
  return out;
}

/** A file's first line as `ExportReader` sees it: decoded, without a byte order mark. */
function firstLine(bytes: Uint8Array): string {
  const line = new TextDecoder().decode(bytes);
  return line.charCodeAt(0) === 0xfeff ? line.slice(1) : line;
}

/** True where `b[at, to)` starts with UTF-8's byte order mark. */
function isBom(b: Uint8Array, at: number, to: number): boolean {
  return to - at >= 3 && b[at] === 0xef && b[at + 1] === 0xbb && b[at + 2] === 0xbf;
}

const NEWLINE = 10;
const PROBE_BYTES = 1 << 16;

/**
 * Where to cut a file into about `parts` parts at line ends, for parsing them in parallel;
 * null when the file is not read line by line (one JSON document, or a first line longer than
 * 64 KiB).
 *
 * @param path The file.
 * @param size Its size in bytes.
 * @param parts How many parts wanted.
 * @returns Cut offsets from 0 to `size` (each part is `[cuts[k], cuts[k + 1])`), or null.
 */
export async function lineCuts(
  path: string,
  size: number,
  parts: number,
): Promise<number[] | null> {
  const file = await Deno.open(path);
  try {
    const probe = new Uint8Array(PROBE_BYTES);
    const read = async (at: number): Promise<number> => {
      await file.seek(at, Deno.SeekMode.Start);
      let got = 0;
      while (got < probe.length) {
        const n = await file.read(probe.subarray(got));
        if (n === null) break;
        got += n;
      }
      return got;
    };
    const head = await read(0);
    const first = probe.subarray(0, head).indexOf(NEWLINE);
    if (first < 0) return null;
    if (!readsLineByLine(firstLine(probe.subarray(0, first)))) return null;
    const cuts = [0];
    for (let k = 1; k < parts; k++) {
      let at = Math.floor((size * k) / parts);
      if (at <= cuts.at(-1)!) continue;
      let cut = -1;
      while (at < size) {
        const got = await read(at);
        if (got === 0) break;
        const i = probe.subarray(0, got).indexOf(NEWLINE);
        if (i >= 0) {
          cut = at + i + 1;
          break;
        }
        at += got;
      }
      if (cut < 0 || cut >= size) break;
      cuts.push(cut);
    }
    cuts.push(size);
    return cuts;
  } finally {
    file.close();
  }
}

/** What a worker is asked: one part of a file. */
export interface PartRequest {
  path: string;
  start: number;
  end: number;
  maxSamples: number;
  /** The native line reader's library to read it with (the caller loaded it), or null. */
  nativeLib: string | null;
}

/** What a worker answers: the part's REPORTs as plain arrays, its records and counts. */
export interface PartResult {
  table: ReportTableData;
  records: PlatformRecord[];
  stats: ParseStats;
  /** Lines in the part, blank ones too (the next part's line numbers start after them). */
  lineCount: number;
  lineKinds: { json: number; text: number };
}

/**
 * Parses one part of a file (cut at line ends) line by line into a fresh table.
 *
 * @param req The part.
 * @param onBytes As for {@link readRange}.
 * @returns Its contents.
 * @throws {Error} When `req.nativeLib` is set and this thread cannot load it.
 */
export async function parsePart(
  req: PartRequest,
  onBytes?: (n: number) => void,
): Promise<PartResult> {
  const reports = new ReportTable();
  const reader = new ExportReader({ maxSamples: req.maxSamples, columnar: reports, lines: true });
  let native: NativeLines | null = null;
  if (req.nativeLib !== null) {
    const got = nativeLines(req.nativeLib);
    if (typeof got === "string") throw new Error(got);
    native = got;
  }
  await readRange(req.path, req.start, req.end, reader, onBytes, native);
  const { records, stats } = reader.end();
  return {
    table: reports.data(),
    records,
    stats,
    lineCount: reader.lineCount,
    lineKinds: reader.lineKinds,
  };
}
