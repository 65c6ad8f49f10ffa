import assert from "node:assert/strict";
import { API_ERRORS, EXTENSIONS_API_BASE as BASE } from "../lambda/wire.ts";
import { startExtensionsApi } from "./extensions_api.ts";

async function call(url: string, init: RequestInit = {}) {
  const res = await fetch(url, init);
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
}

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
  assert.deepEqual(await reg.json(), {
    functionName: "contract",
    functionVersion: "$LATEST",
    handler: "index.handler",
  });
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

Deno.test("ExtensionsApi returns accountId only to a register asking with Accept-Feature", async () => {
  await using api = startExtensionsApi();
  const reg = await call(`http://${api.address}${BASE}/register`, {
    method: "POST",
    headers: { "Lambda-Extension-Name": "probe", "Lambda-Extension-Accept-Feature": "accountId" },
    body: JSON.stringify({ events: ["INVOKE"] }),
  });
  assert.equal(reg.status, 200);
  assert.equal(reg.body.accountId, "000000000000");
});

Deno.test("ExtensionsApi refuses bad registrations with Lambda's 403 error types", async () => {
  await using api = startExtensionsApi();
  const register = (headers: Record<string, string>, body: string) =>
    call(`http://${api.address}${BASE}/register`, { method: "POST", headers, body });
  const name = { "Lambda-Extension-Name": "probe" };
  const cases: [Record<string, string>, string, string][] = [
    [{}, '{"events":["INVOKE"]}', API_ERRORS.invalidExtensionName],
    [name, "not json", API_ERRORS.invalidRequestFormat],
    [name, '{"events":["INVOKE","RESTORE"]}', API_ERRORS.invalidEventType],
  ];
  for (const [headers, body, errorType] of cases) {
    const res = await register(headers, body);
    assert.equal(res.status, 403, body);
    assert.equal(res.body.errorType, errorType, body);
  }
  assert.equal((await register(name, '{"events":["INVOKE"]}')).status, 200);
  const twice = await register(name, '{"events":["INVOKE"]}');
  assert.equal(twice.status, 403);
  assert.equal(twice.body.errorType, API_ERRORS.invalidExtensionState);
  assert.equal(api.registrations.length, 1);
});

Deno.test("ExtensionsApi checks the identifier and error type, and records accepted error reports", async () => {
  await using api = startExtensionsApi();
  const base = `http://${api.address}${BASE}`;
  const id = (await call(`${base}/register`, {
    method: "POST",
    headers: { "Lambda-Extension-Name": "probe" },
    body: JSON.stringify({ events: ["INVOKE", "SHUTDOWN"] }),
  })).headers.get("lambda-extension-identifier")!;
  const refusals: [string, Record<string, string>, string][] = [
    ["event/next", {}, API_ERRORS.missingExtensionIdentifier],
    [
      "event/next",
      { "Lambda-Extension-Identifier": "nobody" },
      API_ERRORS.invalidExtensionIdentifier,
    ],
    [
      "event/next",
      { "Lambda-Extension-Identifier": crypto.randomUUID() },
      API_ERRORS.unknownExtensionIdentifier,
    ],
    ["init/error", { "Lambda-Extension-Identifier": id }, API_ERRORS.missingHeader],
    [
      "exit/error",
      {
        "Lambda-Extension-Identifier": crypto.randomUUID(),
        "Lambda-Extension-Function-Error-Type": "Extension.Crash",
      },
      API_ERRORS.unknownExtensionIdentifier,
    ],
  ];
  for (const [route, headers, errorType] of refusals) {
    const res = await call(`${base}/${route}`, {
      method: route === "event/next" ? "GET" : "POST",
      headers,
      ...(route === "event/next" ? {} : { body: "{}" }),
    });
    assert.equal(res.status, 403, `${route} ${JSON.stringify(headers)}`);
    assert.equal(res.body.errorType, errorType, `${route} ${JSON.stringify(headers)}`);
  }
  const err = await call(`${base}/init/error`, {
    method: "POST",
    headers: {
      "Lambda-Extension-Identifier": id,
      "Lambda-Extension-Function-Error-Type": "Extension.ConfigInvalid",
    },
    body: '{"errorMessage":"boom"}',
  });
  assert.equal(err.status, 202);
  assert.deepEqual(api.errors.map((e) => [e.kind, e.id, e.errorType, e.body]), [[
    "init",
    id,
    "Extension.ConfigInvalid",
    '{"errorMessage":"boom"}',
  ]]);
  assert.equal(api.nextCalls.length, 0, "a refused /next is not an Init end");
});

Deno.test("ExtensionsApi.failNext() answers the pending /next with Lambda's 500", async () => {
  await using api = startExtensionsApi();
  const base = `http://${api.address}${BASE}`;
  const id = (await call(`${base}/register`, {
    method: "POST",
    headers: { "Lambda-Extension-Name": "probe" },
    body: "{}",
  })).headers.get("lambda-extension-identifier")!;
  const pending = call(`${base}/event/next`, { headers: { "Lambda-Extension-Identifier": id } });
  await api.waitForNext(1, 2_000);
  api.failNext();
  const res = await pending;
  assert.equal(res.status, 500);
  assert.equal(res.body.errorType, API_ERRORS.internalServerError);
  assert.deepEqual(api.delivered, []);
});

Deno.test("ExtensionsApi.waitForNext() times out with a clear message", async () => {
  await using api = startExtensionsApi();
  await assert.rejects(api.waitForNext(1, 50), /Timed out after 50 ms waiting for \/event\/next/);
});
