/**
 * The command-line plumbing every `deno task` entry shares: flags read with `node:util`
 * `parseArgs` (strict), helpers for comma lists and numbers, and {@link runCommand}, which turns
 * a bad flag into one line `<command>: <message>` on stderr and exit code 2, and a failed run
 * into one line and exit code 1.
 *
 * @module
 */
import { parseArgs, type ParseArgsConfig } from "node:util";

/** What {@link parseFlags} returns: `parseArgs`'s result for the same configuration. */
export type ParsedFlags<T extends ParseArgsConfig> = ReturnType<typeof parseArgs<T>>;

/**
 * Reads flags strictly: an unknown flag, a missing value or an unexpected positional argument
 * is an error.
 *
 * @param config `parseArgs`'s configuration (`args`, `options`, `allowPositionals`).
 * @returns The values and positionals.
 * @throws {TypeError} On a bad command line, with the first sentence of `parseArgs`'s
 * message, for example `Unknown option '--bogus'`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseFlags } from "./_flags.ts";
 * const { values } = parseFlags({ args: ["--out", "x"], options: { out: { type: "string" } } });
 * assert.equal(values.out, "x");
 * ```
 */
export function parseFlags<T extends ParseArgsConfig>(config: T): ParsedFlags<T> {
  try {
    const args = config.args === undefined
      ? undefined
      : attachNegativeValues(config.args, config.options ?? {});
    return parseArgs<T>({ strict: true, ...config, ...(args === undefined ? {} : { args }) });
  } catch (error) {
    // Keep the first sentence: "Unknown option '--x'", not the advice on positionals after it.
    const line = firstLine(error);
    const cut = line.indexOf(". ");
    throw new TypeError(cut === -1 ? line : line.slice(0, cut));
  }
}

/**
 * `--cold -1` as `--cold=-1`: `parseArgs` takes a value that starts with "-" for an option
 * ("argument is ambiguous"), so a negative number would fail as a puzzle about dashes instead
 * of as the out-of-range value it is. Only for string options followed by a negative number.
 */
function attachNegativeValues(
  args: readonly string[],
  options: NonNullable<ParseArgsConfig["options"]>,
): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const name = arg.startsWith("--") ? arg.slice(2) : null;
    const next = args[i + 1];
    if (
      name !== null && options[name]?.type === "string" && next !== undefined &&
      /^-(\d|\.\d)/.test(next)
    ) {
      out.push(`${arg}=${next}`);
      i += 1;
    } else {
      out.push(arg);
    }
  }
  return out;
}

/** Which numbers a flag accepts; every bound is optional. */
export interface NumberRule {
  /** Whole numbers only (digits, no exponent). Default false. */
  integer?: boolean;
  /** Smallest value allowed. */
  min?: number;
  /** Largest value allowed. */
  max?: number;
  /** The value must be greater than this (for "more than 0"). */
  above?: number;
}

function describeRule(rule: NumberRule): string {
  const bounds = [
    rule.above === undefined ? null : `> ${rule.above}`,
    rule.min === undefined ? null : `≥ ${rule.min}`,
    rule.max === undefined ? null : `≤ ${rule.max}`,
  ].filter((b) => b !== null);
  return `${rule.integer ? "a whole number" : "a number"}${
    bounds.length > 0 ? ` ${bounds.join(" and ")}` : ""
  }`;
}

/**
 * A flag's number, checked against a rule.
 *
 * @param flag The flag's name without dashes, for the message.
 * @param text The value as given.
 * @param rule Whole numbers only, bounds.
 * @returns The number.
 * @throws {RangeError} When the text is not such a number, naming the flag and the value:
 * `Invalid --cold "-1": expected a whole number ≥ 0`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { numberFlag } from "./_flags.ts";
 * assert.equal(numberFlag("memory", "512", { integer: true, min: 128 }), 512);
 * ```
 */
export function numberFlag(flag: string, text: string, rule: NumberRule = {}): number {
  const trimmed = text.trim();
  const n = Number(trimmed);
  const ok = trimmed !== "" && Number.isFinite(n) &&
    (!rule.integer || /^[+-]?\d+$/.test(trimmed)) &&
    (rule.min === undefined || n >= rule.min) && (rule.max === undefined || n <= rule.max) &&
    (rule.above === undefined || n > rule.above);
  if (!ok) throw new RangeError(`Invalid --${flag} "${text}": expected ${describeRule(rule)}`);
  return n;
}

/**
 * A comma-separated flag value, trimmed, empty items dropped, each item read by `item`.
 *
 * @param flag The flag's name without dashes, for the message.
 * @param text The value as given, for example `128, 512`.
 * @param item Reads one item (default: the text itself); its errors pass through.
 * @returns The items, in order.
 * @throws {RangeError} When the list is empty.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { commaList } from "./_flags.ts";
 * assert.equal(commaList("arch", "arm64, x86_64,").join("|"), "arm64|x86_64");
 * ```
 */
export function commaList<T = string>(
  flag: string,
  text: string,
  item: (s: string) => T = (s) => s as T,
): T[] {
  const items = text.split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (items.length === 0) {
    throw new RangeError(`Invalid --${flag} "${text}": expected a comma-separated list`);
  }
  return items.map(item);
}

/** Options of {@link runCommand}. */
export interface RunCommandOptions {
  /** Exit code when `run` throws (default 1). */
  failureCode?: number;
  /** Printed for `--help`/`-h`, and after a bad command line's message. */
  usage?: string;
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n")[0] ?? "";
}

/**
 * Runs a command line in two steps: `parse` reads the flags (a throw is a bad command line:
 * one line on stderr, exit code 2), then `run` does the work (a throw: one line, exit code
 * `failureCode`; otherwise the code it returns, 0 when none).
 *
 * @param command The command's name, the prefix of every error line.
 * @param args The arguments after the task name.
 * @param steps `parse` and `run`.
 * @param options Exit code on failure and usage text.
 * @returns The exit code.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseFlags, runCommand } from "./_flags.ts";
 * const code = await runCommand("demo", ["--bogus"], {
 *   parse: (args) => parseFlags({ args, options: {} }),
 *   run: () => 0,
 * }); // prints "demo: Unknown option '--bogus'" on stderr
 * assert.equal(code, 2);
 * ```
 */
export async function runCommand<T>(
  command: string,
  args: readonly string[],
  steps: { parse(args: string[]): T; run(parsed: T): Promise<number | void> | number | void },
  options: RunCommandOptions = {},
): Promise<number> {
  if (options.usage !== undefined && (args.includes("--help") || args.includes("-h"))) {
    console.log(options.usage);
    return 0;
  }
  let parsed: T;
  try {
    parsed = steps.parse([...args]);
  } catch (error) {
    const usage = options.usage === undefined ? "" : ` (${options.usage})`;
    console.error(`${command}: ${firstLine(error)}${usage}`);
    return 2;
  }
  try {
    return (await steps.run(parsed)) ?? 0;
  } catch (error) {
    console.error(`${command}: ${firstLine(error)}`);
    return options.failureCode ?? 1;
  }
}
