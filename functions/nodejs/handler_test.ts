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
  const posts: { url: string; body: string; tag: string | null }[] = [];
  const handler = createHandler({
    env: { BATTLE_MODE: "extension", BATTLE_PAYLOAD_BYTES: "300", BATTLE_WORK_ITERATIONS: "10" },
    fetch: (input, init) => {
      const tag = new Headers(init?.headers).get("lambda-runtime-aws-request-id");
      posts.push({ url: String(input), body: String(init?.body), tag });
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
  assert.equal(posts.length, 1, "no /end after an accepted message");
  assert.equal(posts[0]?.url, "http://127.0.0.1:4243/messages");
  assert.equal(posts[0]?.tag, "req-1");
  assert.equal(JSON.parse(posts[0]!.body).requestId, "req-1");
});

/** A fetch that records `METHOD url` and answers with `status` (or throws for `/messages`). */
function recordingFetch(calls: string[], messages: number | "throw") {
  return (input: string | URL | Request, init?: RequestInit) => {
    const url = String(input);
    calls.push(`${init?.method ?? "GET"} ${url}`);
    if (url.endsWith("/messages")) {
      if (messages === "throw") return Promise.reject(new TypeError("connection refused"));
      return Promise.resolve(new Response('{"error":"x"}', { status: messages }));
    }
    return Promise.resolve(new Response(null, { status: 204 }));
  };
}

Deno.test("handler ends the invocation when it fails before the extension accepted its message", async () => {
  const env = { BATTLE_MODE: "extension", BATTLE_EXTENSION_URL: "http://e:1/messages" };
  const cases: [string, unknown, number | "throw", string[]][] = [
    ["bad payloadBytes", { payloadBytes: -1 }, 202, []],
    ["refused", {}, 413, ["POST http://e:1/messages"]],
    ["unreachable", {}, "throw", ["POST http://e:1/messages"]],
  ];
  for (const [what, event, status, before] of cases) {
    const calls: string[] = [];
    const handler = createHandler({ env, fetch: recordingFetch(calls, status) });
    await assert.rejects(() => handler(event, { awsRequestId: "r/9" }), Error, what);
    assert.deepEqual(calls, [...before, "POST http://e:1/invocations/r%2F9/end"], what);
  }
});

Deno.test("handler without a request id neither tags nor ends", async () => {
  const calls: string[] = [];
  const handler = createHandler({
    env: { BATTLE_MODE: "extension" },
    fetch: recordingFetch(calls, 500),
  });
  await assert.rejects(() => handler({}));
  assert.deepEqual(calls, ["POST http://127.0.0.1:4243/messages"]);
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
