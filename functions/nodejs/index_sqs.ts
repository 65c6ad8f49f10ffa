/**
 * Handler entry with the SQS client (mode `direct`): `index.handler`. The client is created at
 * init, outside the handler, so warm invocations reuse its connections.
 *
 * @module
 */
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { createSqsClient } from "../../extensions/src/sqs.ts";
import { createHandler, type Env } from "./handler.ts";

const env = (globalThis as unknown as { process: { env: Env } }).process.env;
const queueUrl = env.BATTLE_QUEUE_URL;
// The SDK's own retries (3 attempts) stand in for the extension's retry loop here.
const client = createSqsClient(env, { maxAttempts: 3 });

/** The Lambda handler. */
export const handler = createHandler({
  env,
  sendDirect: async (body) => {
    if (!queueUrl) throw new RangeError("BATTLE_QUEUE_URL is not set");
    await client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));
  },
});
