/**
 * Plotly figure specs (plain JSON) for the study's charts. Every figure colours a variant with
 * `Variant.color`, names traces after the variant, and carries the source note.
 *
 * @module
 */
import pl from "nodejs-polars";
import type { RunInfo } from "../analysis/load.ts";
import { type GroupSummary, type MetricKey, METRICS, variantOrder } from "../analysis/summary.ts";
import { sortedFinite } from "../analysis/stats.ts";
import type { CostPoint } from "../cost/sweep.ts";
import { paretoFront } from "../cost/sweep.ts";
import { axis, baseLayout, colorOf, type Figure } from "./theme.ts";

interface Point {
  variant: string;
  memoryMb: number;
  arch: string;
  value: number;
}

function metricPoints(frame: pl.DataFrame, metric: MetricKey): Point[] {
  const m = METRICS[metric];
  const rows = m.rows === "cold"
    ? pl.col("cold")
    : m.rows === "warm"
    ? pl.col("cold").not()
    : pl.lit(true);
  return frame
    .filter(
      pl.col("status").eq(pl.lit("success")).and(rows).and(pl.col(m.column).isNotNull())
        .and(pl.col("variant").isNotNull()),
    )
    .select(
      pl.col("variant"),
      pl.col("memory_mb").alias("memoryMb"),
      pl.col("arch").fillNull(pl.lit("unknown")),
      pl.col(m.column).alias("value"),
    )
    .toRecords() as unknown as Point[];
}

function byVariant<T extends { variant: string }>(items: readonly T[]): Array<[string, T[]]> {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(item.variant, [...(groups.get(item.variant) ?? []), item]);
  return [...groups.entries()].sort(([a], [b]) => variantOrder(a, b));
}

function cellLabel(p: { memoryMb: number; arch: string }, manyArchs: boolean): string {
  return manyArchs ? `${p.memoryMb} MB · ${p.arch}` : `${p.memoryMb} MB`;
}

function categoryOrder(points: readonly Point[], manyArchs: boolean): string[] {
  const cells = [...new Map(points.map((p) => [cellLabel(p, manyArchs), p])).values()]
    .sort((a, b) => a.memoryMb - b.memoryMb || (a.arch < b.arch ? -1 : 1));
  return cells.map((p) => cellLabel(p, manyArchs));
}

function boxTraces(
  points: readonly Point[],
  options: { xaxis?: string; yaxis?: string; showlegend?: boolean },
) {
  const manyArchs = new Set(points.map((p) => p.arch)).size > 1;
  return byVariant(points).map(([variant, ps]) => ({
    type: "box",
    name: variant,
    legendgroup: variant,
    showlegend: options.showlegend ?? true,
    x: ps.map((p) => cellLabel(p, manyArchs)),
    y: ps.map((p) => p.value),
    boxpoints: "all",
    jitter: 0.4,
    pointpos: 0,
    marker: { color: colorOf(variant), size: 4, opacity: 0.55 },
    line: { color: colorOf(variant), width: 1.5 },
    fillcolor: "rgba(0,0,0,0)",
    ...(options.xaxis ? { xaxis: options.xaxis } : {}),
    ...(options.yaxis ? { yaxis: options.yaxis } : {}),
  }));
}

/** What every chart needs to label itself. */
export interface ChartContext {
  runs: readonly RunInfo[];
}

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
  return { data, layout };
}

