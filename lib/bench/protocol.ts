/**
 * The measurement protocol, written once for every platform: N cold samples (each forced, then
 * checked to have run Init, and retried when the platform served it warm), M warm invocations,
 * progress, then collection of the platform's own records until every invocation has its
 * REPORT. A platform supplies only a small {@link PlatformAdapter} (prepare a cell, force a cold
 * start, invoke, fetch platform output, dispose), as SeBS splits `enforce_cold_start` from
 * `download_metrics`; so the local sandbox and AWS are measured the same way.
 *
 * @module
 */
import type { Backend } from "../schema.ts";
import type { BackendFacts, FunctionSettings } from "../store/run_manifest.ts";
import { type CellSource, collectCell } from "./collect_cell.ts";
import type { Cell } from "./matrix.ts";
import type { Progress } from "./progress.ts";
import type { CellPlan, CellResult, ClientRecord } from "./types.ts";

/** One invocation as the adapter saw it. */
export interface AdapterInvocation {
  requestId: string;
  /** Invoke call to response, in ms. */
  clientRttMs: number;
  /** When the (answered) invoke call was made. */
  timestamp: Date;
  /** Whether the platform ran Init for this invocation, as far as it says right away. */
  ranInit: boolean;
  /** Whether the function succeeded. */
  ok: boolean;
}

/** A cell made ready on its platform. */
export interface PreparedCell {
  /** What the function runs with, as the platform holds it. */
  readonly settings: FunctionSettings;
  /** How long to keep fetching platform output until every REPORT is there, and how often. */
  readonly outputWait: { maxMs: number; pollMs: number };
  /** Makes the next invocation run Init (a no-op where the environment is already fresh). */
  forceColdStart(): Promise<void>;
  /** Invokes the function once with the event. */
  invoke(event: Uint8Array): Promise<AdapterInvocation>;
  /** Ends the invocation phase (the sandbox shuts down, so its logs are complete). */
  settle(): Promise<void>;
  /** The platform's records of the cell so far. */
  fetchOutput(): Promise<CellSource>;
  /** Counts what the cell delivered to SQS, for variants that send; null otherwise. */
  checkDelivery(successes: number): Promise<{ expected: number; received: number } | null>;
  /** Counts the items a cell of workload `dynamodb` wrote; null (or absent) otherwise. */
  checkItems?(successes: number): Promise<{ expected: number; received: number } | null>;
  /** Releases what `prepare` made. Safe after `settle`. */
  dispose(): Promise<void>;
}

/** A place invocations can run: the local sandbox or a deployed stack. */
export interface PlatformAdapter {
  readonly name: Backend;
  /** Facts for run.json (sandbox controls in force, stack, region). */
  describe(): BackendFacts;
  /** Why a cell cannot run on this platform, or null. */
  skipReason(cell: Cell): string | null;
  /** Makes one cell ready to invoke. */
  prepare(cell: Cell, plan: CellPlan, context: CellContext): Promise<PreparedCell>;
  /** Stops what the adapter started. */
  close(): Promise<void>;
}

/** Where a cell's output goes and who hears of its progress. */
export interface CellContext {
  runId: string;
  runDir: string;
  /** The cell's own folder for raw platform output (`logs/<cell>/`). */
  logDir: string;
  progress: Progress;
}

/** A measured cell, with what its function ran with. */
export interface MeasuredCell extends CellResult {
  settings: FunctionSettings;
}

