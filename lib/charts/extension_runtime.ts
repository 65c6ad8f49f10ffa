/**
 * Figures of the studies' comparisons across the manifest's axes: post-runtime time per
 * extension (mean and max, as the extension-overhead study's dashboard showed
 * PostRuntimeExtensionsDuration), and Init and memory per function runtime.
 *
 * @module
 */
import pl from "nodejs-polars";
import { describe } from "../analysis/stats.ts";
import { findVariant, FUNCTION_RUNTIMES } from "../variants.ts";
import type { ChartContext } from "./_traces.ts";
import { axis, baseLayout, colorOf, type Figure } from "./theme.ts";

/** Successful warm rows with the column, grouped by variant × memory. */
function warmValues(frame: pl.DataFrame, column: string, cold: boolean | null) {
  const kind = cold === null ? pl.lit(true) : cold ? pl.col("cold") : pl.col("cold").not();
  const rows = frame.filter(
    pl.col("status").eq(pl.lit("success")).and(kind).and(pl.col(column).isNotNull())
      .and(pl.col("variant").isNotNull()),
  ).select("variant", "memory_mb", column).toRecords();
  const groups = new Map<string, { variant: string; memoryMb: number; values: number[] }>();
  for (const r of rows) {
    const key = `${r.variant}|${r.memory_mb}`;
    const g = groups.get(key) ??
      { variant: String(r.variant), memoryMb: Number(r.memory_mb), values: [] };
    g.values.push(Number(r[column]));
    groups.set(key, g);
  }
  return [...groups.values()].sort((a, b) =>
    a.memoryMb - b.memoryMb || (a.variant < b.variant ? -1 : 1)
  );
}

/**
 * Post-runtime time (Duration − runtimeDone: what the extensions took after the response) per
 * extension — per variant where the runs hold more than one function runtime or workload — and
 * memory size: the mean as a bar, the max as a diamond, as the extension-overhead study's
 * dashboard showed PostRuntimeExtensionsDuration.
 *
 * @param frame Invocation rows (warm ones are used, cold/warm and load runs alike).
 * @param context Runs.
 * @returns The figure.
 */
export function postRuntimePerExtension(frame: pl.DataFrame, context: ChartContext): Figure {
  const groups = warmValues(frame, "post_runtime_ms", false);
  const variants = groups.map((g) => findVariant(g.variant));
  const rest = new Set(variants.map((v) => v ? `${v.functionRuntime}|${v.workload}` : "?"));
  const byExtension = rest.size === 1 && variants.every((v) => v !== undefined);
  const keyOf = (i: number) => byExtension ? variants[i]!.extensionName : groups[i]!.variant;
  const merged = new Map<string, { key: string; memoryMb: number; values: number[] }>();
  groups.forEach((g, i) => {
    const id = `${keyOf(i)}|${g.memoryMb}`;
    const m = merged.get(id) ?? { key: keyOf(i), memoryMb: g.memoryMb, values: [] };
    m.values.push(...g.values);
    merged.set(id, m);
  });
  const cells = [...merged.values()];
  const keys = [...new Set(cells.map((c) => c.key))];
  const sizes = [...new Set(cells.map((c) => c.memoryMb))].sort((a, b) => a - b);
  const what = byExtension ? "Extension" : "Variant";
  const layout = baseLayout({
    title: "Post-runtime duration per extension: mean and max",
    subtitle: "After the response until every extension asked for its next event (billed)",
    xTitle: "Post-runtime (ms)",
    yTitle: what,
    runs: context.runs,
  });
  // Horizontal, so long variant names stay readable in an 800 px column.
  layout.barmode = "group";
  layout.xaxis = axis("Post-runtime (ms)", { rangemode: "tozero" });
  layout.yaxis = axis(what, {
    type: "category",
    categoryorder: "array",
    categoryarray: keys,
    automargin: true,
  });
  layout.legend = { ...(layout.legend as object), title: { text: "memory" } };
  const shades = ["#4c78a8", "#f58518", "#54a24b", "#b279a2", "#9d755d"];
  const data = sizes.flatMap((mb, i) => {
    const mine = keys.map((k) => cells.find((c) => c.key === k && c.memoryMb === mb));
    const color = shades[i % shades.length]!;
    return [
      {
        type: "bar",
        orientation: "h",
        name: `${mb} MB mean`,
        legendgroup: String(mb),
        y: keys,
        x: mine.map((c) => (c ? describe(c.values).mean : null)),
        offsetgroup: String(mb),
        marker: { color },
        hovertemplate: `%{y}, ${mb} MB: mean %{x:.2f} ms<extra></extra>`,
      },
      {
        type: "scatter",
        mode: "markers",
        name: `${mb} MB max`,
        legendgroup: String(mb),
        y: keys,
        x: mine.map((c) => (c ? Math.max(...c.values) : null)),
        marker: { symbol: "diamond", size: 10, color, line: { color: "#222", width: 1 } },
        hovertemplate: `%{y}, ${mb} MB: max %{x:.2f} ms<extra></extra>`,
      },
    ];
  });
  return { data, layout };
}

