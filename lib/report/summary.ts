/**
 * The text of `summary.md`: the runs, headlines, invocation counts, medians with 95%
 * intervals, ratios between variants, costs per million invocations and the chart links.
 * Its sections are exported one by one so the notebooks show the tables the report shows.
 *
 * @module
 */
import type { FidelityResult } from "../fidelity/report.ts";
import { fidelitySection } from "./fidelity.ts";
import { relative } from "node:path";
import { countsTable, markdownTable, metricTable } from "../analysis/format.ts";
import type { LoadedRuns } from "../analysis/load.ts";
import { type GroupSummary, type MetricKey, METRICS, summarize } from "../analysis/summary.ts";
import type { ReportFigure } from "../charts/report.ts";
import type { PriceTable } from "../cost/prices.ts";
import { bestMemory, type CostPoint } from "../cost/sweep.ts";
import { bestMemoryTable, costTable, paretoTable, priceTableMarkdown } from "../cost/tables.ts";
import { ROOT } from "../paths.ts";
import { ratioSections, summaryComparisons } from "./comparisons.ts";
import { headlines } from "./headlines.ts";

/**
 * Sandbox controls in a table cell: scalar settings as `name value`, long details left out.
 *
 * @param controls The controls a run recorded (free form).
 * @returns One line of text.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatControls } from "./summary.ts";
 * assert.equal(formatControls({ freezer: "cgroup-v2", detail: "…" }), "freezer cgroup-v2");
 * ```
 */
export function formatControls(controls: unknown): string {
  if (controls === null || controls === undefined) return "not recorded";
  if (typeof controls !== "object") return String(controls);
  const parts = Object.entries(controls as Record<string, unknown>)
    .filter(([k, v]) => k !== "detail" && ["string", "number", "boolean"].includes(typeof v))
    .filter(([, v]) => String(v).length <= 60)
    .map(([k, v]) => `${k} ${String(v)}`);
  return parts.length > 0 ? parts.join(", ") : JSON.stringify(controls).slice(0, 200);
}

function runsTable(loaded: LoadedRuns): string {
  return markdownTable(
    ["run", "backend", "LLRT", "controls in force", "folder"],
    loaded.runs.map((r) => [
      r.runId,
      r.backend ?? "unknown",
      r.llrtLabel ?? "not recorded",
      formatControls(r.controls),
      relative(ROOT, r.dir).startsWith("..") ? r.dir : relative(ROOT, r.dir),
    ]),
  );
}

/**
 * Where a run's function runtimes ran on other versions than Lambda deploys (run.json's
 * `backendFacts.runtimeNotes`), as lines ending in a blank one; none where they agree.
 */
function runtimeNotes(loaded: LoadedRuns): string[] {
  const notes = new Set<string>();
  for (const r of loaded.runs) {
    const facts = r.manifest?.backendFacts;
    if (facts?.backend === "local") { for (const n of facts.runtimeNotes ?? []) notes.add(n); }
  }
  if (notes.size === 0) return [];
  return ["Runtime versions differ from Lambda's:", "", ...[...notes].map((n) => `- ${n}`), ""];
}

/** Metrics of the "Latency, memory and overhead" tables (billed ones feed the costs instead). */
export const SUMMARY_METRICS: readonly MetricKey[] = (Object.keys(METRICS) as MetricKey[])
  .filter((k) => !["warmBilledMs", "coldBilledMs", "coldDurationMs"].includes(k));

/**
 * The "Latency, memory and overhead" sections: a heading and `metricTable()` per metric that
 * has values.
 *
 * @param summaries Output of `summarize()`.
 * @returns Markdown sections, each ending in a newline.
 */
export function metricSections(summaries: readonly GroupSummary[]): string[] {
  return SUMMARY_METRICS
    .filter((k) => summaries.some((s) => s.metrics[k].n > 0))
    .map((k) => `### ${METRICS[k].label}\n\n${metricTable(summaries, k)}\n`);
}

