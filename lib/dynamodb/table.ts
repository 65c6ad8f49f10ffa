/**
 * The table the `dynamodb` workload writes to, as every handler, the local server and the CDK
 * stack agree on it: one item per invocation, keyed by its request id. Plain TypeScript with no
 * imports, so esbuild can inline it into the function bundle.
 *
 * @module
 */

/** The partition key (a string: the invocation's request id). */
export const TABLE_KEY = "id";

/** The variable that names the table to the function (`BATTLE_TABLE_NAME`). */
export const TABLE_NAME_VARIABLE = "BATTLE_TABLE_NAME";

/** The table's name when nothing else names it. */
export const DEFAULT_TABLE_NAME = "battle-requests";
