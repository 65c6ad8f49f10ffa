/**
 * The load protocol, written once for every platform: R requests at concurrency C (C callers,
 * each sending its next request when the last one is answered), throttles and failed calls
 * counted, then the platform's records collected until every invocation has its REPORT, as
 * the cold/warm protocol (lib/bench/protocol.ts) does. A platform supplies a small
 * {@link LoadAdapter}: locally a pool of sandboxes that scales out like Lambda
 * (lib/load/local_pool.ts), on AWS concurrent Invoke calls.
 *
 * @module
 */
import type { Backend } from "../schema.ts";
import type { BackendFacts, FunctionSettings } from "../store/run_manifest.ts";
import type { CellSource } from "../bench/collect_cell.ts";
import { type Cell, cellLabel } from "../bench/matrix.ts";
import {
  type AdapterInvocation,
  type CellContext,
  collectUntilComplete,
  type MeasuredCell,
} from "../bench/protocol.ts";
import type { ClientRecord } from "../bench/types.ts";
import { type LoadCellRecord, type LoadPlan, loadSummary } from "./summary.ts";

/** One request of a load, as the adapter saw it. */
export type LoadOutcome =
  | ({ kind: "invoked" } & AdapterInvocation)
  | { kind: "throttled"; timestamp: Date };

/** A cell made ready for a load on its platform. */
export interface LoadCell {
  /** What the function runs with, as the platform holds it. */
  readonly settings: FunctionSettings;
  /** How long to keep fetching platform output until every REPORT is there, and how often. */
  readonly outputWait: { maxMs: number; pollMs: number };
  /** Invokes once; may be called by many callers at once. Throws only when the call failed. */
  invoke(event: Uint8Array): Promise<LoadOutcome>;
  /** Environments made so far, and the most invocations in flight at once. */
  environments(): { created: number; peakConcurrency: number };
  /** Ends the load (the environments shut down, so their logs are complete). */
  settle(): Promise<void>;
  /** The platform's records of the cell so far. */
  fetchOutput(): Promise<CellSource>;
  /** Counts what the cell delivered to SQS; null where it sends nothing. */
  checkDelivery(successes: number): Promise<{ expected: number; received: number } | null>;
  /** Counts the items a cell of workload `dynamodb` wrote; null (or absent) otherwise. */
  checkItems?(successes: number): Promise<{ expected: number; received: number } | null>;
  /** Releases what `prepareLoad` made. Safe after `settle`. */
  dispose(): Promise<void>;
  /** What the platform wants said about this load (e.g. an oversubscribed host), for run.json. */
  readonly notes?: readonly string[];
}

/** A place loads can run. */
export interface LoadAdapter {
  readonly name: Backend;
  describe(): BackendFacts;
  skipReason(cell: Cell): string | null;
  /** Makes one cell ready for a load. */
  prepareLoad(cell: Cell, plan: LoadPlan, context: CellContext): Promise<LoadCell>;
  close(): Promise<void>;
}

/** True when the platform can run loads. */
export function canLoad(adapter: object): adapter is LoadAdapter {
  return typeof (adapter as Partial<LoadAdapter>).prepareLoad === "function";
}

/** A measured load cell: the rows and checks of any cell, and the load's own record. */
export interface MeasuredLoadCell extends MeasuredCell {
  load: LoadCellRecord;
}

/** Knobs of the load protocol itself. */
export interface LoadProtocolOptions {
  /**
   * How long a caller waits after a throttled request before it sends its next one, in ms
   * (default 100): a client backs off instead of spinning through its requests as 429s.
   */
  throttleBackoffMs?: number;
}

/**
 * Runs a load on one cell.
 *
 * @param adapter The platform.
 * @param cell The cell.
 * @param plan Requests, concurrency, reserved concurrency, payload.
 * @param context Run id, folders, progress (advanced once per request).
 * @param options The back-off after a throttle.
 * @returns Rows for every invocation the platform ran, the checks, and the load record.
 * @throws Whatever `prepareLoad` throws; the cell is disposed on every path after it.
 */
export async function measureLoad(
  adapter: LoadAdapter,
  cell: Cell,
  plan: LoadPlan,
  context: CellContext,
  options: LoadProtocolOptions = {},
): Promise<MeasuredLoadCell> {
  const backoffMs = options.throttleBackoffMs ?? 100;
  const prepared = await adapter.prepareLoad(cell, plan, context);
  try {
    const event = new TextEncoder().encode(JSON.stringify({ payloadBytes: plan.payloadBytes }));
    const client: ClientRecord[] = [];
    const throttledAtMs: number[] = [];
    const failures: string[] = [];
    let sent = 0;
    let successes = 0;
    const startedAt = new Date();
    const t0 = performance.now();
    const caller = async () => {
      let first = true;
      while (sent < plan.requests) {
        if (!first && plan.gapMs) {
          await new Promise((resolve) => setTimeout(resolve, plan.gapMs));
          // Another caller may have sent the last request meanwhile.
          if (sent >= plan.requests) break;
        }
        first = false;
        sent++;
        try {
          const r = await prepared.invoke(event);
          if (r.kind === "throttled") {
            throttledAtMs.push(r.timestamp.getTime() - startedAt.getTime());
            await new Promise((resolve) => setTimeout(resolve, backoffMs));
          } else {
            if (r.ok) successes++;
            // Under load cold is whatever the platform did: the row is what it was.
            client.push({
              requestId: r.requestId,
              clientRttMs: r.clientRttMs,
              timestamp: r.timestamp,
              intendedCold: r.ranInit,
            });
          }
        } catch (error) {
          failures.push(error instanceof Error ? error.message : String(error));
        }
        context.progress.advance();
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, plan.concurrency) }, caller));
    const wallMs = performance.now() - t0;
    const environments = prepared.environments();
    await prepared.settle();

    const result = await collectUntilComplete(prepared, {
      backend: adapter.name,
      cell,
      runId: context.runId,
      client,
    });
    if (failures.length > 0) {
      result.notes.push(`${failures.length} calls failed; the first: ${failures[0]}`);
    }
    if (throttledAtMs.length > 0) result.notes.push(`${throttledAtMs.length} requests throttled`);
    result.notes.push(...(prepared.notes ?? []));
    result.messages = await prepared.checkDelivery(successes);
    result.items = await prepared.checkItems?.(successes) ?? null;
    const load = loadSummary(result.rows, {
      cell: cellLabel(cell),
      variant: cell.variant.name,
      memoryMb: cell.memoryMb,
      plan,
      startedAt,
      wallMs,
      sent,
      refused: failures.length,
      throttledAtMs,
      environments: environments.created,
      peakConcurrency: environments.peakConcurrency,
    });
    return { ...result, settings: prepared.settings, load };
  } finally {
    await prepared.dispose();
  }
}
