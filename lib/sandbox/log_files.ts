/**
 * A sandbox's two output files, in the formats `lib/parse` reads for AWS data too:
 * `<logDir>/<functionName>.log` (one `<ISO time>\t<Lambda text>` line per event) and
 * `<logDir>/<functionName>.telemetry.jsonl` (every `platform.*` record as `{time,type,record}`,
 * except `platform.end` and `platform.fault`, which only Logs API subscribers get).
 * Writes are buffered and flushed by the sandbox at the end of each phase, so no file write
 * sits between an invocation's event and its response.
 *
 * @example
 * ```ts
 * const dir = await Deno.makeTempDir();
 * const files = new LogFiles({ logDir: dir, functionName: "fn", publish: () => {} });
 * files.line("START RequestId: r1 Version: $LATEST");
 * files.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @module
 */
import { join } from "node:path";
import type { TelemetryEvent } from "./records.ts";
import type { LogSink } from "./report_writer.ts";

/** Options of {@link LogFiles}. */
export interface LogFilesOptions {
  /** The folder of both files (must exist; the files are appended to). */
  logDir: string;
  functionName: string;
  /** Called with every log line (without the time stamp) as it is written. Default none. */
  onLog?: (line: string) => void;
  /** Hands every telemetry event to the Telemetry API's subscribers. */
  publish: (event: TelemetryEvent) => void;
}

/** Lines a buffer holds before it is written anyway. */
const MAX_BUFFERED = 256;
const encoder = new TextEncoder();

/** The log and telemetry files of one sandbox. See the module doc. */
export class LogFiles implements LogSink {
  readonly #opts: LogFilesOptions;
  readonly #log: Deno.FsFile;
  readonly #tel: Deno.FsFile;
  #logBuf: string[] = [];
  #telBuf: string[] = [];
  /** `<logDir>/<functionName>.log`. */
  readonly logFile: string;
  /** `<logDir>/<functionName>.telemetry.jsonl`. */
  readonly telemetryFile: string;

  /**
   * Opens (creates) both files for appending.
   *
   * @param opts folder, function name and callbacks
   * @throws {Deno.errors.NotFound} when the folder does not exist
   */
  constructor(opts: LogFilesOptions) {
    this.#opts = opts;
    this.logFile = join(opts.logDir, `${opts.functionName}.log`);
    this.telemetryFile = join(opts.logDir, `${opts.functionName}.telemetry.jsonl`);
    const append = { create: true, append: true } as const;
    this.#log = Deno.openSync(this.logFile, append);
    this.#tel = Deno.openSync(this.telemetryFile, append);
  }

  /**
   * Adds one Lambda log line, time-stamped now.
   *
   * @param text the line without its newline
   */
  line(text: string): void {
    this.#logBuf.push(`${new Date().toISOString()}\t${text}\n`);
    this.#opts.onLog?.(text);
    if (this.#logBuf.length >= MAX_BUFFERED) this.flush();
  }

  /**
   * Adds one `platform.*` record and publishes it to telemetry subscribers.
   *
   * @param type e.g. `platform.report`
   * @param record the record
   */
  platform(type: string, record: Record<string, unknown>): void {
    const event: TelemetryEvent = { time: new Date().toISOString(), type, record };
    this.#telBuf.push(JSON.stringify(event) + "\n");
    this.#opts.publish(event);
  }

  /**
   * Publishes a record only the Logs API has (`platform.end`, `platform.fault`) to
   * subscribers, without writing it to the telemetry file.
   *
   * @param type e.g. `platform.end`
   * @param record the record
   */
  logsOnly(type: string, record: unknown): void {
    this.#opts.publish({ time: new Date().toISOString(), type, record });
  }

  /**
   * Adds one `platform.*` record to the telemetry file without publishing it.
   *
   * @param type e.g. `platform.logsDropped`
   * @param record the record
   */
  note(type: string, record: Record<string, unknown>): void {
    const event: TelemetryEvent = { time: new Date().toISOString(), type, record };
    this.#telBuf.push(JSON.stringify(event) + "\n");
  }

  /**
   * Adds a line the function or an extension printed: to the log, and to subscribers as a
   * `function` or `extension` event (not to the telemetry file, which holds `platform.*`).
   *
   * @param kind whose output it is
   * @param text the line without its newline
   */
  output(kind: "function" | "extension", text: string): void {
    this.line(text);
    this.#opts.publish({ time: new Date().toISOString(), type: kind, record: text });
  }

  /** Writes everything buffered. */
  flush(): void {
    for (const [buf, file] of [[this.#logBuf, this.#log], [this.#telBuf, this.#tel]] as const) {
      if (buf.length === 0) continue;
      const bytes = encoder.encode(buf.join(""));
      buf.length = 0;
      for (let off = 0; off < bytes.length;) off += file.writeSync(bytes.subarray(off));
    }
  }

  /** Writes everything buffered and closes both files. */
  close(): void {
    this.flush();
    this.#log.close();
    this.#tel.close();
  }
}
