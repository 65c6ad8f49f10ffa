/**
 * Figures of load runs (`deno task load`): throughput and the caller's latency over time, and
 * cold starts during the burst. Time is seconds since each cell's first request; a cell is one
 * variant at one memory size.
 *
 * @module
 */
import pl from "nodejs-polars";
import type { RunInfo } from "../analysis/load.ts";
import { quantileSorted, sortedFinite } from "../analysis/stats.ts";
import type { LoadCellRecord } from "../load/summary.ts";
import type { ChartContext } from "./_traces.ts";
import { axis, baseLayout, colorOf, type Figure } from "./theme.ts";

/** Every load cell the runs recorded. */
export function loadCellsOf(runs: readonly RunInfo[]): LoadCellRecord[] {
  return runs.flatMap((r) => r.manifest?.loadCells ?? []);
}

interface Completion {
  /** Seconds since the cell's first request, when the answer came. */
  at: number;
  /** Seconds since the cell's first request, when the request was sent. */
  sentAt: number;
  rttMs: number;
  cold: boolean;
  ok: boolean;
}

/** The cell's invocations, timed from its first request. */
function completions(frame: pl.DataFrame, runs: readonly RunInfo[], cell: LoadCellRecord) {
  const runIds = runs.filter((r) => r.manifest?.loadCells?.includes(cell)).map((r) => r.runId);
  const start = Date.parse(cell.startedAt);
  const rows = frame.filter(
    pl.col("variant").eq(pl.lit(cell.variant))
      .and(pl.col("memory_mb").eq(pl.lit(cell.memoryMb)))
      .and(runIds.map((id) => pl.col("run_id").eq(pl.lit(id))).reduce((a, b) => a.or(b)))
      .and(pl.col("timestamp").isNotNull()),
  ).select("timestamp", "client_rtt_ms", "cold", "status").toRecords();
  return rows.map((r): Completion => {
    const sentAt = (new Date(r.timestamp as unknown as Date).getTime() - start) / 1000;
    const rttMs = Number(r.client_rtt_ms ?? 0);
    return {
      sentAt,
      at: sentAt + rttMs / 1000,
      rttMs,
      cold: Boolean(r.cold),
      ok: r.status === "success",
    };
  });
}

/** A cell's name in legends: the variant, and the memory size when several are shown. */
function cellName(cell: LoadCellRecord, manyMemory: boolean): string {
  return manyMemory ? `${cell.variant} · ${cell.memoryMb} MB` : cell.variant;
}

/** Per-second buckets of a cell: completions per second and the p50 and p99 round trip. */
export function perSecond(items: readonly Completion[]): {
  second: number[];
  throughput: number[];
  p50: (number | null)[];
  p99: (number | null)[];
} {
  const buckets = new Map<number, Completion[]>();
  for (const c of items) {
    if (!c.ok) continue;
    const s = Math.floor(c.at);
    buckets.set(s, [...(buckets.get(s) ?? []), c]);
  }
  const last = Math.max(0, ...buckets.keys());
  const second: number[] = [];
  const throughput: number[] = [];
  const p50: (number | null)[] = [];
  const p99: (number | null)[] = [];
  for (let s = 0; s <= last; s++) {
    const b = buckets.get(s) ?? [];
    const sorted = sortedFinite(b.map((c) => c.rttMs));
    second.push(s + 0.5);
    throughput.push(b.length);
    p50.push(quantileSorted(sorted, 0.5));
    p99.push(quantileSorted(sorted, 0.99));
  }
  return { second, throughput, p50, p99 };
}

/**
 * Throughput (successful responses per second) and the caller's round trip (p50 solid, p99
 * dotted) over the load, one line per cell.
 *
 * @param frame Invocation rows of the load runs.
 * @param context Runs (their `loadCells`).
 * @returns The figure (two panels sharing the time axis).
 */
export function loadOverTime(frame: pl.DataFrame, context: ChartContext): Figure {
  const cells = loadCellsOf(context.runs);
  const manyMemory = new Set(cells.map((c) => c.memoryMb)).size > 1;
  const layout = baseLayout({
    title: "Under load: throughput and round trip over time",
    subtitle:
      "Top: successful responses per second. Bottom: the caller's round trip, p50 (solid) " +
      "and p99 (dotted), per second",
    xTitle: "Seconds since the first request",
    yTitle: "Responses per second",
    runs: context.runs,
  });
  layout.xaxis = axis("Seconds since the first request", { anchor: "y2" });
  layout.yaxis = axis("Responses / s", { domain: [0.55, 1] });
  layout.yaxis2 = axis("Round trip (ms)", { domain: [0, 0.45], type: "log" });
  const data: Record<string, unknown>[] = [];
  for (const cell of cells) {
    const s = perSecond(completions(frame, context.runs, cell));
    const name = cellName(cell, manyMemory);
    const color = colorOf(cell.variant);
    data.push(
      {
        type: "scatter",
        mode: "lines",
        name,
        legendgroup: name,
        x: s.second,
        y: s.throughput,
        line: { color, width: 2 },
      },
      {
        type: "scatter",
        mode: "lines",
        name: `${name} p50`,
        legendgroup: name,
        showlegend: false,
        x: s.second,
        y: s.p50,
        yaxis: "y2",
        line: { color, width: 2 },
      },
      {
        type: "scatter",
        mode: "lines",
        name: `${name} p99`,
        legendgroup: name,
        showlegend: false,
        x: s.second,
        y: s.p99,
        yaxis: "y2",
        line: { color, width: 1.5, dash: "dot" },
      },
    );
  }
  return { data, layout };
}

/**
 * Cold starts during the burst: the cumulative count of invocations that ran Init, by when
 * they were sent, one step line per cell; throttled requests as crosses on the time axis.
 *
 * @param frame Invocation rows of the load runs.
 * @param context Runs (their `loadCells`).
 * @returns The figure.
 */
export function coldStartsDuringBurst(frame: pl.DataFrame, context: ChartContext): Figure {
  const cells = loadCellsOf(context.runs);
  const manyMemory = new Set(cells.map((c) => c.memoryMb)).size > 1;
  const layout = baseLayout({
    title: "Cold starts during the burst",
    subtitle: "Environments the platform made as the load arrived (each cold start is a step); " +
      "throttled requests are crosses",
    xTitle: "Seconds since the first request",
    yTitle: "Cold starts so far",
    runs: context.runs,
  });
  const data: Record<string, unknown>[] = [];
  for (const cell of cells) {
    const cold = completions(frame, context.runs, cell).filter((c) => c.cold)
      .map((c) => c.sentAt).sort((a, b) => a - b);
    const name = cellName(cell, manyMemory);
    const color = colorOf(cell.variant);
    data.push({
      type: "scatter",
      mode: "lines+markers",
      line: { shape: "hv", color, width: 2 },
      marker: { color, size: 5 },
      name: `${name} (${cold.length} in ${cell.environments} environments)`,
      legendgroup: name,
      x: [0, ...cold],
      y: [0, ...cold.map((_, i) => i + 1)],
    });
    if (cell.throttledAtMs.length > 0) {
      data.push({
        type: "scatter",
        mode: "markers",
        name: `${name}: ${cell.throttles} throttled`,
        legendgroup: name,
        x: cell.throttledAtMs.map((ms) => ms / 1000),
        y: cell.throttledAtMs.map(() => 0),
        marker: { symbol: "x", color, size: 7 },
      });
    }
  }
  return { data, layout };
}
