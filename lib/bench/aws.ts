/**
 * The AWS platform adapter: invokes the deployed functions, forces cold starts by changing an
 * environment variable (UpdateFunctionConfiguration, then waiting for LastUpdateStatus
 * Successful), tells from the Tail log whether Init ran, and fetches the platform lines from
 * CloudWatch Logs. The measurement protocol (retries until N true cold samples, waiting for
 * every REPORT) is `measureCell`'s, in protocol.ts.
 *
 * @module
 */
import {
  GetFunctionConfigurationCommand,
  InvokeCommand,
  LambdaClient,
  UpdateFunctionConfigurationCommand,
  waitUntilFunctionUpdatedV2,
} from "@aws-sdk/client-lambda";
import type { DeployedFunction } from "../aws/outputs.ts";
import { cellLabel } from "./matrix.ts";
import type { Cell } from "./matrix.ts";
import type { CellPlan, ClientRecord } from "./types.ts";
import type { CellContext, PlatformAdapter, PreparedCell } from "./protocol.ts";
import type { AwsBackendFacts, FunctionSettings } from "../store/run_manifest.ts";
import type { LoadAdapter, LoadCell } from "../load/measure.ts";
import type { LoadPlan } from "../load/summary.ts";

export type { DeployedFunction };

/** Fetches the raw log messages of a log group in a time window (CloudWatch Logs). */
export type LogFetcher = (options: {
  logGroup: string;
  startTime: number;
  endTime: number;
}) => Promise<string[]>;

/**
 * Spaces control-plane calls so the account stays under Lambda's 15 requests/s limit on
 * UpdateFunctionConfiguration and friends.
 */
export class RateLimiter {
  #intervalMs: number;
  #next = 0;
  #now: () => number;
  #sleep: (ms: number) => Promise<void>;

