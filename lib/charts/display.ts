/**
 * Inline display of figures in Jupyter notebooks on the Deno kernel: a MIME bundle with the
 * plotly JSON (rendered natively by JupyterLab and VS Code) and an HTML fallback (a div and
 * plotly.js, inlined once per kernel so the notebook still works offline).
 *
 * @module
 */
import { figureDiv, plotlySource } from "./html.ts";
import type { Figure } from "./theme.ts";

/** MIME type of plotly figures in Jupyter. */
export const PLOTLY_MIME = "application/vnd.plotly.v1+json";

let plotlyInlined = false;
let counter = 0;

/**
 * The MIME bundle of a figure.
 *
 * @param figure The figure.
 * @param options `inlinePlotly`: embed plotly.js in the HTML fallback (default: only the first
 * time in this process, later outputs reuse the loaded `window.Plotly`).
 * @returns `{ "application/vnd.plotly.v1+json": ..., "text/html": ... }`.
 */
export function mimeBundle(
  figure: Figure,
  options: { inlinePlotly?: boolean } = {},
): Record<string, unknown> {
  const inline = options.inlinePlotly ?? !plotlyInlined;
  if (inline) plotlyInlined = true;
  const id = `battle-chart-${Date.now().toString(36)}-${counter++}`;
  const script = inline
    ? `<script>${plotlySource().replaceAll("</script", "<\\/script")}</script>\n`
    : "";
  return {
    [PLOTLY_MIME]: { data: figure.data, layout: figure.layout },
    "text/html": `${script}${figureDiv(figure, id)}`,
  };
}

interface JupyterDeno {
  jupyter?: { display(obj: unknown, options?: { raw?: boolean }): Promise<void> };
}

/**
 * Shows a figure inline when running in a Deno Jupyter kernel; outside one it prints the
 * figure's title so scripts and tests still run.
 *
 * @param figure The figure.
 * @returns Resolves when the output was sent.
 */
export async function show(figure: Figure): Promise<void> {
  const jupyter = (Deno as unknown as JupyterDeno).jupyter;
  if (jupyter) {
    await jupyter.display(mimeBundle(figure), { raw: true });
  } else {
    const title = (figure.layout.title as { text?: string } | undefined)?.text ?? "figure";
    console.log(`[figure] ${title.replace(/<[^>]*>/g, " ")}`);
  }
}

/**
 * Wraps a figure so that, as the last expression of a notebook cell, it displays itself.
 *
 * @param figure The figure.
 * @returns An object the Deno kernel renders with {@link mimeBundle}.
 */
export function displayable(figure: Figure): { [key: symbol]: () => Record<string, unknown> } {
  return { [Symbol.for("Jupyter.display")]: () => mimeBundle(figure) };
}

/**
 * Shows Markdown (e.g. a table from `metricTable()`) in a notebook; prints it elsewhere.
 *
 * @param text Markdown.
 * @returns Resolves when the output was sent.
 */
export async function showMarkdown(text: string): Promise<void> {
  const jupyter = (Deno as unknown as JupyterDeno).jupyter;
  if (jupyter) await jupyter.display({ "text/markdown": text, "text/plain": text }, { raw: true });
  else console.log(text);
}
