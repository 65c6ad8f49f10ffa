/**
 * The extension's HTTP endpoint, served on `node:net` (LLRT has no `node:http`) with
 * {@linkcode HttpRequestReader}: `POST /messages` takes one message (tagged with its invocation
 * by the `Lambda-Runtime-Aws-Request-Id` header), or answers 503 with `Retry-After` while the
 * outbox is full; `POST /invocations/<id>/end` says the function is done with an invocation
 * without a message (204); everything else gets a clear status and a JSON error body.
 *
 * @module
 */
import * as net from "node:net";
import { CONTRACT } from "./contract.ts";
import { DEFAULT_MAX_BODY_BYTES, type HttpRequest, HttpRequestReader } from "./http_reader.ts";
import { REQUEST_ID_HEADER } from "./invocations.ts";
import { decodeUtf8 } from "./utf8.ts";

/** The route that takes messages. */
export const MESSAGES_PATH: string = CONTRACT.paths.messages;
/** The route that ends an invocation without a message: `/invocations/<id>/end`. */
export const END_PATH: RegExp = new RegExp(
  `^${escapeRegExp(CONTRACT.paths.invocationsPrefix)}([^/]+)${
    escapeRegExp(CONTRACT.paths.endSuffix)
  }$`,
);

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Options of {@linkcode startServer}. */
export interface ServerOptions {
  /** TCP port; 0 picks a free one. */
  port: number;
  /** Address to bind. Default `127.0.0.1`: the function is the only client. */
  host?: string;
  /** Largest message body, in bytes. Default the contract's `maxMessageBytes` (262,144). */
  maxBodyBytes?: number;
  /** Takes one message body and its request id tag, if any; must not throw. */
  onMessage: MessageHandler;
  /** Takes the request id of a `POST /invocations/<id>/end`; must not throw. Default: ignore. */
  onEnd?: EndHandler;
}

/**
 * Takes a message; `requestId` is its `Lambda-Runtime-Aws-Request-Id` tag. Returns nothing
 * when it took the message (202), or a refusal when the outbox is full (503 with
 * `Retry-After`).
 */
export type MessageHandler = (body: string, requestId?: string) => Refusal | null | void;

/** Why a message was not taken now, and when to try again. */
export interface Refusal {
  reason: string;
  retryAfterSeconds: number;
}
/** Takes the request id of an ended invocation. */
export type EndHandler = (requestId: string) => void;

/** A listening server. */
export interface RunningServer {
  /** The port bound (useful with port 0). */
  port: number;
  /** Stops listening and closes every open connection. */
  close(): Promise<void>;
}

/** Characters outside what SQS accepts in a message (#x9 #xA #xD #x20-#xD7FF #xE000-#xFFFD #x10000+). */
const SQS_FORBIDDEN = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

/**
 * False when `text` surely holds nothing {@linkcode SQS_FORBIDDEN} matches; true when it may.
 * Text from valid UTF-8 has no lone surrogates, so what SQS refuses is a control character other
 * than tab, LF and CR (which `JSON.stringify` escapes, as `\b`, `\f` or `\u00XX`) or U+FFFE/U+FFFF
 * (never in ASCII text, where there are as many UTF-16 units as bytes). A backslash in the text
 * can make this say "may" wrongly, never "surely not" wrongly. It exists because a regular
 * expression scans 1 KB in 25–30 µs on QuickJS (LLRT), `JSON.stringify` in 1 µs and each
 * `includes` in about 2.5 µs; text that needs no escaping and is ASCII needs neither.
 *
 * @param text The decoded body.
 * @param byteLength Its UTF-8 length.
 */
function mayHoldForbidden(text: string, byteLength: number): boolean {
  const literal = JSON.stringify(text);
  if (
    literal.length !== text.length + 2 &&
    (literal.includes("\\u00") || literal.includes("\\b") || literal.includes("\\f"))
  ) {
    return true;
  }
  return text.length !== byteLength && (text.includes("\uFFFE") || text.includes("\uFFFF"));
}

const REASONS: Record<number, string> = {
  100: "Continue",
  202: "Accepted",
  204: "No Content",
  400: "Bad Request",
  404: "Not Found",
  405: "Method Not Allowed",
  413: "Content Too Large",
  431: "Request Header Fields Too Large",
  501: "Not Implemented",
  503: "Service Unavailable",
  505: "HTTP Version Not Supported",
};

interface Reply {
  status: number;
  /** The JSON body; null sends none (204). */
  body: Record<string, unknown> | null;
  headers?: Record<string, string>;
}

/**
 * Decides the answer to one complete request.
 *
 * @param req The request.
 * @param onMessage Called with the body of an accepted message and its request id tag.
 * @param onEnd Called with the request id of `POST /invocations/<id>/end`.
 * @returns Status, JSON body (null for 204) and extra headers.
 */
