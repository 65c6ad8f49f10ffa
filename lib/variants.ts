/**
 * The one declarative manifest of what exists: function runtimes, extensions and workloads, and
 * the named variants composed of them. The build, the local sandbox, the runner, the reports and
 * the CDK app all read it; a cell is function runtime × extension × workload × memory × arch,
 * and adding a runtime, extension or workload is one entry here.
 *
 * @module
 */

/** What the function does with its payload on each invocation (`BATTLE_MODE`). */
export type DeliveryMode = "none" | "direct" | "extension";

/**
 * The function runtimes the application's handler is written for, in report order: the names
 * they share with named variants (`rust`, `llrt`) come in the named variants' order, so one
 * order serves charts by variant and charts by runtime.
 */
export const FUNCTION_RUNTIME_NAMES = [
  "nodejs",
  "python",
  "python-pyo3",
  "rust",
  "go",
  "llrt",
] as const;

/** The runtime the application's handler runs on. */
export type FunctionRuntime = typeof FUNCTION_RUNTIME_NAMES[number];

/** How one function runtime is built, started and deployed. */
export interface FunctionRuntimeSpec {
  name: FunctionRuntime;
  /** One line for reports. */
  description: string;
  /** Where its handler's source lives (the folder's tests are in its own language). */
  source: string;
  /**
   * `js`: the esbuild bundle of functions/nodejs; `python`: functions/python copied as is;
   * `python-pyo3`: the same plus the maturin wheel of rust/native; `cargo`: the bootstrap of
   * rust/function; `go`: the bootstrap of functions/go.
   */
  build: "js" | "python" | "python-pyo3" | "cargo" | "go";
  /** How the local sandbox starts it (see lib/sandbox/runtimes.ts). */
  sandboxRuntime: "node" | "llrt" | "python" | "provided";
  /** The handler setting (`_HANDLER`). */
  handler: string;
  /** The Lambda runtime it deploys on. */
  lambdaRuntime: "nodejs22.x" | "python3.12" | "provided.al2023";
  /** Chart colour, fixed per runtime so every chart agrees. */
  color: string;
}

/** Every function runtime, in report order. */
export const FUNCTION_RUNTIMES: readonly FunctionRuntimeSpec[] = [
  {
    name: "nodejs",
    description: "Node.js managed runtime",
    source: "functions/nodejs",
    build: "js",
    sandboxRuntime: "node",
    handler: "index.handler",
    lambdaRuntime: "nodejs22.x",
    color: "#3c873a",
  },
  {
    name: "python",
    description: "Python managed runtime (awslambdaric, boto3)",
    source: "functions/python",
    build: "python",
    sandboxRuntime: "python",
    handler: "handler.handler",
    lambdaRuntime: "python3.12",
    color: "#3776ab",
  },
  {
    name: "python-pyo3",
    description: "Python with its hot path in Rust (PyO3, maturin)",
    source: "functions/python-pyo3",
    build: "python-pyo3",
    sandboxRuntime: "python",
    handler: "handler.handler",
    lambdaRuntime: "python3.12",
    color: "#9467bd",
  },
  {
    name: "rust",
    description: "Rust (lambda_runtime, aws-sdk-sqs) as a provided.al2023 bootstrap",
    source: "rust/function",
    build: "cargo",
    sandboxRuntime: "provided",
    handler: "bootstrap",
    lambdaRuntime: "provided.al2023",
    color: "#d62728",
  },
  {
    name: "go",
    description: "Go (aws-lambda-go, AWS SDK for Go v2) as a provided.al2023 bootstrap",
    source: "functions/go",
    build: "go",
    sandboxRuntime: "provided",
    handler: "bootstrap",
    lambdaRuntime: "provided.al2023",
    color: "#00add8",
  },
  {
    name: "llrt",
    description: "LLRT as a custom runtime (provided.al2023)",
    source: "functions/nodejs",
    build: "js",
    sandboxRuntime: "llrt",
    handler: "index.handler",
    lambdaRuntime: "provided.al2023",
    color: "#ff7f0e",
  },
];

/** How an extension is built and what executes it. */
export interface ExtensionSpec {
  /** Executable name under `/opt/extensions/`; it is also the `Lambda-Extension-Name`. */
  name: string;
  /**
   * `rust`: a cargo binary (`rust/extension`, or `rust/blank` for a blank one); `js`: an esbuild
   * bundle (`extensions/src`, or `extensions/blank`).
   */
  build: "rust" | "js";
  /** What runs the extension: the binary itself, Node.js, or LLRT. */
  runner: "native" | "node" | "llrt";
  /**
   * What it does on every INVOKE: `forward` the function's message to SQS (a collector doing I/O
   * on every invocation: it waits for the function's tagged message, delivers, then asks for the
   * next event), or nothing (`blank`: it registers and loops on `/event/next`).
   */
  role: "forward" | "blank";
  /** Chart colour mixed into its cells' (default: that of the named variant carrying it). */
  color?: string;
}

