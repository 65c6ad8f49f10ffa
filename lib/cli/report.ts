/**
 * `deno task report [--run DIR]... [--out DIR] [--prices FILE] [--cold-share 0.01,0.1]
 * [--payload-bytes B] [--no-images] [--inline-plotly]`
 *
 * Writes every chart as PNG, SVG and standalone HTML, and `summary.md` with the tables (medians
 * with 95% intervals, ratios between variants, costs, the LLRT label and backend of each run).
 * Default run: the newest under `data/runs/`; default output: `reports/<run-id>/`. HTML pages
 * use `plotly.min.js` written beside them (or inlined with `--inline-plotly`), so they work
 * offline. PNG and SVG need Chromium (`apt-get install -y chromium`); without it the HTML and
 * summary are still written, then the command fails naming the missing browser.
 *
 * @module
 */
import { copyFileSync, mkdirSync } from "node:fs";
import { join, relative } from "node:path";
import { parseArgs } from "node:util";
import {
  countsTable,
  formatMedian,
  formatRatio,
  markdownTable,
  metricTable,
} from "../analysis/format.ts";
import { type LoadedRuns, loadRuns, newestRunDir } from "../analysis/load.ts";
import {
  compareVariants,
  type Comparison,
  type GroupSummary,
  type MetricKey,
  METRICS,
  summarize,
} from "../analysis/summary.ts";
import { ChartRenderer } from "../charts/chromium.ts";
import { figureHtml, PLOTLY_FILE, plotlyPath } from "../charts/html.ts";
import { type ReportFigure, reportFigures } from "../charts/report.ts";
import { loadPriceTable, type PriceTable, US_EAST_1 } from "../cost/prices.ts";
import { bestMemory, type CostPoint, memorySweep } from "../cost/sweep.ts";
import { bestMemoryTable, costTable, paretoTable, priceTableMarkdown } from "../cost/tables.ts";
import { ROOT } from "../paths.ts";
import { VARIANTS } from "../variants.ts";

/** Where reports go by default: `reports/<run-id>/`. */
export const REPORTS_DIR: string = join(ROOT, "reports");

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
  /** A started renderer to reuse (left open); default: one started and closed here. */
  renderer?: ChartRenderer;
}

/** What {@link writeReport} wrote. */
export interface ReportResult {
  outDir: string;
  files: string[];
  /** Why images were not rendered, when they were not. */
  imagesSkipped: string | null;
}

/**
 * Comparisons shown in the summary: every variant against `none`, and the extension variants
 * against `node`, where both have data.
 */
function comparisons(loaded: LoadedRuns): Comparison[] {
  const present = new Set(loaded.frame.getColumn("variant").toArray() as Array<string | null>);
  const pairs: Array<[string, string, MetricKey]> = [];
  const metricsVsNone: MetricKey[] = ["initMs", "coldRttMs", "warmDurationMs"];
  const metricsVsNode: MetricKey[] = ["initMs", "coldRttMs", "postRuntimeMs", "maxMemoryMb"];
  for (const metric of metricsVsNode) {
    for (const v of VARIANTS) {
      if (v.extension !== null && v.name !== "node") pairs.push([v.name, "node", metric]);
    }
  }
  for (const metric of metricsVsNone) {
    for (const v of VARIANTS) if (v.name !== "none") pairs.push([v.name, "none", metric]);
  }
  return pairs
    .filter(([a, b]) => present.has(a) && present.has(b))
    .flatMap(([variant, baseline, metric]) =>
      compareVariants(loaded.frame, { variant, baseline, metric })
    );
}

/** Sandbox controls in a table cell: scalar settings as `name value`, long details left out. */
export function formatControls(controls: unknown): string {
  if (controls === null || controls === undefined) return "not recorded";
  if (typeof controls !== "object") return String(controls);
  const parts = Object.entries(controls as Record<string, unknown>)
    .filter(([k, v]) => k !== "detail" && ["string", "number", "boolean"].includes(typeof v))
    .filter(([, v]) => String(v).length <= 60)
    .map(([k, v]) => `${k} ${String(v)}`);
  return parts.length > 0 ? parts.join(", ") : JSON.stringify(controls).slice(0, 200);
}

function runsTable(loaded: LoadedRuns): string {
  return markdownTable(
    ["run", "backend", "LLRT", "controls in force", "folder"],
    loaded.runs.map((r) => [
      r.runId,
      r.backend ?? "unknown",
      r.llrtLabel ?? "not recorded",
      formatControls(r.controls),
      relative(ROOT, r.dir).startsWith("..") ? r.dir : relative(ROOT, r.dir),
    ]),
  );
}

/**
 * A few sentences for the top of the summary, at the memory × arch cell with the most
 * successful invocations (ties: the larger memory): Init ratios against `node`, each
 * extension's median post-runtime overhead; and each variant's cheapest memory.
 */
