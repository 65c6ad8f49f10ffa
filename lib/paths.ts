/**
 * Where things live on disk. Build outputs go under `build/` (git-ignored), downloaded tools
 * under `.cache/`, run outputs under `data/runs/`. Every module asks here instead of
 * spelling paths itself.
 *
 * @module
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root. */
export const ROOT: string = fileURLToPath(new URL("..", import.meta.url)).replace(/\/$/, "");

/** Build outputs (git-ignored). */
export const BUILD_DIR: string = join(ROOT, "build");
/** Downloaded tools and caches (git-ignored): ElasticMQ jars, LLRT releases. */
export const CACHE_DIR: string = join(ROOT, ".cache");
/** Run outputs: `data/runs/<run-id>/`. */
export const RUNS_DIR: string = join(ROOT, "data", "runs");
/** Cargo workspace and its target folder. */
export const RUST_DIR: string = join(ROOT, "rust");
export const RUST_TARGET_DIR: string = join(RUST_DIR, "target");

/** The host build of the Rust extension. */
export const RUST_EXTENSION_BIN: string = join(BUILD_DIR, "rust", "battle-ext-rust");
/** The native line reader of `deno task ingest` (rust/ingest, a shared library). */
export const INGEST_NATIVE_LIB: string = join(BUILD_DIR, "native", "libbattle_ingest.so");
/** The sandbox's process launcher (rust/launcher), built by `deno task build`. */
export const SANDBOX_EXEC_BIN: string = join(BUILD_DIR, "rust", "battle-sandbox-exec");
/** The host build of the blank Rust extension (rust/blank). */
export const RUST_BLANK_EXTENSION_BIN: string = join(BUILD_DIR, "rust", "battle-ext-blank");
/** The blank JS extension's bundles (extensions/blank), for Node.js and for LLRT. */
export const JS_BLANK_EXTENSION_NODE: string = join(BUILD_DIR, "js", "blank-extension-node.mjs");
export const JS_BLANK_EXTENSION_LLRT: string = join(BUILD_DIR, "js", "blank-extension-llrt.mjs");
/** The LLRT binary in use and the JSON file that says where it came from (`LlrtInfo`). */
export const LLRT_BIN: string = join(BUILD_DIR, "llrt", "llrt");
export const LLRT_INFO: string = join(BUILD_DIR, "llrt", "llrt.json");
/** The JS extension bundles: SDK left external (LLRT) and SDK bundled (Node.js). */
export const JS_EXTENSION_LLRT: string = join(BUILD_DIR, "js", "extension-llrt.mjs");
export const JS_EXTENSION_NODE: string = join(BUILD_DIR, "js", "extension-node.mjs");
/** The JS extension for an LLRT that does not embed the AWS SDK (the `llrt_core` crate build). */
export const JS_EXTENSION_LLRT_SDK: string = join(BUILD_DIR, "js", "extension-llrt-sdk.mjs");
/** The application's handler bundles, by runtime and by whether the SQS client is in them. */
export function jsFunctionBundle(runtime: "node" | "llrt", withSqs: boolean): string {
  return join(BUILD_DIR, "js", `function-${runtime}${withSqs ? "-sqs" : ""}.mjs`);
}
/** The application's handler bundle with the DynamoDB client (workload `dynamodb`), by runtime. */
export function jsFunctionDynamoDbBundle(runtime: "node" | "llrt"): string {
  return join(BUILD_DIR, "js", `function-${runtime}-dynamodb.mjs`);
}
/** Per variant, a folder laid out like `/opt` (an `extensions/` folder of executables). */
export function layerDir(variant: string): string {
  return join(BUILD_DIR, "layers", variant);
}
/** Per variant, the function's code folder (`LAMBDA_TASK_ROOT`), handler `index.handler`. */
export function functionDir(variant: string): string {
  return join(BUILD_DIR, "functions", variant);
}
/** Sizes and versions of everything built, written by `deno task build`. */
export const BUILD_MANIFEST: string = join(BUILD_DIR, "build.json");
