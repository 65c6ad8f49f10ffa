/**
 * A client of the Lambda Extensions API (`/2020-01-01/extension`) over an injected `fetch`, so
 * the run loop can be tested without a network.
 *
 * @module
 */
import {
  EVENT_TYPES,
  EXTENSION_HEADERS,
  EXTENSION_ROUTES,
  EXTENSIONS_API_BASE,
} from "../../lib/lambda/wire.ts";

/** Header carrying the extension's name on `/register`. */
export const NAME_HEADER = EXTENSION_HEADERS.name;
/** Header carrying the identifier returned by `/register`. */
export const ID_HEADER = EXTENSION_HEADERS.identifier;
/** Header carrying the error type on `/init/error` and `/exit/error`. */
export const ERROR_TYPE_HEADER = EXTENSION_HEADERS.functionErrorType;

/** An event from `/event/next`. */
export type ExtensionEvent =
  | { eventType: typeof EVENT_TYPES.invoke; deadlineMs: number; requestId: string }
  | { eventType: typeof EVENT_TYPES.shutdown; deadlineMs: number; shutdownReason: string };

/** The calls the run loop makes; {@linkcode ExtensionsApi} is the real one. */
export interface ExtensionsClient {
  register(name: string): Promise<string>;
  next(id: string): Promise<ExtensionEvent>;
  initError(id: string, errorType: string, message: string): Promise<void>;
  exitError(id: string, errorType: string, message: string): Promise<void>;
}

/**
 * Reads an `/event/next` body. Event types and shutdown reasons are matched case-insensitively.
 *
 * @param body The parsed JSON body.
 * @returns The event.
 * @throws {TypeError} When the body is not an INVOKE or SHUTDOWN event.
 */
export function parseEvent(body: unknown): ExtensionEvent {
  const o = (typeof body === "object" && body !== null ? body : {}) as Record<string, unknown>;
  const type = String(o.eventType ?? "").toUpperCase();
  const deadlineMs = Number(o.deadlineMs);
  if (type === EVENT_TYPES.invoke) {
    return { eventType: EVENT_TYPES.invoke, deadlineMs, requestId: String(o.requestId ?? "") };
  }
  if (type === EVENT_TYPES.shutdown) {
    return {
      eventType: EVENT_TYPES.shutdown,
      deadlineMs,
      shutdownReason: String(o.shutdownReason ?? "").toLowerCase(),
    };
  }
  throw new TypeError(`Cannot read extension event: eventType is ${JSON.stringify(o.eventType)}`);
}

/** The Extensions API at `http://${AWS_LAMBDA_RUNTIME_API}/2020-01-01/extension`. */
export class ExtensionsApi implements ExtensionsClient {
  readonly #base: string;
  readonly #fetch: typeof fetch;

  /**
   * @param runtimeApi `host:port` from `AWS_LAMBDA_RUNTIME_API`.
   * @param fetchFn The `fetch` to use; default the global one.
   */
  constructor(runtimeApi: string, fetchFn: typeof fetch = globalThis.fetch) {
    this.#base = `http://${runtimeApi}${EXTENSIONS_API_BASE}`;
    this.#fetch = fetchFn;
  }

  /**
   * Registers for INVOKE and SHUTDOWN.
   *
   * @param name The executable's file name.
   * @returns The extension identifier.
   * @throws {Error} When the API answers other than 200 or sends no identifier.
   */
  async register(name: string): Promise<string> {
    const res = await this.#fetch(`${this.#base}/${EXTENSION_ROUTES.register}`, {
      method: "POST",
      headers: { [NAME_HEADER]: name, "Content-Type": "application/json" },
      body: JSON.stringify({ events: [EVENT_TYPES.invoke, EVENT_TYPES.shutdown] }),
    });
    const text = await res.text();
    const id = res.headers.get(ID_HEADER);
    if (res.status !== 200 || !id) {
      throw new Error(
        `Cannot register extension "${name}": HTTP ${res.status} ${text.slice(0, 200)}`,
      );
    }
    return id;
  }

  /**
   * Blocks until the next event.
   *
   * @param id The extension identifier.
   * @returns The event.
   * @throws {Error} When the API answers other than 200 or the body is not an event.
   */
  async next(id: string): Promise<ExtensionEvent> {
    const res = await this.#fetch(`${this.#base}/${EXTENSION_ROUTES.next}`, {
      headers: { [ID_HEADER]: id },
    });
    const text = await res.text();
    if (res.status !== 200) {
      throw new Error(`Cannot get the next event: HTTP ${res.status} ${text.slice(0, 200)}`);
    }
    return parseEvent(JSON.parse(text));
  }

  /** Reports a failed Init (`/init/error`); Lambda then fails the Init phase. */
  initError(id: string, errorType: string, message: string): Promise<void> {
    return this.#postError(EXTENSION_ROUTES.initError, { id, errorType, message });
  }

  /** Reports a failure before exiting (`/exit/error`). */
  exitError(id: string, errorType: string, message: string): Promise<void> {
    return this.#postError(EXTENSION_ROUTES.exitError, { id, errorType, message });
  }

  async #postError(
    path: string,
    e: { id: string; errorType: string; message: string },
  ): Promise<void> {
    const res = await this.#fetch(`${this.#base}/${path}`, {
      method: "POST",
      headers: {
        [ID_HEADER]: e.id,
        [ERROR_TYPE_HEADER]: e.errorType,
        "Content-Type": "application/json",
      },
      body: JSON.stringify({ errorMessage: e.message, errorType: e.errorType, stackTrace: [] }),
    });
    await res.body?.cancel();
  }
}
