/**
 * CloudWatch Logs over the sandbox's own output: one log group per function
 * (`/aws/lambda/<name>`), one log stream per execution environment
 * (`2026/12/01/[$LATEST]<32 hex>`), each event what Lambda would have sent for the function's log
 * format:
 * - `Text`: every line of the sandbox's text log (`START`, `END`, `REPORT`, `INIT_START`, the
 *   function's and extensions' output).
 * - `JSON`: every `platform.*` record as `{"time","type","record"}` (Lambda's JSON format with
 *   system log level DEBUG, as the stack deploys), plus the function's and extensions' output
 *   lines; the text forms of the platform lines are left out, as Lambda leaves them out.
 *
 * Streams live in `<root>/<function>/<stream id>/` (a `stream.json` beside the sandbox's two
 * files), are read incrementally and synchronously (a query sees everything flushed before it),
 * and are found again when the server restarts over the same folder, as CloudWatch keeps them.
 *
 * @module
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { SANDBOX_ACCOUNT_ID } from "../lambda/mod.ts";

/** A function's log format (`LoggingConfig.LogFormat`). */
export type LogFormat = "JSON" | "Text";

/** One stored log event. */
export interface StoredEvent {
  timestamp: number;
  ingestionTime: number;
  message: string;
  /** Order of ingestion across the whole store: ties on `timestamp` keep it. */
  seq: number;
}

/** Text lines that JSON format carries as `platform.*` records instead. */
const PLATFORM_TEXT =
  /^(START RequestId: |END RequestId: |REPORT RequestId: |INIT_START |INIT_REPORT )/;

let nextSeq = 0;

/** An append-only file read line by line from where the last read stopped. */
class Tail {
  #offset = 0;
  #partial = new Uint8Array(0);
  constructor(readonly path: string) {}

