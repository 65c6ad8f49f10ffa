/**
 * Groups messages into `SendMessageBatch` requests within the SQS limits.
 *
 * @module
 */
import { CONTRACT } from "./contract.ts";

/** SQS limits on one `SendMessageBatch` request. */
export interface BatchLimits {
  /** Entries per request. Default 10, the SQS maximum. */
  maxEntries: number;
  /** Sum of message sizes per request, in bytes. Default 262,144 (256 KiB). */
  maxBytes: number;
}

/** The SQS limits. */
export const SQS_BATCH_LIMITS: BatchLimits = {
  maxEntries: CONTRACT.batch.maxEntries,
  maxBytes: CONTRACT.batch.maxBytes,
};

const encoder = new TextEncoder();

/**
 * The size SQS counts for a message body: its UTF-8 length.
 *
 * @param body A message body.
 * @returns Bytes.
 */
export function messageBytes(body: string): number {
  return encoder.encode(body).length;
}

/**
 * Splits messages, in order, into the fewest consecutive batches that respect the limits.
 *
 * @param bodies Message bodies, in arrival order.
 * @param limits Entries and bytes per batch; default {@linkcode SQS_BATCH_LIMITS}.
 * @returns Batches in order; every message appears exactly once.
 * @throws {RangeError} When one message alone is larger than `limits.maxBytes`.
 * @example
 * ```ts
 * import { planBatches } from "./batch.ts";
 * planBatches(["a", "b", "c"], { maxEntries: 2, maxBytes: 10 }); // [["a", "b"], ["c"]]
 * ```
 */
export function planBatches(
  bodies: readonly string[],
  limits: BatchLimits = SQS_BATCH_LIMITS,
): string[][] {
  const batches: string[][] = [];
  let current: string[] = [];
  let bytes = 0;
  for (const body of bodies) {
    const size = messageBytes(body);
    if (size > limits.maxBytes) {
      throw new RangeError(
        `Cannot batch a message of ${size} bytes: the limit is ${limits.maxBytes} bytes`,
      );
    }
    if (current.length === limits.maxEntries || bytes + size > limits.maxBytes) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(body);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
