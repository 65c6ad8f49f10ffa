/**
 * The few sentences at the top of `summary.md`.
 *
 * @module
 */
import { formatMedian, formatRatio } from "../analysis/format.ts";
import type { Comparison, GroupSummary } from "../analysis/summary.ts";
import { bestMemory, type CostPoint } from "../cost/sweep.ts";
import { VARIANTS } from "../variants.ts";

/** What {@link headlines} reads. */
export interface HeadlineInput {
  /** Output of `summarize()`. */
  summaries: readonly GroupSummary[];
  /** The report's comparisons (`summaryComparisons()`). */
  comparisons: readonly Comparison[];
  /** Memory sweep points (`memorySweep()`). */
  points: readonly CostPoint[];
  /** Cold-start shares the sweep priced. */
  coldShares: readonly number[];
}

/**
 * Headline sentences, at the memory × arch cell with the most successful invocations (ties:
 * the larger memory): Init ratios against `node`, each extension's median post-runtime
 * overhead beside the `none` baseline's; and each variant's cheapest memory per cold share.
 *
 * @param input Summaries, comparisons, sweep points and cold shares.
 * @returns Markdown list items; none without rows.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { headlines } from "./headlines.ts";
 * assert.ok(
 *   headlines({ summaries: [], comparisons: [], points: [], coldShares: [0.01] }).length === 0,
 * );
 * ```
 */
export function headlines(input: HeadlineInput): string[] {
  const { summaries, comparisons: cmp, points, coldShares } = input;
  const weight = new Map<string, number>();
  for (const s of summaries) {
    const key = `${s.memoryMb}|${s.arch}`;
    weight.set(key, (weight.get(key) ?? 0) + s.coldOk + s.warmOk);
  }
  const busiest =
    [...weight.entries()].sort((a, b) =>
      b[1] - a[1] || Number(b[0].split("|")[0]) - Number(a[0].split("|")[0])
    )[0];
  if (!busiest) return [];
  const [memory, arch] = busiest[0].split("|");
  const cell = `${memory} MB ${arch}`;
  const lines: string[] = [];
  const inits = cmp.filter((c) =>
    c.metric === "initMs" && c.baseline === "node" && `${c.memoryMb}|${c.arch}` === busiest[0]
  );
  if (inits.length > 0) {
    lines.push(`- Init Duration at ${cell}: ${inits.map((c) => formatRatio(c)).join("; ")}.`);
  }
  const overhead = summaries.filter((s) =>
    `${s.memoryMb}|${s.arch}` === busiest[0] && s.metrics.postRuntimeMs.n > 0 &&
    VARIANTS.find((v) => v.name === s.variant)?.extension
  );
  if (overhead.length > 0) {
    // The runtime's own way back to /next shows up as post-runtime time too: name the baseline.
    const baseline = summaries.find((s) =>
      `${s.memoryMb}|${s.arch}` === busiest[0] && s.variant === "none" &&
      s.metrics.postRuntimeMs.n > 0
    );
    lines.push(
      `- Extension overhead per warm invocation (median post-runtime ms) at ${cell}: ${
        overhead.map((s) => `${s.variant} ${formatMedian(s.metrics.postRuntimeMs)}`).join("; ")
      }${baseline ? `; against none ${formatMedian(baseline.metrics.postRuntimeMs)}` : ""}.`,
    );
  }
  const manyArchs = new Set(points.map((p) => p.arch)).size > 1;
  const best = bestMemory(points);
  for (const share of coldShares) {
    const atShare = best.filter((b) => b.coldShare === share);
    if (atShare.length === 0) continue;
    lines.push(
      `- Cheapest memory per variant at ${+(share * 100).toFixed(2)}% cold starts: ${
        atShare.map((b) =>
          `${b.variant}${manyArchs ? ` (${b.arch})` : ""} ${b.cheapest.memoryMb} MB ` +
          `$${b.cheapest.cost.total.toFixed(4)}`
        ).join("; ")
      } per million.`,
    );
  }
  return lines;
}
