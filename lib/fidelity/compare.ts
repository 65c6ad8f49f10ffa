/**
 * Local hello-function figures against published real-Lambda ones: Init ratios between
 * runtimes, Init across memory sizes, the first invocation's Duration and Max Memory Used, each
 * with its relative error and whether it is within the fidelity targets. Each check compares
 * the same statistic on both sides: Init median with median; the first Duration mean with mean
 * (Lambda's is published only as a mean, and at low memory it is two-valued: a first invocation
 * that needs more CPU than one period's budget waits for the next period, so a median picks one
 * of the two values where the mean weighs both); Max Memory Used, nearly constant, local median
 * against the published mean.
 *
 * @module
 */
import type { HostLoad } from "../bench/host_load.ts";
import {
  type FidelityMetric,
  type FidelityRuntime,
  type PublishedFigure,
  publishedFor,
} from "./published.ts";

/** The published statistic a metric is compared with (see the module doc). */
function comparedStat(metric: FidelityMetric): "mean" | "median" {
  return metric === "init_ms" ? "median" : "mean";
}

/** Medians of one runtime at one memory size, measured in the sandbox. */
export interface LocalCell {
  runtime: FidelityRuntime;
  /** The runtime version compared with first, e.g. `nodejs20.x` for a local Node.js 20. */
  version?: string;
  memoryMb: number;
  initMs: number;
  firstDurationMs: number;
  /** Mean of the same first Durations (absent in files written before 2026-12-02). */
  firstDurationMeanMs?: number;
  /**
   * CPU time of the first invocation after Init, in ms (the environment's processes; median):
   * beside the memory share's budget per period it says why a first Duration was throttled.
   * Null where the host cannot read CPU time; absent in files written before 2026-12-02.
   */
  firstCpuMs?: number | null;
  warmDurationMs: number;
  maxMemoryMb: number;
  /** Cold starts measured. */
  coldSamples: number;
  /**
   * How busy the host was with other work while the cell ran (lib/bench/host_load.ts); null
   * where it cannot be read, absent in files written before 2026-12-02's evening.
   */
  host?: HostLoad | null;
}

/** What one comparison checks. */
export type CheckKind = "init_ratio" | "init_128_over_1024" | "first_duration" | "max_memory";

/** One comparison. */
export interface FidelityRow {
  check: CheckKind;
  /** e.g. `llrt ÷ rust at 128 MB`, `nodejs at 512 MB`. */
  what: string;
  runtime: FidelityRuntime;
  memoryMb: number | null;
  local: number;
  /** Null where nothing was published for it. */
  published: number | null;
  /** local ÷ published − 1; null without a published figure. */
  error: number | null;
  /** The target this row is held to, in words. */
  target: string;
  /** Null without a published figure. */
  withinTarget: boolean | null;
  source: string | null;
}

/** Targets of the fidelity check (relative error bounds, and the Init scaling range). */
export const TARGETS = {
  initRatio: 0.3,
  firstDuration: 0.5,
  maxMemory: 0.3,
  initScaling: [0.75, 1.33] as const,
};

function row(
  o: Omit<FidelityRow, "error" | "withinTarget" | "published" | "source"> & {
    figure: { value: number; source: string } | null;
    bound: number;
  },
): FidelityRow {
  const published = o.figure?.value ?? null;
  const error = published === null || published === 0 ? null : o.local / published - 1;
  return {
    check: o.check,
    what: o.what,
    runtime: o.runtime,
    memoryMb: o.memoryMb,
    local: o.local,
    published,
    error,
    target: o.target,
    withinTarget: error === null ? null : Math.abs(error) <= o.bound,
    source: o.figure?.source ?? null,
  };
}

/**
 * Compares local medians with the published figures.
 *
 * @param cells Local medians, one per runtime × memory.
 * @param figures Published figures.
 * @param arch The architecture the local cells ran on.
 * @returns One row per comparison that local data exists for.
 */
