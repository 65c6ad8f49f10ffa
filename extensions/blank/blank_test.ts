import assert from "node:assert/strict";
import type { ExtensionEvent, ExtensionsClient } from "../src/extensions_api.ts";
import { runBlankExtension } from "./blank.ts";

/** An Extensions API that plays back events and records the calls. */
function playback(events: (ExtensionEvent | Error)[], register: string | Error = "id-1") {
  const calls: string[] = [];
  const api: ExtensionsClient = {
    register: (name) => {
      calls.push(`register ${name}`);
      return register instanceof Error ? Promise.reject(register) : Promise.resolve(register);
    },
    next: (id) => {
      calls.push(`next ${id}`);
      const e = events.shift();
      if (e === undefined) return new Promise(() => {}); // Lambda would block
      return e instanceof Error ? Promise.reject(e) : Promise.resolve(e);
    },
    initError: (id, type) => {
      calls.push(`initError ${id} ${type}`);
      return Promise.resolve();
    },
    exitError: (id, type) => {
      calls.push(`exitError ${id} ${type}`);
      return Promise.resolve();
    },
  };
  return { api, calls };
}

const invoke = (requestId: string): ExtensionEvent => ({
  eventType: "INVOKE",
  deadlineMs: Date.now() + 1000,
  requestId,
});
const shutdown: ExtensionEvent = {
  eventType: "SHUTDOWN",
  deadlineMs: 0,
  shutdownReason: "spindown",
};

Deno.test("runBlankExtension() asks for the next event after each INVOKE and exits 0 on SHUTDOWN", async () => {
  const { api, calls } = playback([invoke("a"), invoke("b"), shutdown]);
  assert.equal(await runBlankExtension({ name: "blank-x", api, log: () => {} }), 0);
  assert.deepEqual(calls, ["register blank-x", "next id-1", "next id-1", "next id-1"]);
});

Deno.test("runBlankExtension() reports a failed /event/next as Extension.Crash and exits 1", async () => {
  const lines: string[] = [];
  const { api, calls } = playback([invoke("a"), new Error("HTTP 500")]);
  assert.equal(await runBlankExtension({ name: "b", api, log: (l) => lines.push(l) }), 1);
  assert.deepEqual(calls.at(-1), "exitError id-1 Extension.Crash");
  assert.deepEqual(lines, ["[b] HTTP 500"]);
});

Deno.test("runBlankExtension() exits 1 when it cannot register, without reporting", async () => {
  const { api, calls } = playback([], new Error("HTTP 403"));
  assert.equal(await runBlankExtension({ name: "b", api, log: () => {} }), 1);
  assert.deepEqual(calls, ["register b"]);
});
