/**
 * The AWS backend: invokes the deployed functions, forces cold starts by changing an
 * environment variable (UpdateFunctionConfiguration, then waiting for LastUpdateStatus
 * Successful), checks that every cold sample really ran Init, and collects the platform lines
 * from CloudWatch Logs.
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
import type { DeployedFunction } from "../../infra/outputs.ts";
import { cellLabel } from "./matrix.ts";
import type { Cell } from "./matrix.ts";
import type { BenchBackend, CellPlan, CellResult, ClientRecord } from "./types.ts";
import type { Progress } from "./progress.ts";
import { collectCell } from "./collect_cell.ts";

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
  /** Cold attempts allowed per wanted cold sample before giving up (default 3). */
  coldAttemptsPerSample?: number;
}

/** Runs cells against a deployed stack. */
export class AwsBackend implements BenchBackend {
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

  describe(): Record<string, unknown> {
    return { region: this.#o.region, queueUrl: this.#o.queueUrl ?? null };
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
    event: unknown,
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
            Payload: new TextEncoder().encode(JSON.stringify(event)),
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

  async runCell(
    cell: Cell,
    plan: CellPlan,
    context: { runId: string; runDir: string; progress: Progress },
  ): Promise<CellResult> {
    const fn = this.#function(cell);
    if (!fn) throw new Error(`No deployed function for ${cellLabel(cell)}`);
    const event = { payloadBytes: plan.payloadBytes };
    const client: ClientRecord[] = [];
    const notes: string[] = [];
    const startTime = Date.now();
    let coldRetries = 0;
    let trueCold = 0;
    const maxColdAttempts = plan.cold * (this.#o.coldAttemptsPerSample ?? 3);
    for (let attempt = 0; trueCold < plan.cold && attempt < maxColdAttempts; attempt++) {
      await this.forceColdStart(fn.functionName);
      const r = await this.invoke(fn.functionName, event);
      context.progress.advance();
      if (r.ranInit) {
        trueCold++;
        client.push({ ...r.record, intendedCold: true });
      } else {
        // Lambda served it from a warm environment after all: keep the row, as a warm one.
        coldRetries++;
        context.progress.extend(1);
        client.push({ ...r.record, intendedCold: false });
      }
    }
    if (trueCold < plan.cold) {
      notes.push(`only ${trueCold} of ${plan.cold} cold samples after ${maxColdAttempts} attempts`);
    }
    if (plan.cold === 0 && plan.warm > 0) {
      const r = await this.invoke(fn.functionName, event);
      client.push({ ...r.record, intendedCold: r.ranInit });
    }
    for (let i = 0; i < plan.warm; i++) {
      const r = await this.invoke(fn.functionName, event);
      context.progress.advance();
      client.push({ ...r.record, intendedCold: r.ranInit });
    }
    // CloudWatch holds the lines a few seconds later: poll until every request has its REPORT.
    const deadline = Date.now() + (this.#o.logWaitMs ?? 120_000);
    for (;;) {
      const messages = await this.#o.fetchLogs({
        logGroup: fn.logGroupName,
        startTime: startTime - 60_000,
        endTime: Date.now() + 60_000,
      });
      const result = await collectCell({
        messages,
        meta: {
          run_id: context.runId,
          backend: "aws",
          variant: cell.variant.name,
          arch: cell.arch,
          memory_mb: cell.memoryMb,
        },
        client,
      });
      if (result.missingReport.length === 0 || Date.now() >= deadline) {
        result.coldRetries = coldRetries;
        result.notes.push(...notes);
        return result;
      }
      await this.#sleep(5_000);
    }
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
