import assert from "node:assert/strict";
import { fillSummary, invokeSummary, shutdownSummary } from "./summary.ts";

Deno.test("shutdownSummary() fills the contract's line; undelivered is accepted − delivered", () => {
  const line = shutdownSummary("SPINDOWN", {
    accepted: 2000,
    delivered: 1990,
    deliveredOnRetry: 30,
    unsent: 4,
    refused: 1,
    inFlight: 5,
    turnedAway: 7,
  });
  assert.equal(
    line,
    "shutdown (spindown): accepted 2000, delivered 1990 (30 after a retry), undelivered 10 " +
      "(4 unsent, 1 refused by SQS, 5 in flight at exit), turned away 7 (outbox full)",
  );
});

Deno.test("invokeSummary() fills the contract's line", () => {
  assert.equal(
    invokeSummary("r-1", 12, 2, 3),
    "invoke r-1: delivered 12 (2 after a retry), 3 pending",
  );
});

Deno.test("fillSummary() throws a RangeError for a placeholder without a value", () => {
  assert.throws(
    () => fillSummary("{a} {b}", { a: 1 }),
    (e: unknown) => e instanceof RangeError && e.message === 'No value for {b} in "{a} {b}"',
  );
});