/** The extensions a cell can carry, by the name `--extensions` takes; `none` carries none. */
export const EXTENSIONS: Readonly<Record<string, ExtensionSpec | null>> = {
  none: null,
  rust: { name: "battle-ext-rust", build: "rust", runner: "native", role: "forward" },
  node: { name: "battle-ext-node", build: "js", runner: "node", role: "forward" },
  llrt: { name: "battle-ext-llrt", build: "js", runner: "llrt", role: "forward" },
  blankrust: {
    name: "battle-blank-rust",
    build: "rust",
    runner: "native",
    role: "blank",
    color: "#ff9896",
  },
  blanknode: {
    name: "battle-blank-node",
    build: "js",
    runner: "node",
    role: "blank",
    color: "#98df8a",
  },
  blankllrt: {
    name: "battle-blank-llrt",
    build: "js",
    runner: "llrt",
    role: "blank",
    color: "#ffbb78",
  },
};

/** Names of {@link EXTENSIONS}, in report order. */
export const EXTENSION_NAMES: readonly string[] = Object.keys(EXTENSIONS);

/**
 * What the function does on each invocation (`BATTLE_WORKLOAD`): `sqs` sends its payload to SQS
 * (through the extension when the cell has one, else directly), `dynamodb` puts one small item
 * keyed by the request id (one client per environment, made on first use), `delay` sleeps a
 * configured time (`BATTLE_DELAY_MS`, 500 ms by default), `cpu` does the configured work only,
 * `none` does nothing but answer (a hello function: no work, nothing sent). With a forwarding
 * extension the function also posts its payload to it, whatever the workload.
 */
export const WORKLOAD_NAMES = ["sqs", "dynamodb", "delay", "cpu", "none"] as const;

/** One of {@link WORKLOAD_NAMES}. */
export type Workload = typeof WORKLOAD_NAMES[number];

/** One variant of the application: function runtime × extension × workload. */
export interface Variant {
  /** Short name used in file names, CLI flags, tables and charts. */
  name: string;
  /** One line for reports. */
  description: string;
  /** What the handler does with the payload (follows from the workload and the extension). */
  mode: DeliveryMode;
  /** The runtime of the handler (`llrt` deploys as a custom runtime on `provided.al2023`). */
  functionRuntime: FunctionRuntime;
  /** The key of {@link EXTENSIONS}: `none`, `rust`, `node`, `llrt`. */
  extensionName: string;
  /** The extension the variant carries, or null for the baselines. */
  extension: ExtensionSpec | null;
  workload: Workload;
  /** Chart colour, fixed per variant so every chart agrees. */
  color: string;
}

/** Every variant the study knows, in report order. */
export const VARIANTS: readonly Variant[] = [
  {
    name: "none",
    description: "No extension; the function does its work only",
    mode: "none",
    functionRuntime: "nodejs",
    extensionName: "none",
    extension: null,
    workload: "cpu",
    color: "#7f7f7f",
  },
  {
    name: "direct",
    description: "No extension; the function sends to SQS itself",
    mode: "direct",
    functionRuntime: "nodejs",
    extensionName: "none",
    extension: null,
    workload: "sqs",
    color: "#1f77b4",
  },
  {
    name: "rust",
    description: "Rust extension (lambda-extension, tokio, aws-sdk-sqs)",
    mode: "extension",
    functionRuntime: "nodejs",
    extensionName: "rust",
    extension: EXTENSIONS.rust!,
    workload: "sqs",
    color: "#d62728",
  },
  {
    name: "node",
    description: "JavaScript extension on Node.js",
    mode: "extension",
    functionRuntime: "nodejs",
    extensionName: "node",
    extension: EXTENSIONS.node!,
    workload: "sqs",
    color: "#2ca02c",
  },
  {
    name: "llrt",
    description: "JavaScript extension on LLRT; the function runs on LLRT (provided.al2023)",
    mode: "extension",
    functionRuntime: "llrt",
    extensionName: "llrt",
    extension: EXTENSIONS.llrt!,
    workload: "sqs",
    color: "#ff7f0e",
  },
];

/** Names of every variant, in report order. */
export const VARIANT_NAMES: readonly string[] = VARIANTS.map((v) => v.name);

