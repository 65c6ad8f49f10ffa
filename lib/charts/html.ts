/**
 * Standalone HTML for figures. plotly.js comes from the pinned `plotly.js-dist-min` package and
 * is inlined or written beside the page, so the HTML works offline.
 *
 * @module
 */
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import type { Figure } from "./theme.ts";

/** File name used when plotly.js is written beside the HTML pages. */
export const PLOTLY_FILE = "plotly.min.js";

let plotlyText: string | null = null;

/**
 * Path of the pinned plotly.js bundle on disk.
 *
 * @returns The absolute path of `plotly.min.js`.
 * @throws {Error} When the npm package cannot be resolved.
 */
export function plotlyPath(): string {
  try {
    return createRequire(import.meta.url).resolve("plotly.js-dist-min");
  } catch (e) {
    throw new Error(`Cannot find the plotly.js-dist-min package: ${(e as Error).message}`);
  }
}

/** The plotly.js bundle's source (read once). */
export function plotlySource(): string {
  plotlyText ??= readFileSync(plotlyPath(), "utf8");
  return plotlyText;
}

/** Plotly config used everywhere: no logo, PNG download at twice the size. */
export const PLOTLY_CONFIG = {
  displaylogo: false,
  responsive: true,
  toImageButtonOptions: { format: "png", scale: 2 },
};

function escapeHtml(s: string): string {
  return s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

/** JSON safe to put inside a `<script>` element. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replaceAll("<", "\\u003c").replaceAll("\u2028", "\\u2028")
    .replaceAll("\u2029", "\\u2029");
}

/**
 * The `<div>` and `<script>` that draw one figure with an already loaded (or loading) plotly.js.
 *
 * @param figure The figure.
 * @param id The div's id.
 * @returns HTML text.
 */
export function figureDiv(figure: Figure, id: string): string {
  return `<div id="${id}" style="width:100%;max-width:${figure.layout.width ?? 1000}px;height:${
    figure.layout.height ?? 600
  }px"></div>
<script>(function () {
  var fig = ${scriptJson(figure)};
  function draw() { Plotly.newPlot(${JSON.stringify(id)}, fig.data, fig.layout, ${
    scriptJson(PLOTLY_CONFIG)
  }); }
  if (window.Plotly) { draw(); } else { window.addEventListener("load", draw); }
})();</script>`;
}

/**
 * A standalone HTML page for one figure.
 *
 * @param figure The figure.
 * @param options `plotly`: `"inline"` (default) embeds plotly.js; `{ src }` links it (e.g.
 * {@link PLOTLY_FILE} written beside the page).
 * @returns The page.
 */
export function figureHtml(
  figure: Figure,
  options: { plotly?: "inline" | { src: string } } = {},
): string {
  const plotly = options.plotly ?? "inline";
  const title = String((figure.layout.title as { text?: string } | undefined)?.text ?? "Chart")
    .replace(/<[^>]*>/g, " ");
  const script = plotly === "inline"
    ? `<script>${plotlySource().replaceAll("</script", "<\\/script")}</script>`
    : `<script src="${escapeHtml(plotly.src)}"></script>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
${script}
</head>
<body style="margin:16px;background:#fff">
${figureDiv(figure, "chart")}
</body>
</html>
`;
}
