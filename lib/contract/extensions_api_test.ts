import assert from "node:assert/strict";
import { startExtensionsApi } from "./extensions_api.ts";

const BASE = "/2020-01-01/extension";

Deno.test("ExtensionsApi registers, hands out pushed events in order and records /next", async () => {
  await using api = startExtensionsApi();
  const base = `http://${api.address}${BASE}`;
  const reg = await fetch(`${base}/register`, {
    method: "POST",
    headers: { "Lambda-Extension-Name": "probe" },
    body: JSON.stringify({ events: ["INVOKE", "SHUTDOWN"] }),
  });
  assert.equal(reg.status, 200);
  const id = reg.headers.get("lambda-extension-identifier");
  assert.ok(id);
  assert.deepEqual(Object.keys(await reg.json()).sort(), [
    "accountId",
    "functionName",
    "functionVersion",
    "handler",
  ]);
  assert.deepEqual(api.registrations.map((r) => [r.name, r.events]), [[
    "probe",
    ["INVOKE", "SHUTDOWN"],
  ]]);

  const pending = fetch(`${base}/event/next`, { headers: { "Lambda-Extension-Identifier": id } });
  await api.waitForNext(1, 2_000);
  const invoke = api.invoke({ requestId: "req-1" });
  const first = await (await pending).json();
  assert.deepEqual(first, invoke);
  assert.equal(first.eventType, "INVOKE");
  assert.equal(typeof first.deadlineMs, "number");

  api.shutdown({ shutdownReason: "timeout" });
  const second = await fetch(`${base}/event/next`, {
    headers: { "Lambda-Extension-Identifier": id },
  });
  const shutdown = await second.json();
  assert.equal(shutdown.eventType, "SHUTDOWN");
  assert.equal(shutdown.shutdownReason, "timeout");
  assert.equal(api.nextCalls.length, 2);
  assert.ok((api.nextCalls[0] ?? Infinity) < (api.nextCalls[1] ?? -Infinity));
});

Deno.test("ExtensionsApi rejects /next without a known identifier and records error reports", async () => {
  await using api = startExtensionsApi();
  const base = `http://${api.address}${BASE}`;
  const next = await fetch(`${base}/event/next`, {
    headers: { "Lambda-Extension-Identifier": "nobody" },
  });
  assert.equal(next.status, 403);
  await next.body?.cancel();
  const bad = await fetch(`${base}/register`, { method: "POST", body: "{}" });
  assert.equal(bad.status, 400);
  await bad.body?.cancel();
  const err = await fetch(`${base}/init/error`, {
    method: "POST",
    headers: {
      "Lambda-Extension-Identifier": "x",
      "Lambda-Extension-Function-Error-Type": "Extension.ConfigError",
    },
    body: '{"errorMessage":"boom"}',
  });
  assert.equal(err.status, 202);
  await err.body?.cancel();
  assert.deepEqual(api.errors.map((e) => [e.kind, e.id, e.errorType, e.body]), [[
    "init",
    "x",
    "Extension.ConfigError",
    '{"errorMessage":"boom"}',
  ]]);
  assert.equal(api.nextCalls.length, 0, "a rejected /next is not an Init end");
});

Deno.test("ExtensionsApi.waitForNext() times out with a clear message", async () => {
  await using api = startExtensionsApi();
  await assert.rejects(api.waitForNext(1, 50), /Timed out after 50 ms waiting for \/event\/next/);
});
