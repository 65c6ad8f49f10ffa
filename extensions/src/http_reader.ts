/**
 * An incremental HTTP/1.1 request reader: feed it bytes as they arrive on a socket and it yields
 * complete requests, in order. It exists because LLRT has `node:net` but no `node:http`.
 *
 * It handles bodies split across chunks, `Content-Length`, `Transfer-Encoding: chunked`,
 * keep-alive, several pipelined requests in one chunk, `Expect: 100-continue`, and limits on the
 * header section and the body. After an error it stops reading: the caller answers with the
 * error's status and closes the connection, since the byte stream can no longer be trusted.
 *
 * @module
 */
import { CONTRACT } from "./contract.ts";

/** One complete request. Header names are lower-case; repeated headers are joined by ", ". */
export interface HttpRequest {
  method: string;
  target: string;
  version: "HTTP/1.0" | "HTTP/1.1";
  headers: Map<string, string>;
  body: Uint8Array;
  /** Whether the connection stays open after the response (HTTP/1.1 default, `Connection`). */
  keepAlive: boolean;
}

/** What {@linkcode HttpRequestReader.push} found in the bytes so far. */
export type ReaderEvent =
  | { kind: "request"; request: HttpRequest }
  /** The client sent `Expect: 100-continue` and waits for `100 Continue` before the body. */
  | { kind: "continue" }
  /** The stream is unusable: answer with `status` and close the connection. */
  | { kind: "error"; status: number; message: string };

/** Limits of {@linkcode HttpRequestReader}. */
export interface ReaderOptions {
  /** Largest body accepted, in bytes; larger gets 413. Default 262,144 (256 KiB). */
  maxBodyBytes?: number;
  /** Largest request line plus headers (and chunked trailers), in bytes; larger gets 431. Default 16,384. */
  maxHeaderBytes?: number;
}

/** Default body limit: 256 KiB, the SQS message size the extension promises to carry. */
export const DEFAULT_MAX_BODY_BYTES: number = CONTRACT.maxMessageBytes;
const DEFAULT_MAX_HEADER_BYTES = 16 * 1024;
const MAX_CHUNK_LINE_BYTES = 1024;
const LF = 0x0a;
const CR = 0x0d;

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const REQUEST_LINE = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+) ([^\s]+) HTTP\/(\d)\.(\d)$/;
// Field values: visible ASCII, obs-text, space and tab; no other control characters.
// deno-lint-ignore no-control-regex
const BAD_VALUE_CHAR = /[\x00-\x08\x0a-\x1f\x7f]/;

class ReadError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

type State =
  | { at: "head" }
  | { at: "body"; head: Head; remaining: number }
  | { at: "chunk-size"; head: Head }
  | { at: "chunk-data"; head: Head; remaining: number }
  | { at: "chunk-end"; head: Head }
  | { at: "trailers"; head: Head; trailerBytes: number }
  | { at: "failed" };

type Head = Omit<HttpRequest, "body">;

/**
 * Reads HTTP/1.x requests from a byte stream.
 *
 * @example
 * ```ts
 * import { HttpRequestReader } from "./http_reader.ts";
 * const reader = new HttpRequestReader();
 * const events = reader.push(new TextEncoder().encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
 * events[0]?.kind; // "request"
 * ```
 */
export class HttpRequestReader {
  readonly #maxBody: number;
  readonly #maxHeader: number;
  #buf: Uint8Array = new Uint8Array(0);
  #pos = 0;
  #state: State = { at: "head" };
  #parts: Uint8Array[] = [];
  #bodyBytes = 0;

