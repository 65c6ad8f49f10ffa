/**
 * The application function's environment variables, built in one place for the local sandbox
 * and the CDK stack, so both run the handler with the same settings.
 *
 * @module
 */
import type { Variant } from "./variants.ts";
import { TABLE_NAME_VARIABLE } from "./dynamodb/table.ts";

/** What the environment is made from. */
export interface FunctionEnvOptions {
  variant: Variant;
  /** Hash rounds per invocation (`BATTLE_WORK_ITERATIONS`); 0 for workload `none`. */
  workIterations: number;
  /** Default payload size when the event names none (`BATTLE_PAYLOAD_BYTES`). */
  payloadBytes: number;
  /** The queue the function or its extension sends to. */
  queueUrl: string;
  /** The loopback port the extension listens on. */
  extensionPort: number;
  /** The sleep of workload `delay` in ms (`BATTLE_DELAY_MS`); default the handler's 500 ms. */
  delayMs?: number;
  /** The table of workload `dynamodb` (`BATTLE_TABLE_NAME`). */
  tableName?: string;
}

/**
 * The environment of the application's function (and of its extension, which Lambda gives the
 * same function configuration).
 *
 * @param o What the function runs with.
 * @returns Variables: `BATTLE_WORKLOAD` always, `BATTLE_EXTENSION_PORT` only where the variant
 *   has an extension, `BATTLE_DELAY_MS` and `BATTLE_TABLE_NAME` where given.
 * @example
 * ```ts
 * import { functionEnvironment } from "./function_env.ts";
 * import { variantByName } from "./variants.ts";
 * const env = functionEnvironment({
 *   variant: variantByName("rust"),
 *   workIterations: 2000,
 *   payloadBytes: 1024,
 *   queueUrl: "http://127.0.0.1:9324/000000000000/q",
 *   extensionPort: 4243,
 * });
 * env.BATTLE_EXTENSION_URL; // "http://127.0.0.1:4243/messages"
 * ```
 */
export function functionEnvironment(o: FunctionEnvOptions): Record<string, string> {
  const env: Record<string, string> = {
    BATTLE_MODE: o.variant.mode,
    BATTLE_WORKLOAD: o.variant.workload,
    BATTLE_QUEUE_URL: o.queueUrl,
    // A hello function (workload none) does no work, whatever the deployment's setting.
    BATTLE_WORK_ITERATIONS: String(o.variant.workload === "none" ? 0 : o.workIterations),
    BATTLE_PAYLOAD_BYTES: String(o.payloadBytes),
    BATTLE_EXTENSION_URL: `http://127.0.0.1:${o.extensionPort}/messages`,
  };
  if (o.variant.extension) env.BATTLE_EXTENSION_PORT = String(o.extensionPort);
  if (o.delayMs !== undefined) env.BATTLE_DELAY_MS = String(o.delayMs);
  if (o.tableName !== undefined) env[TABLE_NAME_VARIABLE] = o.tableName;
  return env;
}
