/**
 * Handler entry with the DynamoDB client (workload `dynamodb`, in mode `none` or
 * `extension`): `index.handler`. The client is made on the first invocation (see dynamodb.ts)
 * and reused by every later one in the environment.
 *
 * @module
 */
import { dynamoDbWriter } from "./dynamodb.ts";
import { extensionFetch } from "./extension_fetch.ts";
import { createHandler, type Env } from "./handler.ts";

const env = (globalThis as unknown as { process: { env: Env } }).process.env;

/** The Lambda handler. */
export const handler = createHandler({
  env,
  putItem: dynamoDbWriter(env),
  ...await extensionFetch(env),
});
