/**
 * Cold-start figures: distribution per variant, cumulative distribution, Init vs memory.
 *
 * @module
 */
import type pl from "nodejs-polars";
import { type GroupSummary, METRICS } from "../analysis/summary.ts";
import { sortedFinite } from "../analysis/stats.ts";
import {
  boxTraces,
  byVariant,
  categoryOrder,
  type ChartContext,
  medianLines,
  memoryAxis,
  metricPoints,
} from "./_traces.ts";
import { axis, baseLayout, colorOf, type Figure, valueAxis } from "./theme.ts";

/**
 * Cold-start distribution: a box with every point, per variant, for each memory size.
 *
 * @param frame Invocation rows.
 * @param context Runs (for the source note).
 * @param metric `initMs` (default) or `coldRttMs`.
 * @returns The figure.
 */
export function coldStartBox(
  frame: pl.DataFrame,
  context: ChartContext,
  metric: "initMs" | "coldRttMs" = "initMs",
): Figure {
  const points = metricPoints(frame, metric);
  const manyArchs = new Set(points.map((p) => p.arch)).size > 1;
  const layout = baseLayout({
    title: metric === "initMs" ? "Cold start: Init Duration" : "Cold start: client round trip",
    subtitle: metric === "initMs"
      ? "Per variant and memory size; every cold invocation is a dot"
      : "Time the caller waited on a cold invocation; every cold invocation is a dot",
    xTitle: "Memory size",
    yTitle: METRICS[metric].label,
    runs: context.runs,
  });
  layout.boxmode = "group";
  layout.xaxis = axis("Memory size", {
    type: "category",
    categoryorder: "array",
    categoryarray: categoryOrder(points, manyArchs),
  });
  // A 128 MB Node.js cold start can be 50× a Rust one: on a linear axis the small boxes vanish.
  layout.yaxis = valueAxis(METRICS[metric].label, points.map((p) => p.value)).axis;
  return { data: boxTraces(points, {}), layout };
}

/**
 * Cumulative distribution (ECDF) of Init Duration, one step line per variant, at one memory
 * size and arch.
 *
 * @param frame Invocation rows.
 * @param context Runs, and optionally `memoryMb` and `arch` (default: the cell with the most
 * cold starts).
 * @returns The figure.
 */
export function initEcdf(
  frame: pl.DataFrame,
  context: ChartContext & { memoryMb?: number; arch?: string },
): Figure {
  const all = metricPoints(frame, "initMs");
  const counts = new Map<string, number>();
  for (const p of all) {
    counts.set(`${p.memoryMb}|${p.arch}`, (counts.get(`${p.memoryMb}|${p.arch}`) ?? 0) + 1);
  }
  const busiest = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0]?.split("|");
  const memoryMb = context.memoryMb ?? Number(busiest?.[0] ?? 0);
  const arch = context.arch ?? busiest?.[1] ?? "unknown";
  const points = all.filter((p) => p.memoryMb === memoryMb && p.arch === arch);
  const data = byVariant(points).map(([variant, ps]) => {
    const sorted = Array.from(sortedFinite(ps.map((p) => p.value)));
    return {
      type: "scatter",
      mode: "lines",
      name: variant,
      legendgroup: variant,
      // Starts at 0 on the first value so each curve rises from the axis.
      x: sorted.length > 0 ? [sorted[0]!, ...sorted] : [],
      y: sorted.length > 0 ? [0, ...sorted.map((_, i) => (i + 1) / sorted.length)] : [],
      line: { color: colorOf(variant), width: 2.5, shape: "hv" },
      hovertemplate: `${variant}: %{x:.1f} ms → %{y:.0%}<extra></extra>`,
    };
  });
  const layout = baseLayout({
    title: "Cold start: cumulative distribution of Init Duration",
    subtitle: `${memoryMb} MB, ${arch}; a curve further left starts faster`,
    xTitle: "Init Duration (ms)",
    yTitle: "Share of cold starts",
    runs: context.runs,
  });
  layout.yaxis = axis("Share of cold starts", { tickformat: ".0%", range: [0, 1.02] });
  layout.xaxis = valueAxis("Init Duration (ms)", points.map((p) => p.value)).axis;
  return { data, layout };
}

/**
 * Init Duration against memory size: median per variant with its 95% interval as error bars
 * (none where the sample is too small).
 *
 * @param summaries Output of `summarize()`.
 * @param context Runs.
 * @returns The figure.
 */
export function initVsMemory(summaries: readonly GroupSummary[], context: ChartContext): Figure {
  const layout = baseLayout({
    title: "Init Duration vs memory size",
    subtitle: "Median per variant; bars: 95% confidence interval of the median",
    xTitle: "Memory size (MB)",
    yTitle: "Init Duration (ms)",
    runs: context.runs,
  });
  layout.xaxis = memoryAxis(summaries);
  const shown = summaries.flatMap((s) => {
    const e = s.metrics.initMs;
    return e.n === 0 ? [] : [e.p50!, ...(e.ci ? [e.ci.lower, e.ci.upper] : [])];
  });
  layout.yaxis = valueAxis("Init Duration (ms)", shown).axis;
  return { data: medianLines(summaries, "initMs"), layout };
}
