import assert from "node:assert/strict";
import { mockClient } from "aws-sdk-client-mock";
import {
  GetFunctionCommand,
  GetFunctionConfigurationCommand,
  InvokeCommand,
  LambdaClient,
  UpdateFunctionConfigurationCommand,
} from "@aws-sdk/client-lambda";
import { variantByName } from "../variants.ts";
import { AwsBackend, RateLimiter, tailShowsInit, withBackoff } from "./aws.ts";
import { Progress } from "./progress.ts";
import { measureCell } from "./protocol.ts";

const noSleep = () => Promise.resolve();

function reportLine(id: string, init: boolean): string {
  return `REPORT RequestId: ${id}\tDuration: 12.50 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\tMax Memory Used: 70 MB\t` +
    (init ? "Init Duration: 180.25 ms\t" : "");
}

function tail(id: string, init: boolean): string {
  return btoa(
    `START RequestId: ${id} Version: $LATEST\nEND RequestId: ${id}\n${reportLine(id, init)}\n`,
  );
}

Deno.test("tailShowsInit() reads text and JSON Tail logs", () => {
  assert.equal(tailShowsInit(reportLine("a", true)), true);
  assert.equal(tailShowsInit(reportLine("a", false)), false);
  assert.equal(
    tailShowsInit('{"type":"platform.report","record":{"metrics":{"initDurationMs":12.5}}}'),
    true,
  );
});

Deno.test("RateLimiter spaces calls to stay under the control-plane limit", async () => {
  let now = 0;
  const slept: number[] = [];
  const limiter = new RateLimiter(10, {
    now: () => now,
    sleep: (ms) => {
      slept.push(ms);
      now += ms;
      return Promise.resolve();
    },
  });
  for (let i = 0; i < 4; i++) await limiter.take();
  assert.deepEqual(slept, [100, 100, 100]);
  assert.throws(() => new RateLimiter(0), { name: "RangeError" });
});

Deno.test("withBackoff() retries throttling and rethrows other errors at once", async () => {
  let calls = 0;
  const value = await withBackoff(() => {
    calls++;
    if (calls < 3) {
      return Promise.reject(
        Object.assign(new Error("slow down"), { name: "TooManyRequestsException" }),
      );
    }
    return Promise.resolve("ok");
  }, { sleep: noSleep });
  assert.equal(value, "ok");
  assert.equal(calls, 3);
  let other = 0;
  await assert.rejects(
    withBackoff(() => {
      other++;
      return Promise.reject(
        Object.assign(new Error("no such function"), { name: "ResourceNotFoundException" }),
      );
    }, { sleep: noSleep }),
    /no such function/,
  );
  assert.equal(other, 1);
  await assert.rejects(
    withBackoff(
      () => Promise.reject(Object.assign(new Error("throttled"), { name: "ThrottlingException" })),
      { sleep: noSleep, attempts: 2 },
    ),
    /throttled/,
  );
});

