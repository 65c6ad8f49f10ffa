import assert from "node:assert/strict";
import { FetchHttpHandler } from "@smithy/fetch-http-handler";
import { mockClient } from "aws-sdk-client-mock";
import { SendMessageBatchCommand, SQSClient, type SQSClientConfig } from "@aws-sdk/client-sqs";
import {
  createSqsClient,
  nativeJsonStrings,
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

Deno.test("sqsClientConfig() resolves the middleware stack once per command, not per send", () => {
  assert.equal(sqsClientConfig(env, { node: false }).cacheMiddleware, true);
  assert.equal(sqsClientConfig(env, { node: true }).cacheMiddleware, true);
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

/** A client whose requests end in `requests` and get a canned SendMessageBatch answer. */
function recordingClient(requests: { body: string; headers: Record<string, string> }[]) {
  const config = sqsClientConfig(env, { node: false });
  config.requestHandler = {
    handle: (request: { body: Uint8Array | string; headers: Record<string, string> }) => {
      requests.push({
        body: typeof request.body === "string"
          ? request.body
          : new TextDecoder().decode(request.body),
        headers: request.headers,
      });
      return Promise.resolve({
        response: {
          statusCode: 200,
          headers: { "content-type": "application/x-amz-json-1.0" },
          body: new Response(JSON.stringify({ Successful: [{ Id: "0" }], Failed: [] })).body,
        },
      });
    },
    updateHttpClientConfig() {},
    httpHandlerConfigs: () => ({}),
  } as unknown as NonNullable<SQSClientConfig["requestHandler"]>;
  return new SQSClient(config);
}

Deno.test("nativeJsonStrings() applies to the pinned SDK, and requests carry the same JSON", async () => {
  const bodies = [
    "plain",
    'quote " backslash \\ slash / ',
    "\t\n\r\u0001\u001f\u007f",
    "žluťoučký 中文 🐎 \u2028\u2029 \uFFFD",
    "x".repeat(4096),
    "",
  ];
  const Entries = bodies.map((MessageBody, i) => ({ Id: String(i), MessageBody }));
  const input = { QueueUrl: "http://127.0.0.1:9324/000000000000/q", Entries };
  const sdk: { body: string; headers: Record<string, string> }[] = [];
  const native: typeof sdk = [];
  await recordingClient(sdk).send(new SendMessageBatchCommand(input));
  const client = recordingClient(native);
  assert.equal(nativeJsonStrings(client), true, "the SDK's serializer changed shape");
  await client.send(new SendMessageBatchCommand(input));
  await client.send(new SendMessageBatchCommand(input));
  assert.deepEqual(JSON.parse(sdk[0]!.body), input);
  for (const r of native) assert.deepEqual(JSON.parse(r.body), input);
  assert.equal(native[0]!.headers["x-amz-target"], "AmazonSQS.SendMessageBatch");
  assert.equal(
    native[0]!.headers["content-length"],
    String(new TextEncoder().encode(native[0]!.body).length),
  );
});

Deno.test("createSqsClient() writes JSON strings natively; an unknown serializer is left alone", () => {
  const client = createSqsClient(env, { node: false });
  const serializer = (client.config as unknown as { protocol: { serializer: object } }).protocol
    .serializer;
  assert.ok(Object.hasOwn(serializer, "writeJsonString"));
  const odd = { config: { protocol: { serializer: { writeJsonString() {} } } } };
  assert.equal(nativeJsonStrings(odd as unknown as SQSClient), false);
});
