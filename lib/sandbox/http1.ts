/**
 * A small HTTP/1.1 server on `Deno.listen`, for the sandbox's loopback APIs. Deno.serve builds a
 * `Request` and a `Response` for every call and hands them between Rust and JavaScript; a
 * Runtime API long poll on it cost 1.2–1.5× a bare cross-process round trip before any of the
 * sandbox's own work. Here a request is parsed from the socket's bytes in JavaScript and an
 * answer is one `write` of bytes the handler built (see {@link RawResponse}).
 *
 * What it speaks: HTTP/1.1 and HTTP/1.0, keep-alive (HTTP/1.0 only with `Connection:
 * keep-alive`), pipelined requests (answered in order), `Connection: close`, bodies by
 * `Content-Length` or `Transfer-Encoding: chunked` (chunk extensions and trailers are read and
 * dropped), and `Expect: 100-continue`. Header names are matched case-insensitively. A request
 * it cannot parse (request line, headers over {@link Http1ServerOptions.maxHeaderBytes}, a bad
 * chunk size, a bad `Content-Length`) gets 400 and the connection is closed; a client that
 * goes away mid-request is dropped without calling the handler. Answers are never chunked: every
 * response carries `Content-Length`.
 *
 * @example
 * ```ts
 * const server = Http1Server.listen({}, (req) => rawResponse(200, {}, req.body));
 * const res = await fetch(`http://127.0.0.1:${server.port}/`, { method: "POST", body: "hi" });
 * console.log(await res.text()); // hi
 * await server.close();
 * ```
 *
 * @module
 */

const encoder = new TextEncoder();
const latin1 = new TextDecoder("latin1");

const CR = 13;
const LF = 10;

/** One parsed request. Header names are lower case. */
export interface Http1Request {
  method: string;
  /** The request target as sent (`/path?query`, or an absolute URL). */
  target: string;
  /** `1.0` or `1.1`. */
  version: "1.0" | "1.1";
  /** Header fields in the order sent, names in lower case. */
  headers: [string, string][];
  /** The whole body (after de-chunking); empty when there is none. */
  body: Uint8Array;
  /**
   * True when the body was longer than {@link Http1ServerOptions.maxBodyBytes}: `body` then
   * holds its first `maxBodyBytes + 1` bytes and the rest was read and dropped.
   */
  truncated: boolean;
  /** The connection's remote address. */
  remote: Deno.NetAddr;
}

/**
 * An answer: the status line and header lines, and the body. The server adds `Content-Length`,
 * `Connection` where needed and the blank line, and writes it all with one `write`.
 */
export interface RawResponse {
  /** `HTTP/1.1 <status> <reason>\r\n` and each header line ending in `\r\n`. */
  head: string;
  body: Uint8Array;
  /** The bytes of a keep-alive answer, when the response is a constant built once. */
  wire?: Uint8Array;
}

/**
 * An answer given later (a long poll) and written the moment {@link Later.resolve} is called:
 * the write starts within that call, not in a microtask after the caller's own work, as it
 * would when a handler's promise resolves.
 */
export class Later {
  #send: ((res: RawResponse) => void) | null = null;
  #early: RawResponse | null = null;
  #answered = false;

