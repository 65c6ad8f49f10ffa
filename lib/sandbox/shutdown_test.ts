import assert from "node:assert/strict";
import { ShutdownWatch, type WatchedProcess } from "./shutdown.ts";

type Exit = { code: number; signal: Deno.Signal | null } | null;
/** A process whose exit the test sets. */
type Proc = { kind: "function" | "extension"; name: string; exit: Exit };
const proc = (kind: Proc["kind"], name: string, exit: Exit = null): Proc => ({ kind, name, exit });

Deno.test("ShutdownWatch waits for the runtime and the extensions registered for SHUTDOWN", () => {
  const rt = proc("function", "runtime");
  const a = proc("extension", "a");
  const b = proc("extension", "b");
  const watch = new ShutdownWatch([rt, a, b], [
    { name: "a", events: new Set(["INVOKE", "SHUTDOWN"]) },
    { name: "b", events: new Set(["INVOKE"]) },
  ], 100);
  assert.equal(watch.done(101), false);
  rt.exit = { code: 0, signal: "SIGTERM" };
  assert.equal(watch.done(102), false, "a is registered for SHUTDOWN and still runs");
  a.exit = { code: 0, signal: null };
  assert.equal(watch.done(112.5), true, "b gets no SHUTDOWN: nothing waits for it");
  assert.deepEqual(watch.exits(150), [
    { name: "a", how: "exited", code: 0, signal: null, ms: 12.5 },
    { name: "b", how: "not-subscribed", code: null, signal: "SIGKILL", ms: 50 },
  ]);
});

Deno.test("ShutdownWatch: an extension back in /next after SHUTDOWN is killed at the deadline", () => {
  // The process runs on (it waits in /next): the watch is never done before the deadline.
  const looping: WatchedProcess = proc("extension", "looping");
  const watch = new ShutdownWatch(
    [looping],
    [{ name: "looping", events: new Set(["SHUTDOWN"]) }],
    0,
  );
  assert.equal(watch.done(1), false);
  assert.equal(watch.done(1999), false);
  assert.deepEqual(watch.exits(2000), [
    { name: "looping", how: "killed", code: null, signal: "SIGKILL", ms: 2000 },
  ]);
});

Deno.test("ShutdownWatch leaves out extensions that had exited before SHUTDOWN", () => {
  const crashed = proc("extension", "crashed", { code: 5, signal: null });
  const signalled = proc("extension", "s");
  const watch = new ShutdownWatch([crashed, signalled], [
    { name: "crashed", events: new Set(["SHUTDOWN"]) },
    { name: "s", events: new Set(["SHUTDOWN"]) },
  ], 0);
  signalled.exit = { code: 139, signal: "SIGSEGV" };
  assert.equal(watch.done(4), true);
  assert.deepEqual(watch.exits(9), [
    { name: "s", how: "exited", code: null, signal: "SIGSEGV", ms: 4 },
  ]);
});
