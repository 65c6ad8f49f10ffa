/**
 * The blank extension's whole behaviour: register for INVOKE and SHUTDOWN, ask for the next
 * event until SHUTDOWN, then exit. It does no work on any event, so a cell that carries it
 * measures what merely having an extension costs (an extra process at Init, one more `/next`
 * per invocation), apart from what an extension's work costs.
 *
 * @module
 */
import { CONTRACT } from "../src/contract.ts";
import type { ExtensionsClient } from "../src/extensions_api.ts";
import { EVENT_TYPES } from "../../lib/lambda/wire.ts";

/** What {@linkcode runBlankExtension} needs. */
export interface BlankOptions {
  /** The `Lambda-Extension-Name`: the executable's file name. */
  name: string;
  /** The Extensions API. */
  api: ExtensionsClient;
  /** Where its few lines go; default `console.log`. */
  log?: (line: string) => void;
}

/**
 * Runs the extension until SHUTDOWN.
 *
 * @param o Name, Extensions API client and log.
 * @returns The exit code: 0 after SHUTDOWN; 1 when registration failed (there is no identifier
 *   to report with) or `/event/next` failed (reported to `/exit/error` first, as
 *   `Extension.Crash`).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { runBlankExtension } from "./blank.ts";
 * const events = [
 *   { eventType: "INVOKE" as const, deadlineMs: 0, requestId: "r1" },
 *   { eventType: "SHUTDOWN" as const, deadlineMs: 0, shutdownReason: "spindown" },
 * ];
 * const api = {
 *   register: () => Promise.resolve("id-1"),
 *   next: () => Promise.resolve(events.shift()!),
 *   initError: () => Promise.resolve(),
 *   exitError: () => Promise.resolve(),
 * };
 * assert.equal(await runBlankExtension({ name: "blank", api, log: () => {} }), 0);
 * ```
 */
export async function runBlankExtension(o: BlankOptions): Promise<number> {
  const log = o.log ?? ((line: string) => console.log(line));
  let id: string;
  try {
    id = await o.api.register(o.name);
  } catch (e) {
    log(`[${o.name}] ${(e as Error).message}`);
    return 1;
  }
  for (;;) {
    let eventType: string;
    try {
      eventType = (await o.api.next(id)).eventType;
    } catch (e) {
      const message = (e as Error).message;
      log(`[${o.name}] ${message}`);
      await o.api.exitError(id, CONTRACT.errorTypes.fatal, message).catch(() => {});
      return 1;
    }
    if (eventType === EVENT_TYPES.shutdown) return 0;
  }
}
