/**
 * Entry point of the blank JavaScript extension (bundled to one ESM file by esbuild; runs on
 * Node.js and on LLRT). Environment: `AWS_LAMBDA_RUNTIME_API`, and `BATTLE_EXTENSION_NAME`
 * (set by the launcher to its own file name).
 *
 * @module
 */
import { ExtensionsApi } from "../src/extensions_api.ts";
import { runBlankExtension } from "./blank.ts";

const proc = (globalThis as unknown as {
  process: { env: Record<string, string | undefined>; exit(code: number): never };
}).process;
const name = proc.env.BATTLE_EXTENSION_NAME ?? "battle-blank-js";
const runtimeApi = proc.env.AWS_LAMBDA_RUNTIME_API;
if (!runtimeApi) {
  console.log(`[${name}] AWS_LAMBDA_RUNTIME_API is not set: not running inside Lambda`);
  proc.exit(1);
}
proc.exit(await runBlankExtension({ name, api: new ExtensionsApi(runtimeApi!) }));
