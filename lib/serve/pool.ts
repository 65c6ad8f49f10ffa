/**
 * Lambda-like scale-out for one function: an invocation takes a free execution environment
 * (the one freed last, as Lambda keeps reusing warm environments), a new one is made when every
 * environment is busy, and past the bound the invocation is throttled (counted) or, for queued
 * (asynchronous) invocations, waits for the next free one. A configuration change retires every
 * environment: idle ones go at once, busy ones when their invocation ends.
 *
 * An environment whose function has already answered is about to be free (its runtime is on
 * its way back to `/next`): an invocation that finds no idle one waits a few milliseconds for
 * it before making a new one, so a client that invokes again the moment it has its response is
 * served warm, as on Lambda, while slow post-response work (an extension's) still scales out.
 * At the bound it waits longer (250 ms by default) before throttling, so that a throttle means
 * every environment was running an invocation, not that this host was slow to hand one back.
 *
 * Generic over what an environment is, so `deno task serve` and a load mode share it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EnvironmentPool } from "./pool.ts";
 * let made = 0;
 * const pool = new EnvironmentPool({
 *   create: () => Promise.resolve({ id: ++made }),
 *   destroy: () => Promise.resolve(),
 *   maxEnvironments: 2,
 * });
 * const a = await pool.acquire();
 * const b = await pool.acquire(); // a is busy: a second environment
 * assert.equal(b.fresh, true);
 * a.release();
 * const c = await pool.acquire();
 * assert.equal(c.env, a.env); // reused
 * await assert.rejects(pool.acquire(), { name: "TooManyRequestsException" });
 * assert.equal(pool.stats().throttles, 1);
 * b.release();
 * c.release();
 * await pool.close(); // waits for busy environments to be handed back
 * ```
 *
 * @module
 */

/** What the pool needs to make and drop environments. */
export interface PoolOptions<E> {
  /** Makes a new environment (it runs Init on its first invocation). */
  create: () => Promise<E>;
  /** Drops an environment (Shutdown). Errors are reported to `onError`, never thrown. */
  destroy: (env: E) => Promise<void>;
  /** Most environments alive at once, made or being made (default 10). */
  maxEnvironments?: number;
  /** Hears of failed destroys (default: console.error). */
  onError?: (error: unknown) => void;
  /**
   * How long an invocation waits for an environment that has answered (see
   * {@link Lease.answered}) before making a new one, in ms (default 10; 0 never waits).
   */
  reuseWaitMs?: number;
  /**
   * At the bound, how long an invocation waits for an environment that has answered before it
   * is throttled, in ms (default 250; 0 throttles at once). A busy host can hold a runtime's
   * way back to `/next` for tens of milliseconds; a throttle should mean the environments were
   * running invocations, not that this host was slow to hand one back.
   */
  boundWaitMs?: number;
}

/** Thrown when every environment is busy and the bound is reached. */
export class ThrottledError extends Error {
  override name = "TooManyRequestsException";
  constructor(limit: number) {
    super(`Rate Exceeded: all ${limit} environments of the function are busy`);
  }
}

/** One environment lent to one invocation. */
export interface Lease<E> {
  env: E;
  /** True when the environment was made for this invocation (it runs Init). */
  fresh: boolean;
  /** Hands the environment back (idempotent): the next invocation may use it. */
  release(): void;
  /** Drops the environment instead of handing it back (idempotent). */
  discard(): void;
  /** Marks the invocation as answered: the environment is expected back soon. */
  answered(): void;
}

/** Counters of the pool, for the command line and tests. */
export interface PoolStats {
  /** Environments alive now, busy or idle (and being made). */
  environments: number;
  busy: number;
  /** Environments made so far. */
  created: number;
  /** Invocations served by an environment that had served one before. */
  reused: number;
  /** Invocations refused because every environment was busy at the bound. */
  throttles: number;
  /** Invocations that waited for a free environment (queued ones only). */
  queued: number;
  /** Most environments busy at once. */
  peakBusy: number;
  /** Environments dropped by retire() or close(). */
  retired: number;
}

interface Slot<E> {
  env: E;
  generation: number;
  busy: boolean;
  answered: boolean;
}

