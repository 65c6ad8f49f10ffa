/**
 * Handler entry without the AWS SDK (modes `none` and `extension`): `index.handler`.
 *
 * @module
 */
import { createHandler, type Env } from "./handler.ts";
import { httpFetch } from "./node_http.ts";

const proc = (globalThis as unknown as {
  process: { env: Env; release?: { name?: string } };
}).process;
const env = proc.env;

// On Node.js the POST to the extension goes over node:http (see node_http.ts); on LLRT, fetch.
const onNode = proc.release?.name === "node";
const fetchImpl = onNode && env.BATTLE_MODE === "extension"
  ? httpFetch(await import("node:http"))
  : undefined;

/** The Lambda handler. */
export const handler = createHandler({ env, ...(fetchImpl ? { fetch: fetchImpl } : {}) });
