/**
 * Settings read from the environment, each with its variable and default in `contract.json`.
 *
 * @module
 */
import type { Env } from "./sqs.ts";

/**
 * Reads a positive whole number from the environment.
 *
 * @param env The environment.
 * @param setting The variable and its default.
 * @returns The number.
 * @throws {RangeError} When the variable is set to anything else.
 * @example
 * ```ts
 * import { positiveSetting } from "./settings.ts";
 * positiveSetting({ N: "8" }, { variable: "N", default: 4 }); // 8
 * ```
 */
export function positiveSetting(env: Env, setting: { variable: string; default: number }): number {
  const raw = env[setting.variable];
  if (raw === undefined || raw.trim() === "") return setting.default;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`${setting.variable} "${raw}" is not a positive whole number`);
  }
  return value;
}
