/**
 * The Runtime API (`/2018-06-01`), Extensions API (`/2020-01-01/extension`) and Telemetry API
 * (`PUT /2022-07-01/telemetry`) of one sandbox, served on one loopback port. It keeps the state
 * of the runtime and of every extension of the current environment (one Init to the next
 * reset) and rejects calls made in the wrong state with 403 `InvalidStateTransition`; bad
 * Extensions API requests get Lambda's 403 error types (`lib/lambda/requests.ts`, shared with
 * the contract suite's test double). The sandbox drives it (`deliverInvoke`, `deliverShutdown`)
 * and waits on its state with `until`.
 *
 * @module
 */
import {
  acceptsAccountId,
  API_ERRORS,
  checkErrorType,
  checkIdentifier,
  EVENT_TYPES,
  EXTENSION_ERROR_STATUS,
  EXTENSION_HEADERS,
  EXTENSION_ROUTES,
  EXTENSIONS_API_BASE,
  isApiError,
  LOGS_API_PATH,
  MAX_EXTENSIONS,
  MAX_RESPONSE_BYTES,
  parseRegister,
  PLATFORM_ERRORS,
  RUNTIME_API_BASE,
  RUNTIME_HEADERS,
  RUNTIME_ROUTES,
  SANDBOX_ACCOUNT_ID,
  TELEMETRY_API_PATH,
  TRACING_TYPE,
  unknownIdentifier,
} from "../lambda/mod.ts";
import {
  type DroppedRecords,
  parseSubscription,
  type SubscriptionApi,
  TelemetryHub,
  type TelemetryHubOptions,
} from "./telemetry.ts";
import {
  fromResponse,
  header,
  Http1Server,
  Later,
  prebuilt,
  type RawResponse,
  rawResponse,
  toRequest,
} from "./http1.ts";
import type { Http1Request } from "./http1.ts";

export { MAX_EXTENSIONS, MAX_RESPONSE_BYTES };
/** The account id the sandbox reports (function ARNs, `accountId` on registration). */
export const ACCOUNT_ID = SANDBOX_ACCOUNT_ID;

/** One invocation as handed to the runtime. */
export interface InvokeEvent {
  requestId: string;
  payload: Uint8Array;
  deadlineMs: number;
  functionArn: string;
  traceId: string;
  clientContext?: string;
  cognitoIdentity?: string;
}

/** What the runtime answered for an invocation. */
export interface RuntimeOutcome {
  kind: "response" | "error";
  body: Uint8Array;
  /** `Lambda-Runtime-Function-Error-Type` or the body's `errorType`; null for responses. */
  errorType: string | null;
  /** performance.now() when the answer arrived. */
  at: number;
}

/** Where the runtime is in its lifecycle. */
export type RuntimeState = "starting" | "ready" | "invoking" | "responded" | "initError";

interface Deferred {
  resolve(res: Response): void;
}

/** One registered extension. */
export interface ExtensionState {
  id: string;
  name: string;
  events: Set<string>;
  /** `registered` until its first /next, `waiting` in /next, `busy` with an event. */
  state: "registered" | "waiting" | "busy";
  pending: Deferred | null;
  queued: string | null;
  /** Error type an extension reported through /init/error or /exit/error. */
  reportedError: string | null;
}

/** The state of one environment (one Init to the next reset). */
export class Environment {
  runtime: {
    state: RuntimeState;
    /** The runtime's pending `/next`, answered with bytes (the hot path builds no `Response`). */
    pending: Later | null;
    current: InvokeEvent | null;
    outcome: RuntimeOutcome | null;
    initError: { errorType: string; body: Uint8Array } | null;
    /** Set when a response was refused with 413; the invocation fails with this type. */
    oversize: boolean;
  } = {
    state: "starting",
    pending: null,
    current: null,
    outcome: null,
    initError: null,
    oversize: false,
  };
  extensions: Map<string, ExtensionState> = new Map();
  /** True once Init ended: no more registrations. */
  initDone = false;
  /** False after a reset: every call gets 403. */
  live = true;
  /** What `sandbox` and `sandbox.localdomain` name inside the environment. */
  sandboxAddress = "127.0.0.1";
  telemetry: TelemetryHub;

