/**
 * The extension's life: register, listen, then loop on `/event/next`. Before every call to
 * `/event/next` it delivers everything accepted so far, so a freeze or shutdown loses nothing;
 * on SHUTDOWN it flushes within the deadline and returns.
 *
 * @module
 */
import type { ExtensionsClient } from "./extensions_api.ts";
import type { OutboxStats } from "./outbox.ts";

/** What the run loop needs; each part is injected so it can be tested without a network. */
export interface ExtensionDeps {
  /** `Lambda-Extension-Name`: the executable's file name. */
  name: string;
  api: ExtensionsClient;
  /** Starts the HTTP endpoint, wired to the outbox; returns a closer. */
  listen: () => Promise<{ close(): Promise<void> }>;
  outbox: {
    flush(deadline?: number): Promise<void>;
    readonly stats: OutboxStats;
    readonly outstanding: number;
  };
  /** Default `console.log`. */
  log?: (line: string) => void;
  /** Default `Date.now`. */
  now?: () => number;
  /** Time kept back from the SHUTDOWN deadline for closing down. Default 100 ms. */
  shutdownMarginMs?: number;
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
    await deps.api.initError(id, "Extension.ListenFailed", message).catch(() => {});
    return 1;
  }
  try {
    for (;;) {
      const event = await deps.api.next(id);
      if (event.eventType === "INVOKE") {
        await deps.outbox.flush(event.deadlineMs);
        continue;
      }
      const budget = event.deadlineMs - (deps.shutdownMarginMs ?? 100);
      await flushUntil(deps.outbox, budget, now);
      const s = deps.outbox.stats;
      const lost = s.undelivered + deps.outbox.outstanding;
      log(
        `[${deps.name}] shutdown (${event.shutdownReason}): accepted ${s.accepted}, delivered ${s.delivered}, undelivered ${lost}`,
      );
      await server.close();
      return 0;
    }
  } catch (e) {
    const message = (e as Error).message;
    log(`[${deps.name}] ${message}`);
    await deps.api.exitError(id, "Extension.Crash", message).catch(() => {});
    await server.close();
    return 1;
  }
}

/** Flushes, but stops waiting at `deadline` (epoch ms) even if a send is still in flight. */
async function flushUntil(outbox: ExtensionDeps["outbox"], deadline: number, now: () => number) {
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
