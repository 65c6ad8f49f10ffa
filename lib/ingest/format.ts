/**
 * The human summary of an ingest: totals, then one line per file with its rejected lines counted
 * by reason and sampled, unknown event types, orphans and failed Init phases, the output path
 * last. And the progress lines of a long one.
 *
 * @module
 */
import { basename } from "node:path";
import type { IngestProgress, IngestSummary } from "./ingest.ts";
import { formatSeconds } from "../bench/progress.ts";

/**
 * The human summary, one fact per line, the output path last.
 *
 * @param s What `ingest()` returned.
 * @returns Lines to print.
 */
export function formatSummary(s: IngestSummary): string[] {
  const unknown = Object.values(s.unknownTypes).reduce((a, b) => a + b, 0);
  const lines = [
    `ingest: ${s.files.length} file(s), ${s.lines} lines read, ${s.records} platform records, ` +
    `${s.invocations} invocations (${s.cold} cold), ${s.rejected} rejected lines, ` +
    `${unknown} unknown-type events`,
  ];
  for (const f of s.files) {
    lines.push(
      `  ${f.file} (${f.shape}): ${f.lines} lines, ${f.platform} platform, ${f.noise} noise, ` +
        `${f.rejected} rejected`,
    );
    const reasons = Object.entries(f.rejectedByReason).sort(([a, x], [b, y]) =>
      y - x || a.localeCompare(b)
    );
    for (const [reason, n] of reasons) lines.push(`    ${n} rejected: ${reason}`);
    for (const r of f.rejectedSamples) {
      lines.push(
        `    rejected ${basename(f.file)}:${r.line}: ${r.reason}: ${
          JSON.stringify(r.text.slice(0, 120))
        }`,
      );
    }
  }
  for (const [type, n] of Object.entries(s.unknownTypes)) {
    lines.push(`  unknown type ${type}: ${n}`);
  }
  if (s.orphans > 0) lines.push(`  ${s.orphans} request id(s) without a REPORT (no row)`);
  if (s.initFailures > 0) lines.push(`  ${s.initFailures} failed Init phase(s) (INIT_REPORT)`);
  if (s.readerNote !== undefined) {
    lines.push(`  read by the JavaScript reader alone (same result, slower): ${s.readerNote}`);
  }
  lines.push(`run_id ${s.runId}`, s.out);
  return lines;
}

/** Options of {@link progressPrinter}. */
export interface ProgressPrinterOptions {
  /** Where lines go (default: stderr). */
  write?: (line: string) => void;
  /** Clock in ms (default `performance.now`). */
  now?: () => number;
  /** Nothing is shown before this many ms, and then at most one line per this many (2,000). */
  everyMs?: number;
}

/**
 * Progress lines for an ingest that takes a while: nothing for one that ends within `everyMs`;
 * after that at most one line per `everyMs` while files are read (percent and MB of the file),
 * and one each for the join and the write.
 *
 * @param o Where the lines go, the clock and the pace.
 * @returns What to pass as `IngestOptions.progress`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * let t = 0;
 * const lines: string[] = [];
 * const show = progressPrinter({ write: (l) => lines.push(l), now: () => t });
 * show({ phase: "read", file: "a.log", fileIndex: 1, files: 1, bytesDone: 1e6, bytes: 4e6 });
 * t = 2500;
 * show({ phase: "read", file: "a.log", fileIndex: 1, files: 1, bytesDone: 2e6, bytes: 4e6 });
 * assert.deepEqual(lines, ["ingest: reading a.log: 50% (2 of 4 MB) · 3s elapsed"]);
 * ```
 */
export function progressPrinter(o: ProgressPrinterOptions = {}): (p: IngestProgress) => void {
  const write = o.write ?? ((line: string) => console.error(line));
  const now = o.now ?? (() => performance.now());
  const every = o.everyMs ?? 2000;
  const started = now();
  let last = started;
  const mb = (bytes: number) => Math.round(bytes / 1e6).toLocaleString("en-US");
  return (p) => {
    const t = now();
    if (t - started < every) return;
    if (p.phase === "read" && t - last < every) return;
    last = t;
    const elapsed = `${formatSeconds((t - started) / 1000)} elapsed`;
    if (p.phase === "read") {
      const which = p.files > 1 ? ` (${p.fileIndex} of ${p.files})` : "";
      const pct = p.bytes > 0 ? Math.floor((100 * p.bytesDone) / p.bytes) : 100;
      write(
        `ingest: reading ${basename(p.file)}${which}: ${pct}% (${mb(p.bytesDone)} of ` +
          `${mb(p.bytes)} MB) · ${elapsed}`,
      );
    } else if (p.phase === "join") {
      write(`ingest: joining ${p.records.toLocaleString("en-US")} records · ${elapsed}`);
    } else {
      write(
        `ingest: writing ${p.invocations.toLocaleString("en-US")} invocations to ${p.out} · ` +
          elapsed,
      );
    }
  };
}
