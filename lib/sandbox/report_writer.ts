/**
 * The one writer of an invocation's START, END and REPORT lines and its `platform.report`
 * record, for invocations that ran and for those whose Init failed, so both follow Lambda's
 * rules the same way.
 *
 * @example
 * ```ts
 * const lines: string[] = [];
 * const writer = new ReportWriter({ line: (t) => lines.push(t), platform: () => {} });
 * writer.start("r1");
 * writer.end({ requestId: "r1", durationMs: 1.5, billedMs: 2, memoryMb: 128, maxMemoryMb: 40,
 *   initMs: null, status: "success", errorType: null }, { showStatus: false });
 * ```
 *
 * @module
 */
import {
  endLine,
  type ReportFacts,
  reportLine,
  reportRecord,
  startLine,
  type TraceContext,
} from "./records.ts";

/** Where the lines and records go: the sandbox's log and telemetry output. */
export interface LogSink {
  /** Writes one Lambda log line (the sink adds the time stamp). */
  line(text: string): void;
  /** Writes and publishes one `platform.*` record. */
  platform(type: string, record: Record<string, unknown>): void;
}

/** Options of {@link ReportWriter.end}. */
export interface ReportOptions {
  /**
   * Whether REPORT shows `Status`/`Error Type`: true where the environment failed (crash,
   * timeout, failed Init), false for errors the handler reported itself.
   */
  showStatus: boolean;
  /** The invocation's trace context for `platform.report`; none when it never ran. */
  tracing?: TraceContext;
}

/** Writes START, END, REPORT and `platform.report` to a {@link LogSink}. */
export class ReportWriter {
  readonly #sink: LogSink;

  /** @param sink where lines and records go */
  constructor(sink: LogSink) {
    this.#sink = sink;
  }

  /**
   * Writes `START RequestId: <id> Version: $LATEST`.
   *
   * @param requestId the invocation's request id
   */
  start(requestId: string): void {
    this.#sink.line(startLine(requestId));
  }

  /**
   * Writes END, then REPORT, then the `platform.report` record.
   *
   * @param facts the invocation's figures
   * @param opts whether REPORT shows the status, and the trace context
   */
  end(facts: ReportFacts, opts: ReportOptions): void {
    this.#sink.line(endLine(facts.requestId));
    // Lambda's REPORT names no Error Type for timeouts; platform.report does.
    const shown = facts.status === "timeout" ? { ...facts, errorType: null } : facts;
    this.#sink.line(reportLine(shown, opts.showStatus));
    this.#sink.platform("platform.report", reportRecord(facts, opts.tracing));
  }
}
