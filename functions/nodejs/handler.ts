/**
 * The application's handler, the same on every variant. Its work on each invocation is the
 * cell's workload (`BATTLE_WORKLOAD`): `sqs` and `cpu` do some deterministic CPU work, `delay`
 * sleeps a configured time (`BATTLE_DELAY_MS`, 500 ms by default), `dynamodb` puts one small item
 * (keyed by the request id) into the table `BATTLE_TABLE_NAME`, `none` does nothing. Then, by
 * `BATTLE_MODE`, it POSTs a payload of a configured size to the extension, sends it to SQS
 * directly, or does nothing. Runs on the Node.js managed runtime and on LLRT.
 *
 * In mode `extension` the message carries the request id in `Lambda-Runtime-Aws-Request-Id`:
 * the extension waits for it before it flushes and ends its part of the invocation. When the
 * handler fails before the extension accepted its message, it calls
 * `POST /invocations/<id>/end` instead, so the extension never waits for nothing.
 *
 * @module
 */
import { CONTRACT } from "../../extensions/src/contract.ts";
import { REQUEST_ID_HEADER } from "../../extensions/src/invocations.ts";

/** Environment variables, as `process.env` holds them. */
export type Env = Record<string, string | undefined>;

/** What the handler does with its payload. */
export type Mode = "none" | "direct" | "extension";

/** The work of one invocation (`BATTLE_WORKLOAD`). */
export const WORKLOADS = ["sqs", "dynamodb", "delay", "cpu", "none"] as const;
/** One of {@linkcode WORKLOADS}. */
export type Workload = typeof WORKLOADS[number];

/** How long workload `delay` sleeps when `BATTLE_DELAY_MS` is not set. */
export const DEFAULT_DELAY_MS = 500;

/** The item workload `dynamodb` puts: the request id (the table's key), the payload, a time. */
export interface RequestItem {
  id: string;
  payload: string;
  sentAt: number;
}

/** The extension's endpoint when `BATTLE_EXTENSION_URL` is not set. */
export const DEFAULT_EXTENSION_URL =
  `http://127.0.0.1:${CONTRACT.port.default}${CONTRACT.paths.messages}`;

/** The handler's answer. */
export interface HandlerResult {
  mode: Mode;
  workload: Workload;
  payloadBytes: number;
  iterations: number;
  checksum: number;
}

/** What {@linkcode createHandler} needs. */
export interface HandlerDeps {
  env: Env;
  /** Sends one message to SQS (mode `direct`); absent in bundles built without the SDK. */
  sendDirect?: (body: string) => Promise<void>;
  /** Puts one item into the table (workload `dynamodb`); absent in bundles without the SDK. */
  putItem?: (item: RequestItem) => Promise<void>;
  /** Default a `setTimeout` sleep (workload `delay`). */
  sleep?: (ms: number) => Promise<void>;
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
 * Reads the workload from `BATTLE_WORKLOAD`.
 *
 * @param env The environment.
 * @returns The workload; when unset, `sqs` in the modes that send and `cpu` in mode `none`.
 * @throws {RangeError} When the value is not a workload.
 */
export function workloadOf(env: Env): Workload {
  const workload = env.BATTLE_WORKLOAD ?? (modeOf(env) === "none" ? "cpu" : "sqs");
  if ((WORKLOADS as readonly string[]).includes(workload)) return workload as Workload;
  throw new RangeError(`BATTLE_WORKLOAD must be ${WORKLOADS.join(", ")}, got "${workload}"`);
}

/**
 * Builds the handler. Configuration is read once, at init, like a real function would.
 *
 * @param deps Environment, the direct sender, the item writer, `fetch` and `sleep`.
 * @returns `handler(event, context)`.
 * @throws {RangeError} When the configuration is invalid, or mode `direct` has no sender, or
 *   workload `dynamodb` no item writer.
 */
export function createHandler(deps: HandlerDeps) {
  const mode = modeOf(deps.env);
  const workload = workloadOf(deps.env);
  const busy = workload === "sqs" || workload === "cpu";
  const configured = intFrom(deps.env.BATTLE_WORK_ITERATIONS, 0, "BATTLE_WORK_ITERATIONS");
  const iterations = busy ? configured : 0;
  const delayMs = intFrom(deps.env.BATTLE_DELAY_MS, DEFAULT_DELAY_MS, "BATTLE_DELAY_MS");
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const defaultBytes = intFrom(deps.env.BATTLE_PAYLOAD_BYTES, 256, "BATTLE_PAYLOAD_BYTES");
  const url = deps.env.BATTLE_EXTENSION_URL || DEFAULT_EXTENSION_URL;
  const fetchFn = deps.fetch ?? globalThis.fetch;
  if (mode === "direct" && !deps.sendDirect) {
    throw new RangeError("BATTLE_MODE is direct but this bundle was built without the SQS client");
  }
  if (workload === "dynamodb" && !deps.putItem) {
    throw new RangeError(
      "BATTLE_WORKLOAD is dynamodb but this bundle was built without the DynamoDB client",
    );
  }
  return async (event: unknown, context?: { awsRequestId?: string }): Promise<HandlerResult> => {
    const requestId = context?.awsRequestId ?? "";
    // Whether the extension accepted this invocation's tagged message: if not, the finally
    // block tells it the invocation is over, so it never waits for a message that won't come.
    let ended = false;
    try {
      const override = typeof event === "object" && event !== null
        ? (event as { payloadBytes?: unknown }).payloadBytes
        : undefined;
      const payloadBytes = intFrom(override, defaultBytes, "payloadBytes");
      const checksum = cpuWork(iterations);
      if (workload === "delay") await sleep(delayMs);
      const sentAt = Date.now();
      const payload = buildPayload(payloadBytes, { requestId, sentAt, checksum });
      if (workload === "dynamodb") {
        await deps.putItem!({ id: requestId || crypto.randomUUID(), payload, sentAt });
      }
      if (mode === "extension") {
        const res = await fetchFn(url, {
          method: "POST",
          headers: {
            "Content-Type": "application/json",
            ...(requestId ? { [REQUEST_ID_HEADER]: requestId } : {}),
          },
          body: payload,
        });
        const text = await res.text();
        if (res.status !== 202) {
          throw new Error(
            `The extension at ${url} answered HTTP ${res.status}: ${text.slice(0, 200)}`,
          );
        }
        ended = true;
      } else if (mode === "direct") {
        await deps.sendDirect!(payload);
      }
      return { mode, workload, payloadBytes: payload.length, iterations, checksum };
    } finally {
      if (mode === "extension" && !ended && requestId) {
        await endInvocation(fetchFn, url, requestId);
      }
    }
  };
}

/**
 * Tells the extension the function is done with invocation `requestId` without a message:
 * `POST /invocations/<id>/end` beside the messages URL. Best effort: a failure is logged, not
 * thrown, so it never hides the handler's own error.
 *
 * @param fetchFn The `fetch` to use.
 * @param messagesUrl The extension's messages URL.
 * @param requestId The invocation's request id.
 */
export async function endInvocation(
  fetchFn: typeof fetch,
  messagesUrl: string,
  requestId: string,
): Promise<void> {
  const { invocationsPrefix, endSuffix } = CONTRACT.paths;
  const endUrl = new URL(
    `${invocationsPrefix}${encodeURIComponent(requestId)}${endSuffix}`,
    messagesUrl,
  );
  try {
    const res = await fetchFn(endUrl.href, { method: "POST" });
    await res.text();
  } catch (e) {
    console.error(`Cannot end invocation ${requestId} at ${endUrl.href}: ${(e as Error).message}`);
  }
}