/** Knobs of the protocol itself. */
export interface ProtocolOptions {
  /** Cold attempts allowed per wanted cold sample before giving up (default 3). */
  coldAttemptsPerSample?: number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Runs the protocol on one cell.
 *
 * @param adapter The platform.
 * @param cell The cell.
 * @param plan Counts and payload.
 * @param context Run id, folders, progress.
 * @param options Retry budget and a `sleep` for tests.
 * @returns Rows for exactly the invocations made, with the checks filled in.
 * @throws Whatever `prepare` throws; the cell is disposed on every path after it.
 */
export async function measureCell(
  adapter: PlatformAdapter,
  cell: Cell,
  plan: CellPlan,
  context: CellContext,
  options: ProtocolOptions = {},
): Promise<MeasuredCell> {
  const sleep = options.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  const prepared = await adapter.prepare(cell, plan, context);
  try {
    const event = new TextEncoder().encode(JSON.stringify({ payloadBytes: plan.payloadBytes }));
    const client: ClientRecord[] = [];
    const notes: string[] = [];
    let successes = 0;
    const invoke = async (intendedCold: boolean) => {
      const r = await prepared.invoke(event);
      if (r.ok) successes++;
      client.push({
        requestId: r.requestId,
        clientRttMs: r.clientRttMs,
        timestamp: r.timestamp,
        intendedCold,
      });
      return r;
    };

    let trueCold = 0;
    let coldRetries = 0;
    const maxAttempts = plan.cold * (options.coldAttemptsPerSample ?? 3);
    for (let attempt = 0; trueCold < plan.cold && attempt < maxAttempts; attempt++) {
      await prepared.forceColdStart();
      const r = await invoke(true);
      context.progress.advance();
      if (r.ranInit) {
        trueCold++;
      } else {
        // The platform served it from a warm environment after all: the row stays, as the warm
        // one it is, and another cold attempt is planned.
        client[client.length - 1]!.intendedCold = false;
        coldRetries++;
        context.progress.extend(1);
      }
    }
    if (trueCold < plan.cold) {
      notes.push(`only ${trueCold} of ${plan.cold} cold samples after ${maxAttempts} attempts`);
    }
    if (plan.cold === 0 && plan.warm > 0) {
      // A new environment's first invocation runs Init: it is recorded as what it was.
      context.progress.extend(1);
      const r = await invoke(true);
      client[client.length - 1]!.intendedCold = r.ranInit;
      context.progress.advance();
    }
    for (let i = 0; i < plan.warm; i++) {
      if (plan.gapMs) await sleep(plan.gapMs);
      await invoke(false);
      context.progress.advance();
    }
    await prepared.settle();

    const result = await collectUntilComplete(prepared, {
      backend: adapter.name,
      cell,
      runId: context.runId,
      client,
      sleep,
    });
    result.coldRetries = coldRetries;
    result.notes.push(...notes);
    result.messages = await prepared.checkDelivery(successes);
    result.items = await prepared.checkItems?.(successes) ?? null;
    return { ...result, settings: prepared.settings };
  } finally {
    await prepared.dispose();
  }
}

/**
 * Collects a cell's platform records, polling while some request still lacks its REPORT
 * (CloudWatch holds lines seconds after the responses) until the adapter's wait is over.
 *
 * @param prepared Where the records come from and how long to wait for them.
 * @param o The backend and cell the rows belong to, the invoker's records, a `sleep`.
 * @returns The collected cell.
 */
export async function collectUntilComplete(
  prepared: Pick<PreparedCell, "fetchOutput" | "outputWait">,
  o: {
    backend: Backend;
    cell: Cell;
    runId: string;
    client: readonly ClientRecord[];
    sleep?: (ms: number) => Promise<void>;
  },
): Promise<CellResult> {
  const sleep = o.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  const deadline = Date.now() + prepared.outputWait.maxMs;
  const v = o.cell.variant;
  for (;;) {
    const result = await collectCell({
      ...await prepared.fetchOutput(),
      meta: {
        run_id: o.runId,
        backend: o.backend,
        variant: v.name,
        function_runtime: v.functionRuntime,
        extension: v.extensionName,
        workload: v.workload,
        arch: o.cell.arch,
        memory_mb: o.cell.memoryMb,
      },
      client: o.client,
    });
    if (result.missingReport.length === 0 || Date.now() >= deadline) return result;
    await sleep(prepared.outputWait.pollMs);
  }
}