/**
 * The spec of a function runtime.
 *
 * @param name A runtime name such as `python-pyo3`.
 * @returns Its spec.
 * @throws {RangeError} When no runtime has that name.
 * @example
 * ```ts
 * import { functionRuntimeSpec } from "./variants.ts";
 * functionRuntimeSpec("go").lambdaRuntime; // "provided.al2023"
 * ```
 */
export function functionRuntimeSpec(name: string): FunctionRuntimeSpec {
  const found = FUNCTION_RUNTIMES.find((r) => r.name === name);
  if (!found) {
    throw new RangeError(
      `Unknown function runtime "${name}": expected one of ${FUNCTION_RUNTIME_NAMES.join(", ")}`,
    );
  }
  return found;
}

/** Mixes two `#rrggbb` colours half and half. */
function mix(a: string, b: string): string {
  const channel = (c: string, i: number) => parseInt(c.slice(1 + 2 * i, 3 + 2 * i), 16);
  return "#" +
    [0, 1, 2].map((i) =>
      Math.round((channel(a, i) + channel(b, i)) / 2).toString(16).padStart(2, "0")
    ).join("");
}

/**
 * The name of a composed cell: `<function runtime>-<extension>-<workload>`, e.g.
 * `python-pyo3-none-sqs`, usable in Lambda function names and file names. Extension and workload
 * names hold no `-`, so the name reads back unambiguously. Named variants keep their short names
 * (see {@link VARIANTS}).
 */
export function composedName(functionRuntime: string, extension: string, workload: string): string {
  return `${functionRuntime}-${extension}-${workload}`;
}

/** The parts of a composed name, or null when it is not one. */
function composedParts(
  name: string,
): { functionRuntime: string; extension: string; workload: string } | null {
  const runtimes = [...FUNCTION_RUNTIME_NAMES].sort((a, b) => b.length - a.length);
  for (const functionRuntime of runtimes) {
    if (!name.startsWith(`${functionRuntime}-`)) continue;
    const rest = name.slice(functionRuntime.length + 1).split("-");
    if (rest.length === 2) return { functionRuntime, extension: rest[0]!, workload: rest[1]! };
  }
  return null;
}

/**
 * Composes one variant from its parts: the delivery mode follows from the workload and the
 * extension (`sqs` goes through the extension when there is one, else direct).
 *
 * @param parts The function runtime, the extension (a key of {@link EXTENSIONS}) and the workload.
 * @returns The variant, named by {@link composedName}, or the reason the combination cannot run.
 * @throws {RangeError} When a name is unknown.
 * @example
 * ```ts
 * import { composeVariant } from "./variants.ts";
 * const v = composeVariant({ functionRuntime: "go", extension: "rust", workload: "sqs" });
 * "variant" in v && v.variant.mode; // "extension"
 * ```
 */
export function composeVariant(
  parts: { functionRuntime: string; extension: string; workload: string },
): { variant: Variant } | { name: string; reason: string } {
  const runtime = functionRuntimeSpec(parts.functionRuntime);
  if (!(parts.extension in EXTENSIONS)) {
    throw new RangeError(
      `Unknown extension "${parts.extension}": expected one of ${EXTENSION_NAMES.join(", ")}`,
    );
  }
  if (!(WORKLOAD_NAMES as readonly string[]).includes(parts.workload)) {
    throw new RangeError(
      `Unknown workload "${parts.workload}": expected one of ${WORKLOAD_NAMES.join(", ")}`,
    );
  }
  const workload = parts.workload as Workload;
  const extension = EXTENSIONS[parts.extension]!;
  const name = composedName(runtime.name, parts.extension, workload);
  if (extension?.runner === "node" && runtime.name !== "nodejs") {
    return {
      name,
      reason:
        `extension node runs on the function runtime's Node.js, which ${runtime.name} has not`,
    };
  }
  // A forwarding extension waits on every INVOKE for the function's tagged message (or its end),
  // so the function talks to it whatever its own work; a blank one needs nothing from it.
  const forwarder = extension?.role === "forward" ? extension : null;
  const mode: DeliveryMode = forwarder ? "extension" : workload === "sqs" ? "direct" : "none";
  const work = {
    sqs: "",
    dynamodb: "puts one item into DynamoDB",
    delay: "sleeps a fixed delay",
    cpu: "does its work only",
    none: "answers only (no work)",
  }[workload];
  const what = forwarder
    ? `${work ? `${work}, then ` : ""}sends through the ${parts.extension} extension`
    : workload === "sqs"
    ? "sends to SQS itself"
    : work;
  const carried = extension?.role === "blank"
    ? ` (with the blank ${parts.extension} extension)`
    : "";
  const extensionColor = extension?.color ??
    VARIANTS.find((v) => v.extensionName === parts.extension)?.color;
  return {
    variant: {
      name,
      description: `${runtime.description}; ${what}${carried}`,
      mode,
      functionRuntime: runtime.name,
      extensionName: parts.extension,
      extension,
      workload,
      color: extension && extensionColor ? mix(runtime.color, extensionColor) : runtime.color,
    },
  };
}

