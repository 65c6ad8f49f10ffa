import assert from "node:assert/strict";
import { costPerMillion, sqsRequests, sqsRequestsPerInvocation } from "./model.ts";
import { initIsBilled, loadPriceTable, US_EAST_1, withPrices } from "./prices.ts";

const close = (a: number, b: number, what: string) =>
  assert.ok(Math.abs(a - b) < 1e-9, `${what}: ${a} ≠ ${b}`);

Deno.test("costPerMillion() prices warm arm64 invocations by GB-second plus requests", () => {
  const c = costPerMillion({
    arch: "arm64",
    memoryMb: 1024,
    warmBilledMs: 10,
    coldBilledMs: 0,
    initBilledMs: 0,
    coldShare: 0,
    sqsRequestsPerInvocation: 0,
  });
  // 1e6 × 10 ms × 1 GB = 10,000 GB-s at $0.0000133334.
  close(c.invokeGbSeconds, 10_000, "GB-s");
  close(c.invoke, 0.133334, "invoke");
  close(c.total, 0.333334, "total");
});

Deno.test("costPerMillion() bills Init on cold starts and SQS requests (x86_64)", () => {
  const inputs = {
    arch: "x86_64" as const,
    memoryMb: 512,
    warmBilledMs: 20,
    coldBilledMs: 30,
    initBilledMs: 200,
    coldShare: 0.1,
    sqsRequestsPerInvocation: 1,
  };
  const c = costPerMillion(inputs);
  // Invoke: (900,000 × 20 + 100,000 × 30) ms = 21,000 s × 0.5 GB = 10,500 GB-s.
  close(c.invokeGbSeconds, 10_500, "invoke GB-s");
  close(c.invoke, 10_500 * 0.0000166667, "invoke");
  // Init: 100,000 × 200 ms × 0.5 GB = 10,000 GB-s.
  close(c.initGbSeconds, 10_000, "init GB-s");
  close(c.init, 0.166667, "init");
  close(c.requests, 0.2, "requests");
  close(c.sqs, 0.4, "sqs");
  close(c.total, 0.17500035 + 0.166667 + 0.2 + 0.4, "total");

  // Before 2025-08-01 a managed runtime's Init was free; a custom runtime's never was.
  const july = withPrices({ date: "2025-07-01" });
  assert.equal(costPerMillion(inputs, july).init, 0);
  close(costPerMillion({ ...inputs, customRuntime: true }, july).init, 0.166667, "custom");
  assert.equal(initIsBilled(US_EAST_1), true);
});

Deno.test("costPerMillion() arm64 is 20% cheaper per GB-second than x86_64", () => {
  const base = {
    memoryMb: 2048,
    warmBilledMs: 100,
    coldBilledMs: 100,
    initBilledMs: 0,
    coldShare: 0,
    sqsRequestsPerInvocation: 0,
  };
  const arm = costPerMillion({ ...base, arch: "arm64" });
  const x86 = costPerMillion({ ...base, arch: "x86_64" });
  close(arm.invoke / x86.invoke, 0.0000133334 / 0.0000166667, "ratio");
  close(x86.invoke, 200_000 * 0.0000166667, "x86");
});

Deno.test("costPerMillion() rejects a cold share outside [0, 1]", () => {
  assert.throws(
    () =>
      costPerMillion({
        arch: "arm64",
        memoryMb: 128,
        warmBilledMs: 1,
        coldBilledMs: 1,
        initBilledMs: 1,
        coldShare: 1.5,
        sqsRequestsPerInvocation: 0,
      }),
    { name: "RangeError", message: "Cold-start share must be within [0, 1], got 1.5" },
  );
});

Deno.test("sqsRequests() counts 64 KB chunks and batches of 10", () => {
  assert.equal(sqsRequests({ messages: 0, payloadBytes: 1024 }), 0);
  assert.equal(sqsRequests({ messages: 1, payloadBytes: 1024 }), 1);
  assert.equal(sqsRequests({ messages: 1, payloadBytes: 65_536 }), 1);
  assert.equal(sqsRequests({ messages: 1, payloadBytes: 65_537 }), 2);
  assert.equal(sqsRequests({ messages: 1, payloadBytes: 200 * 1024 }), 4);
  assert.equal(sqsRequests({ messages: 12, payloadBytes: 1024 }), 2);
  assert.equal(sqsRequests({ messages: 10, payloadBytes: 10 * 1024 }), 2); // 100 KB batch
  assert.equal(sqsRequests({ messages: 10, payloadBytes: 10 * 1024, batched: false }), 10);
  assert.throws(() => sqsRequests({ messages: 1.5, payloadBytes: 1 }), { name: "RangeError" });
});

Deno.test("sqsRequestsPerInvocation() follows the variant's delivery mode", () => {
  assert.equal(sqsRequestsPerInvocation("none", { payloadBytes: 1024 }), 0);
  assert.equal(sqsRequestsPerInvocation("direct", { payloadBytes: 1024 }), 1);
  assert.equal(
    sqsRequestsPerInvocation("direct", { payloadBytes: 1024, messagesPerInvocation: 3 }),
    3,
  );
  assert.equal(
    sqsRequestsPerInvocation("extension", { payloadBytes: 1024, messagesPerInvocation: 3 }),
    1,
  );
  assert.equal(sqsRequestsPerInvocation("extension", { payloadBytes: 100 * 1024 }), 2);
});

Deno.test("withPrices() and loadPriceTable() override fields and reject bad prices", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const file = `${dir}/prices.json`;
    Deno.writeTextFileSync(
      file,
      JSON.stringify({ region: "eu-central-1", lambda: { gbSecond: { arm64: 0.00001 } } }),
    );
    const t = loadPriceTable(file);
    assert.equal(t.region, "eu-central-1");
    assert.equal(t.lambda.gbSecond.arm64, 0.00001);
    assert.equal(t.lambda.gbSecond.x86_64, US_EAST_1.lambda.gbSecond.x86_64);
    assert.throws(() => withPrices({ sqs: { requestsPerMillion: -1 } }), {
      name: "RangeError",
      message: 'Price "sqs.requestsPerMillion" must be a number ≥ 0, got -1',
    });
    Deno.writeTextFileSync(file, "{");
    assert.throws(() => loadPriceTable(file), { message: /Cannot parse price file/ });
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
