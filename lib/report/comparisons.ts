/**
 * Which variants `summary.md` compares, and its tables of ratios between them. The notebooks
 * call the same functions, so they show the pairs the report shows.
 *
 * @module
 */
import type pl from "nodejs-polars";
import { formatRatio, markdownTable } from "../analysis/format.ts";
import { compareVariants, type Comparison, type MetricKey, METRICS } from "../analysis/summary.ts";
import { composedName, findVariant, VARIANTS } from "../variants.ts";

/** One comparison the report makes: `variant`'s median ÷ `baseline`'s, of `metric`. */
export interface ComparisonPair {
  variant: string;
  baseline: string;
  metric: MetricKey;
}

/** Metrics that compare each extension variant with `node` (the extension on Node.js). */
export const METRICS_VS_NODE: readonly MetricKey[] = [
  "initMs",
  "coldRttMs",
  "postRuntimeMs",
  "maxMemoryMb",
];
/**
 * Metrics that compare every variant with `none` (no extension). Post-runtime overhead is not
 * among them: against a variant without an extension (≈ 0 ms) its ratio means nothing.
 */
export const METRICS_VS_NONE: readonly MetricKey[] = ["initMs", "coldRttMs", "warmDurationMs"];

/**
 * The pairs the report compares among the variants present: every extension variant other
 * than `node` against `node`, then every variant against `none`, metric by metric, in the
 * order of `lib/variants.ts`.
 *
 * @param present Variant names that have rows (nulls and unknown names are ignored).
 * @returns The pairs whose both sides are present.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { comparisonPairs } from "./comparisons.ts";
 * const pairs = comparisonPairs(["none", "llrt", "node"]);
 * assert.ok(pairs[0]?.variant === "llrt" && pairs[0]?.baseline === "node");
 * assert.ok(!pairs.some((p) => p.baseline === "none" && p.metric === "postRuntimeMs"));
 * ```
 */
export function comparisonPairs(present: Iterable<string | null>): ComparisonPair[] {
  const have = new Set(present);
  const pairs: ComparisonPair[] = [];
  for (const metric of METRICS_VS_NODE) {
    for (const v of VARIANTS) {
      if (v.extension !== null && v.name !== "node") {
        pairs.push({ variant: v.name, baseline: "node", metric });
      }
    }
  }
  for (const metric of METRICS_VS_NONE) {
    for (const v of VARIANTS) {
      if (v.name !== "none") pairs.push({ variant: v.name, baseline: "none", metric });
    }
  }
  pairs.push(...runtimePairs(have));
  return pairs.filter((p) => have.has(p.variant) && have.has(p.baseline));
}

/** Metrics that compare function runtimes (same extension and workload). */
export const METRICS_VS_RUNTIME: readonly MetricKey[] = ["initMs", "warmDurationMs", "maxMemoryMb"];

/**
 * Pairs among composed variants that differ only in function runtime: every runtime against
 * `nodejs`, and `python-pyo3` and `rust` against `python` (the "rustifying" steps).
 */
function runtimePairs(have: ReadonlySet<string | null>): ComparisonPair[] {
  const pairs: ComparisonPair[] = [];
  const composed = [...have].map((n) => findVariant(n)).filter((v) =>
    v !== undefined && !VARIANTS.some((named) => named.name === v.name)
  );
  for (const metric of METRICS_VS_RUNTIME) {
    for (const v of composed) {
      const twin = (runtime: string) => composedName(runtime, v!.extensionName, v!.workload);
      if (v!.functionRuntime !== "nodejs") {
        pairs.push({ variant: v!.name, baseline: twin("nodejs"), metric });
      }
      if (v!.functionRuntime === "python-pyo3" || v!.functionRuntime === "rust") {
        pairs.push({ variant: v!.name, baseline: twin("python"), metric });
      }
    }
  }
  return pairs;
}

/**
 * The comparisons of `summary.md`: {@link comparisonPairs} of the variants in the rows, each
 * in every memory × arch cell both sides have.
 *
 * @param frame Invocation rows.
 * @returns One comparison per pair and shared cell.
 */
export function summaryComparisons(frame: pl.DataFrame): Comparison[] {
  const present = frame.getColumn("variant").toArray() as Array<string | null>;
  return comparisonPairs(present).flatMap((pair) => compareVariants(frame, pair));
}

/**
 * The "Ratios between variants" sections of `summary.md`: per metric, a heading and a table
 * of ratios by memory and arch; a single line when there is nothing to compare.
 *
 * @param comparisons For example {@link summaryComparisons}'s.
 * @returns Markdown sections, each ending in a newline.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ratioSections } from "./comparisons.ts";
 * assert.equal(ratioSections([])[0], "No pair of variants to compare.\n");
 * ```
 */
export function ratioSections(comparisons: readonly Comparison[]): string[] {
  const byMetric = new Map<MetricKey, Comparison[]>();
  for (const c of comparisons) byMetric.set(c.metric, [...(byMetric.get(c.metric) ?? []), c]);
  if (byMetric.size === 0) return ["No pair of variants to compare.\n"];
  return [...byMetric.entries()].map(([metric, list]) =>
    `### ${METRICS[metric].label}\n\n${
      markdownTable(
        ["memory (MB)", "arch", "ratio of medians [95% CI]", "n"],
        list.map((c) => [String(c.memoryMb), c.arch, formatRatio(c), `${c.nA} / ${c.nB}`]),
      )
    }\n`
  );
}