  /**
   * Answers the request (the first call wins).
   *
   * @param res the answer
   */
  resolve(res: RawResponse): void {
    if (this.#answered) return;
    this.#answered = true;
    if (this.#send) this.#send(res);
    else this.#early = res;
  }

  /** @internal The server's writer of the answer. */
  bind(send: (res: RawResponse) => void): void {
    if (this.#early) send(this.#early);
    else this.#send = send;
  }
}

/** Answers a request: now, later through a promise, or later through a {@link Later}. */
export type Http1Handler = (req: Http1Request) => RawResponse | Promise<RawResponse> | Later;

/** Options of {@link Http1Server.listen}. */
export interface Http1ServerOptions {
  /** Default 127.0.0.1. */
  hostname?: string;
  /** Default 0: an ephemeral port. */
  port?: number;
  /** The request line and headers together; default 64 KiB. Longer ones get 400. */
  maxHeaderBytes?: number;
  /** Body bytes kept; default 16 MiB. The rest is read and dropped (`truncated`). */
  maxBodyBytes?: number;
  /** Called with what a handler threw (it is answered with 500); default none. */
  onError?: (error: unknown) => void;
}

const REASONS: Record<number, string> = {
  100: "Continue",
  200: "OK",
  201: "Created",
  202: "Accepted",
  204: "No Content",
  400: "Bad Request",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  410: "Gone",
  413: "Payload Too Large",
  500: "Internal Server Error",
  501: "Not Implemented",
  505: "HTTP Version Not Supported",
};

/**
 * The status line and header lines of a response.
 *
 * @param status the status code
 * @param headers header names and values (`Content-Length` and `Connection` are the server's)
 * @returns the head, each line ending in CRLF
 */
export function responseHead(status: number, headers: Record<string, string> = {}): string {
  let head = `HTTP/1.1 ${status} ${REASONS[status] ?? "Status"}\r\n`;
  for (const name in headers) head += `${name}: ${headers[name]}\r\n`;
  return head;
}

/**
 * A response of the given status, headers and body.
 *
 * @param status the status code
 * @param headers header names and values
 * @param body a string (sent as UTF-8) or bytes
 * @returns the response
 */
export function rawResponse(
  status: number,
  headers: Record<string, string> = {},
  body: string | Uint8Array = new Uint8Array(),
): RawResponse {
  return {
    head: responseHead(status, headers),
    body: typeof body === "string" ? encoder.encode(body) : body,
  };
}

/**
 * A constant response: its keep-alive bytes are built once and reused.
 *
 * @param res the response
 * @returns the same response with `wire` set
 */
export function prebuilt(res: RawResponse): RawResponse {
  return { ...res, wire: serialize(res, false, false, false) };
}

/**
 * A `Response` as bytes to send (its body read to the end). `Content-Length`,
 * `Transfer-Encoding` and `Connection` of the `Response` are dropped: the server sets them.
 *
 * @param res the response
 * @returns the raw response
 */
export async function fromResponse(res: Response): Promise<RawResponse> {
  const body = new Uint8Array(await res.arrayBuffer());
  let head = `HTTP/1.1 ${res.status} ${res.statusText || REASONS[res.status] || "Status"}\r\n`;
  for (const [name, value] of res.headers) {
    if (name === "content-length" || name === "transfer-encoding" || name === "connection") {
      continue;
    }
    head += `${name}: ${value}\r\n`;
  }
  return { head, body };
}

/**
 * A `Request` made from a parsed request, for handlers written against the Fetch API.
 *
 * @param req the parsed request
 * @param origin `http://host:port`, for targets that are a path
 * @returns the request
 */
export function toRequest(req: Http1Request, origin: string): Request {
  const url = req.target.startsWith("/") ? origin + req.target : req.target;
  const headers = new Headers();
  for (const [name, value] of req.headers) {
    // Hop-by-hop framing of this connection, not of the message.
    if (name === "transfer-encoding" || name === "connection") continue;
    try {
      headers.append(name, value);
    } catch {
      // A value Headers refuses (e.g. control bytes): leave it out.
    }
  }
  const hasBody = req.method !== "GET" && req.method !== "HEAD";
  return new Request(url, {
    method: req.method,
    headers,
    ...(hasBody ? { body: req.body as Uint8Array<ArrayBuffer> } : {}),
  });
}

/** The bytes of one answer. */
function serialize(res: RawResponse, close: boolean, keepAlive10: boolean, head: boolean) {
  const body = head ? new Uint8Array() : res.body;
  const lines = `${res.head}content-length: ${res.body.length}\r\n${
    close ? "connection: close\r\n" : keepAlive10 ? "connection: keep-alive\r\n" : ""
  }\r\n`;
  // One buffer, so the answer goes out in one write (one TCP segment for small answers).
  const out = new Uint8Array(lines.length * 3 + body.length);
  const written = writeHead(lines, out);
  out.set(body, written);
  return out.subarray(0, written + body.length);
}

/**
 * Header bytes as Deno.serve sends them: each character below 256 as one byte (a `Headers`
 * value is a byte string); a character above that, which `Headers` refuses, as UTF-8.
 */
function writeHead(text: string, out: Uint8Array): number {
  // ASCII (the usual case): UTF-8 is the same bytes, and encodeInto is one native call.
  const fast = encoder.encodeInto(text, out);
  if (fast.written === text.length) return fast.written;
  let at = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 256) out[at++] = c;
    else {
      // A surrogate pair is one character.
      const units = c >= 0xd800 && c < 0xdc00 ? 2 : 1;
      at += encoder.encodeInto(text.slice(i, i + units), out.subarray(at)).written;
      i += units - 1;
    }
  }
  return at;
}

/** A request the server refuses: 400 and the connection closed. */
class BadRequest extends Error {}

const CONTINUE = encoder.encode("HTTP/1.1 100 Continue\r\n\r\n");
const BAD_REQUEST = encoder.encode(
  "HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain\r\ncontent-length: 11\r\n" +
    "connection: close\r\n\r\nBad Request",
);
const SERVER_ERROR = rawResponse(500, { "content-type": "text/plain" }, "Internal Server Error");

/** One accepted connection: reads requests, answers them in order. */
class Connection {
  readonly #conn: Deno.TcpConn;
  readonly #server: Http1Server;
  #buf: Uint8Array;
  /** Bytes of `#buf` not yet consumed start at `#start` and end at `#end`. */
  #start = 0;
  #end = 0;
  #closed = false;
  /** Whether the connection stays open after the request last read. */
  keepAlive = true;
  /** True while the connection reads a request (closing it drops that request). */
  reading = true;
  readonly remote: Deno.NetAddr;
  /** Settles when the connection is done. */
  done: Promise<void>;

