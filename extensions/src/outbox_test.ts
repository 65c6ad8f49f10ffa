import assert from "node:assert/strict";
import type { BatchEntry, BatchOutcome } from "./delivery.ts";
import { Outbox } from "./outbox.ts";

/** A send whose calls stay pending until released, recording what was sent. */
function gatedSend() {
  const sent: string[][] = [];
  const gates: (() => void)[] = [];
  const send = (entries: BatchEntry[]): Promise<BatchOutcome> => {
    sent.push(entries.map((e) => e.MessageBody));
    return new Promise((resolve) => {
      gates.push(() => resolve({ Successful: entries.map((e) => ({ Id: e.Id })) }));
    });
  };
  const releaseAll = () => gates.splice(0).forEach((g) => g());
  return {
    sent,
    send,
    releaseAll,
    get waiting() {
      return gates.length;
    },
  };
}

const tick = () => new Promise((r) => setTimeout(r, 0));
const noLog = { log: () => {}, sleep: () => Promise.resolve(), random: () => 0 };

const zero = { accepted: 0, delivered: 0, deliveredOnRetry: 0, rejected: 0, turnedAway: 0 };

Deno.test("Outbox.accept() starts sending at once and batches what arrives meanwhile", async () => {
  const g = gatedSend();
  const outbox = new Outbox({ ...noLog, send: g.send, concurrency: 1 });
  outbox.accept("1");
  for (const m of ["2", "3", "4"]) outbox.accept(m);
  assert.deepEqual(g.sent, [["1"]]);
  g.releaseAll();
  await tick();
  assert.deepEqual(g.sent, [["1"], ["2", "3", "4"]]);
  g.releaseAll();
  await outbox.flush();
  assert.deepEqual(outbox.stats, { ...zero, accepted: 4, delivered: 4 });
});

Deno.test("Outbox.flush() resolves only after in-flight and queued messages are delivered", async () => {
  const g = gatedSend();
  const outbox = new Outbox({ ...noLog, send: g.send, concurrency: 1 });
  outbox.accept("a");
  outbox.accept("b");
  let flushed = false;
  const flushing = outbox.flush().then(() => (flushed = true));
  await tick();
  assert.equal(flushed, false);
  assert.equal(outbox.outstanding, 2);
  g.releaseAll(); // "a" done; "b" now in flight
  await tick();
  assert.equal(flushed, false);
  outbox.accept("c"); // accepted during the flush: also awaited
  g.releaseAll();
  await tick();
  g.releaseAll();
  await flushing;
  assert.equal(outbox.outstanding, 0);
  assert.deepEqual(g.sent.flat(), ["a", "b", "c"]);
});

Deno.test("Outbox.flush() resolves at once when nothing is outstanding", async () => {
  const outbox = new Outbox({ ...noLog, send: () => Promise.reject(new Error("never called")) });
  await outbox.flush();
  assert.deepEqual(outbox.stats, zero);
});

Deno.test("Outbox with eager: false sends nothing until flush, then in batches of 10", async () => {
  const sent: number[] = [];
  const outbox = new Outbox({
    ...noLog,
    eager: false,
    send: (e) => {
      sent.push(e.length);
      return Promise.resolve({ Successful: e.map((x) => ({ Id: x.Id })) });
    },
  });
  for (let i = 0; i < 25; i++) outbox.accept(`m${i}`);
  await tick();
  assert.deepEqual(sent, []);
  await outbox.flush();
  assert.deepEqual(sent, [10, 10, 5]);
  assert.equal(outbox.stats.delivered, 25);
});

Deno.test("Outbox keeps unsent messages for the next flush and rejects oversized ones", async () => {
  const lines: string[] = [];
  const outbox = new Outbox({
    ...noLog,
    log: (l) => lines.push(l),
    eager: false,
    limits: { maxEntries: 10, maxBytes: 4 },
    send: (e) =>
      up
        ? Promise.resolve({ Successful: e.map((x) => ({ Id: x.Id })) })
        : Promise.reject(new Error("down")),
  });
  let up = false;
  outbox.accept("ok");
  outbox.accept("too big");
  assert.equal(await outbox.flush(), 1);
  assert.deepEqual(outbox.stats, { ...zero, accepted: 2, rejected: 1 });
  assert.ok(lines.some((l) => /Dropped a message of 7 bytes/.test(l)));
  assert.ok(lines.some((l) => /1 message\(s\) still unsent/.test(l)));
  up = true;
  assert.equal(await outbox.flush(), 0);
  assert.deepEqual(outbox.stats, { ...zero, accepted: 2, delivered: 1, rejected: 1 });
});

Deno.test("Outbox.flush() stops retrying at its deadline and reports what is outstanding", async () => {
  let calls = 0;
  const outbox = new Outbox({
    ...noLog,
    eager: false,
    now: () => 1_000,
    send: () => {
      calls += 1;
      return Promise.reject(new Error("down"));
    },
  });
  outbox.accept("x");
  assert.equal(await outbox.flush(1_001), 1);
  assert.equal(calls, 1);
});

