/**
 * The layout of lines read by the native line reader (`rust/ingest`, loaded by
 * `lib/ingest/_native.ts`), which {@link ExportReader.readScanned} takes: per line a kind, four
 * offsets, a hash and six numbers, in flat typed arrays the reader writes into.
 *
 * @module
 */

/** A line's kind (`rust/ingest/src/lib.rs` has the same values). */
export const SCAN_BLANK = 0;
/** Noise for certain. */
export const SCAN_NOISE = 1;
/** A REPORT read whole (not yet checked against Lambda's limits). */
export const SCAN_REPORT = 2;
/** A START with its id and time. */
export const SCAN_START = 3;
/** An END with its id. */
export const SCAN_END = 4;
/** A line the JavaScript parser reads. */
export const SCAN_OTHER = 5;
/** An `XRAY TraceId:` line on its own. */
export const SCAN_XRAY = 6;
/** An `INIT_START` line with its runtime version. */
export const SCAN_INIT_START = 7;

/** Offsets per line: line start, line end (before any `\r`), id start, id length (bytes). */
export const SCAN_OFFS = 4;
/** Numbers per line: time, duration, billed, memory, max memory used, init (NaN for none). */
export const SCAN_NUMS = 6;

/** Lines read from one buffer of bytes, line `k` at index `k` (times the per-line counts). */
export interface ScannedLines {
  kinds: Uint8Array;
  offs: Int32Array;
  hashes: Int32Array;
  nums: Float64Array;
}

/**
 * @param cap Lines the arrays hold.
 * @returns Empty arrays for `cap` lines.
 */
export function scannedLines(cap: number): ScannedLines {
  return {
    kinds: new Uint8Array(cap),
    offs: new Int32Array(cap * SCAN_OFFS),
    hashes: new Int32Array(cap),
    nums: new Float64Array(cap * SCAN_NUMS),
  };
}