  constructor(conn: Deno.TcpConn, server: Http1Server) {
    this.#conn = conn;
    this.#server = server;
    this.remote = conn.remoteAddr;
    this.#buf = new Uint8Array(16 * 1024);
    try {
      conn.setNoDelay(true);
    } catch {
      // Already gone: the first read says so.
    }
    this.done = this.#loop();
  }

  /** Closes the socket now (a pending read ends the loop). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#conn.close();
    } catch {
      // Closed already.
    }
  }

  async #loop(): Promise<void> {
    const server = this.#server;
    try {
      while (!this.#closed) {
        this.reading = true;
        if (server.closing && this.#start === this.#end) break;
        let req: Http1Request | null;
        try {
          req = await this.#readRequest();
        } catch (e) {
          if (e instanceof BadRequest) await this.#write(BAD_REQUEST);
          break;
        }
        if (req === null) break;
        this.reading = false;
        const close = !this.keepAlive;
        let sent: { ok: Promise<boolean>; shut: boolean };
        try {
          const r = server.handler(req);
          if (r instanceof Later) {
            sent = await new Promise((resolve) =>
              r.bind((res) => resolve(this.#answer(req, res, close)))
            );
          } else sent = this.#answer(req, r instanceof Promise ? await r : r, close);
        } catch (e) {
          server.onError?.(e);
          sent = this.#answer(req, SERVER_ERROR, close);
        }
        if (!await sent.ok || sent.shut) break;
      }
    } finally {
      this.close();
      server.forget(this);
    }
  }

  /** Starts writing the answer to `req`; `shut` when the connection closes after it. */
  #answer(req: Http1Request, res: RawResponse, close: boolean) {
    const shut = close || this.#server.closing;
    if (this.#closed) return { ok: Promise.resolve(false), shut };
    const bytes = !shut && res.wire && req.version === "1.1" && req.method !== "HEAD"
      ? res.wire
      : serialize(res, shut, req.version === "1.0", req.method === "HEAD");
    return { ok: this.#write(bytes), shut };
  }

  /** Writes all of `bytes`; false when the peer is gone. */
  async #write(bytes: Uint8Array): Promise<boolean> {
    try {
      let off = 0;
      while (off < bytes.length) off += await this.#conn.write(bytes.subarray(off));
      return true;
    } catch {
      return false;
    }
  }

