/**
 * What a backend returns for one cell, and the plan it follows.
 *
 * @module
 */
import type { InvocationRow } from "../schema.ts";
import type { Cell } from "./matrix.ts";
import type { Progress } from "./progress.ts";

/** How many invocations a cell gets, and with what. */
export interface CellPlan {
  /** Invocations that must each run Init. */
  cold: number;
  /** Invocations in an already initialised environment. */
  warm: number;
  /** Payload bytes the function sends per invocation. */
  payloadBytes: number;
  /** CPU work per invocation (hash rounds in the handler). */
  workIterations: number;
  /** Function timeout in seconds. */
  timeoutS: number;
}

/** What the invoker itself saw of one invocation. */
export interface ClientRecord {
  requestId: string;
  /** Invoke call to response, in ms. */
  clientRttMs: number;
  /** When the invoke call was made. */
  timestamp: Date;
  /** Whether the invoker meant this invocation to be cold. */
  intendedCold: boolean;
}

/** The outcome of one cell. */
export interface CellResult {
  rows: InvocationRow[];
  /** Platform lines that could not be read. */
  rejectedLines: number;
  /** Request ids the invoker saw that never got a REPORT line. */
  missingReport: string[];
  /** Rows meant to be cold that have no Init Duration (and warm rows that do). */
  coldMismatches: string[];
  /** Cold invocations retried because the platform reused an environment. */
  coldRetries: number;
  /** SQS delivery check for variants that send: messages expected and received. */
  messages: { expected: number; received: number } | null;
  /** Anything worth a line in run.json. */
  notes: string[];
}

/** A place invocations can run: the local sandbox or a deployed stack. */
export interface BenchBackend {
  readonly name: "local" | "aws";
  /** Facts for run.json (sandbox controls in force, stack, region). */
  describe(): Record<string, unknown>;
  /** Why a cell cannot run on this backend, or null. */
  skipReason(cell: Cell): string | null;
  /** Runs one cell end to end and collects its rows. */
  runCell(
    cell: Cell,
    plan: CellPlan,
    context: { runId: string; runDir: string; progress: Progress },
  ): Promise<CellResult>;
  /** Stops what the backend started. */
  close(): Promise<void>;
}
