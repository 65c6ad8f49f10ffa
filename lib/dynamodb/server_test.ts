import assert from "node:assert/strict";
import { connect } from "node:net";
import { join } from "node:path";
import { GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { DYNALITE_TOOL_DIR, DYNALITE_VERSION, startDynamoDB, TABLE_KEY } from "./mod.ts";

function portOpen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

Deno.test("startDynamoDB() serves DynamoDB on loopback: PutItem, GetItem, count and scan", async () => {
  await using db = await startDynamoDB();
  assert.match(db.endpoint, /^http:\/\/127\.0\.0\.1:\d+$/);
  const table = await db.createTable("battle-requests");
  assert.equal(await db.createTable(table), table, "createTable is idempotent");
  assert.equal(await db.countItems(table), 0);
  const ids = Array.from({ length: 120 }, (_, i) => `request-${i}`);
  for (const id of ids) {
    await db.client.send(
      new PutItemCommand({
        TableName: table,
        Item: { [TABLE_KEY]: { S: id }, runtime: { S: "nodejs" }, sentAt: { N: "1" } },
      }),
    );
  }
  // Putting the same key again replaces the item: one item per request id.
  await db.client.send(
    new PutItemCommand({ TableName: table, Item: { [TABLE_KEY]: { S: "request-0" } } }),
  );
  assert.equal(await db.countItems(table), ids.length);
  const items = await db.scanItems(table);
  assert.deepEqual(items.map((i) => i[TABLE_KEY]?.S).sort(), [...ids].sort());
  const got = await db.client.send(
    new GetItemCommand({ TableName: table, Key: { [TABLE_KEY]: { S: "request-7" } } }),
  );
  assert.equal(got.Item?.runtime?.S, "nodejs");
  await assert.rejects(db.countItems("no-such-table"), { name: "ResourceNotFoundException" });
});

Deno.test("LocalDynamoDB.createTable() refuses a bad name; a stopped server says so", async () => {
  const db = await startDynamoDB();
  await assert.rejects(db.createTable("a b"), {
    name: "RangeError",
    message: 'Invalid DynamoDB table name: "a b"',
  });
  await db.stop();
  assert.equal(db.running, false);
  assert.equal(await portOpen("127.0.0.1", db.port), false, "the port is closed once stopped");
  await assert.rejects(db.countItems("t"), /dynalite on port \d+ is stopped/);
  await db.stop();
});

Deno.test("startDynamoDB() binds 127.0.0.1 only", async () => {
  await using db = await startDynamoDB();
  const others = Deno.networkInterfaces().filter((i) =>
    i.family === "IPv4" && !i.address.startsWith("127.")
  );
  for (const i of others) {
    assert.equal(await portOpen(i.address, db.port), false, `reachable on ${i.address}`);
  }
});

Deno.test("startDynamoDB(): the server dies with the process that started it", async () => {
  const owner = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("./testdata/orphan.ts", import.meta.url).pathname],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = owner.stdout.getReader();
  const { value } = await reader.read();
  const port = Number(new TextDecoder().decode(value).trim());
  assert.ok(port > 0, "the owner printed its port");
  assert.equal(await portOpen("127.0.0.1", port), true);
  owner.kill("SIGKILL");
  await owner.status;
  await reader.cancel();
  const deadline = Date.now() + 10_000;
  while (await portOpen("127.0.0.1", port) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(await portOpen("127.0.0.1", port), false, `dynalite on ${port} outlived its owner`);
});

Deno.test("tools/dynalite pins the version the code names, and its lockfile agrees", async () => {
  const pkg = JSON.parse(await Deno.readTextFile(join(DYNALITE_TOOL_DIR, "package.json")));
  const lock = JSON.parse(await Deno.readTextFile(join(DYNALITE_TOOL_DIR, "package-lock.json")));
  assert.equal(pkg.dependencies.dynalite, DYNALITE_VERSION);
  assert.equal(lock.packages["node_modules/dynalite"].version, DYNALITE_VERSION);
  assert.equal(lock.packages["node_modules/dynalite"].license, "MIT");
});
