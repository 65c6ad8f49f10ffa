/**
 * Sends one batch to SQS with jittered exponential backoff. Entries SQS reports as failed are
 * retried alone (partial-failure retry), except sender faults, which no retry fixes. Retries are
 * bounded by a deadline when there is one (the INVOKE or SHUTDOWN deadline), else by a number
 * of attempts; what is still unsent is handed back to the caller, not dropped.
 *
 * @module
 */
import { CONTRACT } from "./contract.ts";

/** One entry of a `SendMessageBatch` request. */
export interface BatchEntry {
  Id: string;
  MessageBody: string;
}

/** The parts of a `SendMessageBatch` response that delivery reads. */
export interface BatchOutcome {
  Successful?: { Id?: string | undefined }[] | undefined;
  Failed?:
    | {
      Id?: string | undefined;
      SenderFault?: boolean | undefined;
      Code?: string | undefined;
      Message?: string | undefined;
    }[]
    | undefined;
}

/** Sends one `SendMessageBatch` request; throws on transport or service errors. */
export type SendBatch = (entries: BatchEntry[]) => Promise<BatchOutcome>;

/** Bounded retry: attempts in total and the backoff between them. */
export interface RetryPolicy {
  /** Attempts per batch, the first included, when there is no deadline. Default 4. */
  maxAttempts: number;
  /** Backoff before the second attempt, doubled per attempt. Default 50 ms. */
  baseDelayMs: number;
  /** Ceiling of one backoff. Default 1,000 ms. */
  maxDelayMs: number;
}

/** The contract's policy: 4 attempts, 50/100/200 ms backoff (with jitter). */
export const DEFAULT_RETRY: RetryPolicy = {
  maxAttempts: CONTRACT.retry.maxAttempts,
  baseDelayMs: CONTRACT.retry.baseDelayMs,
  maxDelayMs: CONTRACT.retry.maxDelayMs,
};

/** Options of {@linkcode deliverBatch}. */
export interface DeliverOptions {
  send: SendBatch;
  /** Default {@linkcode DEFAULT_RETRY}. */
  retry?: RetryPolicy;
  /**
   * Epoch ms after which no retry starts, read before each backoff. While it returns a number,
   * retries go on until then (not limited by `maxAttempts`); undefined means `maxAttempts` rules.
   */
  deadline?: () => number | undefined;
  /** Default `setTimeout`. */
  sleep?: (ms: number) => Promise<void>;
  /** Default `Date.now`. */
  now?: () => number;
  /** Jitter source in [0, 1). Default `Math.random`. */
  random?: () => number;
  /** Where failures are reported. Default `console.error`. */
  log?: (line: string) => void;
  /**
   * Told after each attempt which entries it settled, by position in the batch: acknowledged
   * (`delivered`) or refused as the sender's fault (`rejected`). Lets a caller count progress
   * while later attempts are still under way.
   */
  onSettled?: (settled: { delivered: number[]; rejected: number[]; attempt: number }) => void;
}

/** What happened to one batch. */
export interface DeliveryResult {
  delivered: number;
  /**
   * Of `delivered`, those acknowledged only on a later attempt. An earlier attempt that failed
   * in transit may have reached SQS as well: each is a possible duplicate (SQS standard queues
   * are at-least-once anyway).
   */
  deliveredOnRetry: number;
  /** Entries SQS refused as the sender's fault; retrying cannot help. */
  rejected: number;
  /** Bodies still unsent when retrying stopped, for a later attempt. */
  unsent: string[];
  attempts: number;
}

/** Sleeps with `setTimeout`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * The backoff before attempt `attempt + 1`: half fixed, half random ("equal jitter").
 *
 * @param attempt The attempt that just failed, from 1.
 * @param policy The retry policy.
 * @param random A number in [0, 1).
 * @returns Milliseconds.
 */
export function backoffMs(attempt: number, policy: RetryPolicy, random: number): number {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return cap / 2 + random * (cap / 2);
}

/**
 * Delivers one batch (at most 10 messages, at most 256 KiB; see `planBatches`).
 *
 * @param bodies The batch's message bodies.
 * @param options How to send, retry and wait.
 * @returns Counts of delivered and rejected messages, the bodies still unsent and the attempts
 * made. Never throws for a send failure.
 */
export async function deliverBatch(
  bodies: readonly string[],
  options: DeliverOptions,
): Promise<DeliveryResult> {
  const policy = options.retry ?? DEFAULT_RETRY;
  const log = options.log ?? ((line: string) => console.error(line));
  const now = options.now ?? Date.now;
  let pending: BatchEntry[] = bodies.map((MessageBody, i) => ({ Id: String(i), MessageBody }));
  let delivered = 0;
  let deliveredOnRetry = 0;
  let rejected = 0;
  let attempts = 0;
  let lastError = "";
  for (;;) {
    attempts += 1;
    try {
      const outcome = await options.send(pending);
      const ok = new Set((outcome.Successful ?? []).map((s) => s.Id));
      const failed = new Map((outcome.Failed ?? []).map((f) => [f.Id, f]));
      const retry: BatchEntry[] = [];
      const settled = { delivered: [] as number[], rejected: [] as number[], attempt: attempts };
      for (const entry of pending) {
        const failure = failed.get(entry.Id);
        if (ok.has(entry.Id)) {
          delivered += 1;
          if (attempts > 1) deliveredOnRetry += 1;
          settled.delivered.push(Number(entry.Id));
        } else if (failure?.SenderFault) {
          rejected += 1;
          settled.rejected.push(Number(entry.Id));
          log(
            `SQS rejected a message (${failure.Code ?? "unknown"}: ${
              failure.Message ?? ""
            }); not retried`,
          );
        } else {
          retry.push(entry);
          lastError = failure
            ? `${failure.Code ?? "unknown"}: ${failure.Message ?? ""}`
            : "missing from the response";
        }
      }
      pending = retry;
      if (settled.delivered.length + settled.rejected.length > 0) options.onSettled?.(settled);
    } catch (e) {
      lastError = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    }
    if (pending.length === 0) break;
    const delay = backoffMs(Math.min(attempts, 30), policy, (options.random ?? Math.random)());
    const deadline = options.deadline?.();
    if (deadline === undefined ? attempts >= policy.maxAttempts : now() + delay >= deadline) break;
    await (options.sleep ?? sleep)(delay);
  }
  if (pending.length > 0) {
    log(`${pending.length} message(s) still unsent after ${attempts} attempt(s): ${lastError}`);
  }
  return {
    delivered,
    deliveredOnRetry,
    rejected,
    unsent: pending.map((e) => e.MessageBody),
    attempts,
  };
}
