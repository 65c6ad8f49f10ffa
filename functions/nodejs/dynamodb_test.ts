import assert from "node:assert/strict";
import { startDynamoDB } from "../../lib/dynamodb/mod.ts";
import { dynamoDbClientConfig, dynamoDbWriter } from "./dynamodb.ts";
import { createHandler } from "./handler.ts";

Deno.test("dynamoDbWriter() puts one item per invocation into the real local DynamoDB, with one lazy client", async () => {
  await using db = await startDynamoDB();
  const table = await db.createTable("battle-requests");
  const env = {
    AWS_REGION: "us-east-1",
    AWS_ENDPOINT_URL_DYNAMODB: db.endpoint,
    AWS_ACCESS_KEY_ID: "local",
    AWS_SECRET_ACCESS_KEY: "local",
    BATTLE_TABLE_NAME: table,
    BATTLE_WORKLOAD: "dynamodb",
  };
  for (const node of [true, false]) {
    let made = 0;
    const { DynamoDBClient } = await import("@aws-sdk/client-dynamodb");
    const clients: InstanceType<typeof DynamoDBClient>[] = [];
    const putItem = dynamoDbWriter(env, () => {
      made++;
      const client = new DynamoDBClient(dynamoDbClientConfig(env, { node }));
      clients.push(client);
      return client;
    });
    assert.equal(made, 0, "no client before the first invocation");
    const handler = createHandler({ env, putItem });
    for (let i = 0; i < 5; i++) await handler({}, { awsRequestId: `${node}-${i}` });
    assert.equal(made, 1, "one client per environment");
    clients.forEach((c) => c.destroy());
  }
  const items = await db.scanItems(table);
  assert.equal(items.length, 10);
  const item = items.find((i) => i.id?.S === "true-3");
  assert.equal(JSON.parse(item?.payload?.S ?? "{}").requestId, "true-3");
  assert.ok(Number(item?.sentAt?.N) > 0);
});

Deno.test("dynamoDbWriter() without BATTLE_TABLE_NAME fails the put, naming the variable", async () => {
  const put = dynamoDbWriter({}, () => ({ send: () => Promise.resolve({}) as never }));
  await assert.rejects(put({ id: "x", payload: "{}", sentAt: 1 }), {
    name: "RangeError",
    message: "BATTLE_TABLE_NAME is not set",
  });
});

Deno.test("dynamoDbClientConfig() off Node.js needs a region and uses fetch", () => {
  assert.throws(() => dynamoDbClientConfig({}, { node: false }), {
    name: "TypeError",
    message: "Cannot create the DynamoDB client: AWS_REGION is not set",
  });
  const config = dynamoDbClientConfig({ AWS_REGION: "eu-west-1" }, { node: false });
  assert.equal(config.requestHandler?.constructor.name, "FetchHttpHandler");
});