  /**
   * @param options Limits; see {@linkcode ReaderOptions}.
   * @throws {RangeError} When a limit is not a positive integer.
   */
  constructor(options: ReaderOptions = {}) {
    this.#maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    this.#maxHeader = options.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES;
    const limits: [string, number][] = [
      ["maxBodyBytes", this.#maxBody],
      ["maxHeaderBytes", this.#maxHeader],
    ];
    for (const [name, v] of limits) {
      if (!Number.isInteger(v) || v <= 0) {
        throw new RangeError(
          `Cannot create HttpRequestReader: ${name} must be a positive integer, got ${v}`,
        );
      }
    }
  }

  /** True once an error was reported; later bytes are ignored. */
  get failed(): boolean {
    return this.#state.at === "failed";
  }

  /** True when no partial request is buffered (a clean place to close an idle connection). */
  get idle(): boolean {
    return this.#state.at === "head" && this.#pos === this.#buf.length;
  }

  /**
   * Feeds the next bytes of the stream.
   *
   * @param chunk Bytes as received; may hold part of a request or several requests.
   * @returns Everything completed by these bytes, in stream order; an `error` is always last.
   */
  push(chunk: Uint8Array): ReaderEvent[] {
    if (this.#state.at === "failed") return [];
    this.#append(chunk);
    const events: ReaderEvent[] = [];
    try {
      while (this.#step(events));
    } catch (e) {
      if (!(e instanceof ReadError)) throw e;
      this.#state = { at: "failed" };
      this.#buf = new Uint8Array(0);
      this.#pos = 0;
      this.#parts = [];
      events.push({ kind: "error", status: e.status, message: e.message });
    }
    return events;
  }

  #append(chunk: Uint8Array): void {
    const rest = this.#buf.length - this.#pos;
    if (rest === 0) {
      // A copy: the caller's buffer (a Node.js Buffer may be a view of a pool) is not ours to keep.
      this.#buf = new Uint8Array(chunk);
    } else {
      const next = new Uint8Array(rest + chunk.length);
      next.set(this.#buf.subarray(this.#pos), 0);
      next.set(chunk, rest);
      this.#buf = next;
    }
    this.#pos = 0;
  }

  /** Advances the state machine by one step; false when more bytes are needed. */
  #step(events: ReaderEvent[]): boolean {
    const s = this.#state;
    switch (s.at) {
      case "head":
        return this.#readHead(events);
      case "body": {
        const take = Math.min(s.remaining, this.#buf.length - this.#pos);
        if (take > 0) this.#takeBody(take);
        s.remaining -= take;
        if (s.remaining > 0) return false;
        this.#finish(s.head, events);
        return true;
      }
      case "chunk-size": {
        const line = this.#readLine(MAX_CHUNK_LINE_BYTES, 400, "chunk size line");
        if (line === null) return false;
        const hex = line.split(";", 1)[0]!.trim();
        if (!/^[0-9a-fA-F]{1,8}$/.test(hex)) {
          throw new ReadError(400, `Bad chunk size "${hex.slice(0, 20)}"`);
        }
        const size = parseInt(hex, 16);
        if (this.#bodyBytes + size > this.#maxBody) {
          throw new ReadError(413, `Body exceeds ${this.#maxBody} bytes`);
        }
        this.#state = size === 0
          ? { at: "trailers", head: s.head, trailerBytes: 0 }
          : { at: "chunk-data", head: s.head, remaining: size };
        return true;
      }
      case "chunk-data": {
        const take = Math.min(s.remaining, this.#buf.length - this.#pos);
        if (take > 0) this.#takeBody(take);
        s.remaining -= take;
        if (s.remaining > 0) return false;
        this.#state = { at: "chunk-end", head: s.head };
        return true;
      }
      case "chunk-end": {
        const line = this.#readLine(0, 400, "CRLF after chunk data");
        if (line === null) return false;
        this.#state = { at: "chunk-size", head: s.head };
        return true;
      }
      case "trailers": {
        const start = this.#pos;
        const line = this.#readLine(this.#maxHeader - s.trailerBytes, 431, "trailer section");
        if (line === null) return false;
        s.trailerBytes += this.#pos - start;
        if (line === "") this.#finish(s.head, events);
        return true;
      }
      case "failed":
        return false;
    }
  }

  #takeBody(n: number): void {
    this.#parts.push(this.#buf.subarray(this.#pos, this.#pos + n));
    this.#pos += n;
    this.#bodyBytes += n;
  }

  #finish(head: Head, events: ReaderEvent[]): void {
    const body = this.#parts.length === 1
      ? this.#parts[0]!.slice()
      : concat(this.#parts, this.#bodyBytes);
    events.push({ kind: "request", request: { ...head, body } });
    this.#parts = [];
    this.#bodyBytes = 0;
    this.#state = { at: "head" };
  }

  /**
   * Reads one line ending in LF (a CR before it is dropped) as Latin-1 text.
   * Returns null when the line is not complete yet.
   * Throws `status` when the line's content is longer than `limit` bytes.
   */
  #readLine(limit: number, status: number, what: string): string | null {
    const end = this.#buf.indexOf(LF, this.#pos);
    if (end === -1) {
      if (this.#buf.length - this.#pos > limit + 1) {
        throw new ReadError(status, `The ${what} exceeds ${limit} bytes`);
      }
      return null;
    }
    const stop = end > this.#pos && this.#buf[end - 1] === CR ? end - 1 : end;
    if (stop - this.#pos > limit) throw new ReadError(status, `The ${what} exceeds ${limit} bytes`);
    const text = latin1(this.#buf.subarray(this.#pos, stop));
    this.#pos = end + 1;
    return text;
  }

  #readHead(events: ReaderEvent[]): boolean {
    // RFC 9112 §2.2: ignore empty lines received before the request line.
    while (this.#pos < this.#buf.length) {
      const b = this.#buf[this.#pos];
      if (b === LF) this.#pos += 1;
      else if (b === CR && this.#buf[this.#pos + 1] === LF) this.#pos += 2;
      else break;
    }
    if (this.#pos === this.#buf.length) return false;
    const headEnd = findHeadEnd(this.#buf, this.#pos);
    if (headEnd === -1) {
      if (this.#buf.length - this.#pos > this.#maxHeader) {
        throw new ReadError(431, `Request header section exceeds ${this.#maxHeader} bytes`);
      }
      return false;
    }
    if (headEnd - this.#pos > this.#maxHeader) {
      throw new ReadError(431, `Request header section exceeds ${this.#maxHeader} bytes`);
    }
    const lines = latin1(this.#buf.subarray(this.#pos, headEnd)).split("\n").map((l) =>
      l.endsWith("\r") ? l.slice(0, -1) : l
    );
    this.#pos = headEnd;
    lines.pop(); // the empty line that ends the head
    lines.pop();
    const head = parseHead(lines);
    const framing = bodyFraming(head, this.#maxBody);
    const expectContinue = head.version === "HTTP/1.1" &&
      head.headers.get("expect")?.toLowerCase() === "100-continue";
    if (framing === "chunked") {
      if (expectContinue) events.push({ kind: "continue" });
      this.#state = { at: "chunk-size", head };
    } else if (framing === 0) {
      this.#finish(head, events);
    } else {
      if (expectContinue && this.#buf.length - this.#pos < framing) {
        events.push({ kind: "continue" });
      }
      this.#state = { at: "body", head, remaining: framing };
    }
    return true;
  }
}

/** Index just past the blank line that ends the header section, or -1 when not received yet. */
function findHeadEnd(buf: Uint8Array, from: number): number {
  let i = buf.indexOf(LF, from);
  while (i !== -1) {
    const next = i + 1;
    if (buf[next] === LF) return next + 1;
    if (buf[next] === CR && buf[next + 1] === LF) return next + 2;
    i = buf.indexOf(LF, next);
  }
  return -1;
}

function parseHead(lines: string[]): Head {
  const requestLine = lines[0] ?? "";
  const m = REQUEST_LINE.exec(requestLine);
  if (!m) throw new ReadError(400, `Malformed request line "${requestLine.slice(0, 80)}"`);
  const [, method, target, major, minor] = m;
  if (major !== "1" || (minor !== "0" && minor !== "1")) {
    throw new ReadError(505, `HTTP version ${major}.${minor} is not supported`);
  }
  const version = minor === "0" ? "HTTP/1.0" : "HTTP/1.1";
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    if (line.startsWith(" ") || line.startsWith("\t")) {
      throw new ReadError(400, "Obsolete header line folding is not accepted");
    }
    const colon = line.indexOf(":");
    const name = colon === -1 ? "" : line.slice(0, colon);
    if (!TOKEN.test(name)) throw new ReadError(400, `Malformed header line "${line.slice(0, 80)}"`);
    const value = line.slice(colon + 1).trim();
    if (BAD_VALUE_CHAR.test(value)) {
      throw new ReadError(400, `Header "${name}" holds a control character`);
    }
    const key = name.toLowerCase();
    const prior = headers.get(key);
    headers.set(key, prior === undefined ? value : `${prior}, ${value}`);
  }
  const tokens = (headers.get("connection") ?? "").toLowerCase().split(",").map((t) => t.trim());
  const keepAlive = tokens.includes("close")
    ? false
    : version === "HTTP/1.1" || tokens.includes("keep-alive");
  return { method: method!, target: target!, version, headers, keepAlive };
}

/** The body length from `Content-Length`, or "chunked"; throws on anything ambiguous. */
function bodyFraming(head: Head, maxBody: number): number | "chunked" {
  const te = head.headers.get("transfer-encoding");
  const cl = head.headers.get("content-length");
  if (te !== undefined) {
    if (cl !== undefined) {
      throw new ReadError(400, "Both Transfer-Encoding and Content-Length are present");
    }
    if (head.version === "HTTP/1.0") {
      throw new ReadError(400, "Transfer-Encoding is not allowed in HTTP/1.0");
    }
    if (te.toLowerCase() !== "chunked") {
      throw new ReadError(501, `Transfer-Encoding "${te}" is not supported (only "chunked")`);
    }
    return "chunked";
  }
  if (cl === undefined) return 0;
  // Repeated identical values ("5, 5") are allowed by RFC 9110 §8.6; differing ones are not.
  const values = new Set(cl.split(",").map((v) => v.trim()));
  const [only] = values;
  if (values.size !== 1 || only === undefined || !/^\d{1,15}$/.test(only)) {
    throw new ReadError(400, `Bad Content-Length "${cl.slice(0, 40)}"`);
  }
  const n = Number(only);
  if (n > maxBody) throw new ReadError(413, `Body of ${n} bytes exceeds ${maxBody} bytes`);
  return n;
}

const ascii = new TextDecoder();

function latin1(bytes: Uint8Array): string {
  // ASCII (what headers almost always are) reads the same as UTF-8, and the native decoder is
  // several times cheaper than spreading bytes into String.fromCharCode on QuickJS (LLRT). It
  // was ASCII when no byte became U+FFFD or a multi-byte character (the length is unchanged).
  const text = ascii.decode(bytes);
  if (text.length === bytes.length && !text.includes("\uFFFD")) return text;
  let s = "";
  for (let i = 0; i < bytes.length; i += 4096) {
    s += String.fromCharCode(...bytes.subarray(i, i + 4096));
  }
  return s;
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
