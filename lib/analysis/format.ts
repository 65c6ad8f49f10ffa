/**
 * Text forms of estimates for tables and notebooks: `41.2 ms [39.8, 43.0]`,
 * `llrt vs node: 0.42× [0.38, 0.47]`, `n=3: too few for a 95% interval`.
 *
 * @module
 */
import type { Comparison, GroupSummary, MetricKey } from "./summary.ts";
import { METRICS } from "./summary.ts";
import type { Estimate, RatioEstimate } from "./stats.ts";

/**
 * Rounds for display: 3 significant digits below 100, whole numbers above.
 *
 * @param x A number or null.
 * @returns The text, or `–` for null.
 */
export function num(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return "–";
  const a = Math.abs(x);
  if (a >= 100) return Math.round(x).toLocaleString("en-US");
  if (a >= 10) return x.toFixed(1);
  if (a >= 1) return x.toFixed(2);
  return x.toPrecision(2);
}

/**
 * A median with its interval, or with the reason it has none.
 *
 * @param e The estimate.
 * @returns For example `41.2 [39.8, 43.0]` or `41.2 (n=3: too few for a 95% interval)`.
 */
export function formatMedian(e: Estimate): string {
  if (e.n === 0) return "–";
  if (e.ci === null) return `${num(e.p50)} (${e.note})`;
  return `${num(e.p50)} [${num(e.ci.lower)}, ${num(e.ci.upper)}]`;
}

/**
 * A ratio with its interval.
 *
 * @param r The ratio (a comparison carries the variant names).
 * @returns For example `llrt vs node: 0.42× [0.38, 0.47]`.
 */
export function formatRatio(
  r: RatioEstimate & Partial<Pick<Comparison, "variant" | "baseline">>,
): string {
  const head = r.variant && r.baseline ? `${r.variant} vs ${r.baseline}: ` : "";
  if (r.ratio === null) return `${head}– (${r.note})`;
  const ratio = `${r.ratio.toFixed(2)}×`;
  if (r.ci === null) return `${head}${ratio} (${r.note})`;
  return `${head}${ratio} [${r.ci.lower.toFixed(2)}, ${r.ci.upper.toFixed(2)}]`;
}

function escapeCell(s: string): string {
  return s.replaceAll("|", "\\|");
}

/**
 * A Markdown table.
 *
 * @param header Column titles.
 * @param rows Cells as text.
 * @returns The table, one line per row.
 */
export function markdownTable(header: readonly string[], rows: readonly string[][]): string {
  const line = (cells: readonly string[]) => `| ${cells.map(escapeCell).join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

/**
 * A Markdown table of one metric: one row per cell with n, p50 [95% CI], p90, p99, mean.
 *
 * @param summaries Output of `summarize()`.
 * @param metric Which metric.
 * @returns The table.
 */
export function metricTable(summaries: readonly GroupSummary[], metric: MetricKey): string {
  const rows = summaries
    .filter((s) => s.metrics[metric].n > 0)
    .map((s) => {
      const e = s.metrics[metric];
      return [
        s.variant,
        String(s.memoryMb),
        s.arch,
        String(e.n),
        formatMedian(e),
        num(e.p90),
        num(e.p99),
        num(e.mean),
      ];
    });
  return markdownTable(
    ["variant", "memory (MB)", "arch", "n", `p50 [95% CI] ${unitOf(metric)}`, "p90", "p99", "mean"],
    rows,
  );
}

function unitOf(metric: MetricKey): string {
  const m = /\(([^)]*)\)\s*$/.exec(METRICS[metric].label);
  return m ? `(${m[1]})` : "";
}

/**
 * A Markdown table of invocation counts per cell, failed ones by status.
 *
 * @param summaries Output of `summarize()`.
 * @returns The table.
 */
export function countsTable(summaries: readonly GroupSummary[]): string {
  return markdownTable(
    ["variant", "memory (MB)", "arch", "invocations", "cold ok", "warm ok", "excluded"],
    summaries.map((s) => [
      s.variant,
      String(s.memoryMb),
      s.arch,
      String(s.invocations),
      String(s.coldOk),
      String(s.warmOk),
      Object.entries(s.excluded).map(([k, v]) => `${v} ${k}`).join(", ") || "0",
    ]),
  );
}

/**
 * A Markdown table of comparisons.
 *
 * @param comparisons Output of `compareVariants()` (any number of pairs).
 * @returns The table.
 */
export function comparisonTable(comparisons: readonly Comparison[]): string {
  return markdownTable(
    ["metric", "memory (MB)", "arch", "ratio of medians [95% CI]", "n"],
    comparisons.map((c) => [
      METRICS[c.metric].label,
      String(c.memoryMb),
      c.arch,
      formatRatio(c),
      `${c.nA} / ${c.nB}`,
    ]),
  );
}
