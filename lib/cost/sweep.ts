/**
 * A memory sweep in the manner of AWS Lambda Power Tuning: cost and speed per memory size for
 * each variant, the cheapest and the fastest memory, and the cost–latency Pareto front across
 * variants. Inputs are means over successful invocations of a run (means, not medians: the
 * bill is a sum). A cell without a successful cold start (none ran, or all failed) can only be
 * priced with Init as 0 and its cold invocations as warm ones: it stays in the sweep, flagged
 * ({@link CostPoint.noColdSample}), and is left out of {@link bestMemory} and
 * {@link paretoFront} wherever the cold share is above 0, where it would win unfairly.
 *
 * @module
 */
import pl from "nodejs-polars";
import type { Arch } from "../schema.ts";
import { VARIANTS } from "../variants.ts";
import { variantOrder } from "../analysis/summary.ts";
import {
  type CostBreakdown,
  type CostInputs,
  costPerMillion,
  sqsRequestsPerInvocation,
} from "./model.ts";
import { type PriceTable, US_EAST_1 } from "./prices.ts";

/** Measured means of one variant × memory × arch, the raw material of its cost. */
export interface CellMeans {
  variant: string;
  memoryMb: number;
  arch: Arch;
  /** Successful warm invocations. */
  warmN: number;
  /** Successful cold starts (with an Init Duration). */
  coldN: number;
  /** Cold starts that did not succeed (error, timeout, failure). */
  coldFailedN: number;
  warmBilledMs: number | null;
  coldBilledMs: number | null;
  initBilledMs: number | null;
  warmDurationMs: number | null;
  /** Init + Duration of a cold invocation. */
  coldTotalMs: number | null;
}

/** One configuration at one cold-start share. */
export interface CostPoint {
  variant: string;
  memoryMb: number;
  arch: Arch;
  coldShare: number;
  inputs: CostInputs;
  cost: CostBreakdown;
  /** Expected duration per invocation: (1−s)·warm Duration + s·(Init + cold Duration), ms. */
  latencyMs: number;
  warmN: number;
  coldN: number;
  coldFailedN: number;
  /**
   * True where the cell has no successful cold start: Init is priced as 0 and cold invocations
   * as warm ones, so at a cold share above 0 the point is not comparable (see
   * {@link isComparable}).
   */
  noColdSample: boolean;
}

/**
 * Whether a point may be compared with others (cheapest, fastest, Pareto front): it was priced
 * from measured cold starts, or the cold share is 0 and cold starts do not count.
 *
 * @param p A cost point.
 * @returns False for a point priced without any successful cold start at a cold share above 0.
 */
export function isComparable(p: CostPoint): boolean {
  return p.coldShare === 0 || !p.noColdSample;
}

/** Options of {@link memorySweep}. */
export interface SweepOptions {
  /** Cold-start shares to price (default [0.01, 0.10]). */
  coldShares?: readonly number[];
  /** Price table (default us-east-1). */
  prices?: PriceTable;
  /** Payload bytes per message (default 1024), for SQS requests. */
  payloadBytes?: number;
  /** Messages sent per invocation (default 1). */
  messagesPerInvocation?: number;
}

/**
 * Means per cell that the cost model needs. On cold rows, when Billed Duration already covers
 * Init (as REPORT lines show since 2025-08-01, and always for custom runtimes), Init is taken
 * out of it so the breakdown shows Invoke and Init apart.
 *
 * @param frame Invocation rows.
 * @returns One entry per variant × memory × arch, in variant order.
 */
export function cellMeans(frame: pl.DataFrame): CellMeans[] {
  const known = frame.filter(pl.col("variant").isNotNull());
  const failedCold = new Map<string, number>();
  for (
    const r of known.filter(pl.col("cold").and(pl.col("status").neq(pl.lit("success"))))
      .groupBy(["variant", "memory_mb", "arch"]).len().toRecords()
  ) {
    failedCold.set(`${r.variant}|${r.memory_mb}|${r.arch}`, Number(r.len));
  }
  const ok = known.filter(pl.col("status").eq(pl.lit("success")));
  const warm = pl.col("cold").not();
  const cold = pl.col("cold").and(pl.col("init_ms").isNotNull());
  const initBilled = pl.col("init_ms").ceil();
  const includesInit = pl.col("billed_ms").gtEq(
    pl.col("init_ms").plus(pl.col("duration_ms")).minus(1),
  );
  const coldInvokeBilled = pl.when(includesInit)
    .then(pl.col("billed_ms").minus(initBilled).clip(0, Number.MAX_VALUE))
    .otherwise(pl.col("billed_ms"));
  const rows = ok.withColumns(coldInvokeBilled.alias("cold_invoke_billed"))
    .groupBy(["variant", "memory_mb", "arch"])
    .agg(
      warm.sum().alias("warm_n"),
      cold.sum().alias("cold_n"),
      pl.col("billed_ms").filter(warm).mean().alias("warm_billed"),
      pl.col("cold_invoke_billed").filter(cold).mean().alias("cold_billed"),
      initBilled.filter(cold).mean().alias("init_billed"),
      pl.col("duration_ms").filter(warm).mean().alias("warm_duration"),
      pl.col("init_ms").plus(pl.col("duration_ms")).filter(cold).mean().alias("cold_total"),
    )
    .toRecords();
  const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : null);
  return rows.map((r) => ({
    variant: String(r.variant),
    memoryMb: Number(r.memory_mb),
    arch: String(r.arch) as Arch,
    warmN: Number(r.warm_n),
    coldN: Number(r.cold_n),
    coldFailedN: failedCold.get(`${r.variant}|${r.memory_mb}|${r.arch}`) ?? 0,
    warmBilledMs: num(r.warm_billed),
    coldBilledMs: num(r.cold_billed),
    initBilledMs: num(r.init_billed),
    warmDurationMs: num(r.warm_duration),
    coldTotalMs: num(r.cold_total),
  })).sort((a, b) =>
    variantOrder(a.variant, b.variant) || a.memoryMb - b.memoryMb || (a.arch < b.arch ? -1 : 1)
  );
}

