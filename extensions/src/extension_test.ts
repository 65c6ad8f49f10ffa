import assert from "node:assert/strict";
import { type ExtensionEvent, type ExtensionsClient } from "./extensions_api.ts";
import { runExtension } from "./extension.ts";
import { InvocationTracker } from "./invocations.ts";
import { Outbox } from "./outbox.ts";
import type { BatchEntry, BatchOutcome } from "./delivery.ts";

/** A scripted Extensions API that records the order of calls. */
function fakeApi(events: ExtensionEvent[], trace: string[]): ExtensionsClient {
  return {
    register: (name) => {
      trace.push(`register ${name}`);
      return Promise.resolve("ext-id");
    },
    next: (id) => {
      trace.push(`next ${id}`);
      const e = events.shift();
      return e ? Promise.resolve(e) : Promise.reject(new Error("no more events"));
    },
    initError: (_id, type) => {
      trace.push(`initError ${type}`);
      return Promise.resolve();
    },
    exitError: (_id, type) => {
      trace.push(`exitError ${type}`);
      return Promise.resolve();
    },
  };
}

/** An SQS send that takes `delayMs` and records into the trace. */
function slowSend(trace: string[], delayMs: number) {
  return (entries: BatchEntry[]): Promise<BatchOutcome> =>
    new Promise((resolve) =>
      setTimeout(() => {
        trace.push(`sent ${entries.map((e) => e.MessageBody).join(",")}`);
        resolve({ Successful: entries.map((e) => ({ Id: e.Id })) });
      }, delayMs)
    );
}

const quiet = { log: () => {}, sleep: () => Promise.resolve(), random: () => 0 };

Deno.test("runExtension() delivers everything accepted before it calls /event/next again", async () => {
  const trace: string[] = [];
  const outbox = new Outbox({ ...quiet, send: slowSend(trace, 20) });
  const far = Date.now() + 60_000;
  const events: ExtensionEvent[] = [
    { eventType: "INVOKE", deadlineMs: far, requestId: "r1" },
    { eventType: "INVOKE", deadlineMs: far, requestId: "r2" },
    { eventType: "SHUTDOWN", deadlineMs: far, shutdownReason: "spindown" },
  ];
  const api = fakeApi(events, trace);
  const originalNext = api.next.bind(api);
  // Messages arrive while the first INVOKE is being handled (as the function would post them).
  let call = 0;
  api.next = (id) => {
    call += 1;
    const result = originalNext(id);
    if (call === 2) {
      outbox.accept("m1");
      outbox.accept("m2");
    }
    return result;
  };
  const logs: string[] = [];
  const code = await runExtension({
    name: "battle-ext-test",
    api,
    outbox,
    log: (l) => logs.push(l),
    listen: () => Promise.resolve({ close: () => Promise.resolve() }),
  });
  assert.equal(code, 0);
  assert.deepEqual(trace, [
    "register battle-ext-test",
    "next ext-id",
    "next ext-id", // INVOKE r1 returned; messages accepted while handling it
    "sent m1",
    "sent m2",
    "next ext-id", // only after both are delivered
  ]);
  assert.equal(
    logs.at(-1),
    "[battle-ext-test] shutdown (spindown): accepted 2, delivered 2 (0 after a retry), " +
      "undelivered 0 (0 unsent, 0 refused by SQS, 0 in flight at exit), turned away 0 (outbox full)",
  );
});

