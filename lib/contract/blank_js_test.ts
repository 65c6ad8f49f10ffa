/**
 * The lifecycle part of the contract against the blank JavaScript extension, on Node.js and on
 * LLRT (`build/llrt/llrt`), each bundle built fresh from `extensions/blank` into a temporary
 * folder. Without an LLRT binary the LLRT cases are ignored with the reason; they never fall
 * back to another runtime.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import * as esbuild from "esbuild";
import { buildBundle, JS_BUNDLES } from "../build/js.ts";
import { LLRT_BIN } from "../paths.ts";
import { runLifecycleSuite } from "./lifecycle.ts";

const dir = await Deno.makeTempDir({ prefix: "battle-blank-js-" });
const bundles: Record<string, string> = {};
for (const name of ["JS_BLANK_EXTENSION_NODE", "JS_BLANK_EXTENSION_LLRT"]) {
  const spec = JS_BUNDLES.find((b) => b.name === name)!;
  bundles[name] = join(dir, `${name}.mjs`);
  await buildBundle({ ...spec, outfile: bundles[name]! });
}
await esbuild.stop();
Deno.test.afterAll(() => Deno.remove(dir, { recursive: true }));

runLifecycleSuite({
  name: "blank-node",
  extensionName: "battle-blank-node",
  command: "node",
  args: [bundles.JS_BLANK_EXTENSION_NODE!],
  env: { BATTLE_EXTENSION_NAME: "battle-blank-node" },
});

const noLlrt = existsSync(LLRT_BIN) ? null : `no LLRT binary at ${LLRT_BIN} (run deno task build)`;
if (noLlrt !== null) console.log(`lifecycle(blank-llrt): skipped: ${noLlrt}`);
runLifecycleSuite({
  name: "blank-llrt",
  extensionName: "battle-blank-llrt",
  command: LLRT_BIN,
  args: [bundles.JS_BLANK_EXTENSION_LLRT!],
  env: { BATTLE_EXTENSION_NAME: "battle-blank-llrt" },
  ignore: noLlrt !== null,
});
