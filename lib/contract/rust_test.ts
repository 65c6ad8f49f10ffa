/**
 * The shared contract suite against the host build of the Rust extension
 * (`build/rust/battle-ext-rust`, made by `deno task build` or `buildRustExtension()`).
 */
import { existsSync } from "node:fs";
import { RUST_EXTENSION_BIN } from "../paths.ts";
import { runContractSuite } from "./suite.ts";

if (!existsSync(RUST_EXTENSION_BIN)) {
  Deno.test(`contract(rust): ${RUST_EXTENSION_BIN} exists`, () => {
    throw new Error(
      `The Rust extension is not built: ${RUST_EXTENSION_BIN} is missing (run deno task build)`,
    );
  });
} else {
  runContractSuite({ name: "rust", extensionName: "battle-ext-rust", command: RUST_EXTENSION_BIN });
}
