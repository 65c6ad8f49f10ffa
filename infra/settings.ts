/**
 * The settings of the CDK app: which functions to deploy and what they do. Read from CDK context
 * (`cdk synth -c memory=128,1024`, which is what `infra/cli.ts` passes), else from the
 * environment (`BATTLE_MEMORY=128,1024`), else the defaults below, which match the defaults of
 * `deno task bench` so that a default deploy holds what a default AWS run invokes.
 *
 * | context key      | environment              | default                 |
 * | ---------------- | ------------------------ | ----------------------- |
 * | `memory`         | `BATTLE_MEMORY`          | `128,512,1024`          |
 * | `arch`           | `BATTLE_ARCH`            | `arm64,x86_64`          |
 * | `variants`       | `BATTLE_VARIANTS`        | every named variant, and every runtime's `<runtime>-none-sqs` when none of these four is set |
 * | `functions`      | `BATTLE_FUNCTIONS`       | none (crossed with `extensions`, `workloads`) |
 * | `extensions`     | `BATTLE_EXTENSIONS`      | `none` when `functions` is given |
 * | `workloads`      | `BATTLE_WORKLOADS`       | `sqs` when `functions` is given  |
 * | `region`         | `AWS_REGION`             | none (environment-agnostic stack) |
 * | `workIterations` | `BATTLE_WORK_ITERATIONS` | `2000`                  |
 * | `payloadBytes`   | `BATTLE_PAYLOAD_BYTES`   | `1024`                  |
 * | `delayMs`        | `BATTLE_DELAY_MS`        | `500` (workload `delay`) |
 * | `timeoutSeconds` | `BATTLE_TIMEOUT_SECONDS` | `30`                    |
 * | `stackName`      | `BATTLE_STACK_NAME`      | `BattleOfTheExtensions` |
 * | `strict`         | `BATTLE_STRICT`          | `false` (skip missing builds; `true` fails) |
 * | `buildDir`       | `BATTLE_BUILD_DIR`       | `build/` (a folder laid out like it)         |
 *
 * @module
 */
import type { Arch } from "../lib/schema.ts";
import { parseArchList, parseMemoryList } from "../lib/bench/matrix.ts";
import {
  expandVariants,
  FUNCTION_RUNTIME_NAMES,
  type Variant,
  VARIANT_NAMES,
} from "../lib/variants.ts";

/** Everything the stack is built from. */
export interface InfraSettings {
  /** CloudFormation stack name; also the prefix of every function name. */
  stackName: string;
  /** Deployment region, or undefined for an environment-agnostic synth. */
  region: string | undefined;
  /** Function memory sizes in MB. */
  memorySizes: number[];
  /** Function architectures. */
  architectures: Arch[];
  /** Variants to deploy: `variants`, then the cross product (lib/variants.ts `expandVariants`). */
  variants: Variant[];
  /** Combinations of the cross product that cannot run, with the reason. */
  impossible: { name: string; reason: string }[];
  /** `BATTLE_WORK_ITERATIONS` of every function. */
  workIterations: number;
  /** `BATTLE_PAYLOAD_BYTES` of every function. */
  payloadBytes: number;
  /** `BATTLE_DELAY_MS` of the functions of workload `delay`. */
  delayMs: number;
  /** Function timeout in seconds. */
  timeoutSeconds: number;
  /** True: a missing build fails the synth (deploy); false: it is skipped with a reason. */
  strict: boolean;
  /** A folder laid out like `build/` to take the builds from, or undefined for `build/`. */
  buildDir: string | undefined;
}

function variantsOf(get: (key: string) => string | undefined) {
  const selection: Record<string, string> = {};
  for (const key of ["variants", "functions", "extensions", "workloads"]) {
    const value = get(key);
    if (value !== undefined) selection[key] = value;
  }
  // By default the stack holds the named variants and every function runtime's function
  // (direct to SQS), so one deploy serves the extension study and the runtime comparison.
  const { variants, skipped } = expandVariants(
    Object.keys(selection).length > 0 ? selection : {
      variants: VARIANT_NAMES.join(","),
      functions: FUNCTION_RUNTIME_NAMES.join(","),
      extensions: "none",
    },
  );
  return { variants, impossible: skipped };
}

/** The default `stackName`. */
export const DEFAULT_STACK_NAME = "BattleOfTheExtensions";

/** Context keys and the environment variables that back them. */
export const SETTING_ENV: Readonly<Record<string, readonly string[]>> = {
  memory: ["BATTLE_MEMORY"],
  arch: ["BATTLE_ARCH"],
  variants: ["BATTLE_VARIANTS"],
  functions: ["BATTLE_FUNCTIONS"],
  extensions: ["BATTLE_EXTENSIONS"],
  workloads: ["BATTLE_WORKLOADS"],
  region: ["AWS_REGION"],
  workIterations: ["BATTLE_WORK_ITERATIONS"],
  payloadBytes: ["BATTLE_PAYLOAD_BYTES"],
  delayMs: ["BATTLE_DELAY_MS"],
  timeoutSeconds: ["BATTLE_TIMEOUT_SECONDS"],
  stackName: ["BATTLE_STACK_NAME"],
  strict: ["BATTLE_STRICT"],
  buildDir: ["BATTLE_BUILD_DIR"],
};

function wholeNumber(
  key: string,
  value: string,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`;
    throw new RangeError(`Invalid ${key} "${value}": expected a whole number ${range}`);
  }
  return n;
}

/**
 * Resolves the settings from a lookup (CDK context first, then the environment).
 *
 * @param context Returns the context value for a key (for example `app.node.tryGetContext`).
 * @param env Environment variables; default `Deno.env.toObject()`.
 * @returns The settings.
 * @throws {RangeError} When a value is malformed; the message names the key and the value.
 * @example
 * ```ts
 * import { resolveSettings } from "./settings.ts";
 * resolveSettings((k) => (k === "memory" ? "256" : undefined), {}).memorySizes; // [256]
 * ```
 */
export function resolveSettings(
  context: (key: string) => unknown,
  env: Record<string, string | undefined> = Deno.env.toObject(),
): InfraSettings {
  const get = (key: string): string | undefined => {
    const fromContext = context(key);
    if (fromContext !== undefined && fromContext !== null && String(fromContext) !== "") {
      return String(fromContext);
    }
    for (const name of SETTING_ENV[key] ?? []) {
      if (env[name]) return env[name];
    }
    return undefined;
  };
  const stackName = get("stackName") ?? DEFAULT_STACK_NAME;
  if (!/^[A-Za-z][A-Za-z0-9-]{0,40}$/.test(stackName)) {
    throw new RangeError(
      `Invalid stackName "${stackName}": expected a letter then up to 40 letters, digits or -`,
    );
  }
  return {
    stackName,
    region: get("region"),
    memorySizes: parseMemoryList(get("memory") ?? "128,512,1024"),
    architectures: parseArchList(get("arch") ?? "arm64,x86_64"),
    ...variantsOf(get),
    workIterations: wholeNumber("workIterations", get("workIterations") ?? "2000", 0),
    payloadBytes: wholeNumber("payloadBytes", get("payloadBytes") ?? "1024", 0),
    delayMs: wholeNumber("delayMs", get("delayMs") ?? "500", 0),
    timeoutSeconds: wholeNumber("timeoutSeconds", get("timeoutSeconds") ?? "30", 1, 900),
    strict: (get("strict") ?? "false") === "true",
    buildDir: get("buildDir"),
  };
}