Deno.test("Outbox retries a message that failed before the flush under the flush's deadline", async () => {
  let clock = 0;
  let failures = 6; // more than maxAttempts (4): an eager send alone would give up
  const outbox = new Outbox({
    log: () => {},
    random: () => 0,
    now: () => clock,
    sleep: (ms) => {
      clock += ms;
      return Promise.resolve();
    },
    send: (e) =>
      failures-- > 0
        ? Promise.reject(new Error("down"))
        : Promise.resolve({ Successful: e.map((x) => ({ Id: x.Id })) }),
  });
  outbox.accept("m");
  await tick();
  assert.equal(await outbox.flush(10_000), 0);
  assert.equal(outbox.stats.delivered, 1);
});

Deno.test("Outbox.accept() turns a message away once the count or byte bound would be passed", () => {
  const g = gatedSend();
  const byCount = new Outbox({ ...noLog, send: g.send, maxMessages: 2, maxBytes: 1_000 });
  assert.equal(byCount.accept("a"), null);
  assert.equal(byCount.accept("b"), null);
  const full = byCount.accept("c");
  assert.match(full?.reason ?? "", /outbox is full: 2 messages \(2 bytes\).*at most 2 messages/);
  assert.deepEqual(byCount.stats, { ...zero, accepted: 2, turnedAway: 1 });
  const byBytes = new Outbox({ ...noLog, send: g.send, maxMessages: 100, maxBytes: 10 });
  assert.equal(byBytes.accept("12345678"), null);
  assert.notEqual(byBytes.accept("abc"), null, "8 + 3 bytes is past 10");
  assert.equal(byBytes.accept("ab"), null, "8 + 2 bytes fits");
});

Deno.test("Outbox frees room as messages are delivered", async () => {
  const g = gatedSend();
  const outbox = new Outbox({ ...noLog, send: g.send, maxMessages: 1 });
  assert.equal(outbox.accept("a"), null);
  assert.notEqual(outbox.accept("b"), null);
  g.releaseAll();
  await outbox.flush();
  assert.equal(outbox.accept("b"), null);
});

Deno.test("Outbox keeps `concurrency` requests in flight, starting the next as one answers", async () => {
  const g = gatedSend();
  const outbox = new Outbox({ ...noLog, send: g.send, concurrency: 2, eager: false });
  for (let i = 0; i < 40; i++) outbox.accept(`m${i}`);
  const flushing = outbox.flush();
  assert.equal(g.waiting, 2);
  assert.equal(outbox.inFlight, 20);
  g.releaseAll();
  await tick();
  assert.equal(g.waiting, 2, "the next two went out as soon as the first two answered");
  g.releaseAll();
  assert.equal(await flushing, 0);
  assert.deepEqual(g.sent.map((b) => b.length), [10, 10, 10, 10]);
});

Deno.test("Outbox.close() starts nothing new and waits for what is in flight", async () => {
  const g = gatedSend();
  const outbox = new Outbox({ ...noLog, send: g.send, concurrency: 1 });
  outbox.accept("a");
  outbox.accept("b");
  const closing = outbox.close(Date.now() + 5_000);
  g.releaseAll();
  assert.equal(await closing, 0);
  await tick();
  assert.deepEqual(g.sent, [["a"]], "b was not sent after close()");
  assert.equal(outbox.outstanding, 1);
  const hung = new Outbox({ ...noLog, send: () => new Promise(() => {}) });
  hung.accept("stuck");
  assert.equal(await hung.close(Date.now() + 20), 1, "still in flight at the deadline");
});

Deno.test("Outbox counts what a retry delivered, and progress while a batch is retried", async () => {
  let calls = 0;
  let retried: () => void = () => {};
  const secondAttempt = new Promise<void>((r) => retried = r);
  const outbox = new Outbox({
    ...noLog,
    eager: false,
    send: (e) => {
      calls += 1;
      if (calls === 1) {
        return Promise.resolve({
          Successful: [{ Id: "0" }],
          Failed: [{ Id: "1", SenderFault: false, Code: "InternalError" }],
        });
      }
      retried();
      return new Promise((resolve) =>
        setTimeout(() => resolve({ Successful: e.map((x) => ({ Id: x.Id })) }), 20)
      );
    },
  });
  outbox.accept("first");
  outbox.accept("second");
  const flushing = outbox.flush();
  await secondAttempt;
  assert.equal(outbox.stats.delivered, 1, "the first attempt's success counts at once");
  assert.equal(outbox.inFlight, 1);
  await flushing;
  assert.deepEqual(outbox.stats, { ...zero, accepted: 2, delivered: 2, deliveredOnRetry: 1 });
});
