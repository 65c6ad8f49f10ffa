/**
 * The Lambda wire facts every server and client in the project speaks: API bases and routes,
 * header names, event types, shutdown reasons, error types and limits. Plain TypeScript with no
 * Deno API, so esbuild bundles it into the JavaScript extension as well. Error types and statuses
 * follow Lambda's own API server (`rapid`, published as aws-lambda-runtime-interface-emulator).
 *
 * @module
 */

/** Base of the Runtime API: `http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime`. */
export const RUNTIME_API_BASE = "/2018-06-01/runtime";
/** Base of the Extensions API. */
export const EXTENSIONS_API_BASE = "/2020-01-01/extension";
/** The Telemetry API's subscription route (`PUT`). */
export const TELEMETRY_API_PATH = "/2022-07-01/telemetry";
/** The older Logs API's subscription route (`PUT`). */
export const LOGS_API_PATH = "/2020-08-15/logs";

/** Routes under {@linkcode RUNTIME_API_BASE}. */
export const RUNTIME_ROUTES = {
  next: "invocation/next",
  initError: "init/error",
  /** `invocation/<id>/response` or `invocation/<id>/error`. */
  invocation: /^invocation\/([^/]+)\/(response|error)$/,
} as const;

/** Routes under {@linkcode EXTENSIONS_API_BASE}. */
export const EXTENSION_ROUTES = {
  register: "register",
  next: "event/next",
  initError: "init/error",
  exitError: "exit/error",
} as const;

/** Headers of the Runtime API (the `/next` answer, and error posts). */
export const RUNTIME_HEADERS = {
  requestId: "Lambda-Runtime-Aws-Request-Id",
  deadlineMs: "Lambda-Runtime-Deadline-Ms",
  invokedFunctionArn: "Lambda-Runtime-Invoked-Function-Arn",
  traceId: "Lambda-Runtime-Trace-Id",
  clientContext: "Lambda-Runtime-Client-Context",
  cognitoIdentity: "Lambda-Runtime-Cognito-Identity",
  functionErrorType: "Lambda-Runtime-Function-Error-Type",
} as const;

/** Headers of the Extensions, Telemetry and Logs APIs. */
export const EXTENSION_HEADERS = {
  /** On `/register`: the executable's file name. */
  name: "Lambda-Extension-Name",
  /** Returned by `/register`, sent on every later call. */
  identifier: "Lambda-Extension-Identifier",
  /** On `/init/error` and `/exit/error`; required. */
  functionErrorType: "Lambda-Extension-Function-Error-Type",
  /** On `/register`: comma-separated opt-ins, e.g. `accountId`. */
  acceptFeature: "Lambda-Extension-Accept-Feature",
  /** On each `/event/next` answer. */
  eventIdentifier: "Lambda-Extension-Event-Identifier",
} as const;

/** The `Lambda-Extension-Accept-Feature` value that adds `accountId` to the register answer. */
export const ACCEPT_FEATURE_ACCOUNT_ID = "accountId";

/** The events an external extension can register for. */
export const EVENT_TYPES = { invoke: "INVOKE", shutdown: "SHUTDOWN" } as const;
/** One of {@linkcode EVENT_TYPES}. */
export type EventType = typeof EVENT_TYPES[keyof typeof EVENT_TYPES];

/** Why SHUTDOWN was sent (Lambda's casing varies: compare case-insensitively). */
export const SHUTDOWN_REASONS = ["spindown", "timeout", "failure"] as const;
/** One of {@linkcode SHUTDOWN_REASONS}. */
export type ShutdownReason = typeof SHUTDOWN_REASONS[number];

/** The `X-Ray` tracing type of an INVOKE event's `tracing`. */
export const TRACING_TYPE = "X-Amzn-Trace-Id";

/** `errorType` values of the APIs' error answers, with the status Lambda sends them with. */
export const API_ERRORS = {
  /** 403: a call the caller's state does not allow. */
  invalidStateTransition: "InvalidStateTransition",
  /** 400: a response or error for a request id that is not the current one. */
  invalidRequestId: "InvalidRequestID",
  /** 413: a response over {@linkcode MAX_RESPONSE_BYTES}. */
  requestEntityTooLarge: "RequestEntityTooLarge",
  /** 500. */
  internalServerError: "InternalServerError",
  /** 403: a `/register` body that is not the expected JSON. */
  invalidRequestFormat: "InvalidRequestFormat",
  /** 403: no `Lambda-Extension-Identifier`. */
  missingExtensionIdentifier: "Extension.MissingExtensionIdentifier",
  /** 403: a `Lambda-Extension-Identifier` that is not a UUID. */
  invalidExtensionIdentifier: "Extension.InvalidExtensionIdentifier",
  /** 403: a well-formed identifier no extension was given. */
  unknownExtensionIdentifier: "Extension.UnknownExtensionIdentifier",
  /** 403: an empty `Lambda-Extension-Name`. */
  invalidExtensionName: "Extension.InvalidExtensionName",
  /** 403: `/register` after Init. */
  registrationClosed: "Extension.RegistrationClosed",
  /** 403: a name registered twice, or a call the extension's state does not allow. */
  invalidExtensionState: "Extension.InvalidExtensionState",
  /** 403: `/init/error` or `/exit/error` without `Lambda-Extension-Function-Error-Type`. */
  missingHeader: "Extension.MissingHeader",
  /** 403: more than {@linkcode MAX_EXTENSIONS}. */
  tooManyExtensions: "Extension.TooManyExtensions",
  /** 403: an event other than INVOKE and SHUTDOWN. */
  invalidEventType: "Extension.InvalidEventType",
} as const;

/** The status Lambda answers every Extensions API request error with. */
export const EXTENSION_ERROR_STATUS = 403;

/** Error types Lambda itself gives a failed invocation or Init. */
export const PLATFORM_ERRORS = {
  /** A response refused with 413; the invocation fails with this. */
  responseSizeTooLarge: "Function.ResponseSizeTooLarge",
  /** A runtime error posted without a type. */
  runtimeUnknown: "Runtime.Unknown",
  /** An extension that exited without reporting an error. */
  extensionCrash: "Extension.Crash",
} as const;

/** Largest response or error body the Runtime API accepts: 6 MiB. */
export const MAX_RESPONSE_BYTES = 6 * 1024 * 1024;
/** Most extensions one function may register. */
export const MAX_EXTENSIONS = 10;
/** The account id the local sandbox reports (function ARNs, `accountId` on registration). */
export const SANDBOX_ACCOUNT_ID = "000000000000";
