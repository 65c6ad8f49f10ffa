/**
 * The one declarative list of variants. The build, the local sandbox, the runner and the CDK app
 * all read it; adding a variant (Bun, Go, ...) is one entry here.
 *
 * @module
 */

/** What the function does with its payload on each invocation. */
export type DeliveryMode = "none" | "direct" | "extension";

/** The runtime the application's handler runs on. */
export type FunctionRuntime = "nodejs" | "llrt";

/** How an extension is built and what executes it. */
export interface ExtensionSpec {
  /** Executable name under `/opt/extensions/`; it is also the `Lambda-Extension-Name`. */
  name: string;
  /** `rust`: a cargo binary from `rust/extension`; `js`: the esbuild bundle of `extensions/src`. */
  build: "rust" | "js";
  /** What runs the extension: the binary itself, Node.js, or LLRT. */
  runner: "native" | "node" | "llrt";
}

/** One variant of the application. */
export interface Variant {
  /** Short name used in file names, CLI flags, tables and charts. */
  name: string;
  /** One line for reports. */
  description: string;
  /** What the handler does with the payload. */
  mode: DeliveryMode;
  /** The runtime of the handler (`llrt` deploys as a custom runtime on `provided.al2023`). */
  functionRuntime: FunctionRuntime;
  /** The extension the variant carries, or null for the baselines. */
  extension: ExtensionSpec | null;
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
    extension: null,
    color: "#7f7f7f",
  },
  {
    name: "direct",
    description: "No extension; the function sends to SQS itself",
    mode: "direct",
    functionRuntime: "nodejs",
    extension: null,
    color: "#1f77b4",
  },
  {
    name: "rust",
    description: "Rust extension (lambda-extension, tokio, aws-sdk-sqs)",
    mode: "extension",
    functionRuntime: "nodejs",
    extension: { name: "battle-ext-rust", build: "rust", runner: "native" },
    color: "#d62728",
  },
  {
    name: "node",
    description: "JavaScript extension on Node.js",
    mode: "extension",
    functionRuntime: "nodejs",
    extension: { name: "battle-ext-node", build: "js", runner: "node" },
    color: "#2ca02c",
  },
  {
    name: "llrt",
    description: "JavaScript extension on LLRT; the function runs on LLRT (provided.al2023)",
    mode: "extension",
    functionRuntime: "llrt",
    extension: { name: "battle-ext-llrt", build: "js", runner: "llrt" },
    color: "#ff7f0e",
  },
];

/** Names of every variant, in report order. */
export const VARIANT_NAMES: readonly string[] = VARIANTS.map((v) => v.name);

/**
 * Looks a variant up by name.
 *
 * @param name A variant name such as `rust`.
 * @returns The variant.
 * @throws {RangeError} When no variant has that name.
 * @example
 * ```ts
 * import { variantByName } from "./variants.ts";
 * variantByName("rust").extension?.name; // "battle-ext-rust"
 * ```
 */
export function variantByName(name: string): Variant {
  const found = VARIANTS.find((v) => v.name === name);
  if (!found) {
    throw new RangeError(
      `Unknown variant "${name}": expected one of ${VARIANT_NAMES.join(", ")}`,
    );
  }
  return found;
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
  const names = [...new Set(list.split(",").map((s) => s.trim()).filter((s) => s !== ""))];
  return names.map(variantByName);
}

/** True when the variant needs an LLRT binary, for its function or its extension. */
export function needsLlrt(variant: Variant): boolean {
  return variant.functionRuntime === "llrt" || variant.extension?.runner === "llrt";
}
