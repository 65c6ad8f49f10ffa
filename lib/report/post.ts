/**
 * A blog post per report (`post.md`, and `post.html` from the same blocks in
 * `post_html.ts`): the question, the answer with its intervals, the charts with their tables,
 * the method, how far to trust the numbers, how to reproduce them, and the open data.
 *
 * @module
 */
import { formatMedian, markdownTable, metricTable } from "../analysis/format.ts";
import type { LoadedRuns, RunInfo } from "../analysis/load.ts";
import { type GroupSummary, type MetricKey, METRICS, summarize } from "../analysis/summary.ts";
import type { ReportFigure } from "../charts/report.ts";
import type { PriceTable } from "../cost/prices.ts";
import type { CostPoint } from "../cost/sweep.ts";
import { priceTableMarkdown } from "../cost/tables.ts";
import type { FidelityResult } from "../fidelity/report.ts";
import { INVOCATION_COLUMNS } from "../schema.ts";
import { VARIANTS } from "../variants.ts";
import { ratioSections, summaryComparisons } from "./comparisons.ts";
import { fidelitySection } from "./fidelity.ts";
import { headlines } from "./headlines.ts";
import { cheapestMemoryTable, costSections, formatShare } from "./summary.ts";
import { methodLines, reproduceLines } from "./post_method.ts";

/** A figure in the post: its file stem, its caption, and its number. */
export interface PostFigure {
  figure: ReportFigure;
  number: number;
}

/** A post is Markdown text with figures between; each renderer draws figures its own way. */
export type PostBlock = string | PostFigure;

/** Where a run's open data sits, relative to the post. */
export interface PostData {
  runId: string;
  /** For example `data/<run-id>/invocations.parquet`. */
  parquet: string;
  /** For example `data/<run-id>/run.json`; null when the run has none. */
  manifest: string | null;
  rows: number;
}

/** What {@link postBlocks} reads. */
export interface PostInput {
  loaded: LoadedRuns;
  points: readonly CostPoint[];
  prices: PriceTable;
  coldShares: readonly number[];
  payloadBytes: number;
  /** The charts written beside the post. */
  figures: readonly ReportFigure[];
  /** The newest fidelity result on this machine (local runs); null: none. */
  fidelity: FidelityResult | null;
  /** The open data beside the post, one entry per run. */
  data: readonly PostData[];
}

interface VariantFacts {
  name: string;
  description: string;
  functionRuntime: string | null;
  extension: string;
  /** `sqs`, `cpu`, `none`; null where the run does not record it. */
  workload?: string | null;
}

/** The variants of the runs as recorded in their manifests (else as this checkout knows them). */
export function postVariants(loaded: LoadedRuns): VariantFacts[] {
  const names = [...new Set(loaded.frame.getColumn("variant").toArray() as Array<string | null>)]
    .filter((n): n is string => n !== null);
  const recorded = loaded.runs.flatMap((r) => r.manifest?.variants ?? []);
  const order = (n: string) => {
    const i = VARIANTS.findIndex((v) => v.name === n);
    return i === -1 ? Infinity : i;
  };
  return names.sort((a, b) => order(a) - order(b) || (a < b ? -1 : 1)).map((name) => {
    const v = (recorded.find((r) => r.name === name) ?? VARIANTS.find((r) => r.name === name)) as
      | {
        description: string;
        functionRuntime: string;
        extension: { name: string } | null;
        extensionName?: string;
        workload?: string;
      }
      | undefined;
    return {
      name,
      description: v?.description ?? "not recorded",
      functionRuntime: v?.functionRuntime ?? null,
      extension: v?.extensionName ??
        (v?.extension ? v.extension.name.replace(/^battle-ext-/, "") : "none"),
      workload: v?.workload ?? null,
    };
  });
}

const EXTENSION_WORDS: Record<string, string> = {
  rust: "in Rust",
  node: "for Node.js",
  llrt: "for LLRT",
};
const RUNTIME_WORDS: Record<string, string> = {
  nodejs: "Node.js",
  llrt: "LLRT",
  python: "Python",
  "python-pyo3": "Python with Rust (PyO3)",
  rust: "Rust",
  go: "Go",
};

function either(words: string[]): string {
  return words.length <= 1 ? words.join("") : `${words.slice(0, -1).join(", ")} or ${words.at(-1)}`;
}

