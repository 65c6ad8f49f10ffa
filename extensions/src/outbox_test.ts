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

Deno.test("Outbox.accept() starts sending at once and batches what arrives meanwhile", async () => {
  const g = gatedSend();
  const outbox = new Outbox({ ...noLog, send: g.send });
  outbox.accept("1");
  for (const m of ["2", "3", "4"]) outbox.accept(m);
  assert.deepEqual(g.sent, [["1"]]);
  g.releaseAll();
  await tick();
  assert.deepEqual(g.sent, [["1"], ["2", "3", "4"]]);
  g.releaseAll();
  await outbox.flush();
  assert.deepEqual(outbox.stats, { accepted: 4, delivered: 4, rejected: 0 });
});

Deno.test("Outbox.flush() resolves only after in-flight and queued messages are delivered", async () => {
  const g = gatedSend();
  const outbox = new Outbox({ ...noLog, send: g.send });
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
  assert.deepEqual(outbox.stats, { accepted: 0, delivered: 0, rejected: 0 });
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
  assert.deepEqual(outbox.stats, { accepted: 2, delivered: 0, rejected: 1 });
  assert.ok(lines.some((l) => /Dropped a message of 7 bytes/.test(l)));
  assert.ok(lines.some((l) => /1 message\(s\) still unsent/.test(l)));
  up = true;
  assert.equal(await outbox.flush(), 0);
  assert.deepEqual(outbox.stats, { accepted: 2, delivered: 1, rejected: 1 });
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