Deno.test("measureCell() on AWS forces cold starts, retries until N true cold samples, collects logs", async () => {
  const lambda = mockClient(LambdaClient);
  const updates: Record<string, string>[] = [];
  lambda.on(GetFunctionConfigurationCommand).resolves({
    Timeout: 30,
    Environment: { Variables: { BATTLE_MODE: "extension", BATTLE_WORK_ITERATIONS: "2000" } },
  });
  lambda.on(UpdateFunctionConfigurationCommand)
    .rejectsOnce(Object.assign(new Error("rate"), { name: "TooManyRequestsException" }))
    .callsFake((input) => {
      updates.push(input.Environment.Variables);
      return {};
    });
  lambda.on(GetFunctionCommand).resolves({
    Configuration: { State: "Active", LastUpdateStatus: "Successful" },
  });
  // The second "cold" invocation lands in a warm environment and must be retried.
  const plan = [true, false, true, false, false];
  let n = 0;
  const lines: string[] = [];
  lambda.on(InvokeCommand).callsFake(() => {
    const id = `req-${++n}`;
    const init = plan[n - 1] ?? false;
    lines.push(
      `START RequestId: ${id} Version: $LATEST`,
      `END RequestId: ${id}`,
      reportLine(id, init),
    );
    return { StatusCode: 200, LogResult: tail(id, init), $metadata: { requestId: id } };
  });
  const backend = new AwsBackend({
    functions: [{
      functionName: "battle-rust-128-x86",
      variant: "rust",
      memoryMb: 128,
      arch: "x86_64",
      logGroupName: "/aws/lambda/battle-rust-128-x86",
    }],
    region: "us-east-1",
    lambda: new LambdaClient({
      region: "us-east-1",
      credentials: { accessKeyId: "x", secretAccessKey: "y" },
    }),
    limiter: new RateLimiter(1000, { sleep: noSleep }),
    fetchLogs: () => Promise.resolve(lines),
    sleep: noSleep,
  });
  const cell = { variant: variantByName("rust"), memoryMb: 128, arch: "x86_64" as const };
  assert.equal(backend.skipReason(cell), null);
  assert.match(backend.skipReason({ ...cell, memoryMb: 512 }) ?? "", /not deployed/);
  const result = await measureCell(
    backend,
    cell,
    { cold: 2, warm: 2, payloadBytes: 10 },
    {
      runId: "r1",
      runDir: "/tmp",
      logDir: "/tmp",
      progress: new Progress(4, { write: () => {} }),
    },
    { sleep: noSleep },
  );
  assert.deepEqual(result.settings, { workIterations: 2000, timeoutS: 30 }, "deployed settings");
  assert.equal(updates.length, 3, "three forced updates: two true cold samples and one retry");
  assert.equal(new Set(updates.map((u) => u.BATTLE_COLD_NONCE)).size, 3);
  assert.ok(updates.every((u) => u.BATTLE_MODE === "extension"), "existing variables are kept");
  assert.equal(result.coldRetries, 1);
  assert.equal(result.rows.length, 5);
  assert.equal(result.rows.filter((r) => r.cold).length, 2);
  assert.ok(result.rows.filter((r) => r.cold).every((r) => r.init_ms === 180.25));
  assert.ok(
    result.rows.every((r) => r.backend === "aws" && r.variant === "rust" && r.memory_mb === 128),
  );
  assert.ok(result.rows.every((r) => r.client_rtt_ms !== null));
  assert.deepEqual(result.missingReport, []);
  lambda.restore();
});

Deno.test("AwsBackend.invoke() times only the answered call, not throttling back-off", async () => {
  const lambda = mockClient(LambdaClient);
  lambda.on(InvokeCommand)
    .rejectsOnce(Object.assign(new Error("rate"), { name: "TooManyRequestsException" }))
    .resolves({
      StatusCode: 200,
      LogResult: tail("req-1", false),
      $metadata: { requestId: "req-1" },
    });
  const backOffMs = 300;
  const backend = new AwsBackend({
    functions: [],
    region: "us-east-1",
    lambda: new LambdaClient({
      region: "us-east-1",
      credentials: { accessKeyId: "x", secretAccessKey: "y" },
    }),
    limiter: new RateLimiter(1000, { sleep: noSleep }),
    fetchLogs: () => Promise.resolve([]),
    sleep: () => new Promise((r) => setTimeout(r, backOffMs)),
  });
  const before = Date.now();
  const { record } = await backend.invoke("battle-rust-128-x86", new Uint8Array());
  assert.equal(record.requestId, "req-1");
  assert.ok(record.clientRttMs < backOffMs / 2, `RTT ${record.clientRttMs} ms includes back-off`);
  assert.ok(record.timestamp.getTime() >= before + backOffMs - 5, "timestamp of the answered call");
  lambda.restore();
});