/**
 * The title and the question of a post, from what its runs compared: extensions (against
 * none), function runtimes, or both; a study named in the run's configuration leads the title.
 *
 * @param variants The runs' variants ({@link postVariants}).
 * @param study The study's name, when the run records one.
 * @returns The title and one paragraph.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { postQuestion } from "./post.ts";
 * const q = postQuestion([
 *   { name: "none", description: "", functionRuntime: "nodejs", extension: "none" },
 *   { name: "rust", description: "", functionRuntime: "nodejs", extension: "rust" },
 * ]);
 * assert.equal(q.title, "What does a Lambda extension cost? Rust against no extension");
 * ```
 */
export function postQuestion(
  variants: readonly VariantFacts[],
  study: string | null = null,
): { title: string; question: string } {
  const extensions = [...new Set(variants.map((v) => v.extension))].filter((e) => e !== "none");
  // Runtimes are compared where two variants differ in their function runtime only (the
  // first study's llrt variant runs its function on LLRT too, but carries its own extension).
  const alike = (a: VariantFacts, b: VariantFacts) =>
    a.extension === b.extension && (a.workload ?? null) === (b.workload ?? null);
  const runtimes = [
    ...new Set(
      variants.filter((v) =>
        variants.some((w) => w !== v && alike(v, w) && w.functionRuntime !== v.functionRuntime)
      ).map((v) => v.functionRuntime),
    ),
  ].filter((r): r is string => r !== null);
  const hasBaseline = variants.some((v) => v.extension === "none");
  const parts: string[] = [];
  const titles: string[] = [];
  if (extensions.length > 0) {
    const written = either(extensions.map((e) => EXTENSION_WORDS[e] ?? `"${e}"`));
    parts.push(
      `What does a Lambda extension cost — in cold start, latency, memory and money — when it ` +
        `is written ${written}${hasBaseline ? ", against no extension at all" : ""}?`,
    );
    const short = extensions.map((e) =>
      ({ rust: "Rust", node: "Node.js", llrt: "LLRT" } as Record<string, string>)[e] ?? e
    );
    titles.push(
      `What does a Lambda extension cost? ${short.join(" vs ")}${
        hasBaseline ? ` ${short.length > 1 ? "vs" : "against"} no extension` : ""
      }`,
    );
  }
  if (runtimes.length > 1) {
    const names = runtimes.map((r) => RUNTIME_WORDS[r] ?? r);
    parts.push(
      `What does the function's own runtime cost — ${either(names)} — in the same terms?`,
    );
    titles.push(`What does the function's runtime cost? ${names.join(" vs ")}`);
  }
  if (parts.length === 0) {
    parts.push("How do these Lambda configurations compare in cold start, latency and cost?");
    titles.push(`Lambda cold starts and cost: ${variants.map((v) => v.name).join(", ")}`);
  }
  const title = titles.join("; ");
  return { title: study ? `${study}: ${title}` : title, question: parts.join(" ") };
}

function studyOf(runs: readonly RunInfo[]): string | null {
  for (const r of runs) {
    const study = (r.manifest?.config as { study?: unknown } | undefined)?.study;
    if (typeof study === "string" && study !== "") return study;
  }
  return null;
}

/** The memory × arch cell with the most successful invocations (ties: the larger memory). */
export function busiestCell(
  summaries: readonly GroupSummary[],
): { memoryMb: number; arch: string } | null {
  const weight = new Map<string, { memoryMb: number; arch: string; n: number }>();
  for (const s of summaries) {
    const key = `${s.memoryMb}|${s.arch}`;
    const w = weight.get(key) ?? { memoryMb: s.memoryMb, arch: s.arch, n: 0 };
    w.n += s.coldOk + s.warmOk;
    weight.set(key, w);
  }
  const best = [...weight.values()].sort((a, b) => b.n - a.n || b.memoryMb - a.memoryMb)[0];
  return best ? { memoryMb: best.memoryMb, arch: best.arch } : null;
}

const GLANCE_HEADERS: Partial<Record<MetricKey, string>> = {
  initMs: "Init (ms)",
  coldRttMs: "cold round trip (ms)",
  warmDurationMs: "warm Duration (ms)",
  postRuntimeMs: "post-runtime (ms)",
  maxMemoryMb: "Max Memory (MB)",
};

const GLANCE: readonly MetricKey[] = [
  "initMs",
  "coldRttMs",
  "warmDurationMs",
  "postRuntimeMs",
  "maxMemoryMb",
];

/**
 * The answer at a glance: per variant at one cell, the medians with their 95% intervals and
 * the cost per million invocations at each cold share.
 *
 * @param summaries Output of `summarize()`.
 * @param points Memory sweep points.
 * @param cell The memory size and arch to show.
 * @returns A Markdown table.
 */
