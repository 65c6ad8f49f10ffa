import assert from "node:assert/strict";
import { messageBytes, planBatches } from "./batch.ts";

Deno.test("planBatches() puts at most 10 messages in a batch", () => {
  const bodies = Array.from({ length: 23 }, (_, i) => `m${i}`);
  const batches = planBatches(bodies);
  assert.deepEqual(batches.map((b) => b.length), [10, 10, 3]);
  assert.deepEqual(batches.flat(), bodies);
});

Deno.test("planBatches() keeps each batch within 256 KiB", () => {
  const big = "x".repeat(100 * 1024);
  const batches = planBatches([big, big, big, "small"]);
  assert.deepEqual(batches.map((b) => b.length), [2, 2]);
  for (const b of batches) assert.ok(b.reduce((n, m) => n + messageBytes(m), 0) <= 256 * 1024);
});

Deno.test("planBatches() gives a 256 KiB message a batch of its own", () => {
  const max = "y".repeat(256 * 1024);
  assert.deepEqual(planBatches(["a", max, "b"]).map((b) => b.length), [1, 1, 1]);
});

Deno.test("planBatches() counts UTF-8 bytes, not characters", () => {
  assert.equal(messageBytes("é"), 2);
  assert.deepEqual(planBatches(["éé", "é"], { maxEntries: 10, maxBytes: 5 }), [["éé"], ["é"]]);
});

Deno.test("planBatches() returns no batch for no message", () => {
  assert.deepEqual(planBatches([]), []);
});

Deno.test("planBatches() rejects a message larger than the byte limit", () => {
  assert.throws(() => planBatches(["toolong"], { maxEntries: 10, maxBytes: 3 }), {
    name: "RangeError",
    message: "Cannot batch a message of 7 bytes: the limit is 3 bytes",
  });
});