export function compareWithPublished(
  cells: readonly LocalCell[],
  figures: readonly PublishedFigure[],
  arch: "x86_64" | "arm64",
): FidelityRow[] {
  const rows: FidelityRow[] = [];
  const pub = (c: LocalCell, metric: FidelityMetric) =>
    publishedFor(figures, {
      metric,
      runtime: c.runtime,
      memoryMb: c.memoryMb,
      arch,
      ...(c.version ? { version: c.version } : {}),
      stat: comparedStat(metric),
    });
  const at = (runtime: FidelityRuntime, memoryMb: number) =>
    cells.find((c) => c.runtime === runtime && c.memoryMb === memoryMb);

  for (const c of cells) {
    const base = at("rust", c.memoryMb);
    if (c.runtime !== "rust" && base) {
      const p = pub(c, "init_ms");
      const pb = pub(base, "init_ms");
      rows.push(row({
        check: "init_ratio",
        what: `Init ${c.runtime} ÷ rust at ${c.memoryMb} MB`,
        runtime: c.runtime,
        memoryMb: c.memoryMb,
        local: c.initMs / base.initMs,
        figure: p && pb ? { value: p.value / pb.value, source: p.source } : null,
        target: `±${TARGETS.initRatio * 100}%`,
        bound: TARGETS.initRatio,
      }));
    }
  }
  for (const c of cells.filter((c) => c.memoryMb === 128)) {
    const big = at(c.runtime, 1024);
    if (!big) continue;
    const p = pub(c, "init_ms");
    const pb = pub(big, "init_ms");
    const local = c.initMs / big.initMs;
    const [lo, hi] = TARGETS.initScaling;
    const published = p && pb ? p.value / pb.value : null;
    rows.push({
      check: "init_128_over_1024",
      what: `Init ${c.runtime}: 128 MB ÷ 1,024 MB`,
      runtime: c.runtime,
      memoryMb: null,
      local,
      published,
      error: published === null ? null : local / published - 1,
      target: `${lo}–${hi}`,
      withinTarget: local >= lo && local <= hi,
      source: p?.source ?? null,
    });
  }
  for (const c of cells) {
    rows.push(row({
      check: "first_duration",
      what: `first Duration ${c.runtime} at ${c.memoryMb} MB`,
      runtime: c.runtime,
      memoryMb: c.memoryMb,
      local: c.firstDurationMeanMs ?? c.firstDurationMs,
      figure: pub(c, "first_duration_ms"),
      target: `±${TARGETS.firstDuration * 100}%`,
      bound: TARGETS.firstDuration,
    }));
    rows.push(row({
      check: "max_memory",
      what: `Max Memory Used ${c.runtime} at ${c.memoryMb} MB`,
      runtime: c.runtime,
      memoryMb: c.memoryMb,
      local: c.maxMemoryMb,
      figure: pub(c, "max_memory_mb"),
      target: `±${TARGETS.maxMemory * 100}%`,
      bound: TARGETS.maxMemory,
    }));
  }
  return rows;
}

/**
 * Whether the runtimes come out in the same order locally as published, per memory size.
 *
 * @param cells Local medians.
 * @param figures Published figures.
 * @param arch Architecture.
 * @param metric `init_ms` or `max_memory_mb`.
 * @returns Per memory size: the local and published orders (ascending) and whether they agree.
 */
export function sameOrder(
  cells: readonly LocalCell[],
  figures: readonly PublishedFigure[],
  arch: "x86_64" | "arm64",
  metric: "init_ms" | "max_memory_mb",
): { memoryMb: number; local: string[]; published: string[]; agree: boolean }[] {
  const sizes = [...new Set(cells.map((c) => c.memoryMb))].sort((a, b) => a - b);
  return sizes.map((memoryMb) => {
    const here = cells.filter((c) => c.memoryMb === memoryMb).map((c) => ({
      runtime: c.runtime,
      local: metric === "init_ms" ? c.initMs : c.maxMemoryMb,
      published: publishedFor(figures, {
        metric,
        runtime: c.runtime,
        memoryMb,
        arch,
        ...(c.version ? { version: c.version } : {}),
        stat: comparedStat(metric),
      })?.value ?? null,
    })).filter((x) => x.published !== null);
    const local = [...here].sort((a, b) => a.local - b.local).map((x) => x.runtime);
    const published = [...here].sort((a, b) => a.published! - b.published!).map((x) => x.runtime);
    return { memoryMb, local, published, agree: local.join() === published.join() };
  });
}
