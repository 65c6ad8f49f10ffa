/**
 * The look shared by every chart: fonts, sizes, colours per variant, the source note.
 *
 * @module
 */
import type { RunInfo } from "../analysis/load.ts";
import { VARIANTS } from "../variants.ts";

/** A plotly figure as plain JSON (what `Plotly.newPlot` and the plotly MIME type take). */
export interface Figure {
  data: Array<Record<string, unknown>>;
  layout: Record<string, unknown>;
}

/** Default export size (CSS pixels); PNGs are rendered at twice this for sharp text. */
export const FIGURE_WIDTH = 1000;
export const FIGURE_HEIGHT = 600;

const FONT_FAMILY = "Inter, 'Liberation Sans', 'DejaVu Sans', Arial, sans-serif";
const FALLBACK_COLORS = ["#9467bd", "#8c564b", "#e377c2", "#bcbd22", "#17becf"];

/**
 * The colour of a variant, the same in every chart (`Variant.color`); unknown variants get a
 * stable colour from a spare palette.
 *
 * @param variant Variant name.
 * @returns A CSS colour.
 */
export function colorOf(variant: string): string {
  const known = VARIANTS.find((v) => v.name === variant);
  if (known) return known.color;
  let hash = 0;
  for (const ch of variant) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  return FALLBACK_COLORS[hash % FALLBACK_COLORS.length]!;
}

/**
 * The source line printed under every chart: run id(s), backend, LLRT label.
 *
 * @param runs The runs the chart shows.
 * @returns For example `Source: run 2026-11-01T12-00 · backend local · LLRT v0.7.0`.
 */
export function sourceNote(runs: readonly RunInfo[]): string {
  const uniq = (
    xs: Array<string | null>,
  ) => [...new Set(xs.filter((x): x is string => x !== null))];
  const ids = uniq(runs.map((r) => r.runId));
  const backends = uniq(runs.map((r) => r.backend));
  const llrt = uniq(runs.map((r) => r.llrtLabel));
  const parts = [
    `${ids.length > 1 ? "runs" : "run"} ${ids.join(", ") || "unknown"}`,
    `backend ${backends.join(", ") || "unknown"}`,
    llrt.length === 0
      ? "LLRT not recorded"
      : llrt.map((l) => (/^llrt\b/i.test(l) ? l : `LLRT ${l}`)).join(", "),
  ];
  return `Source: ${parts.join(" · ")}`;
}

/** Options of {@link baseLayout}. */
export interface LayoutOptions {
  title: string;
  subtitle?: string;
  xTitle: string;
  yTitle: string;
  runs: readonly RunInfo[];
}

/**
 * A layout with the shared look: title (and subtitle), axis titles with units, legend, and the
 * source note under the plot.
 *
 * @param options Titles and runs.
 * @returns The plotly layout.
 */
export function baseLayout(options: LayoutOptions): Record<string, unknown> {
  const title = options.subtitle
    ? `${options.title}<br><span style="font-size:14px;color:#555">${options.subtitle}</span>`
    : options.title;
  return {
    title: { text: title, x: 0.02, xanchor: "left", font: { size: 22 } },
    font: { family: FONT_FAMILY, size: 15, color: "#222" },
    width: FIGURE_WIDTH,
    height: FIGURE_HEIGHT,
    paper_bgcolor: "#ffffff",
    plot_bgcolor: "#ffffff",
    margin: { l: 80, r: 30, t: options.subtitle ? 100 : 80, b: 110 },
    xaxis: axis(options.xTitle),
    yaxis: axis(options.yTitle),
    legend: { title: { text: "variant" }, bgcolor: "rgba(255,255,255,0.8)" },
    annotations: [sourceAnnotation(options.runs)],
  };
}

/** An axis with the shared look. */
export function axis(title: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    title: { text: title, standoff: 10 },
    showgrid: true,
    gridcolor: "#e5e5e5",
    zeroline: false,
    linecolor: "#444",
    ticks: "outside",
    automargin: true,
    ...extra,
  };
}

function sourceAnnotation(runs: readonly RunInfo[]): Record<string, unknown> {
  return {
    text: sourceNote(runs),
    xref: "paper",
    yref: "paper",
    x: 0,
    y: -0.2,
    xanchor: "left",
    yanchor: "top",
    showarrow: false,
    font: { size: 12, color: "#666" },
  };
}