/**
 * Prices every cell at every cold-start share. A cell with no successful warm invocation is
 * left out; one with no successful cold start prices Init as 0 and cold invocations as warm
 * ones, and is flagged ({@link CostPoint.noColdSample}).
 *
 * @param frame Invocation rows.
 * @param options Cold shares, prices, payload size.
 * @returns Points ordered by cold share, variant, memory, arch.
 */
export function memorySweep(frame: pl.DataFrame, options: SweepOptions = {}): CostPoint[] {
  const prices = options.prices ?? US_EAST_1;
  const shares = options.coldShares ?? [0.01, 0.1];
  const cells = cellMeans(frame);
  const points: CostPoint[] = [];
  for (const coldShare of shares) {
    for (const c of cells) {
      if (c.warmBilledMs === null || c.warmDurationMs === null) continue;
      const variant = VARIANTS.find((v) => v.name === c.variant);
      const inputs: CostInputs = {
        arch: c.arch,
        memoryMb: c.memoryMb,
        warmBilledMs: c.warmBilledMs,
        coldBilledMs: c.coldBilledMs ?? c.warmBilledMs,
        initBilledMs: c.initBilledMs ?? 0,
        coldShare,
        sqsRequestsPerInvocation: sqsRequestsPerInvocation(variant?.mode ?? "none", {
          payloadBytes: options.payloadBytes ?? 1024,
          messagesPerInvocation: options.messagesPerInvocation ?? 1,
          prices,
        }),
        customRuntime: variant?.functionRuntime === "llrt",
      };
      points.push({
        variant: c.variant,
        memoryMb: c.memoryMb,
        arch: c.arch,
        coldShare,
        inputs,
        cost: costPerMillion(inputs, prices),
        latencyMs: (1 - coldShare) * c.warmDurationMs +
          coldShare * (c.coldTotalMs ?? c.warmDurationMs),
        warmN: c.warmN,
        coldN: c.coldN,
        coldFailedN: c.coldFailedN,
        noColdSample: c.coldBilledMs === null || c.initBilledMs === null || c.coldTotalMs === null,
      });
    }
  }
  return points;
}

/** The best memory sizes of one variant × arch at one cold share. */
export interface BestMemory {
  variant: string;
  arch: Arch;
  coldShare: number;
  cheapest: CostPoint;
  fastest: CostPoint;
  /** Memory sizes of this variant × arch left out: priced without a successful cold start. */
  excluded: CostPoint[];
}

/**
 * The cheapest and the fastest memory per variant × arch × cold share (ties go to less memory),
 * among the comparable points ({@link isComparable}): a memory size without a successful cold
 * start is left out (and listed in `excluded`); a variant × arch with none left is omitted.
 *
 * @param points Output of {@link memorySweep}.
 * @returns One entry per variant × arch × cold share that has a comparable point.
 */
export function bestMemory(points: readonly CostPoint[]): BestMemory[] {
  const groups = new Map<string, CostPoint[]>();
  for (const p of points) {
    const key = `${p.coldShare}|${p.variant}|${p.arch}`;
    groups.set(key, [...(groups.get(key) ?? []), p]);
  }
  return [...groups.values()].filter((g) => g.some(isComparable)).map((g) => {
    const byMemory = g.filter(isComparable).sort((a, b) => a.memoryMb - b.memoryMb);
    const pick = (score: (p: CostPoint) => number) =>
      byMemory.reduce((best, p) => (score(p) < score(best) ? p : best));
    const first = byMemory[0]!;
    return {
      variant: first.variant,
      arch: first.arch,
      coldShare: first.coldShare,
      cheapest: pick((p) => p.cost.total),
      fastest: pick((p) => p.latencyMs),
      excluded: g.filter((p) => !isComparable(p)).sort((a, b) => a.memoryMb - b.memoryMb),
    };
  });
}

/**
 * The points of variants that deliver the payload (mode `direct` or `extension`): the ones that
 * do the same job, and so the ones a Pareto front compares. `none` does less and stays a
 * reference. Variants the list does not know are kept.
 *
 * @param points Any cost points.
 * @returns The points whose variant sends to SQS.
 */
export function deliveringPoints(points: readonly CostPoint[]): CostPoint[] {
  return points.filter((p) => {
    const variant = VARIANTS.find((v) => v.name === p.variant);
    return variant === undefined || variant.mode !== "none";
  });
}

/**
 * The cost–latency Pareto front: comparable points ({@link isComparable}) no other beats on both
 * cost and latency. A point priced without a successful cold start is never on it.
 *
 * @param points Points at one cold share (mixing shares compares unlike things).
 * @returns The front, from cheapest to fastest.
 * @throws {RangeError} When the points mix cold shares.
 */
export function paretoFront(points: readonly CostPoint[]): CostPoint[] {
  const shares = new Set(points.map((p) => p.coldShare));
  if (shares.size > 1) {
    throw new RangeError(`Pareto front needs one cold share, got ${[...shares].join(", ")}`);
  }
  const sorted = points.filter(isComparable).sort((a, b) =>
    a.cost.total - b.cost.total || a.latencyMs - b.latencyMs
  );
  const front: CostPoint[] = [];
  let best = Infinity;
  for (const p of sorted) {
    if (p.latencyMs < best) {
      front.push(p);
      best = p.latencyMs;
    }
  }
  return front;
}
