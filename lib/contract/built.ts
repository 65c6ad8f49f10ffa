/**
 * The project's built extensions as {@link ExtensionCommand}s for the harness (the benchmarks of
 * `scripts/` start them this way): Rust, and the JS bundle on Node.js and on LLRT.
 *
 * @module
 */
import { existsSync, readFileSync } from "node:fs";
import {
  JS_EXTENSION_LLRT,
  JS_EXTENSION_LLRT_SDK,
  JS_EXTENSION_NODE,
  LLRT_BIN,
  LLRT_INFO,
  RUST_EXTENSION_BIN,
} from "../paths.ts";
import type { ExtensionCommand } from "./harness.ts";

/**
 * @returns each built extension's command; the SDK is left out of the LLRT bundle only for an
 * LLRT that embeds it (as js_llrt_test.ts picks)
 */
export function builtExtensions(): Record<"rust" | "node" | "llrt", ExtensionCommand> {
  const llrtInfo = existsSync(LLRT_INFO) ? JSON.parse(readFileSync(LLRT_INFO, "utf8")) : {};
  return {
    rust: { command: RUST_EXTENSION_BIN },
    node: {
      command: "node",
      args: [JS_EXTENSION_NODE],
      env: { BATTLE_EXTENSION_NAME: "battle-ext-node" },
    },
    llrt: {
      command: LLRT_BIN,
      args: [llrtInfo.sdkEmbedded === true ? JS_EXTENSION_LLRT : JS_EXTENSION_LLRT_SDK],
      env: { BATTLE_EXTENSION_NAME: "battle-ext-llrt" },
    },
  };
}
