/**
 * Building blocks shared by the figure modules (not part of the public API).
 *
 * @module
 */
import pl from "nodejs-polars";
import type { RunInfo } from "../analysis/load.ts";
import { type GroupSummary, type MetricKey, METRICS, variantOrder } from "../analysis/summary.ts";
import { axis, colorOf } from "./theme.ts";

/** What every chart needs to label itself. */
export interface ChartContext {
  runs: readonly RunInfo[];
}

/** One measured value of one invocation, with its cell. */
export interface Point {
  variant: string;
  memoryMb: number;
  arch: string;
  value: number;
}

/** The successful values of a metric, one per invocation, with their cells. */
export function metricPoints(frame: pl.DataFrame, metric: MetricKey): Point[] {
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

/** Groups items by variant, in variant order. */
export function byVariant<T extends { variant: string }>(
  items: readonly T[],
): Array<[string, T[]]> {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(item.variant, [...(groups.get(item.variant) ?? []), item]);
  return [...groups.entries()].sort(([a], [b]) => variantOrder(a, b));
}

/** The x-axis label of a cell: memory, and arch when several archs are shown. */
export function cellLabel(p: { memoryMb: number; arch: string }, manyArchs: boolean): string {
  return manyArchs ? `${p.memoryMb} MB · ${p.arch}` : `${p.memoryMb} MB`;
}

/** Cell labels ordered by memory, then arch. */
export function categoryOrder(points: readonly Point[], manyArchs: boolean): string[] {
  const cells = [...new Map(points.map((p) => [cellLabel(p, manyArchs), p])).values()]
    .sort((a, b) => a.memoryMb - b.memoryMb || (a.arch < b.arch ? -1 : 1));
  return cells.map((p) => cellLabel(p, manyArchs));
}

/** Box traces show every point up to this many per variant, else only outliers. */
export const MAX_BOX_POINTS = 3000;

/** One box trace (every point shown) per variant. */
export function boxTraces(
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
    // Every point while it stays readable; past that only the outliers.
    boxpoints: ps.length <= MAX_BOX_POINTS ? "all" : "outliers",
    jitter: 0.4,
    pointpos: 0,
    marker: { color: colorOf(variant), size: 4, opacity: 0.55 },
    line: { color: colorOf(variant), width: 1.5 },
    fillcolor: "rgba(0,0,0,0)",
    ...(options.xaxis ? { xaxis: options.xaxis } : {}),
    ...(options.yaxis ? { yaxis: options.yaxis } : {}),
  }));
}

/** Median per memory size, one line per variant × arch, with 95% intervals as error bars. */
export function medianLines(
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

/** A log-scale memory axis with a tick at every measured size. */
export function memoryAxis(
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
