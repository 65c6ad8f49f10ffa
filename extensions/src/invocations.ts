/**
 * The end-of-invocation protocol. Lambda hands an extension its INVOKE at the start of an
 * invocation, while the function posts its message during it; so before the extension flushes
 * and asks for the next event it waits until the invocation's function is done with it: a
 * message tagged with the request id (header `Lambda-Runtime-Aws-Request-Id`) was accepted, or
 * the function called `POST /invocations/<id>/end`. Either may come before the INVOKE event
 * reaches the extension (the runtime and the extension get their events concurrently), so
 * endings are remembered until their INVOKE asks.
 *
 * @module
 */

import { CONTRACT } from "./contract.ts";

/** The header a function tags its message with. */
export const REQUEST_ID_HEADER: string = CONTRACT.requestIdHeader;

/** Endings remembered for INVOKEs that have not asked yet; the oldest are forgotten first. */
export const MAX_REMEMBERED_ENDINGS: number = CONTRACT.maxRememberedEndings;

/** Tracks which invocations the function has finished with. */
export class InvocationTracker {
  /** Request ids ended and not yet waited for, oldest first (a Set keeps insertion order). */
  readonly #ended = new Set<string>();
  readonly #waiters = new Map<string, () => void>();
  readonly #max: number;

  /** @param maxRemembered How many unclaimed endings to keep; default {@linkcode MAX_REMEMBERED_ENDINGS}. */
  constructor(maxRemembered = MAX_REMEMBERED_ENDINGS) {
    this.#max = maxRemembered;
  }

  /** Endings remembered and not claimed by an INVOKE yet. */
  get remembered(): number {
    return this.#ended.size;
  }

  /**
   * Notes that the function is done with invocation `requestId` (its tagged message was
   * accepted, or it called `/invocations/<id>/end`).
   *
   * @param requestId The request id; empty ids are ignored.
   */
  end(requestId: string): void {
    if (requestId === "") return;
    const waiter = this.#waiters.get(requestId);
    if (waiter) {
      waiter();
      return;
    }
    this.#ended.delete(requestId);
    this.#ended.add(requestId);
    while (this.#ended.size > this.#max) {
      this.#ended.delete(this.#ended.values().next().value!);
    }
  }

  /**
   * Waits until invocation `requestId` has ended, or until `deadline`.
   *
   * @param requestId The INVOKE's request id.
   * @param deadline Epoch ms to stop waiting at.
   * @param now The clock; default `Date.now`.
   * @returns True when the invocation ended, false when the deadline came first.
   */
  wait(requestId: string, deadline: number, now: () => number = Date.now): Promise<boolean> {
    if (this.#ended.delete(requestId)) return Promise.resolve(true);
    if (requestId === "" || deadline <= now()) return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(requestId);
        resolve(false);
      }, deadline - now());
      this.#waiters.set(requestId, () => {
        clearTimeout(timer);
        this.#waiters.delete(requestId);
        resolve(true);
      });
    });
  }
}