/**
 * Init Duration and Max Memory Used per function runtime (medians with 95% intervals), one bar
 * per runtime and memory size.
 *
 * @param frame Invocation rows.
 * @param context Runs.
 * @returns The figure (two panels).
 */
export function runtimeColdStartAndMemory(frame: pl.DataFrame, context: ChartContext): Figure {
  const runtimeOf = (variant: string) => findVariant(variant)?.functionRuntime ?? variant;
  const byRuntime = (column: string, cold: boolean | null) => {
    const merged = new Map<string, { runtime: string; memoryMb: number; values: number[] }>();
    for (const g of warmValues(frame, column, cold)) {
      const runtime = runtimeOf(g.variant);
      const key = `${runtime}|${g.memoryMb}`;
      const m = merged.get(key) ?? { runtime, memoryMb: g.memoryMb, values: [] };
      m.values.push(...g.values);
      merged.set(key, m);
    }
    return [...merged.values()];
  };
  const init = byRuntime("init_ms", true);
  const memory = byRuntime("max_memory_mb", null);
  const layout = baseLayout({
    title: "Function runtimes: cold start and memory",
    subtitle: "Left: median Init Duration. Right: median Max Memory Used. 95% intervals as bars",
    xTitle: "Memory size",
    yTitle: "Init Duration (ms)",
    runs: context.runs,
  });
  layout.barmode = "group";
  layout.legend = { ...(layout.legend as object), title: { text: "function runtime" } };
  layout.xaxis = axis("Memory size", { domain: [0, 0.45], type: "category" });
  layout.xaxis2 = axis("Memory size", { domain: [0.57, 1], type: "category", anchor: "y2" });
  layout.yaxis = axis("Init Duration (ms)", { rangemode: "tozero" });
  layout.yaxis2 = axis("Max Memory Used (MB)", { rangemode: "tozero", anchor: "x2" });
  const runtimes = [...new Set([...init, ...memory].map((g) => g.runtime))];
  const color = (runtime: string) =>
    FUNCTION_RUNTIMES.find((r) => r.name === runtime)?.color ?? colorOf(runtime);
  const bars = (groups: typeof init, runtime: string, panel: 1 | 2) => {
    const mine = groups.filter((g) => g.runtime === runtime).sort((a, b) =>
      a.memoryMb - b.memoryMb
    );
    const est = mine.map((g) => describe(g.values));
    return {
      type: "bar",
      name: runtime,
      legendgroup: runtime,
      showlegend: panel === 1,
      x: mine.map((g) => `${g.memoryMb} MB`),
      y: est.map((e) => e.p50),
      error_y: {
        type: "data",
        symmetric: false,
        array: est.map((e) => (e.ci ? e.ci.upper - e.p50! : 0)),
        arrayminus: est.map((e) => (e.ci ? e.p50! - e.ci.lower : 0)),
      },
      marker: { color: color(runtime) },
      ...(panel === 2 ? { xaxis: "x2", yaxis: "y2" } : {}),
    };
  };
  return {
    data: runtimes.flatMap((r) => [bars(init, r, 1), bars(memory, r, 2)]),
    layout,
  };
}
