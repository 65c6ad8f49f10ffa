/**
 * The summary lines both extensions log, filled from the templates in `contract.json`
 * (`summaryLines`), so the Rust and JavaScript extensions print the same text and the contract
 * suite can read it.
 *
 * @module
 */
import { CONTRACT } from "./contract.ts";

/** The counts of the SHUTDOWN line. `undelivered` is `accepted − delivered`. */
export interface ShutdownCounts {
  accepted: number;
  delivered: number;
  deliveredOnRetry: number;
  /** Never acknowledged and not in flight at exit: queued, parked, or given up on. */
  unsent: number;
  /** Refused by SQS as the sender's fault (or too large for any batch). */
  refused: number;
  /** In a request that had not answered at exit: may have arrived. */
  inFlight: number;
  turnedAway: number;
}

/**
 * Fills a `summaryLines` template.
 *
 * @param template The template, with `{name}` placeholders.
 * @param values The value of each placeholder.
 * @returns The line.
 * @throws {RangeError} When the template names a value not given.
 * @example
 * ```ts
 * import { fillSummary } from "./summary.ts";
 * fillSummary("{a} and {b}", { a: 1, b: "two" }); // "1 and two"
 * ```
 */
export function fillSummary(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new RangeError(`No value for {${name}} in "${template}"`);
    return String(value);
  });
}

/**
 * The line logged after an INVOKE's flush that retried or left messages pending.
 *
 * @param requestId The invocation.
 * @param delivered Delivered during this invocation.
 * @param deliveredOnRetry Of those, acknowledged only after a retry.
 * @param pending Still in the outbox after the flush.
 * @returns The line.
 */
export function invokeSummary(
  requestId: string,
  delivered: number,
  deliveredOnRetry: number,
  pending: number,
): string {
  return fillSummary(CONTRACT.summaryLines.invoke, {
    requestId,
    delivered,
    deliveredOnRetry,
    pending,
  });
}

/**
 * The line logged at SHUTDOWN.
 *
 * @param reason The shutdown reason, as Lambda sent it (lower-cased).
 * @param counts See {@linkcode ShutdownCounts}.
 * @returns The line.
 */
export function shutdownSummary(reason: string, counts: ShutdownCounts): string {
  return fillSummary(CONTRACT.summaryLines.shutdown, {
    reason: reason.toLowerCase(),
    ...counts,
    undelivered: counts.accepted - counts.delivered,
  });
}
