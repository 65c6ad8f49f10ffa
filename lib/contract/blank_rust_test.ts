/**
 * The lifecycle part of the contract against the host build of the blank Rust extension
 * (`build/rust/battle-ext-blank`, made by `deno task build`).
 */
import { existsSync } from "node:fs";
import { RUST_BLANK_EXTENSION_BIN } from "../paths.ts";
import { runLifecycleSuite } from "./lifecycle.ts";

if (!existsSync(RUST_BLANK_EXTENSION_BIN)) {
  Deno.test(`lifecycle(blank-rust): ${RUST_BLANK_EXTENSION_BIN} exists`, () => {
    throw new Error(
      `The blank Rust extension is not built: ${RUST_BLANK_EXTENSION_BIN} is missing (run deno task build)`,
    );
  });
} else {
  runLifecycleSuite({
    name: "blank-rust",
    extensionName: "battle-ext-blank",
    command: RUST_BLANK_EXTENSION_BIN,
  });
}