export function glanceTable(
  summaries: readonly GroupSummary[],
  points: readonly CostPoint[],
  cell: { memoryMb: number; arch: string },
): string {
  const shares = [...new Set(points.map((p) => p.coldShare))].sort((a, b) => a - b);
  const rows = summaries.filter((s) => s.memoryMb === cell.memoryMb && s.arch === cell.arch);
  return markdownTable(
    [
      "variant",
      ...GLANCE.map((k) => GLANCE_HEADERS[k] ?? METRICS[k].label),
      ...shares.map((s) => `$/1M, ${formatShare(s)} cold`),
    ],
    rows.map((s) => [
      s.variant,
      ...GLANCE.map((k) => formatMedian(s.metrics[k])),
      ...shares.map((share) => {
        const p = points.find((p) =>
          p.variant === s.variant && p.memoryMb === s.memoryMb && p.arch === s.arch &&
          p.coldShare === share
        );
        return p ? `$${p.cost.total.toFixed(3)}${p.noColdSample ? " (no cold sample)" : ""}` : "–";
      }),
    ]),
  );
}

function metricSection(summaries: readonly GroupSummary[], metric: MetricKey): string {
  return summaries.some((s) => s.metrics[metric].n > 0) ? metricTable(summaries, metric) : "";
}

/** Which figures go in which section, by file stem (others go to "More charts"). */
const SECTIONS: ReadonlyArray<{ heading: string; figures: RegExp; text: string }> = [
  {
    heading: "Cold starts",
    figures: /^(cold_start_init|init_ecdf|init_vs_memory)$/,
    text: "Init Duration is what Lambda reports for the Init phase of a new environment: the " +
      "runtime and every extension start, and Init ends when all of them have asked for the " +
      "first event. It is billed.",
  },
  {
    heading: "What the caller waits for",
    figures: /^cold_start_round_trip$/,
    text: "The round trip the invoker measured on cold invocations: Init, the invocation, and " +
      "the trip to the function and back.",
  },
  {
    heading: "Warm invocations and the extension's overhead",
    figures: /^warm_and_overhead$/,
    text: "An extension's work after the function has responded (here: delivering the message " +
      "to SQS) is billed as Duration but does not delay the caller. Post-runtime time is " +
      "Duration minus the runtime's own duration.",
  },
  { heading: "Memory", figures: /^memory_used$/, text: "" },
  { heading: "Cost", figures: /^(cost_vs_memory|pareto_.*)$/, text: "" },
];

/**
 * The post's blocks, in reading order: Markdown text and figures.
 *
 * @param input Loaded runs, sweep points, prices, figures, fidelity, open data.
 * @returns The blocks.
 */
