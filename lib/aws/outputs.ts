/**
 * Reads what `deno task deploy` wrote with `cdk deploy --outputs-file infra/outputs.json`: the
 * queue URLs and, per function, its name, variant, memory, architecture and log group. The AWS
 * backend of `deno task bench` uses it to know what to invoke and where its logs are.
 *
 * The file is `{ "<stack name>": { "<output key>": "<value>", ... } }`; each function output's
 * value is a JSON object (see `functionOutputKey` in `infra/stack.ts`). The CDK app in `infra/`
 * writes the file; this reader lives in `lib/` so the runner does not import `infra/`.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { ROOT } from "../paths.ts";
import type { Arch } from "../schema.ts";
import { VARIANT_NAMES } from "../variants.ts";

/** Where `deno task deploy` writes the stack outputs. */
export const OUTPUTS_FILE: string = join(ROOT, "infra", "outputs.json");

/** The environment variable that names another outputs file (`deno task serve` writes one). */
export const OUTPUTS_FILE_ENV = "BATTLE_OUTPUTS_FILE";

/**
 * The outputs file in use: `BATTLE_OUTPUTS_FILE` when set (a local endpoint's, a test's), else
 * {@link OUTPUTS_FILE}.
 *
 * @param env The environment (default the real one).
 * @returns The path.
 */
export function outputsFile(
  env: Record<string, string | undefined> = Deno.env.toObject(),
): string {
  return env[OUTPUTS_FILE_ENV] || OUTPUTS_FILE;
}

/** What names one function of the stack. */
export interface FunctionCoordinates {
  variant: string;
  arch: Arch;
  memoryMb: number;
}

/**
 * The name of a function of the stack, for example `BattleOfTheExtensions-rust-arm64-1024`.
 *
 * @param stackName The stack.
 * @param fn Variant name, architecture and memory.
 * @returns The function name.
 */
export function stackFunctionName(stackName: string, fn: FunctionCoordinates): string {
  return `${stackName}-${fn.variant}-${fn.arch}-${fn.memoryMb}`;
}

/**
 * The stack output key that describes one function, for example `FunctionRustArm64M1024`.
 *
 * @param fn Variant name, architecture and memory.
 * @returns The key.
 */
export function functionOutputKey(fn: FunctionCoordinates): string {
  const pascal = (s: string) =>
    s.replace(/(^|[^A-Za-z0-9])([A-Za-z0-9])/g, (_, _sep, c) => c.toUpperCase());
  return `Function${pascal(fn.variant)}${pascal(fn.arch)}M${fn.memoryMb}`;
}

/** One deployed function. */
export interface DeployedFunction {
  functionName: string;
  variant: string;
  memoryMb: number;
  arch: Arch;
  logGroupName: string;
}

/** Everything the runner needs from the deployed stack. */
export interface StackOutputs {
  stackName: string;
  /** Region the stack was deployed to. */
  region: string;
  queueUrl: string;
  deadLetterQueueUrl: string;
  /** In report order: variant (as in `lib/variants.ts`), then memory, then architecture. */
  functions: DeployedFunction[];
}

function variantRank(name: string): number {
  const i = VARIANT_NAMES.indexOf(name);
  return i === -1 ? VARIANT_NAMES.length : i;
}

function parseFunction(key: string, value: unknown, file: string): DeployedFunction {
  let parsed: Partial<DeployedFunction>;
  try {
    parsed = JSON.parse(String(value)) as Partial<DeployedFunction>;
  } catch {
    throw new SyntaxError(`Cannot read output "${key}" in ${file}: not JSON: ${String(value)}`);
  }
  const ok = typeof parsed.functionName === "string" && typeof parsed.variant === "string" &&
    typeof parsed.memoryMb === "number" && (parsed.arch === "arm64" || parsed.arch === "x86_64") &&
    typeof parsed.logGroupName === "string";
  if (!ok) {
    throw new TypeError(
      `Cannot read output "${key}" in ${file}: expected functionName, variant, memoryMb, arch, ` +
        `logGroupName, got ${String(value)}`,
    );
  }
  return parsed as DeployedFunction;
}

