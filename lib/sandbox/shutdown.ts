/**
 * Watches an environment's processes through Shutdown: after SHUTDOWN goes out, Lambda waits
 * for the runtime and for every extension registered for SHUTDOWN to exit, and kills what
 * still runs at the deadline. An extension that calls `/next` again after SHUTDOWN (the
 * `lambda-extension` crate's run loop does) is not done: it is killed at the deadline, as the
 * runtime interface emulator's shutdown does (it waits on each such extension's exit). One that
 * did not register for SHUTDOWN gets no event and is killed without a wait. The watch records
 * when each extension exited, so the sandbox can log how each one ended.
 *
 * @example
 * ```ts
 * const procs = [{ kind: "extension" as const, name: "x", pid: 1, exit: null }];
 * const watch = new ShutdownWatch(procs, [{ name: "x", events: new Set(["SHUTDOWN"]) }], 0);
 * watch.done(0); // false: x still runs
 * watch.exits(2000); // [{ name: "x", how: "killed", code: null, signal: "SIGKILL", ms: 2000 }]
 * ```
 *
 * @module
 */
import type { ShutdownExitFacts } from "./records.ts";

/** What the watch needs of a process (the supervisor's `SupervisedProcess`). */
export interface WatchedProcess {
  readonly kind: "function" | "extension";
  readonly name: string;
  readonly exit: { code: number; signal: Deno.Signal | null } | null;
}

/** What the watch needs of a registration (the API's `ExtensionState`). */
export interface WatchedRegistration {
  readonly name: string;
  readonly events: ReadonlySet<string>;
}

/** The processes of one Shutdown, from SHUTDOWN to the deadline. See the module doc. */
export class ShutdownWatch {
  readonly #runtime: WatchedProcess[];
  /** Extensions still running at SHUTDOWN, each with whether it registered for SHUTDOWN. */
  readonly #extensions: { p: WatchedProcess; subscribed: boolean; exitedAt: number | null }[];
  readonly #since: number;

  /**
   * @param processes the environment's processes when SHUTDOWN goes out
   * @param registrations the registered extensions (their names and events)
   * @param since performance.now() when SHUTDOWN went out
   */
  constructor(
    processes: readonly WatchedProcess[],
    registrations: Iterable<WatchedRegistration>,
    since: number,
  ) {
    const subscribed = new Set<string>();
    for (const r of registrations) if (r.events.has("SHUTDOWN")) subscribed.add(r.name);
    this.#runtime = processes.filter((p) => p.kind === "function");
    this.#extensions = processes
      .filter((p) => p.kind === "extension" && p.exit === null)
      .map((p) => ({ p, subscribed: subscribed.has(p.name), exitedAt: null }));
    this.#since = since;
  }

  /**
   * Notes exits seen by now and says whether Shutdown is over: the runtime and every
   * extension registered for SHUTDOWN have exited.
   *
   * @param now performance.now()
   * @returns true when nothing is left to wait for
   */
  done(now: number): boolean {
    let waiting = false;
    for (const e of this.#extensions) {
      if (e.p.exit !== null) e.exitedAt ??= now;
      else if (e.subscribed) waiting = true;
    }
    return !waiting && this.#runtime.every((p) => p.exit !== null);
  }

  /**
   * How each extension that ran at SHUTDOWN ended, in start order; what still runs is about
   * to be killed.
   *
   * @param now performance.now() at the end of the wait (the deadline, for those killed)
   * @returns one entry per extension
   */
  exits(now: number): ShutdownExitFacts[] {
    this.done(now);
    return this.#extensions.map(({ p, subscribed, exitedAt }) => {
      if (p.exit !== null) {
        return {
          name: p.name,
          how: "exited" as const,
          code: p.exit.signal === null ? p.exit.code : null,
          signal: p.exit.signal,
          ms: (exitedAt ?? now) - this.#since,
        };
      }
      return {
        name: p.name,
        how: subscribed ? "killed" as const : "not-subscribed" as const,
        code: null,
        signal: "SIGKILL",
        ms: now - this.#since,
      };
    });
  }
}
