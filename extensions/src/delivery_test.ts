import assert from "node:assert/strict";
import {
  backoffMs,
  type BatchEntry,
  type BatchOutcome,
  DEFAULT_RETRY,
  deliverBatch,
} from "./delivery.ts";

function recorder(outcomes: (BatchOutcome | Error)[]) {
  const calls: BatchEntry[][] = [];
  const send = (entries: BatchEntry[]) => {
    calls.push(entries.map((e) => ({ ...e })));
    const next = outcomes.shift() ?? new Error("no more outcomes");
    return next instanceof Error ? Promise.reject(next) : Promise.resolve(next);
  };
  return { calls, send };
}

const allOk = (entries: BatchEntry[]): BatchOutcome => ({
  Successful: entries.map((e) => ({ Id: e.Id })),
});

function quiet() {
  const lines: string[] = [];
  const sleeps: number[] = [];
  return {
    lines,
    sleeps,
    log: (l: string) => lines.push(l),
    sleep: (ms: number) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
    random: () => 0.5,
  };
}

Deno.test("deliverBatch() sends once when every entry succeeds", async () => {
  const q = quiet();
  const calls: BatchEntry[][] = [];
  const result = await deliverBatch(["a", "b"], {
    ...q,
    send: (e) => {
      calls.push(e);
      return Promise.resolve(allOk(e));
    },
  });
  assert.deepEqual(result, {
    delivered: 2,
    deliveredOnRetry: 0,
    rejected: 0,
    unsent: [],
    attempts: 1,
  });
  assert.deepEqual(calls[0], [{ Id: "0", MessageBody: "a" }, { Id: "1", MessageBody: "b" }]);
  assert.deepEqual(q.sleeps, []);
});

Deno.test("deliverBatch() retries only the entries that failed", async () => {
  const q = quiet();
  const { calls, send } = recorder([
    {
      Successful: [{ Id: "0" }, { Id: "2" }],
      Failed: [{ Id: "1", SenderFault: false, Code: "InternalError" }],
    },
    { Successful: [{ Id: "1" }] },
  ]);
  const result = await deliverBatch(["a", "b", "c"], { ...q, send });
  assert.deepEqual(result, {
    delivered: 3,
    deliveredOnRetry: 1,
    rejected: 0,
    unsent: [],
    attempts: 2,
  });
  assert.deepEqual(calls[1], [{ Id: "1", MessageBody: "b" }]);
  assert.deepEqual(q.sleeps, [37.5]);
});

Deno.test("deliverBatch() does not retry sender faults", async () => {
  const q = quiet();
  const { calls, send } = recorder([
    {
      Successful: [{ Id: "0" }],
      Failed: [{ Id: "1", SenderFault: true, Code: "InvalidMessageContents", Message: "bad" }],
    },
  ]);
  const result = await deliverBatch(["a", "b"], { ...q, send });
  assert.deepEqual(result, {
    delivered: 1,
    deliveredOnRetry: 0,
    rejected: 1,
    unsent: [],
    attempts: 1,
  });
  assert.equal(calls.length, 1);
  assert.match(q.lines[0]!, /InvalidMessageContents: bad/);
});

Deno.test("deliverBatch() without a deadline retries a thrown error maxAttempts times, then hands the bodies back", async () => {
  const q = quiet();
  const { calls, send } = recorder([
    new Error("boom"),
    new Error("boom"),
    new Error("boom"),
    new Error("boom"),
  ]);
  const result = await deliverBatch(["a", "b"], { ...q, send });
  assert.deepEqual(result, {
    delivered: 0,
    deliveredOnRetry: 0,
    rejected: 0,
    unsent: ["a", "b"],
    attempts: DEFAULT_RETRY.maxAttempts,
  });
  assert.equal(calls.length, 4);
  assert.deepEqual(q.sleeps, [37.5, 75, 150]);
  assert.match(q.lines.at(-1)!, /2 message\(s\) still unsent after 4 attempt\(s\): Error: boom/);
});

Deno.test("deliverBatch() recovers when a later attempt succeeds", async () => {
  const q = quiet();
  const { send } = recorder([new Error("reset"), { Successful: [{ Id: "0" }] }]);
  assert.deepEqual(await deliverBatch(["a"], { ...q, send }), {
    delivered: 1,
    deliveredOnRetry: 1,
    rejected: 0,
    unsent: [],
    attempts: 2,
  });
});

Deno.test("deliverBatch() treats an entry missing from the response as failed", async () => {
  const q = quiet();
  const { calls, send } = recorder([{ Successful: [] }, { Successful: [{ Id: "0" }] }]);
  assert.deepEqual(await deliverBatch(["a"], { ...q, send }), {
    delivered: 1,
    deliveredOnRetry: 1,
    rejected: 0,
    unsent: [],
    attempts: 2,
  });
  assert.equal(calls.length, 2);
});

Deno.test("deliverBatch() starts no retry that would end past the deadline", async () => {
  const q = quiet();
  const { calls, send } = recorder([new Error("slow"), { Successful: [{ Id: "0" }] }]);
  const result = await deliverBatch(["a"], { ...q, send, now: () => 1000, deadline: () => 1020 });
  assert.deepEqual(result, {
    delivered: 0,
    deliveredOnRetry: 0,
    rejected: 0,
    unsent: ["a"],
    attempts: 1,
  });
  assert.equal(calls.length, 1);
});

Deno.test("deliverBatch() with a deadline keeps retrying past maxAttempts until the deadline", async () => {
  const q = quiet();
  let clock = 0;
  const outcomes: (BatchOutcome | Error)[] = Array.from({ length: 9 }, () => new Error("down"));
  outcomes.push({ Successful: [{ Id: "0" }] });
  const { calls, send } = recorder(outcomes);
  const result = await deliverBatch(["a"], {
    ...q,
    send,
    now: () => clock,
    sleep: (ms) => {
      clock += ms;
      return Promise.resolve();
    },
    deadline: () => 60_000,
  });
  assert.deepEqual(result, {
    delivered: 1,
    deliveredOnRetry: 1,
    rejected: 0,
    unsent: [],
    attempts: 10,
  });
  assert.equal(calls.length, 10);
  assert.ok(clock < 60_000);
});

Deno.test("backoffMs() doubles per attempt up to the ceiling, with half of it jittered", () => {
  const policy = { maxAttempts: 10, baseDelayMs: 100, maxDelayMs: 500 };
  assert.equal(backoffMs(1, policy, 0), 50);
  assert.equal(backoffMs(1, policy, 0.999999) < 100, true);
  assert.equal(backoffMs(2, policy, 0), 100);
  assert.equal(backoffMs(5, policy, 0), 250);
});
