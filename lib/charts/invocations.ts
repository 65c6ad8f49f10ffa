/**
 * Figures of warm invocations: Duration, the extension's post-runtime overhead, memory used.
 *
 * @module
 */
import type pl from "nodejs-polars";
import { boxTraces, categoryOrder, type ChartContext, metricPoints } from "./_traces.ts";
import { axis, baseLayout, type Figure, valueAxis } from "./theme.ts";

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
      "Left: Duration, which is billed. Right: after the runtime's response, until every extension was done",
    xTitle: "Memory size",
    yTitle: "Warm Duration (ms)",
    runs: context.runs,
  });
  const order = categoryOrder([...warm, ...post], manyArchs);
  layout.boxmode = "group";
  layout.xaxis = axis("Memory size", {
    domain: [0, 0.45],
    type: "category",
    categoryorder: "array",
    categoryarray: order,
  });
  layout.xaxis2 = axis("Memory size", {
    domain: [0.57, 1],
    type: "category",
    categoryorder: "array",
    categoryarray: order,
    anchor: "y2",
  });
  layout.yaxis = valueAxis("Warm Duration (ms)", warm.map((p) => p.value)).axis;
  layout.yaxis2 = valueAxis("Post-runtime overhead (ms)", post.map((p) => p.value), {
    anchor: "x2",
  }).axis;
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
