/**
 * The DynamoDB client of workload `dynamodb`, configured like the SQS client
 * (extensions/src/sqs.ts) on Node.js and on LLRT: region, endpoint (`AWS_ENDPOINT_URL_DYNAMODB`)
 * and credentials from the standard variables; `node:http` on Node.js, `fetch` elsewhere. The
 * writer makes its client on first use, so Init carries only the SDK's loading and the first
 * invocation the client's construction, as the multi-runtime study's functions do.
 *
 * @module
 */
import {
  DynamoDBClient,
  type DynamoDBClientConfig,
  PutItemCommand,
} from "@aws-sdk/client-dynamodb";
import { FetchHttpHandler } from "@smithy/fetch-http-handler";
import { nativeChecksum } from "../../extensions/src/hash.ts";
import { onNode } from "../../extensions/src/sqs.ts";
import { TABLE_KEY, TABLE_NAME_VARIABLE } from "../../lib/dynamodb/table.ts";
import type { Env, RequestItem } from "./handler.ts";

/** A hung connection must not eat the invocation's deadline. */
const REQUEST_TIMEOUT_MS = 5_000;

/**
 * The client configuration for this runtime.
 *
 * @param env `AWS_REGION`, `AWS_ENDPOINT_URL_DYNAMODB` (or `AWS_ENDPOINT_URL`) and the
 *   credential variables (without them, on Node.js, the SDK's provider chain applies).
 * @param options `node`: whether to use the Node.js defaults (default: on Node.js).
 * @returns The configuration.
 * @throws {TypeError} Off Node.js, when no region is set.
 * @example
 * ```ts
 * import { dynamoDbClientConfig } from "./dynamodb.ts";
 * const c = dynamoDbClientConfig(
 *   { AWS_REGION: "us-east-1", AWS_ENDPOINT_URL_DYNAMODB: "http://127.0.0.1:4567" },
 *   { node: true },
 * );
 * c.endpoint; // "http://127.0.0.1:4567"
 * ```
 */
export function dynamoDbClientConfig(
  env: Env,
  options: { node?: boolean } = {},
): DynamoDBClientConfig {
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  const endpoint = env.AWS_ENDPOINT_URL_DYNAMODB ?? env.AWS_ENDPOINT_URL;
  const config: DynamoDBClientConfig = { maxAttempts: 3 };
  if (region) config.region = region;
  // Passed explicitly: the SDK reads AWS_ENDPOINT_URL_DYNAMODB itself only in its Node.js build.
  if (endpoint) config.endpoint = endpoint;
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    config.credentials = {
      accessKeyId: env.AWS_ACCESS_KEY_ID,
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
      ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
    };
  }
  if (options.node ?? onNode()) {
    config.requestHandler = { requestTimeout: REQUEST_TIMEOUT_MS, connectionTimeout: 2_000 };
    return config;
  }
  if (!region) throw new TypeError("Cannot create the DynamoDB client: AWS_REGION is not set");
  config.requestHandler = new FetchHttpHandler({ requestTimeout: REQUEST_TIMEOUT_MS });
  config.sha256 = nativeChecksum("sha256");
  return config;
}

/**
 * The item writer of workload `dynamodb`: `PutItem` of `{id, payload, sentAt}` into the table
 * `BATTLE_TABLE_NAME`, with one client per environment made on the first call.
 *
 * @param env See {@linkcode dynamoDbClientConfig}, and `BATTLE_TABLE_NAME`.
 * @param makeClient Makes the client (default from {@linkcode dynamoDbClientConfig}).
 * @returns The writer.
 * @throws {RangeError} From the writer, when `BATTLE_TABLE_NAME` is not set.
 */
export function dynamoDbWriter(
  env: Env,
  makeClient: () => Pick<DynamoDBClient, "send"> = () =>
    new DynamoDBClient(dynamoDbClientConfig(env)),
): (item: RequestItem) => Promise<void> {
  const table = env[TABLE_NAME_VARIABLE];
  let client: Pick<DynamoDBClient, "send"> | undefined;
  return async (item) => {
    if (!table) throw new RangeError(`${TABLE_NAME_VARIABLE} is not set`);
    client ??= makeClient();
    await client.send(
      new PutItemCommand({
        TableName: table,
        Item: {
          [TABLE_KEY]: { S: item.id },
          payload: { S: item.payload },
          sentAt: { N: String(item.sentAt) },
        },
      }),
    );
  };
}
