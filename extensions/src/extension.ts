/**
 * The extension's life: register, listen, then loop on `/event/next`. An INVOKE arrives at the
 * start of its invocation, so the loop first waits until the function is done with it (its
 * tagged message or `/invocations/<id>/end`, see {@linkcode InvocationTracker}), bounded by the
 * deadline. Before every call to `/event/next` it delivers everything accepted so far, so a
 * freeze or shutdown loses nothing;
 * while SQS fails it retries until just before the event's deadline (an INVOKE's is the
 * function's timeout), keeping what is still unsent for the next event. On SHUTDOWN it flushes
 * within the deadline, logs the counts and returns.
 *
 * @module
 */
import { CONTRACT } from "./contract.ts";
import type { ExtensionsClient } from "./extensions_api.ts";
import type { InvocationTracker } from "./invocations.ts";
import type { OutboxStats } from "./outbox.ts";

/** What the run loop needs; each part is injected so it can be tested without a network. */
export interface ExtensionDeps {
  /** `Lambda-Extension-Name`: the executable's file name. */
  name: string;
  api: ExtensionsClient;
  /** Starts the HTTP endpoint, wired to the outbox; returns a closer. */
  listen: () => Promise<{ close(): Promise<void> }>;
  outbox: {
    flush(deadline?: number): Promise<number>;
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
  try {
    for (;;) {
      const event = await deps.api.next(id);
      const until = Number.isFinite(event.deadlineMs)
        ? event.deadlineMs - (deps.deadlineMarginMs ?? CONTRACT.deadlineMarginMs)
        : undefined;
      if (event.eventType === "INVOKE" && deps.invocations && until !== undefined) {
        const ended = await deps.invocations.wait(event.requestId, until, now);
        if (!ended) {
          log(`[${deps.name}] invocation ${event.requestId}: no message or end by the deadline`);
        }
      }
      await flushUntil(deps.outbox, until, now);
      if (event.eventType === "INVOKE") {
        // Past the deadline the rest stays in the outbox for the next INVOKE or SHUTDOWN.
        continue;
      }
      const s = deps.outbox.stats;
      const lost = s.accepted - s.delivered;
      log(
        `[${deps.name}] shutdown (${event.shutdownReason}): accepted ${s.accepted}, delivered ${s.delivered}, undelivered ${lost}`,
      );
      await server.close();
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

/** Flushes, but stops waiting at `deadline` (epoch ms) even if a send is still in flight. */
async function flushUntil(
  outbox: ExtensionDeps["outbox"],
  deadline: number | undefined,
  now: () => number,
) {
  if (deadline === undefined) {
    await outbox.flush();
    return;
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, Math.max(0, deadline - now()));
  });
  try {
    await Promise.race([outbox.flush(deadline), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