function headlines(
  summaries: readonly GroupSummary[],
  cmp: readonly Comparison[],
  points: readonly CostPoint[],
  coldShares: readonly number[],
): string[] {
  const weight = new Map<string, number>();
  for (const s of summaries) {
    const key = `${s.memoryMb}|${s.arch}`;
    weight.set(key, (weight.get(key) ?? 0) + s.coldOk + s.warmOk);
  }
  const busiest =
    [...weight.entries()].sort((a, b) =>
      b[1] - a[1] || Number(b[0].split("|")[0]) - Number(a[0].split("|")[0])
    )[0];
  if (!busiest) return [];
  const [memory, arch] = busiest[0].split("|");
  const cell = `${memory} MB ${arch}`;
  const lines: string[] = [];
  const inits = cmp.filter((c) =>
    c.metric === "initMs" && c.baseline === "node" && `${c.memoryMb}|${c.arch}` === busiest[0]
  );
  if (inits.length > 0) {
    lines.push(`- Init Duration at ${cell}: ${inits.map((c) => formatRatio(c)).join("; ")}.`);
  }
  const overhead = summaries.filter((s) =>
    `${s.memoryMb}|${s.arch}` === busiest[0] && s.metrics.postRuntimeMs.n > 0 &&
    VARIANTS.find((v) => v.name === s.variant)?.extension
  );
  if (overhead.length > 0) {
    // The runtime's own way back to /next shows up as post-runtime time too: name the baseline.
    const baseline = summaries.find((s) =>
      `${s.memoryMb}|${s.arch}` === busiest[0] && s.variant === "none" &&
      s.metrics.postRuntimeMs.n > 0
    );
    lines.push(
      `- Extension overhead per warm invocation (median post-runtime ms) at ${cell}: ${
        overhead.map((s) => `${s.variant} ${formatMedian(s.metrics.postRuntimeMs)}`).join("; ")
      }${baseline ? `; against none ${formatMedian(baseline.metrics.postRuntimeMs)}` : ""}.`,
    );
  }
  const manyArchs = new Set(points.map((p) => p.arch)).size > 1;
  const best = bestMemory(points);
  for (const share of coldShares) {
    const atShare = best.filter((b) => b.coldShare === share);
    if (atShare.length === 0) continue;
    lines.push(
      `- Cheapest memory per variant at ${+(share * 100).toFixed(2)}% cold starts: ${
        atShare.map((b) =>
          `${b.variant}${manyArchs ? ` (${b.arch})` : ""} ${b.cheapest.memoryMb} MB ` +
          `$${b.cheapest.cost.total.toFixed(4)}`
        ).join("; ")
      } per million.`,
    );
  }
  return lines;
}

/**
 * The text of `summary.md`.
 *
 * @param input Loaded runs, sweep points, price table and the charts' file names.
 * @returns Markdown.
 */