  /** Complete lines added since the last call. */
  readLines(): string[] {
    let size: number;
    try {
      size = Deno.statSync(this.path).size;
    } catch {
      return [];
    }
    if (size <= this.#offset) return [];
    const file = Deno.openSync(this.path, { read: true });
    let chunk: Uint8Array;
    try {
      file.seekSync(this.#offset, Deno.SeekMode.Start);
      chunk = new Uint8Array(size - this.#offset);
      let got = 0;
      while (got < chunk.length) {
        const n = file.readSync(chunk.subarray(got));
        if (n === null || n === 0) break;
        got += n;
      }
      chunk = chunk.subarray(0, got);
    } finally {
      file.close();
    }
    this.#offset += chunk.length;
    const bytes = this.#partial.length === 0 ? chunk : concat(this.#partial, chunk);
    const lastNewline = bytes.lastIndexOf(10);
    this.#partial = bytes.slice(lastNewline + 1);
    if (lastNewline < 0) return [];
    return new TextDecoder().decode(bytes.subarray(0, lastNewline)).split("\n");
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** What `stream.json` holds. */
interface StreamFile {
  logStreamName: string;
  creationTime: number;
  format: LogFormat;
  /** The sandbox's file names in the stream's folder. */
  logFile: string;
  telemetryFile: string;
}

/** One execution environment's log stream. */
export class LogStream {
  readonly name: string;
  readonly creationTime: number;
  readonly format: LogFormat;
  /** The folder the environment writes its files into. */
  readonly dir: string;
  readonly #log: Tail;
  readonly #telemetry: Tail;
  readonly #events: StoredEvent[] = [];
  #bytes = 0;

  private constructor(dir: string, meta: StreamFile) {
    this.dir = dir;
    this.name = meta.logStreamName;
    this.creationTime = meta.creationTime;
    this.format = meta.format;
    this.#log = new Tail(join(dir, meta.logFile));
    this.#telemetry = new Tail(join(dir, meta.telemetryFile));
  }

  /**
   * Makes a stream folder for a new environment.
   *
   * @param groupDir The log group's folder.
   * @param options The function's name (the sandbox names its files after it) and log format.
   * @returns The stream; give its `dir` to the sandbox as `logDir`.
   */
  static create(groupDir: string, options: { functionName: string; format: LogFormat }): LogStream {
    const id = crypto.randomUUID().replaceAll("-", "");
    const now = new Date();
    const day = now.toISOString().slice(0, 10).replaceAll("-", "/");
    const meta: StreamFile = {
      logStreamName: `${day}/[$LATEST]${id}`,
      creationTime: now.getTime(),
      format: options.format,
      logFile: `${options.functionName}.log`,
      telemetryFile: `${options.functionName}.telemetry.jsonl`,
    };
    const dir = join(groupDir, id);
    Deno.mkdirSync(dir, { recursive: true });
    Deno.writeTextFileSync(join(dir, "stream.json"), JSON.stringify(meta, null, 2) + "\n");
    return new LogStream(dir, meta);
  }

  /** Reads a stream folder written before (a server restarted over the same folder). */
  static load(dir: string): LogStream | null {
    try {
      const meta = JSON.parse(readFileSync(join(dir, "stream.json"), "utf8")) as StreamFile;
      return new LogStream(dir, meta);
    } catch {
      return null;
    }
  }

  /** Reads what the environment flushed since the last call. */
  refresh(): void {
    const added: StoredEvent[] = [];
    const now = Date.now();
    const push = (timestamp: number, message: string) => {
      added.push({ timestamp, ingestionTime: Math.max(now, timestamp), message, seq: nextSeq++ });
      this.#bytes += message.length;
    };
    for (const line of this.#log.readLines()) {
      const tab = line.indexOf("\t");
      if (tab < 0) continue;
      const timestamp = Date.parse(line.slice(0, tab));
      const text = line.slice(tab + 1);
      if (Number.isNaN(timestamp)) continue;
      if (this.format === "JSON" && PLATFORM_TEXT.test(text)) continue;
      push(timestamp, text);
    }
    if (this.format === "JSON") {
      for (const line of this.#telemetry.readLines()) {
        if (line === "") continue;
        let time: unknown;
        try {
          time = (JSON.parse(line) as { time?: unknown }).time;
        } catch {
          continue;
        }
        const timestamp = typeof time === "string" ? Date.parse(time) : NaN;
        if (!Number.isNaN(timestamp)) push(timestamp, line);
      }
    }
    // Both files are flushed together; order the batch by time, keeping file order on ties,
    // and place it after what is already there (CloudWatch orders a stream by timestamp).
    added.sort((a, b) => a.timestamp - b.timestamp || a.seq - b.seq);
    for (const e of added) {
      let i = this.#events.length;
      while (i > 0 && this.#events[i - 1]!.timestamp > e.timestamp) i--;
      this.#events.splice(i, 0, e);
    }
  }

  /** Every event so far, oldest first (call {@link refresh} first). */
  get events(): readonly StoredEvent[] {
    return this.#events;
  }

  /** Bytes of the messages stored. */
  get storedBytes(): number {
    return this.#bytes;
  }
}

/** One function's log group. */
export class LogGroup {
  readonly name: string;
  readonly creationTime: number;
  readonly dir: string;
  readonly streams: Map<string, LogStream> = new Map();

  constructor(name: string, dir: string, creationTime: number) {
    this.name = name;
    this.dir = dir;
    this.creationTime = creationTime;
  }

  /** The group's ARN in `region`. */
  arn(region: string): string {
    return `arn:aws:logs:${region}:${SANDBOX_ACCOUNT_ID}:log-group:${this.name}`;
  }

  /**
   * A stream for a new environment of the function.
   *
   * @param options The function's name and log format.
   * @returns The stream.
   */
  newStream(options: { functionName: string; format: LogFormat }): LogStream {
    const stream = LogStream.create(this.dir, options);
    this.streams.set(stream.name, stream);
    return stream;
  }

  /** Reads what every stream flushed since the last call. */
  refresh(): void {
    for (const s of this.streams.values()) s.refresh();
  }
}

/** The log groups of the served functions. See the module doc. */
export class LogStore {
  readonly root: string;
  readonly groups: Map<string, LogGroup> = new Map();

  /**
   * Opens the store, finding the groups and streams left in `root` by an earlier server.
   *
   * @param root The folder (made when missing).
   */
  constructor(root: string) {
    this.root = root;
    Deno.mkdirSync(root, { recursive: true });
    for (const entry of readdirSync(root, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const dir = join(root, entry.name);
      const meta = join(dir, "group.json");
      if (!existsSync(meta)) continue;
      let parsed: { logGroupName: string; creationTime: number };
      try {
        parsed = JSON.parse(readFileSync(meta, "utf8"));
      } catch {
        continue;
      }
      const group = new LogGroup(parsed.logGroupName, dir, parsed.creationTime);
      for (const s of readdirSync(dir, { withFileTypes: true })) {
        if (!s.isDirectory()) continue;
        const stream = LogStream.load(join(dir, s.name));
        if (stream) group.streams.set(stream.name, stream);
      }
      this.groups.set(group.name, group);
    }
  }

  /**
   * The group of a function, made when missing.
   *
   * @param functionName The function.
   * @returns Its group (`/aws/lambda/<functionName>`).
   */
  groupFor(functionName: string): LogGroup {
    const name = `/aws/lambda/${functionName}`;
    const found = this.groups.get(name);
    if (found) return found;
    const dir = join(this.root, functionName);
    Deno.mkdirSync(dir, { recursive: true });
    const creationTime = Date.now();
    Deno.writeTextFileSync(
      join(dir, "group.json"),
      JSON.stringify({ logGroupName: name, creationTime }, null, 2) + "\n",
    );
    const group = new LogGroup(name, dir, creationTime);
    this.groups.set(name, group);
    return group;
  }
}
