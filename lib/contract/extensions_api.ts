/**
 * A test double of the Lambda Extensions API (`/2020-01-01/extension/...`) on loopback: it takes
 * registrations, hands out the events a test pushes, and records every call with its time so a
 * test can assert what an extension did before it asked for the next event. It refuses bad
 * requests as Lambda does (the checks of `lib/lambda/requests.ts`, which the sandbox shares).
 *
 * @module
 */
import {
  acceptsAccountId,
  API_ERRORS,
  type ApiError,
  checkErrorType,
  checkIdentifier,
  EVENT_TYPES,
  EXTENSION_ERROR_STATUS,
  EXTENSION_HEADERS,
  EXTENSION_ROUTES,
  EXTENSIONS_API_BASE,
  isApiError,
  parseRegister,
  SANDBOX_ACCOUNT_ID,
  type ShutdownReason,
  TRACING_TYPE,
  unknownIdentifier,
} from "../lambda/mod.ts";

/** The `INVOKE` event as the Extensions API sends it. */
export interface InvokeEvent {
  eventType: typeof EVENT_TYPES.invoke;
  /** Epoch milliseconds. */
  deadlineMs: number;
  requestId: string;
  invokedFunctionArn: string;
  tracing: { type: string; value: string };
}

/** The `SHUTDOWN` event as the Extensions API sends it. */
export interface ShutdownEvent {
  eventType: typeof EVENT_TYPES.shutdown;
  /** Epoch milliseconds. */
  deadlineMs: number;
  shutdownReason: ShutdownReason;
}

/** Either event. */
export type ExtensionEvent = InvokeEvent | ShutdownEvent;

/** One `POST /register`. */
export interface Registration {
  /** `Lambda-Extension-Name`. */
  name: string;
  /** The events it registered for. */
  events: string[];
  /** The identifier handed back. */
  id: string;
  /** `performance.now()` when it arrived. */
  at: number;
}

/** One accepted `POST /init/error` or `POST /exit/error` (refused ones are not recorded). */
export interface ErrorReport {
  kind: "init" | "exit";
  /** `Lambda-Extension-Identifier`: a registered extension's. */
  id: string;
  /** `Lambda-Extension-Function-Error-Type`. */
  errorType: string;
  body: string;
  at: number;
}

const ARN = `arn:aws:lambda:us-east-1:${SANDBOX_ACCOUNT_ID}:function:contract`;

/** An answer `/event/next` gives instead of an event (see {@linkcode ExtensionsApi.failNext}). */
interface NextFailure {
  status: number;
  error: ApiError;
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

function waitUntil<T>(
  probe: () => T | undefined,
  onChange: (wake: () => void) => () => void,
  timeoutMs: number,
  what: string,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const now = probe();
    if (now !== undefined) return resolve(now);
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
    const stop = onChange(() => {
      const value = probe();
      if (value === undefined) return;
      clearTimeout(timer);
      stop();
      resolve(value);
    });
  });
}

/** The test Extensions API. Start it with {@linkcode startExtensionsApi}. */
export class ExtensionsApi implements AsyncDisposable {
  /** Every registration, in order. */
  readonly registrations: Registration[] = [];
  /** `performance.now()` of every `GET /event/next`, in order. */
  readonly nextCalls: number[] = [];
  /** Every error report, in order. */
  readonly errors: ErrorReport[] = [];
  /** Every event handed out, with `performance.now()` of the hand-out. */
  readonly delivered: { event: ExtensionEvent; at: number }[] = [];
  #queue: (ExtensionEvent | NextFailure)[] = [];
  #waiters: ((event: ExtensionEvent | NextFailure | null) => void)[] = [];
  #listeners = new Set<() => void>();
  #server: Deno.HttpServer<Deno.NetAddr>;
  #seq = 0;

