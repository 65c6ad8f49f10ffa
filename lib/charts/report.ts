/**
 * The report's set of figures, built from loaded runs and a memory sweep.
 *
 * @module
 */
import type pl from "nodejs-polars";
import type { RunInfo } from "../analysis/load.ts";
import type { GroupSummary } from "../analysis/summary.ts";
import type { CostPoint } from "../cost/sweep.ts";
import type { PriceTable } from "../cost/prices.ts";
import {
  coldStartBox,
  costVsMemory,
  initEcdf,
  initVsMemory,
  memoryUsed,
  paretoChart,
  warmAndOverhead,
} from "./figures.ts";
import type { Figure } from "./theme.ts";
import { coldStartsDuringBurst, loadCellsOf, loadOverTime } from "./load.ts";
import { postRuntimePerExtension, runtimeColdStartAndMemory } from "./extension_runtime.ts";
import { findVariant } from "../variants.ts";

/** One chart of the report: a file-name stem, a caption and the figure. */
export interface ReportFigure {
  name: string;
  caption: string;
  figure: Figure;
}

/**
 * Every chart of the report, in reading order.
 *
 * @param input Rows, runs, summaries, sweep points and the price table.
 * @returns The charts (the Pareto chart once per cold share).
 */
export function reportFigures(input: {
  frame: pl.DataFrame;
  runs: readonly RunInfo[];
  summaries: readonly GroupSummary[];
  points: readonly CostPoint[];
  prices: PriceTable;
}): ReportFigure[] {
  const { frame, runs, summaries, points, prices } = input;
  const shares = [...new Set(points.map((p) => p.coldShare))].sort((a, b) => a - b);
  const figures: ReportFigure[] = [
    {
      name: "cold_start_init",
      caption: "Init Duration (ms) per variant and memory size; every cold start is a dot",
      figure: coldStartBox(frame, { runs }),
    },
    {
      name: "cold_start_round_trip",
      caption: "Cold round trip seen by the caller (ms) per variant and memory size",
      figure: coldStartBox(frame, { runs }, "coldRttMs"),
    },
    {
      name: "init_ecdf",
      caption:
        "Cumulative distribution of Init Duration (ms) at the memory size with the most cold starts",
      figure: initEcdf(frame, { runs }),
    },
    {
      name: "init_vs_memory",
      caption: "Median Init Duration (ms) vs memory size (MB), with 95% intervals",
      figure: initVsMemory(summaries, { runs }),
    },
    {
      name: "warm_and_overhead",
      caption: "Warm Duration and post-runtime extension overhead (ms) per variant and memory size",
      figure: warmAndOverhead(frame, { runs }),
    },
    {
      name: "memory_used",
      // The sandbox counts less than Lambda does for the same function (see the summary's
      // "How far to trust these numbers"): the caption says so wherever a local run is shown.
      caption: runs.some((r) => r.backend === "local")
        ? "Max Memory Used (MB) (the local sandbox counts less than Lambda; compare variants, not with Lambda)"
        : "Max Memory Used (MB) per variant and memory size",
      figure: memoryUsed(frame, { runs }),
    },
  ];
  // The studies' charts, where the runs have what they compare.
  const parts = (pick: (v: NonNullable<ReturnType<typeof findVariant>>) => string) =>
    new Set(
      (frame.getColumn("variant").unique().dropNulls().toArray() as string[])
        .map((name) => findVariant(name))
        .filter((v) => v !== undefined)
        .map((v) => pick(v!)),
    );
  if (loadCellsOf(runs).length > 0) {
    figures.push(
      {
        name: "load_over_time",
        caption: "Throughput (responses/s) and the caller's round trip p50/p99 (ms) over the load",
        figure: loadOverTime(frame, { runs }),
      },
      {
        name: "load_cold_starts",
        caption: "Cold starts (environments made) as the burst arrived; throttled requests",
        figure: coldStartsDuringBurst(frame, { runs }),
      },
    );
  }
  if (parts((v) => v.extensionName).size > 1) {
    figures.push({
      name: "post_runtime_per_extension",
      caption: "Post-runtime duration (ms) per extension: mean (bars) and max (diamonds)",
      figure: postRuntimePerExtension(frame, { runs }),
    });
  }
  if (parts((v) => v.functionRuntime).size > 1) {
    figures.push({
      name: "runtime_cold_start_memory",
      caption:
        "Init Duration (ms) and Max Memory Used (MB) per function runtime, medians with 95% intervals",
      figure: runtimeColdStartAndMemory(frame, { runs }),
    });
  }
  if (points.length > 0) {
    figures.push({
      name: "cost_vs_memory",
      caption: "Cost per million invocations (USD) vs memory size (MB)",
      figure: costVsMemory(points, { runs, region: prices.region, priceDate: prices.date }),
    });
    for (const share of shares) {
      figures.push({
        name: `pareto_${+(share * 100).toFixed(2)}pct`.replace(".", "_"),
        caption: `Cost (USD per million) vs expected latency (ms) at ${+(share * 100).toFixed(
          2,
        )}% cold starts: the Pareto front`,
        figure: paretoChart(points, { runs, coldShare: share }),
      });
    }
  }
  return figures;
}
