/**
 * Per variant × memory × arch summaries of a run's invocations, and ratios between variants.
 * Polars filters and groups the rows; `stats.ts` computes the estimates and intervals.
 *
 * @module
 */
import pl from "nodejs-polars";
import {
  EXTENSION_NAMES,
  findVariant,
  FUNCTION_RUNTIME_NAMES,
  type FunctionRuntime,
  VARIANT_NAMES,
  WORKLOAD_NAMES,
} from "../variants.ts";
import {
  DEFAULT_LEVEL,
  describe,
  type Estimate,
  type RatioEstimate,
  ratioOfMedians,
  type RatioOptions,
} from "./stats.ts";

/** Which invocations a metric is measured on. */
export type RowKind = "cold" | "warm" | "all";

/** One measured quantity. */
export interface Metric {
  /** Key in {@link GroupSummary.metrics}. */
  key: string;
  /** Schema column it reads. */
  column: string;
  /** Rows it is measured on. */
  rows: RowKind;
  /** Human label for tables and axes, unit included. */
  label: string;
}

/** The metrics of the study. Latency metrics use successful invocations only. */
export const METRICS = {
  initMs: { key: "initMs", column: "init_ms", rows: "cold", label: "Init Duration (ms)" },
  coldRttMs: {
    key: "coldRttMs",
    column: "client_rtt_ms",
    rows: "cold",
    label: "Cold round trip (ms)",
  },
  warmDurationMs: {
    key: "warmDurationMs",
    column: "duration_ms",
    rows: "warm",
    label: "Warm Duration (ms)",
  },
  warmRttMs: {
    key: "warmRttMs",
    column: "client_rtt_ms",
    rows: "warm",
    label: "Warm round trip (ms)",
  },
  postRuntimeMs: {
    key: "postRuntimeMs",
    column: "post_runtime_ms",
    rows: "warm",
    label: "Extension overhead, post-runtime (ms)",
  },
  maxMemoryMb: {
    key: "maxMemoryMb",
    column: "max_memory_mb",
    rows: "all",
    label: "Max Memory Used (MB)",
  },
  warmBilledMs: {
    key: "warmBilledMs",
    column: "billed_ms",
    rows: "warm",
    label: "Billed Duration, warm (ms)",
  },
  coldBilledMs: {
    key: "coldBilledMs",
    column: "billed_ms",
    rows: "cold",
    label: "Billed Duration, cold (ms)",
  },
  coldDurationMs: {
    key: "coldDurationMs",
    column: "duration_ms",
    rows: "cold",
    label: "Duration of cold invocations (ms)",
  },
} as const satisfies Record<string, Metric>;

/** Keys of {@link METRICS}. */
export type MetricKey = keyof typeof METRICS;

/** One variant × memory × arch cell. */
export interface GroupSummary {
  variant: string;
  memoryMb: number;
  arch: string;
  /** Every invocation, failed ones included. */
  invocations: number;
  /** Successful cold and warm invocations (the rows latency statistics use). */
  coldOk: number;
  warmOk: number;
  /** Invocations excluded from latency statistics, by status (`error`, `timeout`, `failure`). */
  excluded: Record<string, number>;
  metrics: Record<MetricKey, Estimate>;
}

function rowFilter(kind: RowKind): pl.Expr {
  if (kind === "cold") return pl.col("cold");
  if (kind === "warm") return pl.col("cold").not();
  return pl.lit(true);
}

/**
 * Orders variants as in `lib/variants.ts`: the named variants and function runtimes (charts
 * grouped by runtime) first, then composed ones by function runtime, extension and workload;
 * unknown names after, by name.
 */
