import assert from "node:assert/strict";
import { ExtensionsApi, parseEvent } from "./extensions_api.ts";

interface Seen {
  url: string;
  method: string;
  headers: Headers;
  body: string;
}

function fakeFetch(responses: Response[], seen: Seen[]): typeof fetch {
  return (input, init) => {
    seen.push({
      url: String(input),
      method: init?.method ?? "GET",
      headers: new Headers(init?.headers),
      body: init?.body ? String(init.body) : "",
    });
    return Promise.resolve(responses.shift() ?? new Response("gone", { status: 500 }));
  };
}

Deno.test("ExtensionsApi.register() sends the name and events and returns the identifier", async () => {
  const seen: Seen[] = [];
  const api = new ExtensionsApi(
    "127.0.0.1:9001",
    fakeFetch([
      new Response("{}", { status: 200, headers: { "Lambda-Extension-Identifier": "abc" } }),
    ], seen),
  );
  assert.equal(await api.register("battle-ext-node"), "abc");
  assert.equal(seen[0]?.url, "http://127.0.0.1:9001/2020-01-01/extension/register");
  assert.equal(seen[0]?.method, "POST");
  assert.equal(seen[0]?.headers.get("lambda-extension-name"), "battle-ext-node");
  assert.deepEqual(JSON.parse(seen[0]!.body), { events: ["INVOKE", "SHUTDOWN"] });
});

Deno.test("ExtensionsApi.register() throws with the status when registration fails", async () => {
  const api = new ExtensionsApi("h:1", fakeFetch([new Response("too late", { status: 403 })], []));
  await assert.rejects(() => api.register("x"), {
    message: 'Cannot register extension "x": HTTP 403 too late',
  });
});

Deno.test("ExtensionsApi.next() sends the identifier and parses the event", async () => {
  const seen: Seen[] = [];
  const body = JSON.stringify({
    eventType: "INVOKE",
    deadlineMs: 5,
    requestId: "r",
    invokedFunctionArn: "a",
  });
  const api = new ExtensionsApi("h:1", fakeFetch([new Response(body)], seen));
  assert.deepEqual(await api.next("abc"), { eventType: "INVOKE", deadlineMs: 5, requestId: "r" });
  assert.equal(seen[0]?.url, "http://h:1/2020-01-01/extension/event/next");
  assert.equal(seen[0]?.headers.get("lambda-extension-identifier"), "abc");
});

Deno.test("ExtensionsApi.initError() posts the error type header and body", async () => {
  const seen: Seen[] = [];
  const api = new ExtensionsApi("h:1", fakeFetch([new Response(null, { status: 202 })], seen));
  await api.initError("abc", "Extension.ListenFailed", "port busy");
  assert.equal(seen[0]?.url, "http://h:1/2020-01-01/extension/init/error");
  assert.equal(
    seen[0]?.headers.get("lambda-extension-function-error-type"),
    "Extension.ListenFailed",
  );
  assert.equal(JSON.parse(seen[0]!.body).errorMessage, "port busy");
});

Deno.test("parseEvent() reads event types and shutdown reasons case-insensitively", () => {
  assert.deepEqual(
    parseEvent({ eventType: "shutdown", deadlineMs: 9, shutdownReason: "SPINDOWN" }),
    {
      eventType: "SHUTDOWN",
      deadlineMs: 9,
      shutdownReason: "spindown",
    },
  );
  assert.throws(() => parseEvent({ eventType: "RESTORE" }), {
    name: "TypeError",
    message: 'Cannot read extension event: eventType is "RESTORE"',
  });
});
