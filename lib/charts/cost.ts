/**
 * Cost figures: cost per million invocations vs memory, and the cost–latency Pareto front.
 *
 * @module
 */
import type { CostPoint } from "../cost/sweep.ts";
import { deliveringPoints, paretoFront } from "../cost/sweep.ts";
import { placeLabels } from "./_labels.ts";
import { byVariant, type ChartContext, memoryAxis } from "./_traces.ts";
import {
  axis,
  baseLayout,
  colorOf,
  type Figure,
  FIGURE_HEIGHT,
  FIGURE_WIDTH,
  legend,
  spansOrders,
  valueAxis,
} from "./theme.ts";

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
  const dashNames = ["solid", "dashed", "dotted", "dash-dot"];
  shares.forEach((share, i) => {
    const atShare = points.filter((p) => p.coldShare === share);
    for (const [variant, ps] of byVariant(atShare)) {
      for (const arch of [...new Set(ps.map((p) => p.arch))].sort()) {
        const line = ps.filter((p) => p.arch === arch).sort((a, b) => a.memoryMb - b.memoryMb);
        // One legend entry per line colour; the dash (named in the subtitle) is the share.
        data.push({
          type: "scatter",
          mode: "lines+markers",
          name: `${variant}${manyArchs ? ` (${arch})` : ""}`,
          showlegend: i === 0,
          legendgroup: variant,
          x: line.map((p) => p.memoryMb),
          y: line.map((p) => p.cost.total),
          line: { color: colorOf(variant), width: 2.5, dash: dashes[i % dashes.length] },
          marker: { color: colorOf(variant), size: 7 },
          hovertemplate: `${variant} %{x} MB, ${
            shareLabel(share)
          }: $%{y:.3f} per 1M<extra></extra>`,
        });
      }
    }
  });
  const layout = baseLayout({
    title: "Cost per million invocations vs memory size",
    subtitle:
      `Lambda compute + Init + requests + SQS, ${context.region} prices of ${context.priceDate}; ${
        shares.map((s, i) => `${dashNames[i % dashNames.length]}: ${shareLabel(s)}`).join(", ")
      } starts`,
    xTitle: "Memory size (MB)",
    yTitle: "USD per million invocations",
    runs: context.runs,
  });
  layout.xaxis = memoryAxis(points);
  layout.yaxis = axis("USD per million invocations", { tickprefix: "$", rangemode: "tozero" });
  layout.legend = legend("variant");
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
  // The front compares variants that do the same job (deliver the payload); `none` is drawn as
  // the reference without delivery.
  const front = paretoFront(deliveringPoints(atShare));
  const manyArchs = new Set(atShare.map((p) => p.arch)).size > 1;
  const label = (p: CostPoint) => `${p.memoryMb}${manyArchs ? ` ${p.arch}` : ""}`;
  const size = (p: CostPoint) => (front.includes(p) ? 13 : 9);
  // Explicit ranges, so that the labels can be placed where they collide with nothing.
  const xs = atShare.map((p) => p.cost.total);
  const ys = atShare.map((p) => p.latencyMs);
  const yLog = spansOrders(ys);
  const pad = (lo: number, hi: number, f: number): [number, number] => {
    const span = hi - lo || Math.abs(hi) || 1;
    return [lo - f * span, hi + f * span];
  };
  const xRange = pad(Math.min(...xs), Math.max(...xs), 0.07);
  const yRange: [number, number] = yLog
    ? pad(Math.log10(Math.min(...ys)), Math.log10(Math.max(...ys)), 0.1).map((v) => 10 ** v) as [
      number,
      number,
    ]
    : pad(Math.min(...ys), Math.max(...ys), 0.1);
  const order = [...atShare].sort((a, b) =>
    Number(front.includes(b)) - Number(front.includes(a)) || a.cost.total - b.cost.total
  );
  const layout = baseLayout({
    title: "Cost vs latency: the Pareto front",
    subtitle: `A variant at a memory size (labels: MB), ${
      shareLabel(share)
    } starts; outlined: the front of the variants that deliver to SQS`,
    xTitle: "USD per million invocations",
    yTitle: "Expected Duration per invocation (ms)",
    runs: context.runs,
  });
  const margin = layout.margin as { l: number; r: number; t: number; b: number };
  const positions = placeLabels(
    order.map((p) => ({ x: p.cost.total, y: p.latencyMs, text: label(p), size: size(p) })),
    {
      x: xRange,
      y: yRange,
      yLog,
      width: FIGURE_WIDTH - margin.l - margin.r,
      height: FIGURE_HEIGHT - margin.t - margin.b,
      fontSize: 11,
    },
  );
  const positionOf = new Map(order.map((p, i) => [p, positions[i]!]));
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
      textposition: ps.map((p) => positionOf.get(p) ?? "top center"),
      textfont: { size: 11, color: colorOf(variant) },
      cliponaxis: false,
      marker: {
        color: colorOf(variant),
        size: ps.map(size),
        line: { color: ps.map((p) => (front.includes(p) ? "#000" : "#fff")), width: 1.5 },
      },
      hovertemplate: `${variant} %{text} MB: $%{x:.3f} per 1M, %{y:.1f} ms<extra></extra>`,
    })),
  ];
  layout.xaxis = axis("USD per million invocations", { tickprefix: "$", range: xRange });
  layout.yaxis = valueAxis("Expected Duration per invocation (ms)", ys, {
    range: yLog ? yRange.map(Math.log10) : yRange,
  }).axis;
  return { data, layout };
}
