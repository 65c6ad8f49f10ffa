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
    const decoder = new TextDecoder();
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
 * {@link readRange} through the native line reader: bytes go to it as read, and `reader` takes
 * its lines (`ExportReader.readScanned`); a line cut by a read waits for the next. At the file's
 * start, byte order marks are dropped as the decoder and `ExportReader` drop them.
 */
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
    let buffer = new Uint8Array(Math.max(1, Math.min(READ_BYTES, end - start)));
    let filled = 0;
    let left = end - start;
    let atFileStart = start === 0;
    for (;;) {
      if (filled === buffer.length) {
        // One line longer than the buffer: make room for the rest of it.
        const more = new Uint8Array(buffer.length * 2);
        more.set(buffer);
        buffer = more;
      }
      const n = left > 0
        ? await file.read(buffer.subarray(filled, Math.min(buffer.length, filled + left)))
        : null;
      if (n !== null) {
        left -= n;
        filled += n;
      }
      const last = n === null || left === 0;
      let from = 0;
      if (atFileStart && (filled >= 6 || last)) {
        atFileStart = false;
        for (let k = 0; k < 2 && isBom(buffer, from, filled); k++) from += 3;
      }
      if (!atFileStart) {
        for (;;) {
          const view = buffer.subarray(from, filled);
          const count = native.scan(view, last);
          reader.readScanned(view, native.lines, count);
          from += native.consumed;
          if (count < native.cap) break;
        }
        buffer.copyWithin(0, from, filled);
        filled -= from;
      }
      if (n !== null) onBytes?.(n);
      if (last) break;
    }
  } finally {
    file.close();
  }
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
    let line = new TextDecoder().decode(probe.subarray(0, first));
    if (line.charCodeAt(0) === 0xfeff) line = line.slice(1);
    if (!readsLineByLine(line)) return null;
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
