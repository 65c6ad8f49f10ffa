/**
 * Writes a report folder: every chart as PNG, SVG and standalone HTML, and `summary.md`.
 * HTML pages use `plotly.min.js` written beside them (or inlined), so they work offline; PNG
 * and SVG need Chromium.
 *
 * @module
 */
import { copyFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { type LoadedRuns, loadRuns } from "../analysis/load.ts";
import { type GroupColumn, groupRowsBy } from "../analysis/group.ts";
import { summarize } from "../analysis/summary.ts";
import { ChartRenderer } from "../charts/chromium.ts";
import { figureHtml, PLOTLY_FILE, plotlyPath } from "../charts/html.ts";
import { reportFigures } from "../charts/report.ts";
import { type PriceTable, US_EAST_1 } from "../cost/prices.ts";
import { memorySweep } from "../cost/sweep.ts";
import { ROOT } from "../paths.ts";
import { type FidelityResult, readLatestFidelity } from "../fidelity/report.ts";
import { summaryMarkdown } from "./summary.ts";
import { writePost } from "./post_write.ts";
import type { FigureImages } from "./post_html.ts";

/** Where reports go by default: `reports/<run-id>/`. */
export const REPORTS_DIR: string = join(ROOT, "reports");

/** Cold-start shares a report prices unless told otherwise. */
export const DEFAULT_COLD_SHARES: readonly number[] = [0.01, 0.1];

/** Options of {@link writeReport}. */
export interface ReportOptions {
  /** Run folders (at least one). */
  runDirs: readonly string[];
  /** Output folder (default `reports/<run-id>/`, run ids joined by `+`). */
  outDir?: string;
  /** Price table (default us-east-1). */
  prices?: PriceTable;
  /** Cold-start shares to price (default [0.01, 0.1]). */
  coldShares?: readonly number[];
  /** Payload bytes per message (default: the first run's `config.payloadBytes`, else 1024). */
  payloadBytes?: number;
  /** Render PNG and SVG with Chromium (default true). */
  images?: boolean;
  /** Inline plotly.js into every HTML page instead of writing it beside them (default false). */
  inlinePlotly?: boolean;
  /** Progress lines (default: stderr). */
  log?: (line: string) => void;
  /**
   * What the tables and charts group by: `variant` (default), `function_runtime`, `extension`
   * or `workload` (see lib/analysis/group.ts).
   */
  groupBy?: GroupColumn;
  /** A started renderer to reuse (left open); default: one started and closed here. */
  renderer?: ChartRenderer;
  /**
   * The fidelity result quoted in "How far to trust these numbers" (default: the newest
   * `deno task fidelity` result on this machine; null: none).
   */
  fidelity?: FidelityResult | null;
  /** Makes the Markdown `summary.md` opens with (a study's headline) from the loaded runs. */
  preface?: (loaded: LoadedRuns) => string;
}

/** What {@link writeReport} wrote. */
export interface ReportResult {
  outDir: string;
  files: string[];
  /** Why images were not rendered, when they were not. */
  imagesSkipped: string | null;
}

/**
 * Writes the report of one or more runs.
 *
 * @param options Runs, output folder, prices, cold shares.
 * @returns The folder and files written.
 * @throws {Error} Bad runs (see `loadRuns`), or Chromium missing when `images` is true (after
 * the HTML pages and `summary.md` were written).
 */
export async function writeReport(options: ReportOptions): Promise<ReportResult> {
  const log = options.log ?? ((line: string) => console.error(line));
  const read = loadRuns(options.runDirs);
  const loaded = { ...read, frame: groupRowsBy(read.frame, options.groupBy ?? "variant") };
  const outDir = options.outDir ?? join(REPORTS_DIR, loaded.runs.map((r) => r.runId).join("+"));
  mkdirSync(outDir, { recursive: true });
  const prices = options.prices ?? US_EAST_1;
  const coldShares = options.coldShares ?? DEFAULT_COLD_SHARES;
  const payloadBytes = options.payloadBytes ?? loaded.runs[0]?.payloadBytes ?? 1024;
  const points = memorySweep(loaded.frame, { prices, coldShares, payloadBytes });
  const figures = reportFigures({ ...loaded, summaries: summarize(loaded.frame), points, prices });
  const files: string[] = [];
  const write = (name: string, data: string | Uint8Array) => {
    const path = join(outDir, name);
    if (typeof data === "string") Deno.writeTextFileSync(path, data);
    else Deno.writeFileSync(path, data);
    files.push(path);
  };
  if (!options.inlinePlotly) {
    copyFileSync(plotlyPath(), join(outDir, PLOTLY_FILE));
    files.push(join(outDir, PLOTLY_FILE));
  }
  for (const f of figures) {
    write(
      `${f.name}.html`,
      figureHtml(f.figure, { plotly: options.inlinePlotly ? "inline" : { src: PLOTLY_FILE } }),
    );
  }
  const fidelity = options.fidelity === undefined ? readLatestFidelity() : options.fidelity;
  write(
    "summary.md",
    summaryMarkdown({
      loaded,
      points,
      prices,
      coldShares,
      payloadBytes,
      figures,
      fidelity,
      ...(options.preface ? { preface: options.preface(loaded) } : {}),
    }),
  );
  // The post (post.md, post.html, its open data): first without images, then with them.
  const post = (images: ReadonlyMap<string, FigureImages> | null) =>
    files.push(...writePost(
      { loaded, points, prices, coldShares, payloadBytes, figures, fidelity },
      { outDir, images },
    ));
  post(null);
  log(`report: ${figures.length} charts (HTML), summary.md and post.md/post.html → ${outDir}`);
  if (options.images === false) return { outDir, files, imagesSkipped: "images turned off" };
  const renderer = options.renderer ?? await ChartRenderer.start();
  const images = new Map<string, FigureImages>();
  try {
    for (const f of figures) {
      const { png, svg } = await renderer.render(f.figure);
      write(`${f.name}.png`, png);
      write(`${f.name}.svg`, svg);
      images.set(f.name, { svg });
    }
  } finally {
    if (renderer !== options.renderer) await renderer.close();
  }
  post(images);
  log(`report: ${figures.length} charts as PNG and SVG, embedded in post.md and post.html`);
  return { outDir, files: [...new Set(files)], imagesSkipped: null };
}