function medianLines(
  summaries: readonly GroupSummary[],
  metric: MetricKey,
  options: { xaxis?: string; yaxis?: string; showlegend?: boolean } = {},
): Array<Record<string, unknown>> {
  const manyArchs = new Set(summaries.map((s) => s.arch)).size > 1;
  const keyed = summaries.filter((s) => s.metrics[metric].n > 0).map((s) => ({
    ...s,
    key: `${s.variant}|${s.arch}`,
  }));
  const groups = new Map<string, typeof keyed>();
  for (const s of keyed) groups.set(s.key, [...(groups.get(s.key) ?? []), s]);
  return [...groups.values()]
    .sort((a, b) =>
      variantOrder(a[0]!.variant, b[0]!.variant) || (a[0]!.arch < b[0]!.arch ? -1 : 1)
    )
    .map((g) => {
      const { variant, arch } = g[0]!;
      const cells = [...g].sort((a, b) => a.memoryMb - b.memoryMb);
      const est = cells.map((c) => c.metrics[metric]);
      return {
        type: "scatter",
        mode: "lines+markers",
        name: manyArchs ? `${variant} (${arch})` : variant,
        legendgroup: variant,
        showlegend: options.showlegend ?? true,
        x: cells.map((c) => c.memoryMb),
        y: est.map((e) => e.p50),
        error_y: {
          type: "data",
          symmetric: false,
          array: est.map((e) => (e.ci ? e.ci.upper - e.p50! : 0)),
          arrayminus: est.map((e) => (e.ci ? e.p50! - e.ci.lower : 0)),
          color: colorOf(variant),
          thickness: 1.5,
          width: 4,
        },
        text: est.map((
          e,
        ) => (e.ci
          ? `n=${e.n}, 95% CI ${e.ci.lower.toFixed(1)}–${e.ci.upper.toFixed(1)}`
          : `${e.note}`)
        ),
        hovertemplate: `${variant} %{x} MB: median %{y:.1f} (%{text})<extra></extra>`,
        line: {
          color: colorOf(variant),
          width: 2.5,
          dash: arch === "x86_64" && manyArchs ? "dash" : "solid",
        },
        marker: {
          color: colorOf(variant),
          size: 8,
          symbol: arch === "x86_64" && manyArchs ? "diamond" : "circle",
        },
        ...(options.xaxis ? { xaxis: options.xaxis } : {}),
        ...(options.yaxis ? { yaxis: options.yaxis } : {}),
      };
    });
}

function memoryAxis(
  summaries: readonly { memoryMb: number }[],
  extra: Record<string, unknown> = {},
) {
  const ticks = [...new Set(summaries.map((s) => s.memoryMb))].sort((a, b) => a - b);
  return axis("Memory size (MB)", {
    type: "log",
    tickvals: ticks,
    ticktext: ticks.map(String),
    ...extra,
  });
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
  return { data: medianLines(summaries, "initMs"), layout };
}

/**
 * Warm Duration and the extension's overhead (post-runtime time) side by side, per variant and
 * memory size.
 *
 * @param frame Invocation rows.
 * @param context Runs.
 * @returns The figure (two panels sharing the legend).
 */
export function warmAndOverhead(frame: pl.DataFrame, context: ChartContext): Figure {
  const warm = metricPoints(frame, "warmDurationMs");
  const post = metricPoints(frame, "postRuntimeMs");
  const manyArchs = new Set([...warm, ...post].map((p) => p.arch)).size > 1;
  const layout = baseLayout({
    title: "Warm invocations: Duration and extension overhead",
    subtitle:
      "Left: billed Duration. Right: time after the response until every extension was done",
    xTitle: "Memory size",
    yTitle: "Warm Duration (ms)",
    runs: context.runs,
  });
  const order = categoryOrder([...warm, ...post], manyArchs);
  layout.boxmode = "group";
  layout.xaxis = axis("Memory size", {
    domain: [0, 0.47],
    type: "category",
    categoryorder: "array",
    categoryarray: order,
  });
  layout.xaxis2 = axis("Memory size", {
    domain: [0.55, 1],
    type: "category",
    categoryorder: "array",
    categoryarray: order,
    anchor: "y2",
  });
  layout.yaxis2 = axis("Post-runtime overhead (ms)", { anchor: "x2" });
  return {
    data: [
      ...boxTraces(warm, {}),
      ...boxTraces(post, { xaxis: "x2", yaxis: "y2", showlegend: false }),
    ],
    layout,
  };
}

/**
 * Max Memory Used per variant and memory size.
 *
 * @param frame Invocation rows.
 * @param context Runs.
 * @returns The figure.
 */
export function memoryUsed(frame: pl.DataFrame, context: ChartContext): Figure {
  const points = metricPoints(frame, "maxMemoryMb");
  const manyArchs = new Set(points.map((p) => p.arch)).size > 1;
  const layout = baseLayout({
    title: "Max Memory Used",
    subtitle: "Per variant and configured memory size (function and extensions together)",
    xTitle: "Configured memory size",
    yTitle: "Max Memory Used (MB)",
    runs: context.runs,
  });
  layout.boxmode = "group";
  layout.xaxis = axis("Configured memory size", {
    type: "category",
    categoryorder: "array",
    categoryarray: categoryOrder(points, manyArchs),
  });
  return { data: boxTraces(points, {}), layout };
}

function shareLabel(share: number): string {
  return `${+(share * 100).toFixed(2)}% cold`;
}

/**
 * Cost per million invocations against memory size, one line per variant (and arch) and
 * cold-start share (dashed for the second share on).
 *
 * @param points Output of `memorySweep()`.
 * @param context Runs and the price table's region and date.
 * @returns The figure.
 */
