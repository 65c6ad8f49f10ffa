/**
 * What a load run reports per cell: throughput, latency percentiles as the caller saw them,
 * Duration and post-runtime percentiles from the platform's records, cold starts, throttles and
 * errors, and the environments the platform made. Stored in `run.json` (`loadCells`).
 *
 * @module
 */
import { quantileSorted, sortedFinite } from "../analysis/stats.ts";
import type { InvocationRow } from "../schema.ts";

/** How a load is sent. */
export interface LoadPlan {
  /** Requests to send in all (R). */
  requests: number;
  /** Requests in flight at once (C): that many callers, each sending its next when answered. */
  concurrency: number;
  /** Most environments the function may have (reserved concurrency); null: no bound. */
  reservedConcurrency: number | null;
  /** Payload bytes per invocation (named in the event). */
  payloadBytes: number;
  /**
   * Pause before each of a caller's requests after its first, in ms (default 0): the client's
   * round trip a caller of a deployed function has between an answer and its next request
   * (`DEFAULT_LOCAL_GAP_MS`).
   */
  gapMs?: number;
}

/** Percentiles of one quantity, in ms; null without values. */
export interface Percentiles {
  n: number;
  p50: number | null;
  p90: number | null;
  p99: number | null;
  mean: number | null;
  max: number | null;
}

/** One cell of a load run, as `run.json` keeps it. */
export interface LoadCellRecord {
  /** The cell's label, e.g. `nodejs.none.delay-128mb-x86_64`. */
  cell: string;
  variant: string;
  memoryMb: number;
  plan: LoadPlan;
  /** When the first request was sent (ISO 8601). */
  startedAt: string;
  /** From the first request sent to the last answer, in s. */
  wallSeconds: number;
  /** Requests sent (R). */
  sent: number;
  /** Invocations the platform ran (sent minus throttled minus refused calls). */
  invoked: number;
  succeeded: number;
  /** Invocations that ran and failed (error, timeout, failure), and calls that failed outright. */
  errors: number;
  /** Requests refused because every environment was busy at the bound. */
  throttles: number;
  /** Offsets of the throttled requests from `startedAt`, in ms (for charts over time). */
  throttledAtMs: number[];
  /** Invocations that ran Init. */
  coldStarts: number;
  /** Environments made (the sandbox's pool; on AWS, the cold starts seen). */
  environments: number;
  /** Most invocations in flight at once on the platform's side. */
  peakConcurrency: number;
  /** Successful invocations per second over the wall time. */
  throughputRps: number;
  /** The caller's round trip of successful invocations. */
  latencyMs: Percentiles;
  /** Duration of successful invocations (REPORT). */
  durationMs: Percentiles;
  /** Post-runtime time of successful invocations (Duration − runtimeDone): extension overhead. */
  postRuntimeMs: Percentiles;
}

/**
 * Percentiles of a sample.
 *
 * @param values Numbers; null and non-finite ones are left out.
 * @returns p50, p90, p99 (linear interpolation), mean, max.
 * @example
 * ```ts
 * import { percentiles } from "./summary.ts";
 * percentiles([1, 2, 3, 4, 5]).p50; // 3
 * ```
 */
export function percentiles(values: Iterable<number | null | undefined>): Percentiles {
  const s = sortedFinite(values);
  let sum = 0;
  for (const v of s) sum += v;
  return {
    n: s.length,
    p50: quantileSorted(s, 0.5),
    p90: quantileSorted(s, 0.9),
    p99: quantileSorted(s, 0.99),
    mean: s.length ? sum / s.length : null,
    max: s.length ? s[s.length - 1]! : null,
  };
}

/** What the load loop itself counted, beside the rows. */
export interface LoadFacts {
  cell: string;
  variant: string;
  memoryMb: number;
  plan: LoadPlan;
  startedAt: Date;
  wallMs: number;
  sent: number;
  /** Calls that failed before the platform ran an invocation (not throttles). */
  refused: number;
  throttledAtMs: number[];
  environments: number;
  peakConcurrency: number;
}

/**
 * Summarises one load cell from its rows and the loop's own counts.
 *
 * @param rows The cell's invocation rows (one per invocation the platform ran).
 * @param facts What the load loop counted.
 * @returns The record for `run.json`.
 */
export function loadSummary(rows: readonly InvocationRow[], facts: LoadFacts): LoadCellRecord {
  const ok = rows.filter((r) => r.status === "success");
  const wallSeconds = facts.wallMs / 1000;
  return {
    cell: facts.cell,
    variant: facts.variant,
    memoryMb: facts.memoryMb,
    plan: facts.plan,
    startedAt: facts.startedAt.toISOString(),
    wallSeconds,
    sent: facts.sent,
    invoked: rows.length,
    succeeded: ok.length,
    errors: rows.length - ok.length + facts.refused,
    throttles: facts.throttledAtMs.length,
    throttledAtMs: facts.throttledAtMs,
    coldStarts: rows.filter((r) => r.cold).length,
    environments: facts.environments,
    peakConcurrency: facts.peakConcurrency,
    throughputRps: wallSeconds > 0 ? ok.length / wallSeconds : 0,
    latencyMs: percentiles(ok.map((r) => r.client_rtt_ms)),
    durationMs: percentiles(ok.map((r) => r.duration_ms)),
    postRuntimeMs: percentiles(ok.map((r) => r.post_runtime_ms)),
  };
}