  /**
   * @param perSecond Calls allowed per second (default 10, below the 15/s limit).
   * @param clock `now` and `sleep`, injectable for tests.
   */
  constructor(
    perSecond = 10,
    clock: { now?: () => number; sleep?: (ms: number) => Promise<void> } = {},
  ) {
    if (!(perSecond > 0)) throw new RangeError(`Invalid rate "${perSecond}": must be above 0`);
    this.#intervalMs = 1000 / perSecond;
    this.#now = clock.now ?? (() => Date.now());
    this.#sleep = clock.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  /** Waits for the next free slot. */
  async take(): Promise<void> {
    const now = this.#now();
    const slot = Math.max(now, this.#next);
    this.#next = slot + this.#intervalMs;
    if (slot > now) await this.#sleep(slot - now);
  }
}

const THROTTLING = new Set([
  "TooManyRequestsException",
  "ThrottlingException",
  "Throttling",
  "ResourceConflictException", // an update still in progress
]);

/**
 * Calls `fn`, backing off exponentially (with jitter) while AWS answers with throttling or a
 * conflicting update in progress.
 *
 * @param fn The call.
 * @param options `attempts` (default 8), `baseMs` (default 200), `sleep` for tests.
 * @throws The last error when attempts run out, or any non-throttling error at once.
 */
export async function withBackoff<T>(
  fn: () => Promise<T>,
  options: { attempts?: number; baseMs?: number; sleep?: (ms: number) => Promise<void> } = {},
): Promise<T> {
  const attempts = options.attempts ?? 8;
  const baseMs = options.baseMs ?? 200;
  const sleep = options.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  for (let attempt = 1;; attempt++) {
    try {
      return await fn();
    } catch (error) {
      const name = (error as { name?: string }).name ?? "";
      if (!THROTTLING.has(name) || attempt >= attempts) throw error;
      const delay = Math.min(20_000, baseMs * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2);
      await sleep(delay);
    }
  }
}

/** True when a Tail log (the last 4 KB of an invocation's log) shows that Init ran. */
export function tailShowsInit(tail: string): boolean {
  return /\bInit Duration: [\d.]+ ms/.test(tail) || /"initDurationMs"\s*:/.test(tail);
}

/** Options of the AWS backend. */
export interface AwsBackendOptions {
  functions: DeployedFunction[];
  region: string;
  queueUrl?: string;
  lambda?: LambdaClient;
  fetchLogs: LogFetcher;
  limiter?: RateLimiter;
  /** How long to wait for CloudWatch to hold every REPORT line (default 120 s). */
  logWaitMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

/** Runs cells against a deployed stack. */
export class AwsBackend implements PlatformAdapter, LoadAdapter {
  readonly name = "aws" as const;
  #o: AwsBackendOptions;
  #lambda: LambdaClient;
  #limiter: RateLimiter;
  #sleep: (ms: number) => Promise<void>;

  constructor(options: AwsBackendOptions) {
    this.#o = options;
    this.#lambda = options.lambda ?? new LambdaClient({ region: options.region });
    this.#limiter = options.limiter ?? new RateLimiter();
    this.#sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  describe(): AwsBackendFacts {
    return { backend: "aws", region: this.#o.region, queueUrl: this.#o.queueUrl ?? null };
  }

  #function(cell: Cell): DeployedFunction | undefined {
    return this.#o.functions.find((f) =>
      f.variant === cell.variant.name && f.memoryMb === cell.memoryMb && f.arch === cell.arch
    );
  }

  skipReason(cell: Cell): string | null {
    return this.#function(cell) ? null : `not deployed (run deno task deploy with this cell)`;
  }

  /**
   * Makes the next invocation of the function cold: changes an environment variable and waits
   * until the update has finished (LastUpdateStatus Successful).
   */
  async forceColdStart(functionName: string): Promise<void> {
    await this.#limiter.take();
    const config = await withBackoff(
      () => this.#lambda.send(new GetFunctionConfigurationCommand({ FunctionName: functionName })),
      { sleep: this.#sleep },
    );
    const variables = { ...(config.Environment?.Variables ?? {}) };
    variables.BATTLE_COLD_NONCE = crypto.randomUUID();
    await this.#limiter.take();
    await withBackoff(
      () =>
        this.#lambda.send(
          new UpdateFunctionConfigurationCommand({
            FunctionName: functionName,
            Environment: { Variables: variables },
          }),
        ),
      { sleep: this.#sleep },
    );
    const waited = await waitUntilFunctionUpdatedV2(
      { client: this.#lambda, maxWaitTime: 300, minDelay: 1, maxDelay: 5 },
      { FunctionName: functionName },
    );
    if (waited.state !== "SUCCESS") {
      throw new Error(
        `Cannot force a cold start of ${functionName}: the update ended ${waited.state}`,
      );
    }
  }

  /** Invokes once and returns what the invoker saw, plus whether the Tail log shows Init. */
  async invoke(
    functionName: string,
    event: Uint8Array,
  ): Promise<{ record: Omit<ClientRecord, "intendedCold">; ranInit: boolean; ok: boolean }> {
    // Timed per attempt: a throttled attempt's back-off is not part of the round trip.
    let timestamp = new Date();
    let t0 = performance.now();
    const out = await withBackoff(
      () => {
        timestamp = new Date();
        t0 = performance.now();
        return this.#lambda.send(
          new InvokeCommand({
            FunctionName: functionName,
            Payload: event,
            LogType: "Tail",
          }),
        );
      },
      { sleep: this.#sleep },
    );
    const clientRttMs = performance.now() - t0;
    const requestId = out.$metadata.requestId;
    if (!requestId) throw new Error(`Invoke of ${functionName} returned no request id`);
    const tail = out.LogResult ? new TextDecoder().decode(decodeBase64(out.LogResult)) : "";
    return {
      record: { requestId, clientRttMs, timestamp },
      ranInit: tailShowsInit(tail),
      ok: !out.FunctionError,
    };
  }

  /**
   * Reads what the deployed function runs with: its timeout and work are deploy-time settings
   * (`deno task deploy`), so run.json records them from the function, not from bench flags.
   */
  async functionSettings(functionName: string): Promise<FunctionSettings> {
    await this.#limiter.take();
    const config = await withBackoff(
      () => this.#lambda.send(new GetFunctionConfigurationCommand({ FunctionName: functionName })),
      { sleep: this.#sleep },
    );
    const work = Number(config.Environment?.Variables?.BATTLE_WORK_ITERATIONS);
    if (config.Timeout === undefined || !Number.isInteger(work)) {
      throw new Error(
        `Cannot read the settings of ${functionName}: Timeout or BATTLE_WORK_ITERATIONS is ` +
          `missing (deploy it with deno task deploy)`,
      );
    }
    return { workIterations: work, timeoutS: config.Timeout };
  }

  async prepare(cell: Cell, _plan: CellPlan, _context: CellContext): Promise<PreparedCell> {
    const fn = this.#function(cell);
    if (!fn) throw new Error(`No deployed function for ${cellLabel(cell)}`);
    const settings = await this.functionSettings(fn.functionName);
    const startTime = Date.now();
    const fetchLogs = this.#o.fetchLogs;
    return {
      settings,
      outputWait: { maxMs: this.#o.logWaitMs ?? 120_000, pollMs: 5_000 },
      forceColdStart: () => this.forceColdStart(fn.functionName),
      invoke: async (event) => {
        const r = await this.invoke(fn.functionName, event);
        return { ...r.record, ranInit: r.ranInit, ok: r.ok };
      },
      settle: () => Promise.resolve(),
      fetchOutput: async () => ({
        messages: await fetchLogs({
          logGroup: fn.logGroupName,
          startTime: startTime - 60_000,
          endTime: Date.now() + 60_000,
        }),
      }),
      // The queue is shared by every cell of the stack; delivery is counted by its own tools.
      checkDelivery: () => Promise.resolve(null),
      dispose: () => Promise.resolve(),
    };
  }

  /**
   * Makes a deployed cell ready for a load: concurrent Invoke calls, Lambda scaling the
   * function out itself (its reserved concurrency is a deploy-time setting). The environments
   * made are the invocations whose Tail log shows Init; a throttle that outlasts the client's
   * back-off is counted as one.
   */
  async prepareLoad(cell: Cell, plan: LoadPlan, context: CellContext): Promise<LoadCell> {
    const prepared = await this.prepare(
      cell,
      { cold: 0, warm: 0, payloadBytes: plan.payloadBytes },
      context,
    );
    let created = 0;
    let inFlight = 0;
    let peakConcurrency = 0;
    return {
      settings: prepared.settings,
      outputWait: prepared.outputWait,
      async invoke(event) {
        peakConcurrency = Math.max(peakConcurrency, ++inFlight);
        const timestamp = new Date();
        try {
          const r = await prepared.invoke(event);
          if (r.ranInit) created++;
          return { kind: "invoked", ...r };
        } catch (error) {
          if ((error as Error).name === "TooManyRequestsException") {
            return { kind: "throttled", timestamp };
          }
          throw error;
        } finally {
          inFlight--;
        }
      },
      environments: () => ({ created, peakConcurrency }),
      settle: () => prepared.settle(),
      fetchOutput: () => prepared.fetchOutput(),
      checkDelivery: (successes) => prepared.checkDelivery(successes),
      dispose: () => prepared.dispose(),
    };
  }

  close(): Promise<void> {
    this.#lambda.destroy();
    return Promise.resolve();
  }
}

function decodeBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