  /** @param telemetry options of the environment's {@link TelemetryHub} */
  constructor(telemetry: TelemetryHubOptions = {}) {
    this.telemetry = new TelemetryHub(telemetry);
  }

  /**
   * Whether the runtime and every extension are waiting in /next with nothing queued.
   *
   * @returns true when the environment is idle
   */
  allWaiting(): boolean {
    if (this.runtime.state !== "ready") return false;
    for (const e of this.extensions.values()) if (e.state !== "waiting") return false;
    return true;
  }
}

/** Options for {@link LambdaApi}: what registration returns. */
export interface LambdaApiOptions {
  functionName: string;
  functionVersion: string;
  handler: string;
}

/** Notifications for the sandbox's `platform.*` records. */
export interface LambdaApiHooks {
  /**
   * An extension subscribed through the Telemetry API (`platform.telemetrySubscription`) or
   * the Logs API (`platform.logsSubscription`).
   */
  onSubscribe?: (name: string, types: string[], api: SubscriptionApi) => void;
  /** A delivery to a subscriber failed and dropped its records. */
  onDropped?: (dropped: DroppedRecords) => void;
  /** An extension registered (`platform.extension`). */
  onRegister?: (name: string, events: string[]) => void;
}

const JSON_HEADERS = { "content-type": "application/json" };

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { ...JSON_HEADERS, ...headers } });
}

function fail(status: number, errorType: string, errorMessage: string): Response {
  return json(status, { errorMessage, errorType });
}

const invalidState = () =>
  fail(403, API_ERRORS.invalidStateTransition, "State transition is not allowed");

/** {@link json} as bytes for the HTTP/1.1 server. */
function rawJson(status: number, body: unknown): RawResponse {
  return rawResponse(status, JSON_HEADERS, JSON.stringify(body));
}

function rawFail(status: number, errorType: string, errorMessage: string): RawResponse {
  return rawJson(status, { errorMessage, errorType });
}

const RAW_INVALID_STATE = prebuilt(
  rawFail(403, API_ERRORS.invalidStateTransition, "State transition is not allowed"),
);
const RAW_ACCEPTED = prebuilt(rawJson(202, { status: "OK" }));
const RAW_TOO_LARGE = prebuilt(
  rawFail(
    413,
    API_ERRORS.requestEntityTooLarge,
    `Exceeded maximum allowed payload size (${MAX_RESPONSE_BYTES} bytes).`,
  ),
);

/** The event's header lines before the request id (the wire names as Deno.serve sent them). */
const EVENT_HEAD = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n";
const H_REQUEST_ID = RUNTIME_HEADERS.requestId.toLowerCase();
const H_DEADLINE = RUNTIME_HEADERS.deadlineMs.toLowerCase();
const H_ARN = RUNTIME_HEADERS.invokedFunctionArn.toLowerCase();
const H_TRACE = RUNTIME_HEADERS.traceId.toLowerCase();
const H_CLIENT_CONTEXT = RUNTIME_HEADERS.clientContext.toLowerCase();
const H_COGNITO = RUNTIME_HEADERS.cognitoIdentity.toLowerCase();
const H_ERROR_TYPE = RUNTIME_HEADERS.functionErrorType.toLowerCase();
/** What a header value must not hold (the checks `Headers` makes). */
const BAD_VALUE = /[\0\r\n]/;

/** A request target's path, as `new URL(req.url).pathname` gives it; null when not a URL. */
function pathOf(target: string): string | null {
  // The Runtime API's paths need no normalising: skip the URL parser for them.
  if (/^\/[A-Za-z0-9_\-/]*$/.test(target)) return target;
  try {
    return new URL(target, "http://sandbox").pathname;
  } catch {
    return null;
  }
}

/** The HTTP server of one sandbox. */
export class LambdaApi {
  readonly #opts: LambdaApiOptions;
  #hooks: LambdaApiHooks = {};
  #server: Http1Server | null = null;
  #waiters = new Set<() => void>();
  /** The current environment's state (one Init to the next reset). */
  state: Environment = this.#environment();
  /** `127.0.0.1:<port>`, the value of `AWS_LAMBDA_RUNTIME_API`. */
  address = "";

