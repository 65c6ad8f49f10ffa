/**
 * Handler entry without the AWS SDK (modes `none` and `extension`): `index.handler`.
 *
 * @module
 */
import { createHandler, type Env } from "./handler.ts";

const env = (globalThis as unknown as { process: { env: Env } }).process.env;

/** The Lambda handler. */
export const handler = createHandler({ env });