/**
 * Reads the deployed stack's outputs.
 *
 * @param options `file` (default {@link outputsFile}: `infra/outputs.json` unless
 * `BATTLE_OUTPUTS_FILE` names another) and `stackName` (default: the only stack
 * in the file).
 * @returns The queue URLs, region and functions.
 * @throws {Deno.errors.NotFound} When the file is missing (nothing deployed yet).
 * @throws {TypeError} When the file has no such stack or lacks an output.
 * @throws {SyntaxError} When the file or a function output is not JSON.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readStackOutputs } from "./outputs.ts";
 * // What `cdk deploy --outputs-file` writes; `readStackOutputs()` reads infra/outputs.json.
 * const fn = { functionName: "f", variant: "rust", memoryMb: 128, arch: "arm64", logGroupName: "/aws/lambda/f" };
 * const file = await Deno.makeTempFile({ suffix: ".json" });
 * await Deno.writeTextFile(file, JSON.stringify({
 *   Battle: { Region: "eu-west-1", QueueUrl: "q", DeadLetterQueueUrl: "dlq", FunctionRust: JSON.stringify(fn) },
 * }));
 * const { functions, queueUrl } = await readStackOutputs({ file });
 * assert.equal(functions[0]?.variant, "rust");
 * assert.equal(queueUrl, "q");
 * await Deno.remove(file);
 * ```
 */
export async function readStackOutputs(
  options: { file?: string; stackName?: string } = {},
): Promise<StackOutputs> {
  const file = options.file ?? outputsFile();
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new Deno.errors.NotFound(`No stack outputs at ${file}: run deno task deploy first`);
    }
    throw err;
  }
  let all: Record<string, Record<string, unknown>>;
  try {
    all = JSON.parse(text);
  } catch {
    throw new SyntaxError(`Cannot read ${file}: not JSON`);
  }
  const names = Object.keys(all);
  const stackName = options.stackName ?? (names.length === 1 ? names[0] : undefined);
  const outputs = stackName === undefined ? undefined : all[stackName];
  if (stackName === undefined || outputs === undefined) {
    throw new TypeError(
      `Cannot find stack "${options.stackName ?? ""}" in ${file}: it holds ${
        names.map((n) => `"${n}"`).join(", ") || "no stack"
      }`,
    );
  }
  const required = (key: string): string => {
    const value = outputs[key];
    if (typeof value !== "string" || value === "") {
      throw new TypeError(`Cannot read ${file}: stack "${stackName}" has no output "${key}"`);
    }
    return value;
  };
  const functions = Object.entries(outputs)
    .filter(([key]) => key.startsWith("Function"))
    .map(([key, value]) => parseFunction(key, value, file))
    .sort((a, b) =>
      variantRank(a.variant) - variantRank(b.variant) || a.memoryMb - b.memoryMb ||
      a.arch.localeCompare(b.arch)
    );
  return {
    stackName,
    region: required("Region"),
    queueUrl: required("QueueUrl"),
    deadLetterQueueUrl: required("DeadLetterQueueUrl"),
    functions,
  };
}

/**
 * The outputs file's content for a stack, in the shape `cdk deploy --outputs-file` writes:
 * `{ "<stack>": { "Region", "QueueUrl", "DeadLetterQueueUrl", "Function...": "<JSON>" } }`.
 *
 * @param outputs The stack's outputs.
 * @returns The object to write as JSON.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { stackOutputsJson } from "./outputs.ts";
 * const fn = { functionName: "S-none-x86_64-128", variant: "none", memoryMb: 128, arch: "x86_64" as const, logGroupName: "/aws/lambda/S-none-x86_64-128" };
 * const json = stackOutputsJson({ stackName: "S", region: "us-east-1", queueUrl: "q", deadLetterQueueUrl: "d", functions: [fn] });
 * assert.equal(Object.keys(json.S!).includes("FunctionNoneX8664M128"), true);
 * ```
 */
export function stackOutputsJson(outputs: StackOutputs): Record<string, Record<string, string>> {
  const values: Record<string, string> = {
    Region: outputs.region,
    QueueUrl: outputs.queueUrl,
    DeadLetterQueueUrl: outputs.deadLetterQueueUrl,
  };
  for (const fn of outputs.functions) {
    values[functionOutputKey(fn)] = JSON.stringify({
      functionName: fn.functionName,
      variant: fn.variant,
      memoryMb: fn.memoryMb,
      arch: fn.arch,
      logGroupName: fn.logGroupName,
    });
  }
  return { [outputs.stackName]: values };
}

/**
 * Writes a stack's outputs file (atomically: a reader never sees half of it).
 *
 * @param file Where.
 * @param outputs The stack's outputs.
 */
export async function writeStackOutputs(file: string, outputs: StackOutputs): Promise<void> {
  await Deno.mkdir(dirname(file), { recursive: true });
  const tmp = `${file}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  await Deno.writeTextFile(tmp, JSON.stringify(stackOutputsJson(outputs), null, 2) + "\n");
  await Deno.rename(tmp, file);
}