export function variantOrder(a: string, b: string): number {
  const ra = variantRank(a);
  const rb = variantRank(b);
  for (let i = 0; i < ra.length; i++) {
    if (ra[i] !== rb[i]) return ra[i]! - rb[i]!;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

function variantRank(name: string): number[] {
  const named = VARIANT_NAMES.indexOf(name);
  if (named !== -1) return [0, named, 0, 0];
  const runtime = FUNCTION_RUNTIME_NAMES.indexOf(name as FunctionRuntime);
  if (runtime !== -1) {
    // A runtime label (rows grouped by runtime) sits just before the next runtime that is also a
    // named variant, so `rust` and `llrt` keep one place in both kinds of chart.
    const later = FUNCTION_RUNTIME_NAMES.slice(runtime).findIndex((r) => VARIANT_NAMES.includes(r));
    const anchor = later === -1
      ? VARIANT_NAMES.length
      : VARIANT_NAMES.indexOf(FUNCTION_RUNTIME_NAMES[runtime + later]!);
    return [0, anchor - 0.1 * later, 0, 0];
  }
  const v = findVariant(name);
  if (v === undefined) return [3, 0, 0, 0];
  return [
    2,
    FUNCTION_RUNTIME_NAMES.indexOf(v.functionRuntime),
    EXTENSION_NAMES.indexOf(v.extensionName),
    (WORKLOAD_NAMES as readonly string[]).indexOf(v.workload),
  ];
}

/**
 * Summarises invocations per variant × memory × arch.
 *
 * @param frame Rows of the invocation schema (one or more runs).
 * @param level Confidence level of median intervals (default 0.95).
 * @returns One summary per cell, in variant order, then memory, then arch.
 */
export function summarize(frame: pl.DataFrame, level = DEFAULT_LEVEL): GroupSummary[] {
  const keys = ["variant", "memory_mb", "arch"];
  const ok = pl.col("status").eq(pl.lit("success"));
  const metricList = Object.values(METRICS) as Metric[];
  const grouped = frame
    .withColumns(
      pl.col("variant").fillNull(pl.lit("unknown")),
      pl.col("arch").fillNull(pl.lit("unknown")),
      pl.col("memory_mb").fillNull(pl.lit(0)),
    )
    .groupBy(keys)
    .agg(
      pl.len().alias("invocations"),
      pl.col("cold").and(ok).sum().alias("cold_ok"),
      pl.col("cold").not().and(ok).sum().alias("warm_ok"),
      pl.col("status").eq(pl.lit("error")).sum().alias("n_error"),
      pl.col("status").eq(pl.lit("timeout")).sum().alias("n_timeout"),
      pl.col("status").eq(pl.lit("failure")).sum().alias("n_failure"),
      ...metricList.map((m) =>
        pl.col(m.column).filter(ok.and(rowFilter(m.rows))).dropNulls().alias(`m_${m.key}`)
      ),
    );
  const out: GroupSummary[] = grouped.toRecords().map((r) => {
    const metrics = {} as Record<MetricKey, Estimate>;
    for (const m of metricList) {
      metrics[m.key as MetricKey] = describe((r[`m_${m.key}`] ?? []) as number[], level);
    }
    const excluded: Record<string, number> = {};
    for (const s of ["error", "timeout", "failure"]) {
      const n = Number(r[`n_${s}`] ?? 0);
      if (n > 0) excluded[s] = n;
    }
    return {
      variant: String(r.variant),
      memoryMb: Number(r.memory_mb),
      arch: String(r.arch),
      invocations: Number(r.invocations),
      coldOk: Number(r.cold_ok),
      warmOk: Number(r.warm_ok),
      excluded,
      metrics,
    };
  });
  return out.sort((a, b) =>
    variantOrder(a.variant, b.variant) || a.memoryMb - b.memoryMb ||
    (a.arch < b.arch ? -1 : a.arch > b.arch ? 1 : 0)
  );
}

/** A cell of the matrix: the variant is chosen separately. */
export interface Cell {
  memoryMb: number;
  arch: string;
}

/**
 * The successful values of one metric for one variant × memory × arch.
 *
 * @param frame Invocation rows.
 * @param options Variant, cell and metric.
 * @returns The values (unsorted).
 */
export function metricValues(
  frame: pl.DataFrame,
  options: { variant: string; memoryMb: number; arch: string; metric: MetricKey },
): number[] {
  const m: Metric = METRICS[options.metric];
  const picked = frame.filter(
    pl.col("variant").eq(pl.lit(options.variant))
      .and(pl.col("memory_mb").eq(pl.lit(options.memoryMb)))
      .and(pl.col("arch").eq(pl.lit(options.arch)))
      .and(pl.col("status").eq(pl.lit("success")))
      .and(rowFilter(m.rows))
      .and(pl.col(m.column).isNotNull()),
  );
  return picked.getColumn(m.column).toArray() as number[];
}

/** A ratio of two variants' medians in one cell. */
export interface Comparison extends RatioEstimate, Cell {
  variant: string;
  baseline: string;
  metric: MetricKey;
}

/**
 * Compares two variants cell by cell: median of `variant` ÷ median of `baseline`, with a seeded
 * bootstrap interval, for every memory × arch both have.
 *
 * @param frame Invocation rows.
 * @param options `variant`, `baseline`, `metric`, and bootstrap options.
 * @returns One comparison per shared cell, by memory then arch.
 */
export function compareVariants(
  frame: pl.DataFrame,
  options: { variant: string; baseline: string; metric: MetricKey } & RatioOptions,
): Comparison[] {
  const cellsOf = (variant: string) =>
    new Set(
      (frame.filter(pl.col("variant").eq(pl.lit(variant)))
        .select("memory_mb", "arch").unique().toRecords())
        .map((r) => `${r.memory_mb}|${r.arch}`),
    );
  const a = cellsOf(options.variant);
  const shared = [...cellsOf(options.baseline)].filter((c) => a.has(c)).map((c) => {
    const [memory, arch] = c.split("|");
    return { memoryMb: Number(memory), arch: String(arch) };
  }).sort((x, y) => x.memoryMb - y.memoryMb || (x.arch < y.arch ? -1 : 1));
  return shared.map((cell) => {
    const pick = (variant: string) =>
      metricValues(frame, { ...cell, variant, metric: options.metric });
    return {
      ...cell,
      variant: options.variant,
      baseline: options.baseline,
      metric: options.metric,
      ...ratioOfMedians(pick(options.variant), pick(options.baseline), options),
    };
  });
}

/** Which cells to keep; an empty or missing list keeps everything on that axis. */
export interface CellSelection {
  variants?: readonly string[];
  memoryMb?: readonly number[];
  archs?: readonly string[];
}

/**
 * Keeps the rows of the chosen variants, memory sizes and architectures.
 *
 * @param frame Invocation rows.
 * @param selection Lists to keep (empty: all).
 * @returns The filtered rows.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import pl from "nodejs-polars";
 * import { selectCells } from "./summary.ts";
 * const frame = pl.DataFrame({
 *   variant: ["llrt", "node", "rust", "llrt"],
 *   memory_mb: [512, 512, 512, 128],
 *   arch: ["arm64", "arm64", "arm64", "arm64"],
 * });
 * const picked = selectCells(frame, { variants: ["llrt", "node"], memoryMb: [512] });
 * assert.equal(picked.height, 2);
 * ```
 */
export function selectCells(frame: pl.DataFrame, selection: CellSelection): pl.DataFrame {
  let keep: pl.Expr = pl.lit(true);
  const anyOf = (column: string, values: readonly (string | number)[]) =>
    values.map((v) => pl.col(column).eq(pl.lit(v))).reduce((a, b) => a.or(b));
  if (selection.variants?.length) keep = keep.and(anyOf("variant", selection.variants));
  if (selection.memoryMb?.length) keep = keep.and(anyOf("memory_mb", selection.memoryMb));
  if (selection.archs?.length) keep = keep.and(anyOf("arch", selection.archs));
  return frame.filter(keep);
}
