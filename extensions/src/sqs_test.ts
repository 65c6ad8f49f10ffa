import assert from "node:assert/strict";
import { FetchHttpHandler } from "@smithy/fetch-http-handler";
import { mockClient } from "aws-sdk-client-mock";
import { SendMessageBatchCommand, SQSClient } from "@aws-sdk/client-sqs";
import {
  quietSdkNodeNotice,
  SDK_NODE_NOTICE_VARIABLE,
  sqsBatchSender,
  sqsClientConfig,
} from "./sqs.ts";

const env = {
  AWS_REGION: "eu-west-1",
  AWS_ENDPOINT_URL_SQS: "http://127.0.0.1:9324",
  AWS_ACCESS_KEY_ID: "AK",
  AWS_SECRET_ACCESS_KEY: "SK",
  AWS_SESSION_TOKEN: "ST",
};

Deno.test("sqsClientConfig() off Node.js uses fetch, env credentials, the SQS endpoint and 1 attempt", () => {
  const config = sqsClientConfig(env, { node: false });
  assert.ok(config.requestHandler instanceof FetchHttpHandler);
  assert.deepEqual(config.credentials, {
    accessKeyId: "AK",
    secretAccessKey: "SK",
    sessionToken: "ST",
  });
  assert.equal(config.endpoint, "http://127.0.0.1:9324");
  assert.equal(config.region, "eu-west-1");
  assert.equal(config.maxAttempts, 1);
});

Deno.test("sqsClientConfig() turns off the SDK's MD5 check of acknowledged bodies, as the Rust SDK has none", () => {
  assert.equal(sqsClientConfig(env, { node: false }).md5, false);
  assert.equal(sqsClientConfig(env, { node: true }).md5, false);
});

Deno.test("sqsClientConfig() on Node.js takes env credentials, or leaves them to the SDK's chain", () => {
  const config = sqsClientConfig(env, { node: true, maxAttempts: 3 });
  assert.deepEqual(config.credentials, {
    accessKeyId: "AK",
    secretAccessKey: "SK",
    sessionToken: "ST",
  });
  assert.ok(!(config.requestHandler instanceof FetchHttpHandler));
  assert.equal(sqsClientConfig({ AWS_REGION: "x" }, { node: true }).credentials, undefined);
  assert.equal(config.endpoint, "http://127.0.0.1:9324");
  assert.equal(config.maxAttempts, 3);
});

Deno.test("sqsClientConfig() off Node.js requires a region", () => {
  assert.throws(() => sqsClientConfig({}, { node: false }), {
    name: "TypeError",
    message: "Cannot create the SQS client: AWS_REGION is not set",
  });
});

Deno.test("sqsBatchSender() sends SendMessageBatch to the queue", async () => {
  const client = new SQSClient({
    region: "eu-west-1",
    credentials: { accessKeyId: "a", secretAccessKey: "b" },
  });
  const mock = mockClient(client);
  mock.on(SendMessageBatchCommand).resolves({
    Successful: [{ Id: "0", MessageId: "m", MD5OfMessageBody: "x" }],
    Failed: [],
  });
  const out = await sqsBatchSender(client, "http://q/1")([{ Id: "0", MessageBody: "hi" }]);
  assert.deepEqual(out.Successful?.map((s) => s.Id), ["0"]);
  assert.deepEqual(mock.commandCalls(SendMessageBatchCommand)[0]?.args[0].input, {
    QueueUrl: "http://q/1",
    Entries: [{ Id: "0", MessageBody: "hi" }],
  });
});

Deno.test("quietSdkNodeNotice() sets the SDK's switch for its Node.js notice, keeping an explicit one", () => {
  const env: Record<string, string | undefined> = {};
  quietSdkNodeNotice(env);
  assert.equal(env[SDK_NODE_NOTICE_VARIABLE], "true");
  const explicit: Record<string, string | undefined> = { [SDK_NODE_NOTICE_VARIABLE]: "false" };
  quietSdkNodeNotice(explicit);
  assert.equal(explicit[SDK_NODE_NOTICE_VARIABLE], "false");
});
