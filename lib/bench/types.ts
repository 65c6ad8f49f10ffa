/**
 * The plan a cell follows and what measuring it returns.
 *
 * @module
 */
import type { InvocationRow } from "../schema.ts";

/**
 * How many invocations a cell gets, and with what event. What the function itself runs with
 * (work, timeout) is the platform's: see `FunctionSettings`.
 */
export interface CellPlan {
  /** Invocations that must each run Init. */
  cold: number;
  /** Invocations in an already initialised environment. */
  warm: number;
  /** Payload bytes the function sends per invocation (named in the event). */
  payloadBytes: number;
  /**
   * Pause before each warm invocation, in ms (default 0): the time a client's round trip puts
   * between two invocations of one environment on Lambda, with the environment frozen
   * (`DEFAULT_LOCAL_GAP_MS`).
   */
  gapMs?: number;
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
  /** The same, by reason (the parser's `rejectedByReason`). */
  rejectedByReason: Record<string, number>;
  /** Request ids the invoker saw that never got a REPORT line. */
  missingReport: string[];
  /** Rows meant to be cold that have no Init Duration (and warm rows that do). */
  coldMismatches: string[];
  /** Cold invocations retried because the platform reused an environment. */
  coldRetries: number;
  /** SQS delivery check for variants that send: messages expected and received. */
  messages: { expected: number; received: number } | null;
  /** DynamoDB check of workload `dynamodb`: items expected and found in the table. */
  items?: { expected: number; received: number } | null;
  /** Anything worth a line in run.json. */
  notes: string[];
}