Deno.test("runExtension() flushes on SHUTDOWN and logs what could not be delivered", async () => {
  const trace: string[] = [];
  const outbox = new Outbox({
    ...quiet,
    eager: false,
    send: () => Promise.reject(new Error("queue down")),
  });
  outbox.accept("x");
  const logs: string[] = [];
  const code = await runExtension({
    name: "e",
    api: fakeApi([{
      eventType: "SHUTDOWN",
      deadlineMs: Date.now() + 1000,
      shutdownReason: "timeout",
    }], trace),
    outbox,
    log: (l) => logs.push(l),
    listen: () => Promise.resolve({ close: () => Promise.resolve() }),
  });
  assert.equal(code, 0);
  assert.match(
    logs.at(-1)!,
    /accepted 1, delivered 0 \(0 after a retry\), undelivered 1 \(1 unsent,/,
  );
});

Deno.test("runExtension() stops waiting for a hung send at the SHUTDOWN deadline", async () => {
  const outbox = new Outbox({ ...quiet, send: () => new Promise(() => {}) });
  outbox.accept("stuck");
  const logs: string[] = [];
  const started = Date.now();
  const code = await runExtension({
    name: "e",
    api: fakeApi([{
      eventType: "SHUTDOWN",
      deadlineMs: Date.now() + 150,
      shutdownReason: "spindown",
    }], []),
    outbox,
    log: (l) => logs.push(l),
    deadlineMarginMs: 50,
    listen: () => Promise.resolve({ close: () => Promise.resolve() }),
  });
  assert.equal(code, 0);
  assert.ok(Date.now() - started < 1000);
  assert.match(logs.at(-1)!, /undelivered 1 \(0 unsent, 0 refused by SQS, 1 in flight at exit\)/);
});

Deno.test("runExtension() reports /init/error when it cannot listen", async () => {
  const trace: string[] = [];
  const logs: string[] = [];
  const code = await runExtension({
    name: "e",
    api: fakeApi([], trace),
    outbox: new Outbox({ ...quiet, send: () => Promise.resolve({}) }),
    log: (l) => logs.push(l),
    listen: () => Promise.reject(new Error("listen EADDRINUSE 127.0.0.1:4243")),
  });
  assert.equal(code, 1);
  assert.deepEqual(trace, ["register e", "initError Extension.ListenFailed"]);
  assert.match(logs[0]!, /Cannot listen: listen EADDRINUSE/);
});

Deno.test("runExtension() reports /exit/error and exits 1 when /event/next fails", async () => {
  const trace: string[] = [];
  const code = await runExtension({
    name: "e",
    api: fakeApi([], trace),
    outbox: new Outbox({ ...quiet, send: () => Promise.resolve({}) }),
    log: () => {},
    listen: () => Promise.resolve({ close: () => Promise.resolve() }),
  });
  assert.equal(code, 1);
  assert.deepEqual(trace, ["register e", "next ext-id", "exitError Extension.Crash"]);
});

Deno.test("runExtension() waits on INVOKE for the function's tagged message, then delivers it", async () => {
  const trace: string[] = [];
  const outbox = new Outbox({ ...quiet, send: slowSend(trace, 10) });
  const invocations = new InvocationTracker();
  const far = Date.now() + 60_000;
  const api = fakeApi([
    { eventType: "INVOKE", deadlineMs: far, requestId: "r1" },
    { eventType: "INVOKE", deadlineMs: far, requestId: "r2" },
    { eventType: "SHUTDOWN", deadlineMs: far, shutdownReason: "spindown" },
  ], trace);
  const originalNext = api.next.bind(api);
  let call = 0;
  api.next = (id) => {
    call += 1;
    const result = originalNext(id);
    if (call === 1) {
      // The function posts r1's message 50 ms into the invocation.
      setTimeout(() => {
        trace.push("post m1");
        outbox.accept("m1");
        invocations.end("r1");
      }, 50);
    }
    if (call === 2) {
      // r2's function failed before posting: it ends the invocation without a message.
      setTimeout(() => {
        trace.push("end r2");
        invocations.end("r2");
      }, 20);
    }
    return result;
  };
  const code = await runExtension({
    name: "e",
    api,
    outbox,
    invocations,
    log: () => {},
    listen: () => Promise.resolve({ close: () => Promise.resolve() }),
  });
  assert.equal(code, 0);
  assert.deepEqual(trace, [
    "register e",
    "next ext-id", // INVOKE r1
    "post m1",
    "sent m1",
    "next ext-id", // INVOKE r2, only after m1 is delivered
    "end r2",
    "next ext-id", // SHUTDOWN
  ]);
});

Deno.test("runExtension() stops waiting for the function at the INVOKE deadline", async () => {
  const trace: string[] = [];
  const logs: string[] = [];
  const started = Date.now();
  const code = await runExtension({
    name: "e",
    api: fakeApi([
      { eventType: "INVOKE", deadlineMs: started + 150, requestId: "silent" },
      { eventType: "SHUTDOWN", deadlineMs: started + 60_000, shutdownReason: "spindown" },
    ], trace),
    outbox: new Outbox({ ...quiet, send: slowSend(trace, 1) }),
    invocations: new InvocationTracker(),
    deadlineMarginMs: 50,
    log: (l) => logs.push(l),
    listen: () => Promise.resolve({ close: () => Promise.resolve() }),
  });
  assert.equal(code, 0);
  const waited = Date.now() - started;
  assert.ok(waited >= 90 && waited < 1_000, `waited ${waited} ms`);
  assert.ok(logs.some((l) => /silent: no message or end by the deadline/.test(l)), logs.join("\n"));
});

Deno.test("runExtension() calls /event/next by the INVOKE deadline with a backlog, keeping the rest", async () => {
  const trace: string[] = [];
  const logs: string[] = [];
  const outbox = new Outbox({ ...quiet, send: () => new Promise(() => {}) });
  outbox.accept("stuck");
  const started = Date.now();
  const code = await runExtension({
    name: "e",
    api: fakeApi([
      { eventType: "INVOKE", deadlineMs: started + 150, requestId: "r1" },
      { eventType: "SHUTDOWN", deadlineMs: started + 250, shutdownReason: "spindown" },
    ], trace),
    outbox,
    deadlineMarginMs: 50,
    log: (l) => logs.push(l),
    listen: () => Promise.resolve({ close: () => Promise.resolve() }),
  });
  assert.equal(code, 0);
  assert.ok(Date.now() - started < 1_000);
  assert.deepEqual(trace, ["register e", "next ext-id", "next ext-id"]);
  assert.ok(
    logs.includes("[e] invoke r1: delivered 0 (0 after a retry), 1 pending"),
    logs.join("\n"),
  );
});

Deno.test("runExtension() logs an INVOKE line when a retry delivered messages", async () => {
  let calls = 0;
  const logs: string[] = [];
  const outbox = new Outbox({
    ...quiet,
    eager: false,
    send: (e) =>
      ++calls === 1
        ? Promise.reject(new Error("connection reset"))
        : Promise.resolve({ Successful: e.map((x) => ({ Id: x.Id })) }),
  });
  outbox.accept("a");
  outbox.accept("b");
  const far = Date.now() + 60_000;
  await runExtension({
    name: "e",
    api: fakeApi([
      { eventType: "INVOKE", deadlineMs: far, requestId: "r1" },
      { eventType: "SHUTDOWN", deadlineMs: far, shutdownReason: "SPINDOWN" },
    ], []),
    outbox,
    log: (l) => logs.push(l),
    listen: () => Promise.resolve({ close: () => Promise.resolve() }),
  });
  assert.deepEqual(logs, [
    "[e] invoke r1: delivered 2 (2 after a retry), 0 pending",
    "[e] shutdown (spindown): accepted 2, delivered 2 (2 after a retry), undelivered 0 " +
    "(0 unsent, 0 refused by SQS, 0 in flight at exit), turned away 0 (outbox full)",
  ]);
});
