/**
 * The shared contract suite against the JavaScript extension on Node.js: the Node.js bundle
 * (SDK bundled), built fresh from `extensions/src` into a temporary folder, run by `node`.
 */
import { join } from "node:path";
import { buildBundle, JS_BUNDLES } from "../build/js.ts";
import { runContractSuite } from "./suite.ts";
import * as esbuild from "esbuild";

const spec = JS_BUNDLES.find((b) => b.name === "JS_EXTENSION_NODE")!;
const dir = await Deno.makeTempDir({ prefix: "battle-js-node-" });
const bundle = join(dir, "extension.mjs");
await buildBundle({ ...spec, outfile: bundle });
await esbuild.stop();

Deno.test.afterAll(() => Deno.remove(dir, { recursive: true }));

runContractSuite({
  name: "node",
  extensionName: "battle-ext-node",
  command: "node",
  args: [bundle],
  env: { BATTLE_EXTENSION_NAME: "battle-ext-node" },
});