/**
 * Looks a variant up by name: a named variant (`rust`) or a composed one (`go-none-sqs`).
 *
 * @param name A variant name such as `rust`.
 * @returns The variant.
 * @throws {RangeError} When no variant has that name, or the composition cannot run.
 * @example
 * ```ts
 * import { variantByName } from "./variants.ts";
 * variantByName("rust").extension?.name; // "battle-ext-rust"
 * variantByName("python-pyo3-none-sqs").mode; // "direct"
 * ```
 */
export function variantByName(name: string): Variant {
  const found = VARIANTS.find((v) => v.name === name);
  if (found) return found;
  const parts = composedParts(name);
  if (parts !== null) {
    const composed = composeVariant(parts);
    if ("variant" in composed) return composed.variant;
    throw new RangeError(`Variant "${name}" cannot run: ${composed.reason}`);
  }
  throw new RangeError(
    `Unknown variant "${name}": expected one of ${VARIANT_NAMES.join(", ")}, ` +
      "or <function runtime>-<extension>-<workload>",
  );
}

/**
 * Looks a variant up by name without throwing (for rows read back from Parquet).
 *
 * @param name A variant name, or null.
 * @returns The variant, or undefined when the name is unknown.
 */
export function findVariant(name: string | null | undefined): Variant | undefined {
  if (name === null || name === undefined) return undefined;
  try {
    return variantByName(name);
  } catch {
    return undefined;
  }
}

function listOf(list: string | undefined): string[] {
  if (list === undefined) return [];
  return [...new Set(list.split(",").map((s) => s.trim()).filter((s) => s !== ""))];
}

/**
 * Parses a comma-separated list of variant names (as given to `--variants`).
 *
 * @param list For example `rust,node`; empty means every variant.
 * @returns The variants, in the order given, without repeats.
 * @throws {RangeError} When a name is unknown.
 */
export function parseVariantList(list: string | undefined): Variant[] {
  if (list === undefined || list.trim() === "") return [...VARIANTS];
  return listOf(list).map(variantByName);
}

/** The matrix flags: `--variants`, `--functions`, `--extensions`, `--workloads`. */
export interface VariantSelection {
  variants?: string;
  functions?: string;
  extensions?: string;
  workloads?: string;
}

/**
 * Expands the matrix flags into variants, in one place for `deno task bench`, the CDK app and
 * the studies: `--variants` names variants as they are; `--functions` × `--extensions` ×
 * `--workloads` is the cross product (extensions default to `none`, workloads to `sqs`; naming
 * extensions or workloads alone crosses them with `nodejs`). Both together give both, without
 * repeats. Nothing at all gives every named variant.
 *
 * @param selection The flags' values.
 * @returns The variants, and the combinations that cannot run with the reason.
 * @throws {RangeError} When a name is unknown; the message names it and the known ones.
 * @example
 * ```ts
 * import { expandVariants } from "./variants.ts";
 * const { variants } = expandVariants({ functions: "python,go", extensions: "none" });
 * variants.map((v) => v.name); // ["python-none-sqs", "go-none-sqs"]
 * ```
 */
export function expandVariants(
  selection: VariantSelection,
): { variants: Variant[]; skipped: { name: string; reason: string }[] } {
  const crossed = [selection.functions, selection.extensions, selection.workloads]
    .some((l) => listOf(l).length > 0);
  const named = listOf(selection.variants).map(variantByName);
  if (!crossed) return { variants: named.length > 0 ? named : [...VARIANTS], skipped: [] };
  const functions = listOf(selection.functions);
  const extensions = listOf(selection.extensions);
  const workloads = listOf(selection.workloads);
  const variants = [...named];
  const skipped: { name: string; reason: string }[] = [];
  for (const functionRuntime of functions.length ? functions : ["nodejs"]) {
    for (const extension of extensions.length ? extensions : ["none"]) {
      for (const workload of workloads.length ? workloads : ["sqs"]) {
        const composed = composeVariant({ functionRuntime, extension, workload });
        if ("reason" in composed) skipped.push(composed);
        else if (!variants.some((v) => v.name === composed.variant.name)) {
          variants.push(composed.variant);
        }
      }
    }
  }
  return { variants, skipped };
}

/** True when the variant needs an LLRT binary, for its function or its extension. */
export function needsLlrt(variant: Variant): boolean {
  return variant.functionRuntime === "llrt" || variant.extension?.runner === "llrt";
}
