/**
 * How an invocation or an Init ended, decided from plain facts (what the runtime answered,
 * which process exited and how, whether the time limit passed, OOM kills) so the rules can be
 * tested without processes. The sandbox gathers the facts; these functions only classify.
 *
 * @example
 * ```ts
 * const outcome = classifyInvocation({
 *   requestId: "r1", answer: null, crashed: null, oomKills: 0, timedOut: true,
 *   oversize: false, timeoutS: 3, now: new Date(),
 * });
 * outcome.errorType; // "Sandbox.Timedout"
 * ```
 *
 * @module
 */
import type { Status } from "./records.ts";

/** The error type of an invocation (or its Init) that ran out of time. */
export const TIMED_OUT = "Sandbox.Timedout";

/** A process of the environment that exited while it should have kept running. */
export interface CrashedProcess {
  kind: "function" | "extension";
  /** The extension's executable name (`runtime` for the function). */
  name: string;
  /** The exit code; not shown when `signal` is set. */
  code: number;
  /** The signal that ended it; null when it exited by itself. */
  signal: Deno.Signal | null;
  /** What an extension reported through /init/error or /exit/error before it went; else null. */
  reportedError: string | null;
}

/** What the sandbox observed of one invocation. */
export interface InvocationFacts {
  requestId: string;
  /** What the runtime answered; null when it never answered. */
  answer: { kind: "response" | "error"; errorType: string | null } | null;
  /** The first process found exited; null when all ran on. */
  crashed: CrashedProcess | null;
  /** OOM kills in the environment since the invocation began. */
  oomKills: number;
  /** The wait ended before the runtime and every extension were back in /next. */
  timedOut: boolean;
  /** The runtime's response was refused with 413 (over 6 MiB). */
  oversize: boolean;
  /** The function timeout, for the `Task timed out` line. */
  timeoutS: number;
  /** When the invocation was given up: the `Task timed out` line's time stamp. */
  now: Date;
}

/** How one invocation ended and what the platform says about it. */
export interface InvocationOutcome {
  status: Status;
  /** e.g. `Runtime.OutOfMemory`, or the handler's error type; null on success. */
  errorType: string | null;
  /**
   * The environment failed (crash, out of memory, timeout): REPORT shows `Status`, and the
   * environment resets. False for errors the handler reported itself.
   */
  platformFailure: boolean;
  /** Lines the platform writes into the function's log before END. */
  logLines: string[];
  /** The error document the caller gets where the runtime never answered; else null. */
  errorDocument: Record<string, string> | null;
}

/**
 * Classifies an invocation. A crash (or OOM kill) wins over a timeout, a timeout over the
 * runtime's own answer, as on Lambda, where either resets the environment.
 *
 * @param facts what the sandbox observed
 * @returns status, error type, the platform's log lines and the caller's error document
 * @example classifyInvocation({ requestId: "r", answer: { kind: "response", errorType: null },
 *   crashed: null, oomKills: 0, timedOut: false, oversize: false, timeoutS: 3,
 *   now: new Date() }).status // "success"
 */
export function classifyInvocation(facts: InvocationFacts): InvocationOutcome {
  const { requestId, answer, crashed } = facts;
  if (crashed !== null) {
    // An extension that said why through /exit/error keeps its own error type.
    const errorType = facts.oomKills > 0
      ? "Runtime.OutOfMemory"
      : crashed.kind === "function"
      ? "Runtime.ExitError"
      : crashed.reportedError ?? "Extension.Crash";
    const how = crashed.signal ? `signal: ${crashed.signal}` : `exit status ${crashed.code}`;
    const who = crashed.kind === "function" ? "Runtime" : `Extension ${crashed.name}`;
    const message = `RequestId: ${requestId} Error: ${who} exited with error: ${how}`;
    return {
      status: "error",
      errorType,
      platformFailure: true,
      logLines: [message, errorType],
      errorDocument: answer === null ? { errorType, errorMessage: message } : null,
    };
  }
  if (answer === null || facts.timedOut) {
    const message = `${facts.now.toISOString()} ${requestId} Task timed out after ${
      facts.timeoutS.toFixed(2)
    } seconds`;
    return {
      status: "timeout",
      errorType: TIMED_OUT,
      platformFailure: true,
      logLines: [message],
      errorDocument: answer === null ? { errorMessage: message } : null,
    };
  }
  const handled = { platformFailure: false, logLines: [], errorDocument: null };
  if (answer.kind === "error") return { status: "error", errorType: answer.errorType, ...handled };
  if (facts.oversize) {
    return { status: "error", errorType: "Function.ResponseSizeTooLarge", ...handled };
  }
  return { status: "success", errorType: null, ...handled };
}

/** What the sandbox observed during Init so far. */
export interface InitFacts {
  /** What the runtime posted to /runtime/init/error; null if nothing. */
  runtimeInitError: { errorType: string; body: Uint8Array } | null;
  /** Each registered extension's /init/error or /exit/error type (null for none), in order. */
  extensionErrors: Iterable<string | null>;
  /** Every process started, in start order, with its exit (null while it runs). */
  processes: Iterable<{ kind: "function" | "extension"; exit: { success: boolean } | null }>;
}

/** Why Init failed: the error type and the runtime's error document, if it sent one. */
export interface InitFailure {
  errorType: string;
  body: Uint8Array | null;
}

/**
 * Whether Init has failed, and why: the runtime's own /init/error first, then an extension's
 * reported error, then the first process that exited (the runtime at all, an extension only
 * when it failed: one that exits cleanly without registering is simply not part of the
 * environment).
 *
 * @param facts what the sandbox observed so far
 * @returns the failure, or null while Init may still succeed
 * @example initFailure({ runtimeInitError: null, extensionErrors: [],
 *   processes: [{ kind: "function", exit: { success: true } }] }) // Runtime.ExitError
 */
export function initFailure(facts: InitFacts): InitFailure | null {
  if (facts.runtimeInitError) return facts.runtimeInitError;
  for (const reported of facts.extensionErrors) {
    if (reported) return { errorType: reported, body: null };
  }
  for (const p of facts.processes) {
    if (p.exit === null) continue;
    if (p.kind === "function") return { errorType: "Runtime.ExitError", body: null };
    if (!p.exit.success) return { errorType: "Extension.Crash", body: null };
  }
  return null;
}

/**
 * Init's status for INIT_REPORT and `platform.initReport`. A timeout names no error type there;
 * the invocation that ran it reports {@link TIMED_OUT}.
 *
 * @param failure what {@link initFailure} found at the end, or null
 * @param completed whether everything was in /next before the Init limit
 * @returns the status and error type
 * @example classifyInit(null, false) // { status: "timeout", errorType: null }
 */
export function classifyInit(
  failure: InitFailure | null,
  completed: boolean,
): { status: Status; errorType: string | null } {
  if (failure !== null) return { status: "error", errorType: failure.errorType };
  return { status: completed ? "success" : "timeout", errorType: null };
}
