/**
 * The measurement protocol against a scripted platform: no processes, no network.
 */
import assert from "node:assert/strict";
import { variantByName } from "../variants.ts";
import { Progress } from "./progress.ts";
import { measureCell, type PlatformAdapter, type PreparedCell } from "./protocol.ts";

const cell = { variant: variantByName("rust"), memoryMb: 128, arch: "x86_64" as const };

function report(id: string, init: boolean): string {
  return `REPORT RequestId: ${id}\tDuration: 2.00 ms\tBilled Duration: 3 ms\tMemory Size: 128 MB\t` +
    `Max Memory Used: 20 MB\t${init ? "Init Duration: 50.00 ms\t" : ""}`;
}

/**
 * A platform that serves invocations from a script: `warmAfterForce[i]` says whether the i-th
 * forced cold start was served warm anyway; reports show up after `lateFetches` fetches.
 */
function scripted(o: { warmAfterForce?: boolean[]; lateFetches?: number; failInvoke?: number }) {
  const calls: string[] = [];
  const lines: string[] = [];
  let forced = 0;
  let fresh = true;
  let n = 0;
  let fetches = 0;
  const prepared: PreparedCell = {
    settings: { workIterations: 5, timeoutS: 3 },
    outputWait: { maxMs: 60_000, pollMs: 1 },
    forceColdStart() {
      calls.push("force");
      fresh = !(o.warmAfterForce?.[forced++] ?? false);
      return Promise.resolve();
    },
    invoke() {
      const id = `req-${++n}`;
      calls.push(`invoke ${id}`);
      if (n === o.failInvoke) return Promise.reject(new Error("connection reset"));
      const ranInit = fresh;
      fresh = false;
      lines.push(
        `START RequestId: ${id} Version: $LATEST`,
        `END RequestId: ${id}`,
        report(id, ranInit),
      );
      return Promise.resolve({
        requestId: id,
        clientRttMs: 1,
        timestamp: new Date(),
        ranInit,
        ok: true,
      });
    },
    settle() {
      calls.push("settle");
      return Promise.resolve();
    },
    fetchOutput() {
      calls.push("fetch");
      return Promise.resolve({ messages: fetches++ < (o.lateFetches ?? 0) ? [] : [...lines] });
    },
    checkDelivery(successes) {
      return Promise.resolve({ expected: successes, received: successes });
    },
    dispose() {
      calls.push("dispose");
      return Promise.resolve();
    },
  };
  const adapter: PlatformAdapter = {
    name: "aws",
    describe: () => ({ backend: "aws", region: "us-east-1", queueUrl: null }),
    skipReason: () => null,
    prepare: () => Promise.resolve(prepared),
    close: () => Promise.resolve(),
  };
  return { adapter, calls };
}

const context = (progress = new Progress(5, { write: () => {} })) => ({
  runId: "r",
  runDir: "/tmp",
  logDir: "/tmp",
  progress,
});

Deno.test("measureCell() retries a cold start the platform served warm, until N true cold", async () => {
  const { adapter, calls } = scripted({ warmAfterForce: [false, true, false] });
  const result = await measureCell(adapter, cell, { cold: 2, warm: 3, payloadBytes: 1 }, context());
  assert.equal(calls.filter((c) => c === "force").length, 3);
  assert.equal(result.coldRetries, 1);
  assert.equal(result.rows.length, 6, "the warm-served attempt is kept as a warm row");
  assert.equal(result.rows.filter((r) => r.cold).length, 2);
  assert.deepEqual(result.coldMismatches, [], "the retried attempt is not a mismatch");
  assert.deepEqual(result.messages, { expected: 6, received: 6 });
  assert.deepEqual(result.settings, { workIterations: 5, timeoutS: 3 });
  assert.deepEqual(calls.slice(-3), ["settle", "fetch", "dispose"]);
});

Deno.test("measureCell() gives up after its cold budget and says so", async () => {
  const { adapter } = scripted({ warmAfterForce: [true, true, true, true, true, true] });
  const result = await measureCell(
    adapter,
    cell,
    { cold: 2, warm: 0, payloadBytes: 1 },
    context(),
    {
      coldAttemptsPerSample: 2,
    },
  );
  assert.equal(result.rows.filter((r) => r.cold).length, 0);
  assert.equal(result.coldRetries, 4);
  assert.deepEqual(result.notes, ["only 0 of 2 cold samples after 4 attempts"]);
});

Deno.test("measureCell() polls platform output until every REPORT is there", async () => {
  const { adapter, calls } = scripted({ lateFetches: 2 });
  const result = await measureCell(adapter, cell, { cold: 1, warm: 1, payloadBytes: 1 }, context());
  assert.equal(calls.filter((c) => c === "fetch").length, 3);
  assert.deepEqual(result.missingReport, []);
});

Deno.test("measureCell() without cold samples records the first invocation as the cold one it is", async () => {
  const lines: string[] = [];
  const progress = new Progress(2, { write: (l) => lines.push(l) });
  const { adapter } = scripted({});
  const result = await measureCell(
    adapter,
    cell,
    { cold: 0, warm: 2, payloadBytes: 1 },
    context(progress),
  );
  assert.equal(result.rows.length, 3);
  assert.equal(result.rows.filter((r) => r.cold).length, 1);
  assert.deepEqual(result.coldMismatches, []);
});

Deno.test("measureCell() disposes the cell when an invocation fails", async () => {
  const { adapter, calls } = scripted({ failInvoke: 2 });
  await assert.rejects(
    measureCell(adapter, cell, { cold: 1, warm: 2, payloadBytes: 1 }, context()),
    /connection reset/,
  );
  assert.equal(calls.at(-1), "dispose");
});

Deno.test("measureCell() pauses gapMs before each warm invocation, not before cold ones", async () => {
  const { adapter, calls } = scripted({});
  const sleeps: number[] = [];
  const sleep = (ms: number) => {
    sleeps.push(ms);
    calls.push(`sleep ${ms}`);
    return Promise.resolve();
  };
  await measureCell(adapter, cell, { cold: 1, warm: 2, payloadBytes: 1, gapMs: 20 }, context(), {
    sleep,
  });
  const invocations = calls.filter((c) => !["fetch", "settle", "dispose"].includes(c));
  assert.deepEqual(invocations, [
    "force",
    "invoke req-1",
    "sleep 20",
    "invoke req-2",
    "sleep 20",
    "invoke req-3",
  ]);
  const before = sleeps.length;
  await measureCell(scripted({}).adapter, cell, { cold: 1, warm: 2, payloadBytes: 1 }, context(), {
    sleep,
  });
  assert.equal(sleeps.length, before, "no gap: back to back");
});
