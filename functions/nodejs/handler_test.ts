import assert from "node:assert/strict";
import {
  buildPayload,
  cpuWork,
  createHandler,
  DEFAULT_DELAY_MS,
  modeOf,
  type RequestItem,
  workloadOf,
} from "./handler.ts";

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
    workload: "sqs",
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

Deno.test("workloadOf() reads BATTLE_WORKLOAD; unset, it follows the mode as before workloads", () => {
  assert.equal(workloadOf({ BATTLE_WORKLOAD: "delay" }), "delay");
  assert.equal(workloadOf({ BATTLE_MODE: "direct" }), "sqs");
  assert.equal(workloadOf({ BATTLE_MODE: "extension" }), "sqs");
  assert.equal(workloadOf({}), "cpu");
  assert.throws(() => workloadOf({ BATTLE_WORKLOAD: "gpu" }), {
    name: "RangeError",
    message: 'BATTLE_WORKLOAD must be sqs, dynamodb, delay, cpu, none, got "gpu"',
  });
});

Deno.test("workload delay sleeps BATTLE_DELAY_MS (500 ms by default) and does no CPU work", async () => {
  const slept: number[] = [];
  const sleep = (ms: number) => {
    slept.push(ms);
    return Promise.resolve();
  };
  const env = { BATTLE_WORKLOAD: "delay", BATTLE_WORK_ITERATIONS: "1000" };
  const result = await createHandler({ env, sleep })({});
  assert.equal(result.iterations, 0);
  await createHandler({ env: { ...env, BATTLE_DELAY_MS: "20" }, sleep })({});
  assert.deepEqual(slept, [DEFAULT_DELAY_MS, 20]);
  const t0 = performance.now();
  await createHandler({ env: { ...env, BATTLE_DELAY_MS: "50" } })({});
  assert.ok(performance.now() - t0 >= 45, "the default sleep really waits");
});

Deno.test("workloads cpu and none: the configured work, and none at all", async () => {
  const env = { BATTLE_WORK_ITERATIONS: "77" };
  const cpu = await createHandler({ env: { ...env, BATTLE_WORKLOAD: "cpu" } })({});
  assert.deepEqual([cpu.iterations, cpu.checksum], [77, cpuWork(77)]);
  const none = await createHandler({ env: { ...env, BATTLE_WORKLOAD: "none" } })({});
  assert.deepEqual([none.workload, none.iterations, none.mode], ["none", 0, "none"]);
});

Deno.test("workload dynamodb puts one item keyed by the request id, then posts in mode extension", async () => {
  const items: RequestItem[] = [];
  const posts: string[] = [];
  const handler = createHandler({
    env: { BATTLE_WORKLOAD: "dynamodb", BATTLE_MODE: "extension", BATTLE_PAYLOAD_BYTES: "100" },
    putItem: (item) => {
      items.push(item);
      return Promise.resolve();
    },
    fetch: (input) => {
      posts.push(String(input));
      return Promise.resolve(new Response('{"accepted":true}', { status: 202 }));
    },
  });
  const result = await handler({}, { awsRequestId: "req-7" });
  assert.equal(result.workload, "dynamodb");
  assert.equal(items.length, 1);
  assert.equal(items[0]?.id, "req-7");
  assert.equal(items[0]?.payload.length, 100);
  assert.equal(JSON.parse(items[0]!.payload).requestId, "req-7");
  assert.deepEqual(posts, ["http://127.0.0.1:4243/messages"]);
});

Deno.test("workload dynamodb: a failed put fails the invocation and ends it at the extension", async () => {
  const calls: string[] = [];
  const handler = createHandler({
    env: { BATTLE_WORKLOAD: "dynamodb", BATTLE_MODE: "extension" },
    putItem: () => Promise.reject(new Error("ResourceNotFoundException")),
    fetch: recordingFetch(calls, 202),
  });
  await assert.rejects(() => handler({}, { awsRequestId: "r1" }), /ResourceNotFoundException/);
  assert.deepEqual(calls, ["POST http://127.0.0.1:4243/invocations/r1/end"]);
});

Deno.test("createHandler() refuses workload dynamodb without the DynamoDB client", () => {
  assert.throws(() => createHandler({ env: { BATTLE_WORKLOAD: "dynamodb" } }), {
    name: "RangeError",
    message: "BATTLE_WORKLOAD is dynamodb but this bundle was built without the DynamoDB client",
  });
});
