/**
 * `post.html`: the post's blocks (`post.ts`) as one standalone page — the text through a
 * Markdown renderer (marked, GitHub-flavoured tables), each chart inline as SVG linking its
 * interactive HTML, or, where no SVG was rendered, as an interactive plotly chart with plotly.js
 * inlined once. Nothing is loaded from elsewhere.
 *
 * @module
 */
import { Marked, type Tokens } from "marked";
import { figureDiv, plotlySource } from "../charts/html.ts";
import type { PostBlock, PostFigure } from "./post.ts";

/**
 * A heading's anchor as GitHub makes it: lower case, spaces to hyphens, punctuation dropped.
 *
 * @param text The heading's text.
 * @returns The id.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { slug } from "./post_html.ts";
 * assert.equal(slug("Open data"), "open-data");
 * assert.equal(slug("Cost–latency: the Pareto front"), "costlatency-the-pareto-front");
 * ```
 */
export function slug(text: string): string {
  return text.toLowerCase().replace(/<[^>]*>/g, "").replace(/[^\p{L}\p{N}\s-]/gu, "")
    .trim().replace(/\s+/g, "-");
}

function escapeHtml(s: string): string {
  return s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;");
}

function markdownRenderer(): Marked {
  const marked = new Marked({ gfm: true });
  marked.use({
    renderer: {
      heading(this: { parser: { parseInline(t: Tokens.Heading["tokens"]): string } }, token) {
        const inner = this.parser.parseInline(token.tokens);
        return `<h${token.depth} id="${slug(token.text)}">${inner}</h${token.depth}>\n`;
      },
      table(this: unknown, token) {
        // Wide tables scroll inside the column instead of widening the page.
        const cell = (c: Tokens.TableCell, tag: string) =>
          `<${tag}${c.align ? ` style="text-align:${c.align}"` : ""}>${
            // deno-lint-ignore no-explicit-any
            (this as any).parser.parseInline(c.tokens)}</${tag}>`;
        const head = `<tr>${token.header.map((c) => cell(c, "th")).join("")}</tr>`;
        const body = token.rows.map((r) => `<tr>${r.map((c) => cell(c, "td")).join("")}</tr>`);
        return `<div class="table"><table><thead>${head}</thead><tbody>${
          body.join("")
        }</tbody></table></div>\n`;
      },
    },
  });
  return marked;
}

/** One chart's images, as far as they were rendered. */
export interface FigureImages {
  /** SVG text, when rendered. */
  svg?: string;
}

function figureHtml(
  b: PostFigure,
  caption: string,
  images: FigureImages | undefined,
  idPrefix: string,
): string {
  const name = b.figure.name;
  const links = images?.svg
    ? `<a href="${name}.html">interactive</a> · <a href="${name}.svg">SVG</a> · <a href="${name}.png">PNG</a>`
    : `<a href="${name}.html">standalone chart</a>`;
  const body = images?.svg
    ? responsiveSvg(images.svg)
    : figureDiv(b.figure.figure, `${idPrefix}${name}`);
  return `<figure id="figure-${b.number}">
${body}
<figcaption>${escapeHtml(caption)} <span class="links">${links}</span></figcaption>
</figure>\n`;
}

/**
 * Makes a plotly SVG scale with the column: a viewBox from its size, width 100%.
 *
 * @param svg The SVG text from `Plotly.toImage`.
 * @returns The same drawing, responsive.
 */
export function responsiveSvg(svg: string): string {
  const open = /^<svg\b[^>]*>/.exec(svg.trim());
  if (!open) return svg;
  const tag = open[0];
  const w = /\swidth="([\d.]+)"/.exec(tag)?.[1];
  const h = /\sheight="([\d.]+)"/.exec(tag)?.[1];
  let fixed = tag;
  if (w && h && !/viewBox=/.test(tag)) {
    fixed = fixed.replace("<svg", `<svg viewBox="0 0 ${w} ${h}"`);
  }
  fixed = fixed.replace(/\swidth="[\d.]+"/, ' width="100%"').replace(/\sheight="[\d.]+"/, "");
  return fixed + svg.trim().slice(tag.length);
}

const STYLE = `
:root { color-scheme: light; }
body { margin: 0; background: #fff; color: #1f2328; font: 17px/1.6 Georgia, "Liberation Serif", "DejaVu Serif", serif; }
main { max-width: 840px; margin: 0 auto; padding: 24px 20px 64px; }
h1, h2, h3 { font-family: Inter, "Liberation Sans", "DejaVu Sans", Arial, sans-serif; line-height: 1.25; }
h1 { font-size: 2rem; margin: 0.4em 0 0.3em; }
h2 { font-size: 1.45rem; margin-top: 2.2em; border-bottom: 1px solid #e5e5e5; padding-bottom: 0.2em; }
h3 { font-size: 1.15rem; margin-top: 1.6em; }
a { color: #0b62c4; }
code { font: 0.86em/1.4 "DejaVu Sans Mono", "Liberation Mono", monospace; background: #f4f4f4; padding: 0.1em 0.3em; border-radius: 3px; }
pre { background: #f6f8fa; padding: 12px 14px; overflow-x: auto; border-radius: 6px; }
pre code { background: none; padding: 0; }
.table { overflow-x: auto; margin: 1em 0; }
table { border-collapse: collapse; font: 13.5px/1.45 Inter, "Liberation Sans", "DejaVu Sans", Arial, sans-serif; }
th, td { border-bottom: 1px solid #e1e4e8; padding: 5px 10px; text-align: left; vertical-align: top; white-space: nowrap; }
th { background: #f6f8fa; }
tbody tr:nth-child(even) { background: #fafbfc; }
figure { margin: 1.6em 0; }
figure svg { display: block; width: 100%; height: auto; }
figcaption { font: 14px/1.45 Inter, "Liberation Sans", "DejaVu Sans", Arial, sans-serif; color: #555; margin-top: 0.4em; }
figcaption .links { white-space: nowrap; margin-left: 0.4em; }
`;

/**
 * The text of `post.html`.
 *
 * @param blocks From `postBlocks()`.
 * @param options `title` (the page's), each figure's `caption`, and the rendered `images` by
 * figure name (figures without an SVG become interactive charts).
 * @returns The page.
 */
export function postHtml(
  blocks: readonly PostBlock[],
  options: {
    title: string;
    caption: (f: PostFigure) => string;
    images: ReadonlyMap<string, FigureImages>;
  },
): string {
  const marked = markdownRenderer();
  const needsPlotly = blocks.some((b) =>
    typeof b !== "string" && !options.images.get(b.figure.name)?.svg
  );
  const body = blocks.map((b) =>
    typeof b === "string"
      ? marked.parse(b, { async: false }) as string
      : figureHtml(b, options.caption(b), options.images.get(b.figure.name), "post-")
  ).join("\n");
  const plotly = needsPlotly
    ? `<script>${plotlySource().replaceAll("</script", "<\\/script")}</script>\n`
    : "";
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(options.title)}</title>
<style>${STYLE}</style>
${plotly}</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}
