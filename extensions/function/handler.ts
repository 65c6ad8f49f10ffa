/**
 * The application's handler, the same on every variant: some deterministic CPU work, a payload
 * of a configured size, then (by `BATTLE_MODE`) a POST to the extension, a direct `SendMessage`,
 * or nothing. Runs on the Node.js managed runtime and on LLRT.
 *
 * @module
 */

/** Environment variables, as `process.env` holds them. */
export type Env = Record<string, string | undefined>;

/** What the handler does with its payload. */
export type Mode = "none" | "direct" | "extension";

/** The extension's endpoint when `BATTLE_EXTENSION_URL` is not set. */
export const DEFAULT_EXTENSION_URL = "http://127.0.0.1:4243/messages";

/** The handler's answer. */
export interface HandlerResult {
  mode: Mode;
  payloadBytes: number;
  iterations: number;
  checksum: number;
}

/** What {@linkcode createHandler} needs. */
export interface HandlerDeps {
  env: Env;
  /** Sends one message to SQS (mode `direct`); absent in bundles built without the SDK. */
  sendDirect?: (body: string) => Promise<void>;
  /** Default the global `fetch`. */
  fetch?: typeof fetch;
}

/**
 * Deterministic CPU work: `iterations` rounds of a 32-bit FNV-1a style mix.
 *
 * @param iterations Rounds; 0 does nothing.
 * @returns The final hash, so the work cannot be optimised away.
 */
export function cpuWork(iterations: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < iterations; i++) {
    h ^= i & 0xff;
    h = Math.imul(h, 0x01000193);
    h ^= h >>> 13;
  }
  return h >>> 0;
}

/**
 * A JSON message of exactly `bytes` bytes (or the smallest possible, when `bytes` is smaller).
 *
 * @param bytes Wanted size in bytes.
 * @param fields What the message says; `pad` is appended to reach the size.
 * @returns The message text (ASCII, so characters equal bytes).
 */
export function buildPayload(bytes: number, fields: Record<string, string | number>): string {
  const bare = JSON.stringify({ ...fields, pad: "" });
  return JSON.stringify({ ...fields, pad: "x".repeat(Math.max(0, bytes - bare.length)) });
}

function intFrom(value: unknown, fallback: number, what: string): number {
  if (value === undefined || value === null || value === "") return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) {
    throw new RangeError(`${what} must be a non-negative integer, got ${JSON.stringify(value)}`);
  }
  return n;
}

/**
 * Reads the mode from `BATTLE_MODE`.
 *
 * @param env The environment.
 * @returns The mode; `none` when unset.
 * @throws {RangeError} When the value is not a mode.
 */
export function modeOf(env: Env): Mode {
  const mode = env.BATTLE_MODE ?? "none";
  if (mode === "none" || mode === "direct" || mode === "extension") return mode;
  throw new RangeError(`BATTLE_MODE must be none, direct or extension, got "${mode}"`);
}

/**
 * Builds the handler. Configuration is read once, at init, like a real function would.
 *
 * @param deps Environment, the direct sender and `fetch`.
 * @returns `handler(event, context)`.
 * @throws {RangeError} When the configuration is invalid, or mode `direct` has no sender.
 */
export function createHandler(deps: HandlerDeps) {
  const mode = modeOf(deps.env);
  const iterations = intFrom(deps.env.BATTLE_WORK_ITERATIONS, 0, "BATTLE_WORK_ITERATIONS");
  const defaultBytes = intFrom(deps.env.BATTLE_PAYLOAD_BYTES, 256, "BATTLE_PAYLOAD_BYTES");
  const url = deps.env.BATTLE_EXTENSION_URL || DEFAULT_EXTENSION_URL;
  const fetchFn = deps.fetch ?? globalThis.fetch;
  if (mode === "direct" && !deps.sendDirect) {
    throw new RangeError("BATTLE_MODE is direct but this bundle was built without the SQS client");
  }
  return async (event: unknown, context?: { awsRequestId?: string }): Promise<HandlerResult> => {
    const override = typeof event === "object" && event !== null
      ? (event as { payloadBytes?: unknown }).payloadBytes
      : undefined;
    const payloadBytes = intFrom(override, defaultBytes, "payloadBytes");
    const checksum = cpuWork(iterations);
    const payload = buildPayload(payloadBytes, {
      requestId: context?.awsRequestId ?? "",
      sentAt: Date.now(),
      checksum,
    });
    if (mode === "extension") {
      const res = await fetchFn(url, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: payload,
      });
      const text = await res.text();
      if (res.status !== 202) {
        throw new Error(
          `The extension at ${url} answered HTTP ${res.status}: ${text.slice(0, 200)}`,
        );
      }
    } else if (mode === "direct") {
      await deps.sendDirect!(payload);
    }
    return { mode, payloadBytes: payload.length, iterations, checksum };
  };
}
