/**
 * The shared contract suite against the JavaScript extension on LLRT (`build/llrt/llrt`), with
 * the bundle LLRT needs: the SDK left external when `llrt.json` says LLRT embeds it, bundled
 * otherwise (the `llrt_core` crate build). Built fresh from `extensions/src` into a temporary
 * folder. Without an LLRT binary every case is ignored with the reason printed; it never falls
 * back to another runtime.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import * as esbuild from "esbuild";
import { buildBundle, JS_BUNDLES } from "../build/js.ts";
import { LLRT_BIN, LLRT_INFO } from "../paths.ts";
import { runContractSuite } from "./suite.ts";

function llrtInfo(): { available?: boolean; sdkEmbedded?: boolean; reason?: string } | null {
  try {
    return JSON.parse(readFileSync(LLRT_INFO, "utf8"));
  } catch {
    return null;
  }
}

const info = llrtInfo();
const missing = !existsSync(LLRT_BIN)
  ? `no LLRT binary at ${LLRT_BIN} (run deno task build)`
  : info?.available === false
  ? `${LLRT_INFO} says LLRT is unavailable${info.reason ? `: ${info.reason}` : ""}`
  : null;

if (missing !== null) {
  console.log(`contract(llrt): skipped: ${missing}`);
  Deno.test({ name: `contract(llrt): skipped: ${missing}`, ignore: true, fn: () => {} });
} else {
  const name = info?.sdkEmbedded === true ? "JS_EXTENSION_LLRT" : "JS_EXTENSION_LLRT_SDK";
  const spec = JS_BUNDLES.find((b) => b.name === name)!;
  const dir = await Deno.makeTempDir({ prefix: "battle-js-llrt-" });
  const bundle = join(dir, "extension.mjs");
  await buildBundle({ ...spec, outfile: bundle });
  await esbuild.stop();
  Deno.test.afterAll(() => Deno.remove(dir, { recursive: true }));
  runContractSuite({
    name: "llrt",
    extensionName: "battle-ext-llrt",
    command: LLRT_BIN,
    args: [bundle],
    env: { BATTLE_EXTENSION_NAME: "battle-ext-llrt" },
  });
}
