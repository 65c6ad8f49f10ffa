/**
 * The human summary of an ingest: totals, then one line per file with its rejected lines counted
 * by reason and sampled, unknown event types, orphans and failed Init phases, the output path
 * last.
 *
 * @module
 */
import { basename } from "node:path";
import type { IngestSummary } from "./ingest.ts";

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
  lines.push(`run_id ${s.runId}`, s.out);
  return lines;
}