/**
 * A cold share as the report writes it.
 *
 * @param share A share in [0, 1].
 * @returns For example `1%`, `0.5%`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatShare } from "./summary.ts";
 * assert.equal(formatShare(0.1), "10%");
 * assert.equal(formatShare(0.005), "0.5%");
 * ```
 */
export function formatShare(share: number): string {
  return `${+(share * 100).toFixed(2)}%`;
}

/**
 * The "Cost per million invocations" sections, one per cold share: the cost table and the
 * Pareto front's table.
 *
 * @param points Memory sweep points (`memorySweep()`).
 * @param coldShares The shares to show, in order.
 * @returns Markdown sections, each ending in a newline.
 */
export function costSections(
  points: readonly CostPoint[],
  coldShares: readonly number[],
): string[] {
  return coldShares.map((s) =>
    `### ${formatShare(s)} cold starts\n\n${
      costTable(points, s)
    }\n\nPareto front (cost vs expected duration: warm Duration, plus Init and cold Duration at the cold share):\n\n${
      paretoTable(points, s)
    }\n`
  );
}

/**
 * The "Cheapest and fastest memory" table: per variant, arch and cold share.
 *
 * @param points Memory sweep points.
 * @returns The Markdown table.
 */
export function cheapestMemoryTable(points: readonly CostPoint[]): string {
  return bestMemoryTable(bestMemory(points));
}

/** What {@link summaryMarkdown} reads. */
export interface SummaryInput {
  loaded: LoadedRuns;
  /** Memory sweep points. */
  points: readonly CostPoint[];
  prices: PriceTable;
  coldShares: readonly number[];
  /** Payload bytes per message the costs assume. */
  payloadBytes: number;
  /** The charts written beside `summary.md`. */
  figures: readonly ReportFigure[];
  /** The newest fidelity result on this machine, for local runs; null or absent: none. */
  fidelity?: FidelityResult | null;
  /** Markdown the summary opens with (a study's headline); absent: none. */
  preface?: string;
}

/**
 * The text of `summary.md`.
 *
 * @param input Loaded runs, sweep points, price table and the charts' file names.
 * @returns Markdown.
 */
export function summaryMarkdown(input: SummaryInput): string {
  const { loaded, points, prices } = input;
  const summaries = summarize(loaded.frame);
  const comparisons = summaryComparisons(loaded.frame);
  return (input.preface ?? "") + [
    `# Battle of the Extensions: ${loaded.runs.map((r) => r.runId).join(", ")}`,
    "",
    runsTable(loaded),
    "",
    ...runtimeNotes(loaded),
    "Medians carry a 95% confidence interval from order statistics (distribution-free); ratios of " +
    "medians carry a percentile-bootstrap interval (2,000 resamples, seed 1). Where a sample is " +
    "too small for an interval the table says so. Latency statistics use successful invocations " +
    "only; failed ones are counted below.",
    "",
    "## Headlines",
    "",
    ...headlines({ summaries, comparisons, points, coldShares: input.coldShares }),
    "",
    ...fidelitySection(loaded.runs, input.fidelity ?? null),
    "## Invocations",
    "",
    countsTable(summaries),
    "",
    "## Latency, memory and overhead",
    "",
    ...metricSections(summaries),
    "## Ratios between variants",
    "",
    ...ratioSections(comparisons),
    "## Cost per million invocations",
    "",
    `Billed duration × memory (GB) × the arch's GB-second price + request price; Init billed on ` +
    `cold starts; SQS requests for variants that send (${input.payloadBytes} bytes per message, one ` +
    `message per invocation). Means over successful invocations.`,
    "",
    priceTableMarkdown(prices),
    "",
    ...costSections(points, input.coldShares),
    "### Cheapest and fastest memory",
    "",
    cheapestMemoryTable(points),
    "",
    "## Charts",
    "",
    ...input.figures.map((f) =>
      `- ${f.caption}: [PNG](${f.name}.png) · [SVG](${f.name}.svg) · [HTML](${f.name}.html)`
    ),
    "",
  ].join("\n");
}