  /** @param opts the function facts registration returns */
  constructor(opts: LambdaApiOptions) {
    this.#opts = opts;
  }

  /**
   * Sets the notification hooks.
   *
   * @param hooks the callbacks
   */
  setHooks(hooks: LambdaApiHooks): void {
    this.#hooks = hooks;
  }

  /**
   * Starts listening on an ephemeral loopback port.
   *
   * @returns when the port is bound
   */
  start(): Promise<void> {
    this.#server = Http1Server.listen({
      hostname: "127.0.0.1",
      port: 0,
      // A longer body is read to its end but not kept: the runtime's gets 413 for it.
      maxBodyBytes: MAX_RESPONSE_BYTES,
    }, (req) => this.#serve(req));
    this.address = `127.0.0.1:${this.#server.port}`;
    return Promise.resolve();
  }

  /**
   * Ends the current environment (every later call from its processes gets 403) and starts a
   * fresh one.
   *
   * @param opts `sandboxAddress`: what `sandbox.localdomain` names in it (default 127.0.0.1)
   * @returns the new environment
   */
  newEnvironment(opts: { sandboxAddress?: string } = {}): Environment {
    this.#retire(this.state);
    this.state = this.#environment();
    if (opts.sandboxAddress !== undefined) this.state.sandboxAddress = opts.sandboxAddress;
    return this.state;
  }

  #environment(): Environment {
    return new Environment({ onDropped: (d) => this.#hooks.onDropped?.(d) });
  }

  #retire(state: Environment): void {
    state.live = false;
    state.telemetry.close();
    state.runtime.pending?.resolve(RAW_INVALID_STATE);
    state.runtime.pending = null;
    for (const e of state.extensions.values()) {
      e.pending?.resolve(invalidState());
      e.pending = null;
    }
  }

  /** Stops the server, answering every long poll first. */
  async close(): Promise<void> {
    // The long polls' answers then say `Connection: close`.
    this.#server?.stopAccepting();
    this.#retire(this.state);
    await this.#server?.close();
    this.#server = null;
  }

  /** Wakes everything waiting in {@link until}. */
  notify(): void {
    for (const w of [...this.#waiters]) w();
  }

  /**
   * Waits until `done()` holds or `deadline` (performance.now() milliseconds) passes.
   *
   * @param done checked now and after every state change
   * @param deadline absolute time limit
   * @returns true if `done()` held, false on timeout
   */
  until(done: () => boolean, deadline: number): Promise<boolean> {
    if (done()) return Promise.resolve(true);
    return new Promise((resolve) => {
      // Rounded up: a timer may fire up to a millisecond early otherwise.
      const timer = setTimeout(
        () => finish(done()),
        Math.max(0, Math.ceil(deadline - performance.now()) + 1),
      );
      const check = () => {
        if (done()) finish(true);
      };
      const finish = (ok: boolean) => {
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve(ok);
      };
      this.#waiters.add(check);
    });
  }

  /**
   * Hands an invocation to the runtime and an INVOKE event to every extension registered for
   * it. The runtime must be waiting in /next.
   *
   * @param event the invocation
   * @throws {Error} when the runtime is not ready
   */
  deliverInvoke(event: InvokeEvent): void {
    const rt = this.state.runtime;
    if (rt.state !== "ready") throw new Error(`runtime is ${rt.state}, not ready for an event`);
    rt.state = "invoking";
    rt.current = event;
    rt.outcome = null;
    rt.oversize = false;
    // The runtime first: its event is the one on the invocation's critical path (written to
    // its socket within this call, see Later).
    if (rt.pending) {
      rt.pending.resolve(this.#invocationResponse(event));
      rt.pending = null;
    }
    let extEvent: string | null = null;
    for (const e of this.state.extensions.values()) {
      if (!e.events.has(EVENT_TYPES.invoke)) continue;
      extEvent ??= JSON.stringify({
        eventType: EVENT_TYPES.invoke,
        deadlineMs: event.deadlineMs,
        requestId: event.requestId,
        invokedFunctionArn: event.functionArn,
        tracing: { type: TRACING_TYPE, value: event.traceId },
      });
      this.#sendToExtension(e, extEvent);
    }
  }

  /**
   * Sends SHUTDOWN to every extension registered for it.
   *
   * @param reason `spindown`, `timeout` or `failure`
   * @param deadlineMs epoch milliseconds by which they must be done
   * @returns how many extensions got the event
   */
  deliverShutdown(reason: string, deadlineMs: number): number {
    let count = 0;
    const body = JSON.stringify({
      eventType: EVENT_TYPES.shutdown,
      deadlineMs,
      shutdownReason: reason,
    });
    for (const e of this.state.extensions.values()) {
      if (!e.events.has(EVENT_TYPES.shutdown)) continue;
      this.#sendToExtension(e, body);
      count += 1;
    }
    return count;
  }

  #sendToExtension(e: ExtensionState, body: string): void {
    if (e.pending) {
      e.pending.resolve(new Response(body, { headers: JSON_HEADERS }));
      e.pending = null;
      e.state = "busy";
    } else {
      e.queued = body;
      e.state = "busy";
    }
  }

  #invocationResponse(ev: InvokeEvent): RawResponse {
    const { requestId, functionArn, traceId, clientContext, cognitoIdentity } = ev;
    // What `new Response` refused: a value that would split the header.
    if (
      BAD_VALUE.test(requestId) || BAD_VALUE.test(functionArn) || BAD_VALUE.test(traceId) ||
      (clientContext !== undefined && BAD_VALUE.test(clientContext)) ||
      (cognitoIdentity !== undefined && BAD_VALUE.test(cognitoIdentity))
    ) throw new TypeError("an invocation header value holds CR, LF or NUL");
    let head = `${EVENT_HEAD}${H_REQUEST_ID}: ${requestId}\r\n${H_DEADLINE}: ${ev.deadlineMs}\r\n` +
      `${H_ARN}: ${functionArn}\r\n${H_TRACE}: ${traceId}\r\n`;
    if (clientContext !== undefined) head += `${H_CLIENT_CONTEXT}: ${clientContext}\r\n`;
    if (cognitoIdentity !== undefined) head += `${H_COGNITO}: ${cognitoIdentity}\r\n`;
    return { head, body: ev.payload };
  }

  /**
   * One request from the HTTP/1.1 server. The Runtime API is answered here without building a
   * `Request` or `Response` (the invocation's critical path); every other API goes through
   * {@link #handle} with a `Request` made from the parsed one.
   */
  #serve(req: Http1Request): RawResponse | Promise<RawResponse> | Later {
    const state = this.state;
    const path = pathOf(req.target);
    if (path === null) return rawFail(400, API_ERRORS.invalidRequestFormat, "bad request target");
    if (path.startsWith(`${RUNTIME_API_BASE}/`)) {
      try {
        return this.#runtime(state, req, path.slice(RUNTIME_API_BASE.length + 1));
      } finally {
        this.notify();
      }
    }
    if (req.truncated) return RAW_TOO_LARGE;
    let request: Request;
    try {
      request = toRequest(req, `http://${this.address}`);
    } catch (e) {
      // A method or target the Fetch API refuses (e.g. CONNECT).
      return rawFail(
        400,
        API_ERRORS.invalidRequestFormat,
        e instanceof Error ? e.message : String(e),
      );
    }
    return this.#handle(request, path).then(fromResponse);
  }

  async #handle(req: Request, path: string): Promise<Response> {
    const state = this.state;
    try {
      if (path.startsWith(`${EXTENSIONS_API_BASE}/`)) {
        return await this.#extension(state, req, path.slice(EXTENSIONS_API_BASE.length + 1));
      }
      if (path === TELEMETRY_API_PATH || path === LOGS_API_PATH) {
        const api = path === LOGS_API_PATH ? "logs" : "telemetry";
        return await this.#subscribe(state, req, api);
      }
      return fail(404, "NotFound", `no such API: ${req.method} ${path}`);
    } catch (e) {
      // A client that went away mid-body, or a body that is not what the route expects.
      return fail(
        400,
        API_ERRORS.invalidRequestFormat,
        e instanceof Error ? e.message : String(e),
      );
    } finally {
      this.notify();
    }
  }

  #runtime(
    state: Environment,
    req: Http1Request,
    route: string,
  ): RawResponse | Later {
    const rt = state.runtime;
    if (route === RUNTIME_ROUTES.next && req.method === "GET") {
      if (state.live && rt.state === "invoking" && rt.oversize) {
        // The response was refused with 413; moving on counts as the invocation's error.
        rt.outcome = {
          kind: "error",
          body: new TextEncoder().encode(JSON.stringify({
            errorType: PLATFORM_ERRORS.responseSizeTooLarge,
            errorMessage:
              `Response payload size exceeded maximum allowed payload size (${MAX_RESPONSE_BYTES} bytes).`,
          })),
          errorType: PLATFORM_ERRORS.responseSizeTooLarge,
          at: performance.now(),
        };
        rt.state = "responded";
      }
      if (!state.live || rt.state === "invoking" || rt.state === "initError" || rt.pending) {
        return RAW_INVALID_STATE;
      }
      rt.state = "ready";
      rt.current = null;
      // #serve notifies the waiters once this returns.
      rt.pending = new Later();
      return rt.pending;
    }
    if (req.method !== "POST") return rawFail(405, "MethodNotAllowed", `${req.method} ${route}`);
    const body = req.body;
    if (route === RUNTIME_ROUTES.initError) {
      if (!state.live || rt.state !== "starting") return RAW_INVALID_STATE;
      rt.state = "initError";
      rt.initError = { errorType: errorTypeOf(req, body, PLATFORM_ERRORS.runtimeUnknown), body };
      return RAW_ACCEPTED;
    }
    const m = RUNTIME_ROUTES.invocation.exec(route);
    if (!m) return rawFail(404, "NotFound", `no such runtime route: ${route}`);
    if (!state.live || rt.state !== "invoking" || rt.current === null) return RAW_INVALID_STATE;
    if (m[1] !== rt.current.requestId) {
      return rawFail(400, API_ERRORS.invalidRequestId, `Invalid request ID: ${m[1]}`);
    }
    if (req.truncated || body.length > MAX_RESPONSE_BYTES) {
      rt.oversize = true;
      return RAW_TOO_LARGE;
    }
    rt.state = "responded";
    rt.outcome = m[2] === "response"
      ? { kind: "response", body, errorType: null, at: performance.now() }
      : {
        kind: "error",
        body,
        errorType: errorTypeOf(req, body, PLATFORM_ERRORS.runtimeUnknown),
        at: performance.now(),
      };
    return RAW_ACCEPTED;
  }

  async #extension(state: Environment, req: Request, route: string): Promise<Response> {
    if (route === EXTENSION_ROUTES.register && req.method === "POST") {
      return await this.#register(state, req);
    }
    const found = await this.#caller(state, req);
    if (found instanceof Response) return found;
    const ext = found;
    // "After Lambda receives the error, no further API calls succeed."
    if (ext.reportedError !== null) {
      await req.body?.cancel();
      return invalidState();
    }
    if (route === EXTENSION_ROUTES.next && req.method === "GET") {
      if (ext.pending) return invalidState();
      if (ext.queued !== null) {
        const body = ext.queued;
        ext.queued = null;
        ext.state = "busy";
        return new Response(body, { headers: JSON_HEADERS });
      }
      ext.state = "waiting";
      return await new Promise<Response>((resolve) => {
        ext.pending = { resolve };
        this.notify();
      });
    }
    const { initError, exitError } = EXTENSION_ROUTES;
    if ((route === initError || route === exitError) && req.method === "POST") {
      await req.body?.cancel();
      const errorType = req.headers.get(EXTENSION_HEADERS.functionErrorType);
      const missing = checkErrorType(errorType);
      if (missing) return json(EXTENSION_ERROR_STATUS, missing);
      if (route === initError && state.initDone) return invalidState();
      ext.reportedError = errorType;
      return json(202, { status: "OK" });
    }
    return fail(404, "NotFound", `no such extension route: ${req.method} ${route}`);
  }

  /**
   * The extension making a call, or the 403 Lambda answers: no identifier, one that is not a
   * UUID, one this environment did not hand out, or one whose extension reported an error
   * ("After Lambda receives the error, no further API calls succeed.").
   */
  async #caller(state: Environment, req: Request): Promise<ExtensionState | Response> {
    const id = req.headers.get(EXTENSION_HEADERS.identifier);
    const malformed = checkIdentifier(id);
    const ext = id === null ? undefined : state.extensions.get(id);
    if (malformed || !ext || !state.live) {
      await req.body?.cancel();
      return json(EXTENSION_ERROR_STATUS, malformed ?? unknownIdentifier());
    }
    if (ext.reportedError !== null) {
      await req.body?.cancel();
      return invalidState();
    }
    return ext;
  }

  async #register(state: Environment, req: Request): Promise<Response> {
    const parsed = parseRegister(req.headers.get(EXTENSION_HEADERS.name), await req.text());
    if (isApiError(parsed)) return json(EXTENSION_ERROR_STATUS, parsed);
    const { name, events } = parsed;
    if (!state.live) return invalidState();
    if (state.initDone) {
      return fail(
        EXTENSION_ERROR_STATUS,
        API_ERRORS.registrationClosed,
        "Extension registration closed already",
      );
    }
    for (const e of state.extensions.values()) {
      if (e.name === name) {
        return fail(
          EXTENSION_ERROR_STATUS,
          API_ERRORS.invalidExtensionState,
          "Extension with this name already registered",
        );
      }
    }
    if (state.extensions.size >= MAX_EXTENSIONS) {
      return fail(
        EXTENSION_ERROR_STATUS,
        API_ERRORS.tooManyExtensions,
        `Extension limit (${MAX_EXTENSIONS}) reached`,
      );
    }
    const id = crypto.randomUUID();
    state.extensions.set(id, {
      id,
      name,
      events: new Set(events),
      state: "registered",
      pending: null,
      queued: null,
      reportedError: null,
    });
    this.#hooks.onRegister?.(name, events);
    const accountId = acceptsAccountId(req.headers.get(EXTENSION_HEADERS.acceptFeature));
    return json(200, {
      functionName: this.#opts.functionName,
      functionVersion: this.#opts.functionVersion,
      handler: this.#opts.handler,
      ...(accountId ? { accountId: ACCOUNT_ID } : {}),
    }, { [EXTENSION_HEADERS.identifier]: id });
  }

  async #subscribe(
    state: Environment,
    req: Request,
    api: "telemetry" | "logs",
  ): Promise<Response> {
    if (req.method !== "PUT") return fail(405, "MethodNotAllowed", `${req.method} telemetry`);
    const found = await this.#caller(state, req);
    if (found instanceof Response) return found;
    const ext = found;
    try {
      const sub = parseSubscription(await req.json(), api, state.sandboxAddress);
      // "After subscribing using one of these APIs, any attempt to subscribe using the other
      // API returns an error."
      const before = state.telemetry.apiOf(ext.name);
      if (before !== undefined && before !== api) {
        const names = { telemetry: "Telemetry API", logs: "Logs API" };
        throw new TypeError(`${ext.name} is already subscribed through the ${names[before]}`);
      }
      state.telemetry.subscribe(ext.name, sub);
      this.#hooks.onSubscribe?.(ext.name, [...sub.types], api);
      return new Response("OK", { status: 200 });
    } catch (e) {
      return fail(400, "ValidationError", e instanceof Error ? e.message : String(e));
    }
  }
}

function errorTypeOf(req: Http1Request, body: Uint8Array, dflt: string): string {
  // The body's errorType is the specific one; some clients (lambda_runtime) put a generic
  // "unhandled" into the header.
  try {
    const parsed = JSON.parse(new TextDecoder().decode(body));
    if (typeof parsed?.errorType === "string" && parsed.errorType !== "") return parsed.errorType;
  } catch {
    // Not JSON: fall back to the header.
  }
  return header(req.headers, H_ERROR_TYPE) || dflt;
}
