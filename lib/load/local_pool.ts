/**
 * The local side of the load mode: a function's execution environments scale out like
 * Lambda's, through the pool `deno task serve` uses (lib/serve/pool.ts). A request takes the
 * environment freed last, a new sandbox is made when every one is busy (its first invocation
 * runs Init), and past the bound (reserved concurrency) the request is throttled and counted.
 * The caller gets its answer when the runtime responds; the environment stays busy until every
 * extension is back in `/next`, so an extension's post-response work scales the function out as
 * it does on Lambda.
 *
 * @module
 */
import { EnvironmentPool } from "../serve/pool.ts";
import type { InvokeResult, RuntimeAnswer, Sandbox } from "../sandbox/mod.ts";
import type { FunctionSettings } from "../store/run_manifest.ts";
import type { LoadCell, LoadOutcome } from "./measure.ts";

/** What {@link poolLoadCell} needs. */
export interface PoolLoadCellOptions {
  /** Makes environment number `index` (1, 2, ...): a sandbox with its own ports and log files. */
  makeEnvironment: (index: number) => Promise<Sandbox>;
  /** Most environments at once (reserved concurrency). */
  maxEnvironments: number;
  /** What the function runs with. */
  settings: FunctionSettings;
  /** Counts what the cell delivered to SQS; default: nothing to check. */
  checkDelivery?: (successes: number) => Promise<{ expected: number; received: number } | null>;
  /** Notes for run.json (default none). */
  notes?: readonly string[];
  /** Counts the items a cell of workload `dynamodb` wrote; default: nothing to check. */
  checkItems?: (successes: number) => Promise<{ expected: number; received: number } | null>;
}

/**
 * A load cell over a pool of sandboxes.
 *
 * @param o How environments are made, the bound, the settings and the delivery check.
 * @returns The cell; `invoke` may be called by many callers at once.
 */
export function poolLoadCell(o: PoolLoadCellOptions): LoadCell {
  const sandboxes: Sandbox[] = [];
  let made = 0;
  const pool = new EnvironmentPool<Sandbox>({
    create: async () => {
      const sandbox = await o.makeEnvironment(++made);
      sandboxes.push(sandbox);
      return sandbox;
    },
    destroy: (sandbox) => sandbox.shutdown(),
    maxEnvironments: o.maxEnvironments,
  });
  const running = new Set<Promise<unknown>>();
  let closed: Promise<void> | null = null;
  const close = () =>
    closed ??= (async () => {
      await Promise.allSettled([...running]);
      await pool.close();
    })();

  return {
    settings: o.settings,
    outputWait: { maxMs: 0, pollMs: 0 },
    async invoke(event): Promise<LoadOutcome> {
      const timestamp = new Date();
      const t0 = performance.now();
      let lease;
      try {
        lease = await pool.acquire();
      } catch (error) {
        if ((error as Error).name === "TooManyRequestsException") {
          return { kind: "throttled", timestamp };
        }
        throw error;
      }
      let onAnswer!: (a: RuntimeAnswer) => void;
      const answered = new Promise<RuntimeAnswer>((resolve) => onAnswer = resolve);
      const run = lease.env.invoke(event, {
        onAnswer: (a) => {
          lease.answered();
          onAnswer(a);
        },
        onEnd: () => lease.release(),
      });
      const settled = run.then(() => lease.release(), () => lease.discard());
      running.add(settled);
      settled.finally(() => running.delete(settled));
      const first = await Promise.race([
        answered.then((answer) => ({ answer, at: performance.now() })),
        run.then((result: InvokeResult) => ({ result })),
      ]);
      if ("answer" in first) {
        return {
          kind: "invoked",
          requestId: first.answer.requestId,
          clientRttMs: first.at - t0,
          timestamp,
          ranInit: lease.fresh,
          ok: first.answer.kind === "response",
        };
      }
      // No answer: Init failed or the environment died before the runtime responded.
      return {
        kind: "invoked",
        requestId: first.result.requestId,
        clientRttMs: performance.now() - t0,
        timestamp,
        ranInit: first.result.cold,
        ok: first.result.status === "success",
      };
    },
    environments: () => {
      const s = pool.stats();
      return { created: s.created, peakConcurrency: s.peakBusy };
    },
    settle: close,
    fetchOutput: () =>
      Promise.resolve({ files: sandboxes.flatMap((s) => [s.logFile, s.telemetryFile]) }),
    checkDelivery: o.checkDelivery ?? (() => Promise.resolve(null)),
    checkItems: o.checkItems ?? (() => Promise.resolve(null)),
    notes: o.notes ?? [],
    dispose: close,
  };
}