export function route(
  req: HttpRequest,
  onMessage: MessageHandler,
  onEnd: EndHandler = () => {},
): Reply {
  const path = pathOf(req.target);
  const end = path === null ? null : END_PATH.exec(path);
  if (end) return routeEnd(req, end[1]!, onEnd);
  if (path !== MESSAGES_PATH) {
    return { status: 404, body: { error: `No route for ${path ?? req.target}` } };
  }
  if (req.method !== "POST") {
    return {
      status: 405,
      body: { error: `Method ${req.method} is not allowed on ${MESSAGES_PATH}; use POST` },
      headers: { Allow: "POST" },
    };
  }
  if (req.body.length === 0) return { status: 400, body: { error: "The message body is empty" } };
  const text = decodeUtf8(req.body);
  if (text === null) return { status: 400, body: { error: "The message body is not valid UTF-8" } };
  const bad = mayHoldForbidden(text, req.body.length) ? SQS_FORBIDDEN.exec(text) : null;
  if (bad) {
    const code = bad[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0");
    return {
      status: 400,
      body: { error: `The message body holds U+${code}, which SQS does not allow` },
    };
  }
  const tag = req.headers.get(REQUEST_ID_HEADER.toLowerCase())?.trim();
  const refusal = onMessage(text, tag ? tag : undefined);
  if (refusal) {
    return {
      status: 503,
      body: { error: refusal.reason },
      headers: { "Retry-After": String(refusal.retryAfterSeconds) },
    };
  }
  return ACCEPTED;
}

/** The answer to an accepted message; its keep-alive bytes are made once ({@linkcode startServer}). */
const ACCEPTED: Reply = { status: 202, body: { accepted: true } };

function routeEnd(req: HttpRequest, rawId: string, onEnd: EndHandler): Reply {
  if (req.method !== "POST") {
    return {
      status: 405,
      body: {
        error:
          `Method ${req.method} is not allowed on ${CONTRACT.paths.invocationsPrefix}<id>${CONTRACT.paths.endSuffix}; use POST`,
      },
      headers: { Allow: "POST" },
    };
  }
  let id: string;
  try {
    id = decodeURIComponent(rawId);
  } catch {
    return {
      status: 400,
      body: { error: `The request id "${rawId}" is not valid percent-encoding` },
    };
  }
  onEnd(id);
  return { status: 204, body: null };
}

/** The path of an origin-form or absolute-form request target, without its query. */
function pathOf(target: string): string | null {
  if (target.startsWith("/")) return target.split("?", 1)[0]!;
  if (/^https?:\/\//i.test(target)) {
    try {
      return new URL(target).pathname;
    } catch {
      return null;
    }
  }
  return null;
}

function encodeResponse(reply: Reply, keepAlive: boolean): string {
  const body = reply.body === null ? "" : JSON.stringify(reply.body);
  const lines = [
    `HTTP/1.1 ${reply.status} ${REASONS[reply.status] ?? "Error"}`,
    ...(reply.body === null ? [] : [
      "Content-Type: application/json",
      `Content-Length: ${new TextEncoder().encode(body).length}`,
    ]),
    `Connection: ${keepAlive ? "keep-alive" : "close"}`,
    ...Object.entries(reply.headers ?? {}).map(([k, v]) => `${k}: ${v}`),
  ];
  return `${lines.join("\r\n")}\r\n\r\n${body}`;
}

/**
 * Starts serving. Answers pipelined requests in order; closes a connection after an error or
 * when the client asked for it.
 *
 * @param options See {@linkcode ServerOptions}.
 * @returns The running server, once it listens.
 * @throws {Error} When the port cannot be bound (for example `EADDRINUSE`).
 */
export function startServer(options: ServerOptions): Promise<RunningServer> {
  const sockets = new Set<net.Socket>();
  const acceptedKeepAlive = encodeResponse(ACCEPTED, true);
  const server = net.createServer((socket) => {
    sockets.add(socket);
    const reader = new HttpRequestReader({
      maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    });
    let open = true;
    socket.on("data", (chunk: Uint8Array) => {
      if (!open) return;
      for (const ev of reader.push(chunk)) {
        if (ev.kind === "continue") {
          socket.write("HTTP/1.1 100 Continue\r\n\r\n");
        } else if (ev.kind === "request") {
          const reply = route(ev.request, options.onMessage, options.onEnd);
          socket.write(
            reply === ACCEPTED && ev.request.keepAlive
              ? acceptedKeepAlive
              : encodeResponse(reply, ev.request.keepAlive),
          );
          if (!ev.request.keepAlive) {
            open = false;
            socket.end();
            return;
          }
        } else {
          open = false;
          // write() then end(): LLRT's Socket.end() takes no data argument.
          socket.write(encodeResponse({ status: ev.status, body: { error: ev.message } }, false));
          socket.end();
          return;
        }
      }
    });
    socket.on("error", () => socket.destroy());
    socket.on("close", () => sockets.delete(socket));
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host ?? "127.0.0.1", () => {
      server.off("error", reject);
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : options.port;
      resolve({
        port,
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}
