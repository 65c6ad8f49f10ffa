/**
 * The look shared by every chart: fonts, sizes, colours per variant, the source note.
 *
 * @module
 */
import type { RunInfo } from "../analysis/load.ts";
import { findVariant, FUNCTION_RUNTIMES, VARIANTS } from "../variants.ts";

/** A plotly figure as plain JSON (what `Plotly.newPlot` and the plotly MIME type take). */
export interface Figure {
  data: Array<Record<string, unknown>>;
  layout: Record<string, unknown>;
}

/**
 * Default export size (CSS pixels), sized for a blog post's column: readable at 800 px wide
 * without scaling. PNGs are rendered at twice this for sharp text.
 */
export const FIGURE_WIDTH = 800;
export const FIGURE_HEIGHT = 560;

/** Margins of every figure (px): room for the title, subtitle and legend above the plot and
 * the axis title and source note below it. */
export const FIGURE_MARGIN = { l: 72, r: 24, t: 112, b: 92 } as const;

const FONT_FAMILY = "Inter, 'Liberation Sans', 'DejaVu Sans', Arial, sans-serif";
const FALLBACK_COLORS = ["#9467bd", "#8c564b", "#e377c2", "#bcbd22", "#17becf"];

/**
 * The colour of a variant or function runtime, the same in every chart (`Variant.color`,
 * `FunctionRuntimeSpec.color`); unknown names get a stable colour from a spare palette.
 *
 * @param variant Variant name.
 * @returns A CSS colour.
 */
export function colorOf(variant: string): string {
  // A named variant first, then a function runtime (charts grouped by runtime), then a
  // composed variant (its runtime's colour): `rust` and `llrt` are the named variants' colours.
  const known = VARIANTS.find((v) => v.name === variant) ??
    FUNCTION_RUNTIMES.find((r) => r.name === variant) ?? findVariant(variant);
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
  // A long subtitle wraps instead of running off the figure; the plot moves down to make room.
  const lines = options.subtitle ? wrapText(options.subtitle, SUBTITLE_CHARS) : [];
  const title = lines.length > 0
    ? `${options.title}<br><span style="font-size:13px;color:#555">${lines.join("<br>")}</span>`
    : options.title;
  const margin = { ...FIGURE_MARGIN, t: FIGURE_MARGIN.t + 17 * Math.max(0, lines.length - 1) };
  return {
    title: {
      text: title,
      x: 0,
      xref: "paper",
      xanchor: "left",
      // The first line's top 14 px under the figure's top edge (plotly anchors a multi-line
      // title on its first line).
      y: 1 - 34 / FIGURE_HEIGHT,
      yref: "container",
      yanchor: "bottom",
      font: { size: 19 },
    },
    font: { family: FONT_FAMILY, size: 13, color: "#222" },
    width: FIGURE_WIDTH,
    height: FIGURE_HEIGHT,
    paper_bgcolor: "#ffffff",
    plot_bgcolor: "#ffffff",
    margin,
    xaxis: axis(options.xTitle),
    yaxis: axis(options.yTitle),
    legend: legend("variant"),
    annotations: [sourceAnnotation(options.runs, margin)],
  };
}

/** Characters of a subtitle line that fit the figure's width at 13 px. */
const SUBTITLE_CHARS = 112;

/**
 * Breaks text into lines of at most `width` characters, at spaces.
 *
 * @param text The text.
 * @param width Characters per line.
 * @returns The lines (a word longer than `width` stays whole).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { wrapText } from "./theme.ts";
 * assert.deepEqual(wrapText("a bb ccc dddd", 6), ["a bb", "ccc", "dddd"]);
 * ```
 */
export function wrapText(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/).filter((w) => w !== "")) {
    if (line !== "" && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === "" ? word : `${line} ${word}`;
  }
  if (line !== "") lines.push(line);
  return lines;
}

/**
 * The shared legend: one row above the plot, under the title, so the plot keeps the full
 * width of a post's column.
 *
 * @param title The legend's title, e.g. `variant`.
 * @returns The plotly legend.
 */
export function legend(title: string): Record<string, unknown> {
  return {
    title: { text: title, side: "left" },
    orientation: "h",
    x: 0,
    xanchor: "left",
    y: 1.01,
    yanchor: "bottom",
    bgcolor: "rgba(255,255,255,0)",
    font: { size: 12.5 },
    itemwidth: 30,
    tracegroupgap: 0,
  };
}

/**
 * True when positive values span an order of magnitude or more (max/min ≥ 10),
 * where a linear axis would squash the small ones against zero.
 *
 * @param values The values the axis shows.
 * @returns Whether to use a log axis.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { spansOrders } from "./theme.ts";
 * assert.equal(spansOrders([40, 55, 2500]), true);
 * assert.equal(spansOrders([40, 55, 300]), false);
 * assert.equal(spansOrders([0, 1, 500]), false); // a zero cannot be shown on a log axis
 * ```
 */
export function spansOrders(values: readonly number[]): boolean {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0 || finite.some((v) => v <= 0)) return false;
  return Math.max(...finite) / Math.min(...finite) >= 10;
}

/**
 * A value axis: log when the values span orders of magnitude ({@link spansOrders}), with
 * labelled ticks at 1-2-5 steps, else linear.
 *
 * @param title Axis title with units.
 * @param values The values shown.
 * @param extra More axis settings.
 * @returns The axis, and whether it is logarithmic (for the subtitle).
 */
export function valueAxis(
  title: string,
  values: readonly number[],
  extra: Record<string, unknown> = {},
): { axis: Record<string, unknown>; log: boolean } {
  if (!spansOrders(values)) return { axis: axis(title, extra), log: false };
  const finite = values.filter((v) => Number.isFinite(v));
  const lo = Math.min(...finite);
  const hi = Math.max(...finite);
  const ticks: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of [1, 2, 5]) {
      const t = m * 10 ** e;
      if (t >= lo / 1.5 && t <= hi * 1.5) ticks.push(+t.toPrecision(3));
    }
  }
  return {
    axis: axis(`${title}, log scale`, {
      type: "log",
      tickvals: ticks,
      ticktext: ticks.map((t) => t.toLocaleString("en-US")),
      ...extra,
    }),
    log: true,
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

function sourceAnnotation(
  runs: readonly RunInfo[],
  margin: { t: number; b: number } = FIGURE_MARGIN,
): Record<string, unknown> {
  return {
    text: sourceNote(runs),
    xref: "paper",
    yref: "paper",
    x: 0,
    // Under the x-axis title, at the bottom edge of the figure whatever its plot height.
    y: -(margin.b - 8) / (FIGURE_HEIGHT - margin.t - margin.b),
    xanchor: "left",
    yanchor: "bottom",
    showarrow: false,
    font: { size: 11, color: "#666" },
  };
}
