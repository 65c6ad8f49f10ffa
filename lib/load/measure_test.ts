/**
 * The load protocol's pacing against a scripted platform: no processes, no network.
 */
import assert from "node:assert/strict";
import { variantByName } from "../variants.ts";
import { Progress } from "../bench/progress.ts";
import { type LoadAdapter, type LoadCell, measureLoad } from "./measure.ts";

const cell = { variant: variantByName("rust"), memoryMb: 128, arch: "x86_64" as const };

/** A platform answering at once, noting when each request came and from how many at a time. */
function scripted() {
  const at: number[] = [];
  const lines: string[] = [];
  let n = 0;
  const load: LoadCell = {
    settings: { workIterations: 0, timeoutS: 3 },
    outputWait: { maxMs: 1_000, pollMs: 1 },
    invoke() {
      at.push(performance.now());
      const id = `req-${++n}`;
      lines.push(
        `START RequestId: ${id} Version: $LATEST`,
        `END RequestId: ${id}`,
        `REPORT RequestId: ${id}\tDuration: 1.00 ms\tBilled Duration: 1 ms\tMemory Size: 128 MB\t` +
          `Max Memory Used: 20 MB\t${n === 1 ? "Init Duration: 5.00 ms\t" : ""}`,
      );
      return Promise.resolve({
        kind: "invoked" as const,
        requestId: id,
        clientRttMs: 0.1,
        timestamp: new Date(),
        ranInit: n === 1,
        ok: true,
      });
    },
    environments: () => ({ created: 1, peakConcurrency: 1 }),
    settle: () => Promise.resolve(),
    fetchOutput: () => Promise.resolve({ messages: [...lines] }),
    checkDelivery: () => Promise.resolve(null),
    dispose: () => Promise.resolve(),
  };
  const adapter: LoadAdapter = {
    name: "aws",
    describe: () => ({ backend: "aws", region: "us-east-1", queueUrl: null }),
    skipReason: () => null,
    prepareLoad: () => Promise.resolve(load),
    close: () => Promise.resolve(),
  };
  return { adapter, at };
}

const context = () => ({
  runId: "r",
  runDir: "/tmp",
  logDir: "/tmp",
  progress: new Progress(6, { write: () => {} }),
});

Deno.test("measureLoad() parts each caller's requests by gapMs, and sends exactly R", async () => {
  const paced = scripted();
  const plan = { requests: 6, concurrency: 2, reservedConcurrency: null, payloadBytes: 1 };
  const t0 = performance.now();
  const result = await measureLoad(paced.adapter, cell, { ...plan, gapMs: 30 }, context());
  assert.equal(result.rows.length, 6);
  assert.equal(result.load.plan.gapMs, 30, "the plan is recorded with the load");
  // Two callers, three requests each: the first two at once, then two pauses per caller.
  assert.ok(paced.at[1]! - paced.at[0]! < 15, "each caller's first request is not delayed");
  assert.ok(paced.at.at(-1)! - t0 >= 2 * 30 - 1, `last request at ${paced.at.at(-1)! - t0} ms`);
  const burst = scripted();
  await measureLoad(burst.adapter, cell, plan, context());
  assert.equal(burst.at.length, 6);
  assert.ok(burst.at.at(-1)! - burst.at[0]! < 30, "without a gap: back to back");
});
