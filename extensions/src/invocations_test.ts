import assert from "node:assert/strict";
import { InvocationTracker } from "./invocations.ts";

Deno.test("InvocationTracker.wait() resolves true when the invocation ends while it waits", async () => {
  const tracker = new InvocationTracker();
  const waiting = tracker.wait("r1", Date.now() + 5_000);
  tracker.end("r2");
  tracker.end("r1");
  assert.equal(await waiting, true);
  assert.equal(tracker.remembered, 1, "r2 is remembered for its own INVOKE");
});

Deno.test("InvocationTracker.wait() finds an ending that came before the INVOKE", async () => {
  const tracker = new InvocationTracker();
  tracker.end("early");
  assert.equal(await tracker.wait("early", Date.now() + 5_000), true);
  assert.equal(tracker.remembered, 0);
});

Deno.test("InvocationTracker.wait() gives up at the deadline", async () => {
  const tracker = new InvocationTracker();
  const started = Date.now();
  assert.equal(await tracker.wait("never", started + 50), false);
  assert.ok(Date.now() - started >= 45);
  assert.equal(await tracker.wait("past", started - 1), false);
  tracker.end("never");
  assert.equal(tracker.remembered, 1, "a late ending is remembered, not lost");
});

Deno.test("InvocationTracker forgets the oldest unclaimed endings past its limit", async () => {
  const tracker = new InvocationTracker(2);
  tracker.end("a");
  tracker.end("b");
  tracker.end("c");
  tracker.end("");
  assert.equal(tracker.remembered, 2);
  assert.equal(await tracker.wait("a", Date.now()), false);
  assert.equal(await tracker.wait("c", Date.now()), true);
});