/** An invocation waiting for a handed-back environment; `soft` ones give up after a while. */
interface Waiter<E> {
  soft: boolean;
  /** A lease, an error (closed), or null: no environment came back, make one. */
  give(lease: Lease<E> | Error | null): void;
}

/** The environments of one function. See the module doc. */
export class EnvironmentPool<E> {
  readonly #o: Required<PoolOptions<E>>;
  readonly #slots = new Set<Slot<E>>();
  /** Idle environments, most recently freed last. */
  readonly #idle: Slot<E>[] = [];
  readonly #waiters: Waiter<E>[] = [];
  readonly #destroying = new Set<Promise<void>>();
  #creating = 0;
  #generation = 0;
  #closed = false;
  #stats = { created: 0, reused: 0, throttles: 0, queued: 0, peakBusy: 0, retired: 0 };

  /** @param options How environments are made and dropped, and the bound. */
  constructor(options: PoolOptions<E>) {
    const max = options.maxEnvironments ?? 10;
    if (!Number.isInteger(max) || max < 1) {
      throw new RangeError(`Invalid maxEnvironments ${max}: expected a whole number ≥ 1`);
    }
    this.#o = {
      maxEnvironments: max,
      onError: (e) => console.error(e instanceof Error ? e.message : String(e)),
      reuseWaitMs: 10,
      boundWaitMs: 250,
      ...options,
    };
  }

  /** The bound on environments. */
  get maxEnvironments(): number {
    return this.#o.maxEnvironments;
  }

  /**
   * Lends an environment: the most recently freed idle one, else a new one below the bound.
   *
   * @param options `wait`: at the bound, wait for the next free environment instead of
   *   throwing (asynchronous invocations are queued on Lambda, not throttled).
   * @returns The lease; release it when the invocation is over.
   * @throws {ThrottledError} At the bound without `wait`.
   * @throws {Error} When the pool is closed, or making the environment failed.
   */
  async acquire(options: { wait?: boolean } = {}): Promise<Lease<E>> {
    if (this.#closed) throw new Error("The function's environments are shut down");
    const idle = this.#idle.pop();
    if (idle) {
      this.#stats.reused++;
      return this.#lend(idle, false);
    }
    if (this.#anyAnswered()) {
      const reused = await this.#waitForAnswered(this.#o.reuseWaitMs);
      if (reused) return reused;
      if (!this.#belowBound() && !options.wait) {
        const late = await this.#waitForAnswered(this.#o.boundWaitMs);
        if (late) return late;
      }
    }
    if (this.#belowBound()) {
      this.#creating++;
      const generation = this.#generation;
      let env: E;
      try {
        env = await this.#o.create();
      } finally {
        this.#creating--;
      }
      const slot: Slot<E> = { env, generation, busy: false, answered: false };
      this.#slots.add(slot);
      this.#stats.created++;
      return this.#lend(slot, true);
    }
    if (!options.wait) {
      this.#stats.throttles++;
      throw new ThrottledError(this.#o.maxEnvironments);
    }
    const freed = this.#idle.pop(); // handed back while this one waited above
    if (freed) {
      this.#stats.reused++;
      return this.#lend(freed, false);
    }
    this.#stats.queued++;
    const lease = await new Promise<Lease<E> | Error | null>((give) =>
      this.#waiters.push({ soft: false, give })
    );
    if (lease instanceof Error) throw lease;
    return lease ?? await this.acquire(options);
  }

  #anyAnswered(): boolean {
    for (const s of this.#slots) if (s.busy && s.answered) return true;
    return false;
  }

  #belowBound(): boolean {
    return this.#slots.size + this.#creating < this.#o.maxEnvironments;
  }

  /**
   * When an environment has answered and is on its way back, waits at most `ms` for one handed
   * back (or idle by then).
   *
   * @returns The lease, or null when none is on its way back or none came in time.
   * @throws {Error} When the pool closed meanwhile.
   */
  async #waitForAnswered(ms: number): Promise<Lease<E> | null> {
    if (ms <= 0 || !this.#anyAnswered()) return null;
    const lease = await this.#waitFor(ms);
    if (lease instanceof Error) throw lease;
    if (lease !== null) return lease;
    const again = this.#idle.pop();
    if (!again) return null;
    this.#stats.reused++;
    return this.#lend(again, false);
  }

  /** Waits at most `ms` for an environment handed back; null when none came. */
  #waitFor(ms: number): Promise<Lease<E> | Error | null> {
    return new Promise((resolve) => {
      const waiter: Waiter<E> = {
        soft: true,
        give: (lease) => {
          clearTimeout(timer);
          resolve(lease);
        },
      };
      const timer = setTimeout(() => {
        const i = this.#waiters.indexOf(waiter);
        if (i !== -1) this.#waiters.splice(i, 1);
        resolve(null);
      }, ms);
      this.#waiters.push(waiter);
    });
  }

  #lend(slot: Slot<E>, fresh: boolean): Lease<E> {
    slot.busy = true;
    slot.answered = false;
    const busy = [...this.#slots].filter((s) => s.busy).length;
    this.#stats.peakBusy = Math.max(this.#stats.peakBusy, busy);
    let done = false;
    return {
      env: slot.env,
      fresh,
      release: () => {
        if (done) return;
        done = true;
        this.#giveBack(slot);
      },
      discard: () => {
        if (done) return;
        done = true;
        slot.busy = false;
        this.#drop(slot);
        this.#wakeWaiter();
      },
      answered: () => {
        if (!done) slot.answered = true;
      },
    };
  }

  #giveBack(slot: Slot<E>): void {
    slot.busy = false;
    if (this.#closed || slot.generation !== this.#generation) {
      this.#drop(slot);
      this.#wakeWaiter();
      return;
    }
    const waiter = this.#waiters.shift();
    if (waiter) {
      this.#stats.reused++;
      waiter.give(this.#lend(slot, false));
      return;
    }
    this.#idle.push(slot);
  }

  /** A waiter whose environment was dropped gets a new one, made in the freed place. */
  #wakeWaiter(): void {
    const waiter = this.#waiters.shift();
    if (!waiter) return;
    if (waiter.soft) return waiter.give(null);
    this.#stats.queued--; // counted again if it has to wait once more
    this.acquire({ wait: true }).then((l) => waiter.give(l), (e) => waiter.give(e as Error));
  }

  #drop(slot: Slot<E>): void {
    if (!this.#slots.delete(slot)) return;
    const i = this.#idle.indexOf(slot);
    if (i !== -1) this.#idle.splice(i, 1);
    this.#stats.retired++;
    const p = this.#o.destroy(slot.env).catch(this.#o.onError).finally(() =>
      this.#destroying.delete(p)
    );
    this.#destroying.add(p);
  }

  /**
   * Retires every environment (a configuration change): idle ones are dropped now, busy ones
   * when their invocation ends; the next invocation gets a new environment.
   *
   * @returns When the idle environments are gone (busy ones go in the background).
   */
  async retire(): Promise<void> {
    this.#generation++;
    const idle = this.#idle.splice(0);
    const before = [...this.#destroying];
    for (const slot of idle) this.#drop(slot);
    const mine = [...this.#destroying].filter((p) => !before.includes(p));
    await Promise.all(mine);
  }

  /**
   * Drops every environment; queued invocations fail. Waits for busy ones to be released.
   *
   * @returns When every environment is gone.
   */
  async close(): Promise<void> {
    this.#closed = true;
    for (const w of this.#waiters.splice(0)) {
      w.give(new Error("The function's environments are shut down"));
    }
    for (const slot of this.#idle.splice(0)) this.#drop(slot);
    const busy = () => [...this.#slots].some((s) => s.busy) || this.#creating > 0;
    while (busy() || this.#destroying.size > 0) {
      await Promise.race([...this.#destroying, new Promise((r) => setTimeout(r, 20))]);
    }
  }

  /** Counters so far. */
  stats(): PoolStats {
    const slots = [...this.#slots];
    return {
      environments: slots.length + this.#creating,
      busy: slots.filter((s) => s.busy).length,
      ...this.#stats,
    };
  }

  /** The environments alive now (busy or idle). */
  environments(): E[] {
    return [...this.#slots].map((s) => s.env);
  }
}
