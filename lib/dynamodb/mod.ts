/**
 * dynalite, an open-source DynamoDB-compatible server, for tests and the local sandbox (AWS's
 * DynamoDB Local is under the vendor's own terms and is not used).
 *
 * @example
 * ```ts ignore
 * import { startDynamoDB } from "./mod.ts";
 * await using db = await startDynamoDB();
 * const table = await db.createTable("battle-requests");
 * // AWS_ENDPOINT_URL_DYNAMODB=db.endpoint, BATTLE_TABLE_NAME=table
 * const written = await db.countItems(table);
 * ```
 *
 * @module
 */
export {
  DYNALITE_TOOL_DIR,
  DYNALITE_VERSION,
  type DynaliteInstall,
  ensureDynalite,
  type EnsureDynaliteOptions,
} from "./install.ts";
export {
  DUMMY_CREDENTIALS,
  LOCAL_REGION,
  LocalDynamoDB,
  startDynamoDB,
  type StartDynamoDBOptions,
} from "./server.ts";
export { DEFAULT_TABLE_NAME, TABLE_KEY, TABLE_NAME_VARIABLE } from "./table.ts";
