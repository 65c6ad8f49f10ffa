import assert from "node:assert/strict";
import { mockClient } from "aws-sdk-client-mock";
import {
  GetFunctionConfigurationCommand,
  InvokeCommand,
  LambdaClient,
} from "@aws-sdk/client-lambda";
import { variantByName } from "../variants.ts";
import { measureLoad } from "../load/measure.ts";
import { AwsBackend, RateLimiter } from "./aws.ts";
import { Progress } from "./progress.ts";

const noSleep = () => Promise.resolve();

function reportLine(id: string, init: boolean): string {
  return `REPORT RequestId: ${id}\tDuration: 12.50 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\tMax Memory Used: 70 MB\t` +
    (init ? "Init Duration: 180.25 ms\t" : "");
}

Deno.test("measureLoad() on AWS: concurrent Invoke calls, cold starts from the Tail logs, a lasting throttle counted", async () => {
  const lambda = mockClient(LambdaClient);
  lambda.on(GetFunctionConfigurationCommand).resolves({
    Timeout: 30,
    Environment: { Variables: { BATTLE_MODE: "extension", BATTLE_WORK_ITERATIONS: "2000" } },
  });
  let n = 0;
  let inFlight = 0;
  let peak = 0;
  const lines: string[] = [];
  lambda.on(InvokeCommand).callsFake(async () => {
    const i = ++n;
    if (i === 5) {
      throw Object.assign(new Error("Rate Exceeded"), { name: "TooManyRequestsException" });
    }
    peak = Math.max(peak, ++inFlight);
    await new Promise((r) => setTimeout(r, 20));
    inFlight--;
    const id = `req-${i}`;
    const init = i <= 3; // three environments made by the burst
    lines.push(
      `START RequestId: ${id} Version: $LATEST`,
      `END RequestId: ${id}`,
      reportLine(id, init),
    );
    const tail = btoa(`START RequestId: ${id}\n${reportLine(id, init)}\n`);
    return { StatusCode: 200, LogResult: tail, $metadata: { requestId: id } };
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
    logWaitMs: 0,
    // Throttles outlast the client's back-off here: one attempt only.
    sleep: () =>
      Promise.reject(
        Object.assign(new Error("Rate Exceeded"), { name: "TooManyRequestsException" }),
      ),
  });
  const cell = { variant: variantByName("rust"), memoryMb: 128, arch: "x86_64" as const };
  const result = await measureLoad(
    backend,
    cell,
    { requests: 9, concurrency: 3, reservedConcurrency: null, payloadBytes: 10 },
    {
      runId: "r",
      runDir: "/tmp",
      logDir: "/tmp",
      progress: new Progress(9, { write: () => {} }),
    },
    { throttleBackoffMs: 0 },
  );
  assert.equal(result.load.throttles, 1);
  assert.equal(result.load.invoked, 8);
  assert.equal(result.load.coldStarts, 3);
  assert.equal(result.load.environments, 3);
  assert.ok(result.load.peakConcurrency <= 3 && peak <= 3, "at most C requests in flight");
  lambda.restore();
});