  /** Reads more bytes into the buffer; false at the end of the stream. */
  async #fill(): Promise<boolean> {
    if (this.#closed) return false;
    if (this.#end === this.#buf.length) {
      const have = this.#end - this.#start;
      if (this.#start > 0 && have < this.#buf.length / 2) {
        this.#buf.copyWithin(0, this.#start, this.#end);
      } else {
        const bigger = new Uint8Array(this.#buf.length * 2);
        bigger.set(this.#buf.subarray(this.#start, this.#end));
        this.#buf = bigger;
      }
      this.#start = 0;
      this.#end = have;
    }
    let n: number | null;
    try {
      n = await this.#conn.read(this.#buf.subarray(this.#end));
    } catch {
      return false;
    }
    if (n === null) return false;
    this.#end += n;
    return true;
  }

  /** The next request, or null when the peer closed (at a request boundary or not). */
  async #readRequest(): Promise<Http1Request | null> {
    const max = this.#server.maxHeaderBytes;
    // RFC 9112 §2.2: empty lines before a request line are ignored.
    let scanned = this.#start;
    let headEnd = -1;
    for (;;) {
      while (
        this.#start < this.#end &&
        (this.#buf[this.#start] === CR || this.#buf[this.#start] === LF)
      ) this.#start++;
      if (scanned < this.#start) scanned = this.#start;
      headEnd = findHeadEnd(this.#buf, scanned, this.#end);
      if (headEnd >= 0) break;
      if (this.#end - this.#start > max) throw new BadRequest("headers too large");
      // Resume the scan a few bytes back, where a terminator may have been cut.
      scanned = Math.max(this.#start, this.#end - 3);
      const before = this.#start;
      if (!await this.#fill()) return null;
      scanned -= before - this.#start;
    }
    if (headEnd - this.#start > max) throw new BadRequest("headers too large");
    const head = latin1Text(this.#buf, this.#start, headEnd);
    this.#start = headEnd;
    const parsed = parseHead(head, this.remote);
    const { req, transferEncoding: te, contentLength: cl } = parsed;
    this.keepAlive = keepAlive(req.version, parsed.connection);
    const maxBody = this.#server.maxBodyBytes;
    if (te !== null) {
      const codings = te.toLowerCase().split(",").map((c) => c.trim());
      if (codings.at(-1) !== "chunked") throw new BadRequest("unsupported transfer coding");
      // A body framed twice (RFC 9112 §6.1): read by its chunks, and close after the answer.
      if (cl !== null) this.keepAlive = false;
      await this.#continue(req, parsed.expect);
      const body = await this.#readChunked(maxBody);
      if (body === null) return null;
      req.body = body.bytes;
      req.truncated = body.truncated;
      return req;
    }
    if (cl !== null) {
      const length = contentLengthOf(cl);
      if (length > 0) {
        // The usual case: the whole body came with the head.
        if (this.#end - this.#start >= length && length <= maxBody) {
          req.body = this.#buf.slice(this.#start, this.#start + length);
          this.#start += length;
          return req;
        }
        await this.#continue(req, parsed.expect);
        const body = await this.#readFixed(length, maxBody);
        if (body === null) return null;
        req.body = body;
        req.truncated = length > maxBody;
      }
    }
    return req;
  }

  /** Answers `Expect: 100-continue` before a body is read. */
  async #continue(req: Http1Request, expect: string | null): Promise<void> {
    if (req.version !== "1.1") return;
    if (expect === null || expect.toLowerCase() !== "100-continue") return;
    // The client sent its body without waiting: no need to ask for it.
    if (this.#end > this.#start) return;
    await this.#write(CONTINUE);
  }

  /** `length` body bytes (of which at most `maxBody + 1` are kept); null at a cut stream. */
  async #readFixed(length: number, maxBody: number): Promise<Uint8Array | null> {
    const keep = Math.min(length, maxBody + 1);
    const body = new Uint8Array(keep);
    let got = 0;
    let left = length;
    while (left > 0) {
      if (this.#start === this.#end) {
        // While bytes are kept, got is what was read of the body, so `keep - got <= left`: a
        // read into the body's own buffer cannot take bytes of the next request.
        if (keep - got >= 4096) {
          let n: number | null;
          try {
            n = await this.#conn.read(body.subarray(got));
          } catch {
            return null;
          }
          if (n === null) return null;
          got += n;
          left -= n;
          continue;
        }
        this.#start = this.#end = 0;
        if (!await this.#fill()) return null;
      }
      const take = Math.min(left, this.#end - this.#start);
      const kept = Math.min(take, keep - got);
      if (kept > 0) {
        body.set(this.#buf.subarray(this.#start, this.#start + kept), got);
        got += kept;
      }
      this.#start += take;
      left -= take;
    }
    return body;
  }

  /** A line ending in LF (its CR dropped), or null at a cut stream. */
  async #readLine(limit: number): Promise<string | null> {
    let scanned = this.#start;
    for (;;) {
      const lf = this.#buf.subarray(scanned, this.#end).indexOf(LF);
      if (lf >= 0) {
        const end = scanned + lf;
        const line = latin1.decode(
          this.#buf.subarray(
            this.#start,
            end > this.#start && this.#buf[end - 1] === CR ? end - 1 : end,
          ),
        );
        this.#start = end + 1;
        return line;
      }
      if (this.#end - this.#start > limit) throw new BadRequest("line too long");
      scanned = this.#end;
      const before = this.#start;
      if (!await this.#fill()) return null;
      scanned -= before - this.#start;
    }
  }

  async #readChunked(
    maxBody: number,
  ): Promise<{ bytes: Uint8Array; truncated: boolean } | null> {
    const parts: Uint8Array[] = [];
    let kept = 0;
    let total = 0;
    for (;;) {
      const line = await this.#readLine(4096);
      if (line === null) return null;
      const m = /^([0-9A-Fa-f]{1,12})[ \t]*(;.*)?$/.exec(line);
      if (!m) throw new BadRequest("bad chunk size");
      const size = parseInt(m[1]!, 16);
      if (size === 0) break;
      const room = Math.max(0, maxBody + 1 - kept);
      const chunk = await this.#readFixed(size, room - 1);
      if (chunk === null) return null;
      if (chunk.length > 0) parts.push(chunk);
      kept += chunk.length;
      total += size;
      const crlf = await this.#readLine(2);
      if (crlf === null) return null;
      if (crlf !== "") throw new BadRequest("chunk not followed by CRLF");
    }
    // Trailers, up to the empty line; dropped.
    let trailerBytes = 0;
    for (;;) {
      const line = await this.#readLine(this.#server.maxHeaderBytes);
      if (line === null) return null;
      if (line === "") break;
      trailerBytes += line.length;
      if (trailerBytes > this.#server.maxHeaderBytes) throw new BadRequest("trailers too large");
    }
    const bytes = parts.length === 1 ? parts[0]! : new Uint8Array(kept);
    if (parts.length !== 1) {
      let off = 0;
      for (const p of parts) {
        bytes.set(p, off);
        off += p.length;
      }
    }
    return { bytes, truncated: total > maxBody };
  }
}

/** Bytes as Latin-1 text: a loop over a short head is cheaper than a TextDecoder call. */
function latin1Text(buf: Uint8Array, from: number, to: number): string {
  if (to - from > 4096) return latin1.decode(buf.subarray(from, to));
  let text = "";
  for (let i = from; i < to; i += 1024) {
    text += String.fromCharCode.apply(null, buf.subarray(i, Math.min(to, i + 1024)) as never);
  }
  return text;
}

/** The offset just past the blank line that ends a request head, or -1. */
function findHeadEnd(buf: Uint8Array, from: number, to: number): number {
  let i = buf.subarray(from, to).indexOf(LF);
  while (i >= 0) {
    const at = from + i;
    if (at + 1 < to && buf[at + 1] === LF) return at + 2;
    if (at + 2 < to && buf[at + 1] === CR && buf[at + 2] === LF) return at + 3;
    const next = buf.subarray(at + 1, to).indexOf(LF);
    i = next < 0 ? -1 : at + 1 + next - from;
  }
  return -1;
}

/** Token characters (RFC 9110 §5.6.2): method and header names. */
const TOKEN_CHARS = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") {
  TOKEN_CHARS[c.charCodeAt(0)] = 1;
}

/** A parsed head: the request, and the fields that frame its body and connection. */
interface Head {
  req: Http1Request;
  contentLength: string | null;
  transferEncoding: string | null;
  connection: string | null;
  expect: string | null;
}

/**
 * The request line and header fields of a head (Latin-1 text ending in its blank line), in one
 * scan; throws {@link BadRequest}.
 */
function parseHead(h: string, remote: Deno.NetAddr): Head {
  const n = h.length;
  let i = 0;
  while (i < n && h.charCodeAt(i) < 128 && TOKEN_CHARS[h.charCodeAt(i)] === 1) i++;
  if (i === 0 || h.charCodeAt(i) !== 32) throw new BadRequest("bad request line");
  const method = h.slice(0, i);
  const t0 = ++i;
  for (let c = h.charCodeAt(i); c > 32 && c !== 127; c = h.charCodeAt(++i));
  if (i === t0 || h.charCodeAt(i) !== 32) throw new BadRequest("bad request line");
  const target = h.slice(t0, i);
  // `HTTP/1.x` and the line's end.
  if (!h.startsWith(" HTTP/1.", i)) throw new BadRequest("bad request line");
  const minor = h.charCodeAt(i + 8);
  if (minor !== 48 && minor !== 49) throw new BadRequest("bad request line");
  i += 9;
  if (h.charCodeAt(i) === 13) i++;
  if (h.charCodeAt(i) !== 10) throw new BadRequest("bad request line");
  i++;
  const headers: [string, string][] = [];
  let contentLength: string | null = null;
  let transferEncoding: string | null = null;
  let connection: string | null = null;
  let expect: string | null = null;
  for (;;) {
    let c = h.charCodeAt(i);
    if (c === 13) c = h.charCodeAt(++i);
    if (c === 10) break; // The blank line.
    const nameStart = i;
    while (c < 128 && TOKEN_CHARS[c] === 1) c = h.charCodeAt(++i);
    // No obsolete line folding, no space before the colon (RFC 9112 §5.1–5.2).
    if (i === nameStart || c !== 58) throw new BadRequest("bad header line");
    const name = h.slice(nameStart, i).toLowerCase();
    i++;
    while ((c = h.charCodeAt(i)) === 32 || c === 9) i++;
    const valueStart = i;
    let valueEnd = i;
    for (;; c = h.charCodeAt(++i)) {
      if (c === 10) break;
      if (c === 13) {
        if (h.charCodeAt(i + 1) !== 10) throw new BadRequest("bad header value");
        break;
      }
      if (c === 0 || i >= n) throw new BadRequest("bad header value");
      if (c !== 32 && c !== 9) valueEnd = i + 1;
    }
    if (h.charCodeAt(i) === 13) i++;
    i++;
    const value = h.slice(valueStart, valueEnd);
    headers.push([name, value]);
    if (headers.length > 200) throw new BadRequest("too many headers");
    // Repeated fields join with `, ` (RFC 9110 §5.3).
    const join = (old: string | null) => old === null ? value : `${old}, ${value}`;
    if (name === "content-length") contentLength = join(contentLength);
    else if (name === "transfer-encoding") transferEncoding = join(transferEncoding);
    else if (name === "connection") connection = join(connection);
    else if (name === "expect") expect = join(expect);
  }
  return {
    req: {
      method,
      target,
      version: minor === 48 ? "1.0" : "1.1",
      headers,
      body: EMPTY,
      truncated: false,
      remote,
    },
    contentLength,
    transferEncoding,
    connection,
    expect,
  };
}

const EMPTY = new Uint8Array();

/**
 * A header's value (repeated fields joined with `, `), or null.
 *
 * @param headers the request's fields, names in lower case
 * @param name the name, in lower case
 * @returns the value or null
 */
export function header(headers: [string, string][], name: string): string | null {
  let value: string | null = null;
  for (const [n, v] of headers) {
    if (n === name) value = value === null ? v : `${value}, ${v}`;
  }
  return value;
}

/** A `Content-Length` value; repeated values must agree (`5, 5` is one length). */
function contentLengthOf(value: string): number {
  if (/^\d{1,15}$/.test(value)) return Number(value);
  const values = new Set(value.split(",").map((v) => v.trim()));
  const [one] = values;
  if (values.size !== 1 || !/^\d{1,15}$/.test(one!)) throw new BadRequest("bad content-length");
  return Number(one);
}

/** Whether the connection stays open after this request. */
function keepAlive(version: "1.0" | "1.1", connection: string | null): boolean {
  if (connection === null) return version === "1.1";
  const tokens = connection.toLowerCase().split(",").map((t) => t.trim());
  if (tokens.includes("close")) return false;
  return version === "1.1" || tokens.includes("keep-alive");
}

/** The server: a listener and its connections. */
export class Http1Server {
  readonly #listener: Deno.TcpListener;
  readonly #conns = new Set<Connection>();
  readonly #accepting: Promise<void>;
  /** @internal */
  readonly handler: Http1Handler;
  /** @internal */
  readonly maxHeaderBytes: number;
  /** @internal */
  readonly maxBodyBytes: number;
  /** @internal */
  readonly onError: ((error: unknown) => void) | undefined;
  /** True once {@link close} began: answers close their connection. */
  closing = false;
  /** The bound port. */
  readonly port: number;
  /** The bound address. */
  readonly hostname: string;

  private constructor(listener: Deno.TcpListener, handler: Http1Handler, o: Http1ServerOptions) {
    this.#listener = listener;
    this.handler = handler;
    this.maxHeaderBytes = o.maxHeaderBytes ?? 64 * 1024;
    this.maxBodyBytes = o.maxBodyBytes ?? 16 * 1024 * 1024;
    this.onError = o.onError;
    const addr = listener.addr as Deno.NetAddr;
    this.port = addr.port;
    this.hostname = addr.hostname;
    this.#accepting = this.#accept();
  }

  /**
   * Binds the port and starts accepting connections.
   *
   * @param opts address and limits
   * @param handler answers each request
   * @returns the server, bound
   */
  static listen(opts: Http1ServerOptions, handler: Http1Handler): Http1Server {
    const listener = Deno.listen({
      hostname: opts.hostname ?? "127.0.0.1",
      port: opts.port ?? 0,
      transport: "tcp",
    });
    return new Http1Server(listener, handler, opts);
  }

  /** How many connections are open. */
  get connections(): number {
    return this.#conns.size;
  }

  async #accept(): Promise<void> {
    for (;;) {
      let conn: Deno.TcpConn;
      try {
        conn = await this.#listener.accept();
      } catch (e) {
        if (this.closing) return;
        // EMFILE and the like: this connection is lost, the listener is not.
        if (e instanceof Deno.errors.BadResource) return;
        await new Promise((r) => setTimeout(r, 10));
        continue;
      }
      if (this.closing) {
        conn.close();
        continue;
      }
      this.#conns.add(new Connection(conn, this));
    }
  }

  /** @internal A connection is done. */
  forget(conn: Connection): void {
    this.#conns.delete(conn);
  }

  /**
   * The first step of {@link close}: no new connections, and every answer from now on closes
   * its connection (`Connection: close`). Call it before answering pending long polls.
   */
  stopAccepting(): void {
    if (this.closing) return;
    this.closing = true;
    try {
      this.#listener.close();
    } catch {
      // Closed already.
    }
  }

  /**
   * Stops accepting, closes connections that are reading a request at once and every other one
   * after its current answer (so answer pending long polls first), and waits until all are
   * closed.
   *
   * @param graceMs how long to wait for pending answers before closing their connections
   * @returns when the listener and every connection are closed
   */
  async close(graceMs = 2000): Promise<void> {
    this.stopAccepting();
    await this.#accepting;
    for (const c of this.#conns) if (c.reading) c.close();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<"late">((r) => (timer = setTimeout(() => r("late"), graceMs)));
    const all = Promise.all([...this.#conns].map((c) => c.done));
    const when = await Promise.race([all, late]);
    clearTimeout(timer);
    if (when === "late") {
      // A handler that never answers: its connection goes now; its answer, if any, is dropped.
      for (const c of this.#conns) c.close();
      this.#conns.clear();
    }
  }
}