export function postBlocks(input: PostInput): PostBlock[] {
  const { loaded, points } = input;
  const summaries = summarize(loaded.frame);
  const comparisons = summaryComparisons(loaded.frame);
  const variants = postVariants(loaded);
  const { title, question } = postQuestion(variants, studyOf(loaded.runs));
  const runIds = loaded.runs.map((r) => r.runId).join(", ");
  const backends = [...new Set(loaded.runs.map((r) => r.backend ?? "unknown"))];
  const where = backends.map((b) =>
    b === "local" ? "the local Lambda sandbox" : b === "aws" ? "AWS Lambda" : `backend ${b}`
  ).join(" and ");
  const cell = busiestCell(summaries);
  const blocks: PostBlock[] = [];
  const text = (...lines: string[]) => blocks.push(lines.join("\n"));
  let n = 0;
  const figure = (f: ReportFigure) => blocks.push({ figure: f, number: ++n });
  const placed = new Set<string>();

  text(
    `# ${title}`,
    "",
    `_Run ${runIds}, measured on ${where}. The data is open: ${
      input.data.map((d) => `[${d.parquet.split("/").pop()}](${d.parquet})`).join(", ")
    } (see [Open data](#open-data))._`,
    "",
    "## The question",
    "",
    question,
    "",
    markdownTable(
      ["variant", "what it is"],
      variants.map((v) => [`\`${v.name}\``, v.description]),
    ),
    "",
    "## The answer",
    "",
    ...(cell
      ? [
        `At ${cell.memoryMb} MB (${cell.arch}), the cell with the most invocations: medians with ` +
        "their 95% confidence intervals, and the cost per million invocations.",
        "",
        glanceTable(summaries, points, cell),
        "",
      ]
      : []),
    ...headlines({ summaries, comparisons, points, coldShares: input.coldShares }),
    "",
    "Intervals: medians carry a distribution-free 95% interval from order statistics; ratios of " +
      "medians a percentile-bootstrap interval (2,000 resamples, seed 1). Where a sample is too " +
      "small for an interval the table says so. Latency statistics use successful invocations only.",
    "",
  );
  for (const section of SECTIONS) {
    const figs = input.figures.filter((f) => section.figures.test(f.name));
    if (figs.length === 0) continue;
    text(`## ${section.heading}`, "", ...(section.text ? [section.text, ""] : []));
    for (const f of figs) {
      placed.add(f.name);
      figure(f);
      if (f.name === "cold_start_init") text(metricSection(summaries, "initMs"), "");
      if (f.name === "cold_start_round_trip") text(metricSection(summaries, "coldRttMs"), "");
      if (f.name === "memory_used") text(metricSection(summaries, "maxMemoryMb"), "");
      if (f.name === "cost_vs_memory") {
        text(
          "Billed duration × memory (GB) × the arch's GB-second price, plus the request price; " +
            `Init billed on cold starts; SQS requests for variants that send (${input.payloadBytes} ` +
            "bytes per message, one message per invocation). Means over successful invocations.",
          "",
          priceTableMarkdown(input.prices),
          "",
          ...costSections(points, input.coldShares),
          "Cheapest and fastest memory per variant:",
          "",
          cheapestMemoryTable(points),
          "",
        );
      }
    }
    if (section.heading.startsWith("Warm")) {
      text(
        "Warm Duration:",
        "",
        metricSection(summaries, "warmDurationMs"),
        "",
        "Post-runtime overhead:",
        "",
        metricSection(summaries, "postRuntimeMs"),
        "",
      );
    }
  }
  const rest = input.figures.filter((f) => !placed.has(f.name));
  if (rest.length > 0) {
    text("## More charts", "");
    for (const f of rest) figure(f);
  }
  text("## Ratios between variants", "", ...ratioSections(comparisons));
  text(...methodLines(loaded, summaries));
  text(...fidelitySection(loaded.runs, input.fidelity));
  text(...reproduceLines(loaded.runs));
  text(...openDataLines(input.data));
  return blocks;
}

/**
 * The "Open data" section: links to each run's Parquet and manifest, the columns, and how to
 * read them in pandas, DuckDB and polars.
 *
 * @param data The files beside the post.
 * @returns Markdown lines.
 */
export function openDataLines(data: readonly PostData[]): string[] {
  const first = data[0]?.parquet ?? "invocations.parquet";
  return [
    "## Open data",
    "",
    "Every invocation is one row of the run's Parquet file, as written by the benchmark; it " +
    "reads as it is in pandas, pyarrow, DuckDB and polars.",
    "",
    ...data.map((d) =>
      `- Run ${d.runId}: [invocations.parquet](${d.parquet}) (${d.rows.toLocaleString("en-US")} ` +
      `rows)${
        d.manifest ? ` and [run.json](${d.manifest}) (configuration, versions, host, checks)` : ""
      }`
    ),
    "",
    `Columns: ${
      Object.entries(INVOCATION_COLUMNS).map(([name, type]) => `\`${name}\` (${type})`).join(", ")
    }.`,
    "",
    "```python",
    "import pandas as pd",
    `df = pd.read_parquet("${first}")`,
    'df[df.cold & (df.status == "success")].groupby(["variant", "memory_mb"]).init_ms.median()',
    "```",
    "",
    "```sql",
    "-- DuckDB",
    "SELECT variant, memory_mb, median(init_ms) AS init_ms",
    `FROM '${first}' WHERE cold AND status = 'success' GROUP BY ALL ORDER BY ALL;`,
    "```",
    "",
  ];
}

/**
 * The post as Markdown: figures as their PNG, linking the SVG and the interactive HTML.
 *
 * @param blocks From {@link postBlocks}.
 * @param options `images`: whether PNG and SVG exist beside the post (else the figures link
 * their HTML only).
 * @returns The text of `post.md`.
 */
export function postMarkdown(
  blocks: readonly PostBlock[],
  options: { images: boolean; caption: (f: PostFigure) => string },
): string {
  return blocks.map((b) => {
    if (typeof b === "string") return b;
    const name = b.figure.name;
    const caption = options.caption(b);
    return options.images
      ? `![${caption}](${name}.png)\n\n_${caption}_ [SVG](${name}.svg) · [interactive](${name}.html)\n`
      : `_${caption}_ [interactive chart](${name}.html)\n`;
  }).join("\n");
}