export function costVsMemory(
  points: readonly CostPoint[],
  context: ChartContext & { region: string; priceDate: string },
): Figure {
  const shares = [...new Set(points.map((p) => p.coldShare))].sort((a, b) => a - b);
  const manyArchs = new Set(points.map((p) => p.arch)).size > 1;
  const data: Array<Record<string, unknown>> = [];
  const dashes = ["solid", "dash", "dot", "dashdot"];
  shares.forEach((share, i) => {
    const atShare = points.filter((p) => p.coldShare === share);
    for (const [variant, ps] of byVariant(atShare)) {
      for (const arch of [...new Set(ps.map((p) => p.arch))].sort()) {
        const line = ps.filter((p) => p.arch === arch).sort((a, b) => a.memoryMb - b.memoryMb);
        data.push({
          type: "scatter",
          mode: "lines+markers",
          name: `${variant}${manyArchs ? ` (${arch})` : ""}, ${shareLabel(share)}`,
          legendgroup: variant,
          x: line.map((p) => p.memoryMb),
          y: line.map((p) => p.cost.total),
          line: { color: colorOf(variant), width: 2.5, dash: dashes[i % dashes.length] },
          marker: { color: colorOf(variant), size: 7 },
          hovertemplate: `${variant} %{x} MB: $%{y:.3f} per 1M<extra></extra>`,
        });
      }
    }
  });
  const layout = baseLayout({
    title: "Cost per million invocations vs memory size",
    subtitle:
      `Lambda compute + Init + requests + SQS; ${context.region} prices of ${context.priceDate}; ${
        shares.map(shareLabel).join(" / ")
      } starts`,
    xTitle: "Memory size (MB)",
    yTitle: "USD per million invocations",
    runs: context.runs,
  });
  layout.xaxis = memoryAxis(points);
  layout.yaxis = axis("USD per million invocations", { tickprefix: "$", rangemode: "tozero" });
  layout.legend = { title: { text: "variant, cold share" }, bgcolor: "rgba(255,255,255,0.8)" };
  return { data, layout };
}

/**
 * The cost–latency Pareto front across variants and memory sizes at one cold-start share:
 * every configuration as a dot, the front as a line.
 *
 * @param points Output of `memorySweep()`.
 * @param context Runs, the cold share to show (default: the smallest in `points`).
 * @returns The figure.
 */
export function paretoChart(
  points: readonly CostPoint[],
  context: ChartContext & { coldShare?: number },
): Figure {
  const share = context.coldShare ?? Math.min(...points.map((p) => p.coldShare));
  const atShare = points.filter((p) => p.coldShare === share);
  const front = paretoFront(atShare);
  const manyArchs = new Set(atShare.map((p) => p.arch)).size > 1;
  const label = (p: CostPoint) => `${p.memoryMb}${manyArchs ? ` ${p.arch}` : ""}`;
  const data: Array<Record<string, unknown>> = [
    {
      type: "scatter",
      mode: "lines",
      name: "Pareto front",
      x: front.map((p) => p.cost.total),
      y: front.map((p) => p.latencyMs),
      line: { color: "#444", width: 1.5, dash: "dot", shape: "hv" },
      hoverinfo: "skip",
    },
    ...byVariant(atShare).map(([variant, ps]) => ({
      type: "scatter",
      mode: "markers+text",
      name: variant,
      legendgroup: variant,
      x: ps.map((p) => p.cost.total),
      y: ps.map((p) => p.latencyMs),
      text: ps.map(label),
      textposition: "top center",
      textfont: { size: 11, color: colorOf(variant) },
      marker: {
        color: colorOf(variant),
        size: ps.map((p) => (front.includes(p) ? 13 : 9)),
        line: { color: ps.map((p) => (front.includes(p) ? "#000" : "#fff")), width: 1.5 },
      },
      hovertemplate: `${variant} %{text} MB: $%{x:.3f} per 1M, %{y:.1f} ms<extra></extra>`,
    })),
  ];
  const layout = baseLayout({
    title: "Cost vs latency: the Pareto front",
    subtitle: `Each dot is a variant at a memory size (MB), ${
      shareLabel(share)
    } starts; outlined dots are on the front`,
    xTitle: "USD per million invocations",
    yTitle: "Mean Duration per invocation (ms)",
    runs: context.runs,
  });
  layout.xaxis = axis("USD per million invocations", { tickprefix: "$" });
  return { data, layout };
}
