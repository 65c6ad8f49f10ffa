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
 */
export async function readRange(
  path: string,
  start: number,
  end: number,
  reader: ExportReader,
  onBytes?: (n: number) => void,
): Promise<void> {
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
 */
export async function parsePart(
  req: PartRequest,
  onBytes?: (n: number) => void,
): Promise<PartResult> {
  const reports = new ReportTable();
  const reader = new ExportReader({ maxSamples: req.maxSamples, columnar: reports, lines: true });
  await readRange(req.path, req.start, req.end, reader, onBytes);
  const { records, stats } = reader.end();
  return {
    table: reports.data(),
    records,
    stats,
    lineCount: reader.lineCount,
    lineKinds: reader.lineKinds,
  };
}
