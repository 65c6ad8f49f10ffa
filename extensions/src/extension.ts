/**
 * The extension's life: register, listen, then loop on `/event/next`. An INVOKE arrives at the
 * start of its invocation, so the loop first waits until the function is done with it (its
 * tagged message or `/invocations/<id>/end`, see {@linkcode InvocationTracker}), bounded by the
 * deadline. Before every call to `/event/next` it delivers everything accepted so far, unless
 * the event's deadline (minus the contract's margin) comes first: then what is still unsent
 * stays in the outbox for the next INVOKE or SHUTDOWN, and requests in flight go on. While SQS
 * fails it retries until that deadline. On SHUTDOWN it flushes within the deadline, stops
 * sending, waits briefly for the requests in flight, logs the exact counts and returns.
 *
 * @module
 */
import { CONTRACT } from "./contract.ts";
import type { ExtensionsClient } from "./extensions_api.ts";
import type { InvocationTracker } from "./invocations.ts";
import type { OutboxStats } from "./outbox.ts";
import { invokeSummary, shutdownSummary } from "./summary.ts";

/** What the run loop needs; each part is injected so it can be tested without a network. */
export interface ExtensionDeps {
  /** `Lambda-Extension-Name`: the executable's file name. */
  name: string;
  api: ExtensionsClient;
  /** Starts the HTTP endpoint, wired to the outbox; returns a closer. */
  listen: () => Promise<{ close(): Promise<void> }>;
  outbox: {
    flush(deadline?: number): Promise<number>;
    close(deadline: number): Promise<number>;
    readonly stats: OutboxStats;
    readonly outstanding: number;
  };
  /** Which invocations the function is done with; without it an INVOKE flushes at once. */
  invocations?: Pick<InvocationTracker, "wait">;
  /** Default `console.log`. */
  log?: (line: string) => void;
  /** Default `Date.now`. */
  now?: () => number;
  /**
   * Time kept back from an event's deadline to call `/event/next` or exit. Default the
   * contract's `deadlineMarginMs` (200 ms).
   */
  deadlineMarginMs?: number;
}

/**
 * Runs the extension until SHUTDOWN or a fatal error.
 *
 * @param deps See {@linkcode ExtensionDeps}.
 * @returns The process exit code: 0 after a clean shutdown, 1 after a failure.
 */
export async function runExtension(deps: ExtensionDeps): Promise<number> {
  const log = deps.log ?? ((line: string) => console.log(line));
  const now = deps.now ?? Date.now;
  let id: string;
  try {
    id = await deps.api.register(deps.name);
  } catch (e) {
    log(`[${deps.name}] ${(e as Error).message}`);
    return 1;
  }
  let server: { close(): Promise<void> };
  try {
    server = await deps.listen();
  } catch (e) {
    const message = `Cannot listen: ${(e as Error).message}`;
    log(`[${deps.name}] ${message}`);
    await deps.api.initError(id, CONTRACT.errorTypes.listenFailed, message).catch(() => {});
    return 1;
  }
  const margin = deps.deadlineMarginMs ?? CONTRACT.deadlineMarginMs;
  try {
    for (;;) {
      const event = await deps.api.next(id);
      const until = Number.isFinite(event.deadlineMs) ? event.deadlineMs - margin : undefined;
      if (event.eventType === "INVOKE") {
        if (deps.invocations && until !== undefined) {
          const ended = await deps.invocations.wait(event.requestId, until, now);
          if (!ended) {
            log(
              `[${deps.name}] invocation ${event.requestId}: no message or end by the deadline`,
            );
          }
        }
        const before = deps.outbox.stats;
        // Past the deadline the rest stays in the outbox for the next INVOKE or SHUTDOWN.
        const pending = await deps.outbox.flush(until);
        const after = deps.outbox.stats;
        const onRetry = after.deliveredOnRetry - before.deliveredOnRetry;
        if (pending > 0 || onRetry > 0) {
          const delivered = after.delivered - before.delivered;
          log(`[${deps.name}] ${invokeSummary(event.requestId, delivered, onRetry, pending)}`);
        }
        continue;
      }
      await deps.outbox.flush(until);
      // No new request after the flush's deadline; those in flight get half the margin.
      const exitBy = until === undefined ? now() + margin : event.deadlineMs - margin / 2;
      const inFlight = await deps.outbox.close(exitBy);
      const s = deps.outbox.stats;
      log(
        `[${deps.name}] ${
          shutdownSummary(event.shutdownReason, {
            accepted: s.accepted,
            delivered: s.delivered,
            deliveredOnRetry: s.deliveredOnRetry,
            unsent: deps.outbox.outstanding - inFlight,
            refused: s.rejected,
            inFlight,
            turnedAway: s.turnedAway,
          })
        }`,
      );
      // Not awaited: the process exits next, and a close that waits on a busy event loop (seen
      // on LLRT) must not carry the exit past the deadline.
      server.close().catch(() => {});
      return 0;
    }
  } catch (e) {
    const message = (e as Error).message;
    log(`[${deps.name}] ${message}`);
    await deps.api.exitError(id, CONTRACT.errorTypes.fatal, message).catch(() => {});
    await server.close();
    return 1;
  }
}