  constructor() {
    this.#server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      (req) => this.#handle(req),
    );
  }

  /** `127.0.0.1:<port>`: the value of `AWS_LAMBDA_RUNTIME_API`. */
  get address(): string {
    return `127.0.0.1:${this.#server.addr.port}`;
  }

  /**
   * Queues an `INVOKE` for the extension's next (or pending) `/next`.
   *
   * @param options Overrides of the event's fields; the deadline defaults to 30 s from now.
   * @returns The event queued.
   */
  invoke(options: Partial<Omit<InvokeEvent, "eventType">> = {}): InvokeEvent {
    const requestId = options.requestId ?? crypto.randomUUID();
    const event: InvokeEvent = {
      eventType: EVENT_TYPES.invoke,
      deadlineMs: options.deadlineMs ?? Date.now() + 30_000,
      requestId,
      invokedFunctionArn: options.invokedFunctionArn ?? ARN,
      tracing: options.tracing ??
        { type: TRACING_TYPE, value: `Root=1-00000000-${requestId.replaceAll("-", "")}` },
    };
    this.#push(event);
    return event;
  }

  /**
   * Queues a `SHUTDOWN`.
   *
   * @param options Reason (default `spindown`) and deadline (default 2 s from now, Lambda's limit
   *   with external extensions).
   * @returns The event queued.
   */
  shutdown(options: Partial<Omit<ShutdownEvent, "eventType">> = {}): ShutdownEvent {
    const event: ShutdownEvent = {
      eventType: EVENT_TYPES.shutdown,
      deadlineMs: options.deadlineMs ?? Date.now() + 2_000,
      shutdownReason: options.shutdownReason ?? "spindown",
    };
    this.#push(event);
    return event;
  }

  /**
   * Answers the extension's next (or pending) `/next` with an error instead of an event, as
   * Lambda does when the environment is broken ("Container error. Non-recoverable state.").
   *
   * @param options Status (default 500) and error body (default Lambda's InternalServerError).
   */
  failNext(options: Partial<NextFailure> = {}): void {
    this.#push({
      status: options.status ?? 500,
      error: options.error ??
        { errorType: API_ERRORS.internalServerError, errorMessage: "Internal Server Error" },
    });
  }

  /**
   * Waits until the extension has called `/next` at least `count` times.
   *
   * @param count How many calls (1 = the end of its Init).
   * @param timeoutMs How long to wait.
   * @returns `performance.now()` of that call.
   * @throws {Error} On time-out.
   */
  waitForNext(count: number, timeoutMs = 10_000): Promise<number> {
    return waitUntil(
      () => this.nextCalls[count - 1],
      (wake) => this.#listen(wake),
      timeoutMs,
      `/event/next call #${count} (seen ${this.nextCalls.length})`,
    );
  }

  /**
   * Waits for the first registration.
   *
   * @param timeoutMs How long to wait.
   * @returns The registration.
   * @throws {Error} On time-out.
   */
  waitForRegistration(timeoutMs = 10_000): Promise<Registration> {
    return waitUntil(
      () => this.registrations[0],
      (wake) => this.#listen(wake),
      timeoutMs,
      "POST /register",
    );
  }

  /** Fails pending `/next` calls and stops serving. */
  async close(): Promise<void> {
    for (const w of this.#waiters.splice(0)) w(null);
    await this.#server.shutdown();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #listen(wake: () => void): () => void {
    this.#listeners.add(wake);
    return () => this.#listeners.delete(wake);
  }

  #changed(): void {
    for (const l of [...this.#listeners]) l();
  }

  #push(event: ExtensionEvent | NextFailure): void {
    const waiter = this.#waiters.shift();
    if (waiter) waiter(event);
    else this.#queue.push(event);
  }

  async #handle(req: Request): Promise<Response> {
    const path = new URL(req.url).pathname;
    const route = path.startsWith(`${EXTENSIONS_API_BASE}/`)
      ? path.slice(EXTENSIONS_API_BASE.length + 1)
      : null;
    if (route === EXTENSION_ROUTES.register && req.method === "POST") return this.#register(req);
    const kind = route === EXTENSION_ROUTES.initError
      ? "init"
      : route === EXTENSION_ROUTES.exitError
      ? "exit"
      : null;
    const isNext = route === EXTENSION_ROUTES.next && req.method === "GET";
    if (!isNext && !(kind && req.method === "POST")) {
      await req.body?.cancel();
      return json(404, { errorMessage: `No route ${req.method} ${path}`, errorType: "NotFound" });
    }
    const id = req.headers.get(EXTENSION_HEADERS.identifier);
    const refused = checkIdentifier(id) ??
      (kind ? checkErrorType(req.headers.get(EXTENSION_HEADERS.functionErrorType)) : null) ??
      (this.registrations.some((r) => r.id === id) ? null : unknownIdentifier());
    if (refused) {
      await req.body?.cancel();
      return json(EXTENSION_ERROR_STATUS, refused);
    }
    if (isNext) return this.#next();
    this.errors.push({
      kind: kind!,
      id: id!,
      errorType: req.headers.get(EXTENSION_HEADERS.functionErrorType)!,
      body: await req.text(),
      at: performance.now(),
    });
    this.#changed();
    return json(202, { status: "OK" });
  }

  async #register(req: Request): Promise<Response> {
    const parsed = parseRegister(req.headers.get(EXTENSION_HEADERS.name), await req.text());
    if (isApiError(parsed)) return json(EXTENSION_ERROR_STATUS, parsed);
    const { name, events } = parsed;
    if (this.registrations.some((r) => r.name === name)) {
      return json(EXTENSION_ERROR_STATUS, {
        errorType: API_ERRORS.invalidExtensionState,
        errorMessage: "Extension with this name already registered",
      });
    }
    const id = crypto.randomUUID();
    this.registrations.push({ name, events, id, at: performance.now() });
    this.#changed();
    const accountId = acceptsAccountId(req.headers.get(EXTENSION_HEADERS.acceptFeature));
    return json(200, {
      functionName: "contract",
      functionVersion: "$LATEST",
      handler: "index.handler",
      ...(accountId ? { accountId: SANDBOX_ACCOUNT_ID } : {}),
    }, { [EXTENSION_HEADERS.identifier]: id });
  }

  async #next(): Promise<Response> {
    this.nextCalls.push(performance.now());
    this.#changed();
    const event = this.#queue.shift() ??
      await new Promise<ExtensionEvent | NextFailure | null>((resolve) =>
        this.#waiters.push(resolve)
      );
    if (!event) return json(503, { errorMessage: "Closing", errorType: "ServiceUnavailable" });
    if ("error" in event) return json(event.status, event.error);
    this.delivered.push({ event, at: performance.now() });
    return json(200, event, { [EXTENSION_HEADERS.eventIdentifier]: String(++this.#seq) });
  }
}

/**
 * Starts a test Extensions API on 127.0.0.1 at a free port.
 *
 * @returns The server; give its `address` to the extension as `AWS_LAMBDA_RUNTIME_API`.
 * @example
 * ```ts ignore
 * await using api = startExtensionsApi();
 * // spawn the extension with AWS_LAMBDA_RUNTIME_API=api.address
 * await api.waitForNext(1); // Init done
 * api.invoke();
 * await api.waitForNext(2); // the invocation is over
 * ```
 */
export function startExtensionsApi(): ExtensionsApi {
  return new ExtensionsApi();
}
