/**
 * The `fetch` the handler reaches the extension with: on Node.js in mode `extension`, a POST
 * over `node:http` (see node_http.ts for why); otherwise none, so the handler keeps the global
 * `fetch` (LLRT's).
 *
 * @module
 */
import type { Env } from "./handler.ts";
import { httpFetch } from "./node_http.ts";

/**
 * @param env The environment (`BATTLE_MODE`).
 * @returns `{ fetch }` to spread into the handler's dependencies, or `{}`.
 */
export async function extensionFetch(env: Env): Promise<{ fetch?: typeof fetch }> {
  const proc = (globalThis as { process?: { release?: { name?: string } } }).process;
  if (proc?.release?.name !== "node" || env.BATTLE_MODE !== "extension") return {};
  return { fetch: httpFetch(await import("node:http")) };
}
