/**
 * How Lambda judges Extensions API requests, as pure functions, so that the sandbox's API server
 * and the contract suite's test double refuse the same requests with the same error types (in
 * the order Lambda's own server, `rapid`, checks them). Each returns an error body for a 403
 * ({@linkcode EXTENSION_ERROR_STATUS}) or the parsed request.
 *
 * @module
 */
import {
  ACCEPT_FEATURE_ACCOUNT_ID,
  API_ERRORS,
  EVENT_TYPES,
  type EventType,
  EXTENSION_HEADERS,
} from "./wire.ts";

/** The JSON body of an API error answer. */
export interface ApiError {
  errorType: string;
  errorMessage: string;
}

/** A registration Lambda accepts: the name and the events it asked for. */
export interface RegisterRequest {
  name: string;
  events: EventType[];
}

const EVENTS: readonly string[] = Object.values(EVENT_TYPES);
const UUID =
  /^(urn:uuid:)?\{?[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}\}?$/i;

/**
 * Reads a `POST /register`. An absent or null `events` registers for nothing, as in Lambda.
 *
 * @param name The `Lambda-Extension-Name` header, or null.
 * @param body The request body as text.
 * @returns The registration, or the error to answer with.
 * @example
 * ```ts
 * import { parseRegister } from "./requests.ts";
 * parseRegister("ext", '{"events":["INVOKE"]}'); // { name: "ext", events: ["INVOKE"] }
 * parseRegister("", "{}"); // { errorType: "Extension.InvalidExtensionName", ... }
 * ```
 */
export function parseRegister(name: string | null, body: string): RegisterRequest | ApiError {
  if (!name) {
    return { errorType: API_ERRORS.invalidExtensionName, errorMessage: "Empty extension name" };
  }
  const format = (errorMessage: string) => ({
    errorType: API_ERRORS.invalidRequestFormat,
    errorMessage,
  });
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (e) {
    return format(`Cannot parse the request body as JSON: ${(e as Error).message}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    return format("The request body is not a JSON object");
  }
  const { events = null, configurationKeys = null } = parsed as Record<string, unknown>;
  if (Array.isArray(configurationKeys) && configurationKeys.length > 0) {
    return format("configurationKeys are deprecated; use environment variables instead");
  }
  if (events !== null && (!Array.isArray(events) || events.some((e) => typeof e !== "string"))) {
    return format(`events must be an array of strings, got ${JSON.stringify(events)}`);
  }
  const bad = (events ?? []).find((e: string) => !EVENTS.includes(e));
  if (bad !== undefined) {
    return {
      errorType: API_ERRORS.invalidEventType,
      errorMessage: `${bad}: unknown event type; use ${EVENTS.join(" or ")}`,
    };
  }
  return { name, events: (events ?? []) as EventType[] };
}

/**
 * Whether a parse result is an error.
 *
 * @param result What {@linkcode parseRegister} returned.
 * @returns True for an {@linkcode ApiError}.
 */
export function isApiError(result: RegisterRequest | ApiError): result is ApiError {
  return "errorType" in result;
}

/**
 * Checks the form of a `Lambda-Extension-Identifier` (whether any extension holds it is the
 * caller's question: {@linkcode API_ERRORS}`.unknownExtensionIdentifier`).
 *
 * @param id The header, or null.
 * @returns The error to answer with, or null when it is a UUID.
 */
export function checkIdentifier(id: string | null): ApiError | null {
  if (!id) {
    return {
      errorType: API_ERRORS.missingExtensionIdentifier,
      errorMessage: `Missing ${EXTENSION_HEADERS.identifier} header`,
    };
  }
  if (!UUID.test(id)) {
    return {
      errorType: API_ERRORS.invalidExtensionIdentifier,
      errorMessage: `Invalid ${EXTENSION_HEADERS.identifier}`,
    };
  }
  return null;
}

/**
 * The error for an identifier no extension of this environment holds.
 *
 * @returns The error body.
 */
export function unknownIdentifier(): ApiError {
  return {
    errorType: API_ERRORS.unknownExtensionIdentifier,
    errorMessage: `Unknown ${EXTENSION_HEADERS.identifier}`,
  };
}

/**
 * Checks the error type of an `/init/error` or `/exit/error`.
 *
 * @param errorType The `Lambda-Extension-Function-Error-Type` header, or null.
 * @returns The error to answer with, or null when the header is there.
 */
export function checkErrorType(errorType: string | null): ApiError | null {
  if (errorType) return null;
  return {
    errorType: API_ERRORS.missingHeader,
    errorMessage: `${EXTENSION_HEADERS.functionErrorType} not found`,
  };
}

/**
 * Whether `Lambda-Extension-Accept-Feature` opts into `accountId` on the register answer.
 *
 * @param header The header (comma-separated features), or null.
 * @returns True when it lists `accountId`.
 */
export function acceptsAccountId(header: string | null): boolean {
  return (header ?? "").split(",").some((f) => f.trim() === ACCEPT_FEATURE_ACCOUNT_ID);
}