export function summaryMarkdown(input: {
  loaded: LoadedRuns;
  points: readonly CostPoint[];
  prices: PriceTable;
  coldShares: readonly number[];
  payloadBytes: number;
  figures: readonly ReportFigure[];
}): string {
  const { loaded, points, prices } = input;
  const summaries = summarize(loaded.frame);
  const cmp = comparisons(loaded);
  const metricSections = (Object.keys(METRICS) as MetricKey[])
    .filter((k) => !["warmBilledMs", "coldBilledMs", "coldDurationMs"].includes(k))
    .filter((k) => summaries.some((s) => s.metrics[k].n > 0))
    .map((k) => `### ${METRICS[k].label}\n\n${metricTable(summaries, k)}\n`);
  const byMetric = new Map<MetricKey, Comparison[]>();
  for (const c of cmp) byMetric.set(c.metric, [...(byMetric.get(c.metric) ?? []), c]);
  const ratioSections = [...byMetric.entries()].map(([metric, list]) =>
    `### ${METRICS[metric].label}\n\n${
      markdownTable(
        ["memory (MB)", "arch", "ratio of medians [95% CI]", "n"],
        list.map((c) => [String(c.memoryMb), c.arch, formatRatio(c), `${c.nA} / ${c.nB}`]),
      )
    }\n`
  );
  const pct = (s: number) => `${+(s * 100).toFixed(2)}%`;
  const costSections = input.coldShares.map((s) =>
    `### ${pct(s)} cold starts\n\n${
      costTable(points, s)
    }\n\nPareto front (cost vs expected duration: warm Duration, plus Init and cold Duration at the cold share):\n\n${
      paretoTable(points, s)
    }\n`
  );
  return [
    `# Battle of the Extensions: ${loaded.runs.map((r) => r.runId).join(", ")}`,
    "",
    runsTable(loaded),
    "",
    "Medians carry a 95% confidence interval from order statistics (distribution-free); ratios of " +
    "medians carry a percentile-bootstrap interval (2,000 resamples, seed 1). Where a sample is " +
    "too small for an interval the table says so. Latency statistics use successful invocations " +
    "only; failed ones are counted below.",
    "",
    "## Headlines",
    "",
    ...headlines(summaries, cmp, points, input.coldShares),
    "",
    "## Invocations",
    "",
    countsTable(summaries),
    "",
    "## Latency, memory and overhead",
    "",
    ...metricSections,
    "## Ratios between variants",
    "",
    ...(ratioSections.length > 0 ? ratioSections : ["No pair of variants to compare.\n"]),
    "## Cost per million invocations",
    "",
    `Billed duration × memory (GB) × the arch's GB-second price + request price; Init billed on ` +
    `cold starts; SQS requests for variants that send (${input.payloadBytes} bytes per message, one ` +
    `message per invocation). Means over successful invocations.`,
    "",
    priceTableMarkdown(prices),
    "",
    ...costSections,
    "### Cheapest and fastest memory",
    "",
    bestMemoryTable(bestMemory(points)),
    "",
    "## Charts",
    "",
    ...input.figures.map((f) =>
      `- ${f.caption}: [PNG](${f.name}.png) · [SVG](${f.name}.svg) · [HTML](${f.name}.html)`
    ),
    "",
  ].join("\n");
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
  const loaded = loadRuns(options.runDirs);
  const outDir = options.outDir ?? join(REPORTS_DIR, loaded.runs.map((r) => r.runId).join("+"));
  mkdirSync(outDir, { recursive: true });
  const prices = options.prices ?? US_EAST_1;
  const coldShares = options.coldShares ?? [0.01, 0.1];
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
  write(
    "summary.md",
    summaryMarkdown({ loaded, points, prices, coldShares, payloadBytes, figures }),
  );
  log(`report: ${figures.length} charts (HTML) and summary.md → ${outDir}`);
  if (options.images === false) return { outDir, files, imagesSkipped: "images turned off" };
  const renderer = options.renderer ?? await ChartRenderer.start();
  try {
    for (const f of figures) {
      const { png, svg } = await renderer.render(f.figure);
      write(`${f.name}.png`, png);
      write(`${f.name}.svg`, svg);
    }
  } finally {
    if (renderer !== options.renderer) await renderer.close();
  }
  log(`report: ${figures.length} charts as PNG and SVG`);
  return { outDir, files, imagesSkipped: null };
}

function parseShares(text: string): number[] {
  const shares = text.split(",").map((s) => s.trim()).filter((s) => s !== "").map((s) => {
    const pct = s.endsWith("%");
    const n = Number(pct ? s.slice(0, -1) : s) / (pct ? 100 : 1);
    if (!(Number.isFinite(n) && n >= 0 && n <= 1)) {
      throw new RangeError(`--cold-share: "${s}" is not a share in [0, 1] (or 0%–100%)`);
    }
    return n;
  });
  if (shares.length === 0) throw new RangeError("--cold-share: no share given");
  return shares;
}

/**
 * Runs the command line.
 *
 * @param args Command-line arguments.
 * @returns The report folder.
 * @throws {Error} With a one-line message on bad input.
 */
export async function main(args: readonly string[]): Promise<string> {
  const { values } = parseArgs({
    args: [...args],
    options: {
      run: { type: "string", multiple: true },
      out: { type: "string" },
      prices: { type: "string" },
      "cold-share": { type: "string" },
      "payload-bytes": { type: "string" },
      "no-images": { type: "boolean", default: false },
      "inline-plotly": { type: "boolean", default: false },
    },
    allowPositionals: false,
  });
  let runDirs = values.run ?? [];
  if (runDirs.length === 0) {
    const newest = newestRunDir();
    if (newest === null) {
      throw new Error("No run found under data/runs: run `deno task bench` or pass --run DIR");
    }
    runDirs = [newest];
  }
  let payloadBytes: number | undefined;
  if (values["payload-bytes"] !== undefined) {
    payloadBytes = Number(values["payload-bytes"]);
    if (!(Number.isInteger(payloadBytes) && payloadBytes >= 0)) {
      throw new RangeError(
        `--payload-bytes: "${values["payload-bytes"]}" is not a whole number ≥ 0`,
      );
    }
  }
  const result = await writeReport({
    runDirs,
    ...(values.out === undefined ? {} : { outDir: values.out }),
    ...(values.prices === undefined ? {} : { prices: loadPriceTable(values.prices) }),
    ...(values["cold-share"] === undefined
      ? {}
      : { coldShares: parseShares(values["cold-share"]) }),
    ...(payloadBytes === undefined ? {} : { payloadBytes }),
    images: !values["no-images"],
    inlinePlotly: values["inline-plotly"],
  });
  return result.outDir;
}

if (import.meta.main) {
  try {
    console.log(await main(Deno.args));
  } catch (e) {
    console.error(`report: ${(e as Error).message.split("\n")[0]}`);
    Deno.exit(1);
  }
}
