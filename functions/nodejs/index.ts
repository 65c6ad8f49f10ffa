/**
 * Handler entry without the AWS SDK (modes `none` and `extension`; workloads other than
 * `dynamodb`): `index.handler`.
 *
 * @module
 */
import { createHandler, type Env } from "./handler.ts";
import { extensionFetch } from "./extension_fetch.ts";

const env = (globalThis as unknown as { process: { env: Env } }).process.env;

/** The Lambda handler. */
export const handler = createHandler({ env, ...await extensionFetch(env) });
