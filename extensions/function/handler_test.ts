import assert from "node:assert/strict";
import { buildPayload, cpuWork, createHandler, modeOf } from "./handler.ts";

Deno.test("cpuWork() is deterministic and depends on the iterations", () => {
  assert.equal(cpuWork(1000), cpuWork(1000));
  assert.notEqual(cpuWork(1000), cpuWork(1001));
  assert.equal(cpuWork(0), 0x811c9dc5);
});

Deno.test("buildPayload() returns JSON of exactly the size asked", () => {
  for (const n of [100, 1024, 65536]) {
    const p = buildPayload(n, { requestId: "r", checksum: 1 });
    assert.equal(new TextEncoder().encode(p).length, n);
    assert.equal(JSON.parse(p).requestId, "r");
  }
  assert.ok(buildPayload(1, { a: 1 }).length > 1);
});

Deno.test("handler in mode extension POSTs the payload and checks for 202", async () => {
  const posts: { url: string; body: string }[] = [];
  const handler = createHandler({
    env: { BATTLE_MODE: "extension", BATTLE_PAYLOAD_BYTES: "300", BATTLE_WORK_ITERATIONS: "10" },
    fetch: (input, init) => {
      posts.push({ url: String(input), body: String(init?.body) });
      return Promise.resolve(new Response('{"accepted":true}', { status: 202 }));
    },
  });
  const result = await handler({}, { awsRequestId: "req-1" });
  assert.deepEqual(result, {
    mode: "extension",
    payloadBytes: 300,
    iterations: 10,
    checksum: cpuWork(10),
  });
  assert.equal(posts[0]?.url, "http://127.0.0.1:4243/messages");
  assert.equal(JSON.parse(posts[0]!.body).requestId, "req-1");
});

Deno.test("handler takes payloadBytes from the event over the environment", async () => {
  const handler = createHandler({ env: { BATTLE_MODE: "none", BATTLE_PAYLOAD_BYTES: "300" } });
  assert.equal((await handler({ payloadBytes: 2048 })).payloadBytes, 2048);
});

Deno.test("handler throws when the extension refuses the message", async () => {
  const handler = createHandler({
    env: { BATTLE_MODE: "extension", BATTLE_EXTENSION_URL: "http://e/messages" },
    fetch: () => Promise.resolve(new Response('{"error":"too big"}', { status: 413 })),
  });
  await assert.rejects(() => handler({}), { message: /http:\/\/e\/messages answered HTTP 413/ });
});

Deno.test("handler in mode direct calls the sender once", async () => {
  const sent: string[] = [];
  const handler = createHandler({
    env: { BATTLE_MODE: "direct", BATTLE_PAYLOAD_BYTES: "200" },
    sendDirect: (b) => {
      sent.push(b);
      return Promise.resolve();
    },
  });
  await handler({});
  assert.equal(sent.length, 1);
  assert.equal(sent[0]?.length, 200);
});

Deno.test("createHandler() refuses mode direct without a sender and a bad mode", () => {
  assert.throws(() => createHandler({ env: { BATTLE_MODE: "direct" } }), {
    name: "RangeError",
    message: /without the SQS client/,
  });
  assert.throws(() => modeOf({ BATTLE_MODE: "carrier-pigeon" }), {
    name: "RangeError",
    message: 'BATTLE_MODE must be none, direct or extension, got "carrier-pigeon"',
  });
});
