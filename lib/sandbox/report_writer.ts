/**
 * The one writer of the platform's lines and records: an invocation's START, END and REPORT
 * lines and its `platform.start`/`platform.end`/`platform.report` records (for invocations that
 * ran and for those whose Init failed, so both follow Lambda's rules the same way), the
 * `EXTENSION` lines and `platform.extension` records at the end of Init, the `TELEMETRY`/`LOGS`
 * line of each subscription, `platform.fault`, `platform.logsDropped`, and the sandbox's own
 * `SHUTDOWN` and `LOGS_DROPPED` lines.
 *
 * @example
 * ```ts
 * const lines: string[] = [];
 * const writer = new ReportWriter({
 *   line: (t) => lines.push(t),
 *   platform: () => {},
 *   logsOnly: () => {},
 *   note: () => {},
 * });
 * writer.start("r1");
 * writer.end({ requestId: "r1", durationMs: 1.5, billedMs: 2, memoryMb: 128, maxMemoryMb: 40,
 *   initMs: null, status: "success", errorType: null }, { showStatus: false });
 * ```
 *
 * @module
 */
import {
  endLine,
  type ExtensionFacts,
  extensionLine,
  type LogsDroppedFacts,
  logsDroppedLine,
  type ReportFacts,
  reportLine,
  reportRecord,
  type ShutdownExitFacts,
  shutdownLine,
  startLine,
  subscriptionLine,
  type TraceContext,
} from "./records.ts";

/** Where the lines and records go: the sandbox's log and telemetry output. */
export interface LogSink {
  /** Writes one Lambda log line (the sink adds the time stamp). */
  line(text: string): void;
  /** Writes one `platform.*` record to the telemetry file and publishes it to subscribers. */
  platform(type: string, record: Record<string, unknown>): void;
  /**
   * Publishes a record only the Logs API has (`platform.end`, `platform.fault`); the
   * telemetry file holds the records of Lambda's JSON log format, which has neither.
   */
  logsOnly(type: string, record: unknown): void;
  /** Writes a `platform.*` record to the telemetry file only (subscribers get theirs apart). */
  note(type: string, record: Record<string, unknown>): void;
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

/** Writes the platform's lines and records to a {@link LogSink}. */
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
   * Writes the platform's own lines of a failed invocation (`RequestId: ... Error: ...`,
   * `Task timed out ...`), each also a `platform.fault` record for Logs API subscribers.
   *
   * @param lines the lines, in order
   */
  faults(lines: readonly string[]): void {
    for (const line of lines) {
      this.#sink.line(line);
      this.#sink.logsOnly("platform.fault", line);
    }
  }

  /**
   * Writes END, then REPORT, then the `platform.report` record (and `platform.end` for Logs
   * API subscribers).
   *
   * @param facts the invocation's figures
   * @param opts whether REPORT shows the status, and the trace context
   */
  end(facts: ReportFacts, opts: ReportOptions): void {
    this.#sink.line(endLine(facts.requestId));
    this.#sink.logsOnly("platform.end", { requestId: facts.requestId });
    // Lambda's REPORT names no Error Type for timeouts; platform.report does.
    const shown = facts.status === "timeout" ? { ...facts, errorType: null } : facts;
    this.#sink.line(reportLine(shown, opts.showStatus));
    this.#sink.platform("platform.report", reportRecord(facts, opts.tracing));
  }

  /**
   * Writes each extension's `EXTENSION` line and `platform.extension` record, as Lambda does
   * at the end of Init (before `INIT_REPORT` when Init failed, before the first START).
   *
   * @param extensions the registered extensions, in registration order
   */
  extensions(extensions: readonly ExtensionFacts[]): void {
    for (const e of extensions) {
      this.#sink.line(extensionLine(e));
      this.#sink.platform("platform.extension", {
        name: e.name,
        state: e.state,
        events: [...e.events],
        ...(e.errorType === null ? {} : { errorType: e.errorType }),
      });
    }
  }

  /**
   * Writes a subscription's `TELEMETRY` (or `LOGS`) line and its record:
   * `platform.telemetrySubscription` for the Telemetry API, `platform.logsSubscription` for
   * the Logs API.
   *
   * @param api the API the extension subscribed through
   * @param name the extension's name
   * @param types the categories it asked for
   */
  subscribed(api: "telemetry" | "logs", name: string, types: readonly string[]): void {
    this.#sink.line(subscriptionLine(api, name, types));
    const type = api === "logs" ? "platform.logsSubscription" : "platform.telemetrySubscription";
    this.#sink.platform(type, { name, state: "Subscribed", types: [...types] });
  }

  /**
   * Reports records a failed delivery dropped: the `LOGS_DROPPED` line and a
   * `platform.logsDropped` record in the telemetry file (the subscriber gets its own with its
   * next delivery).
   *
   * @param facts the subscriber and what was dropped
   */
  logsDropped(facts: LogsDroppedFacts): void {
    this.#sink.line(logsDroppedLine(facts));
    this.#sink.note("platform.logsDropped", {
      reason: facts.reason,
      droppedRecords: facts.droppedRecords,
      droppedBytes: facts.droppedBytes,
    });
  }

  /**
   * Writes how an extension ended at shutdown (the `SHUTDOWN` line).
   *
   * @param facts its name, how it ended and when
   */
  shutdownExit(facts: ShutdownExitFacts): void {
    this.#sink.line(shutdownLine(facts));
  }
}
