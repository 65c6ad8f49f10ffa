import assert from "node:assert/strict";
import { LambdaApi, MAX_EXTENSIONS, MAX_RESPONSE_BYTES } from "./api.ts";

async function withApi(fn: (api: LambdaApi, base: string) => Promise<void>): Promise<void> {
  const api = new LambdaApi({ functionName: "fn", functionVersion: "$LATEST", handler: "i.h" });
  await api.start();
  try {
    await fn(api, `http://${api.address}`);
  } finally {
    await api.close();
  }
}

async function call(
  url: string,
  init: RequestInit = {},
): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const res = await fetch(url, init);
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text);
  } catch {
    body = { text };
  }
  return { status: res.status, body, headers: res.headers };
}

const RT = "/2018-06-01/runtime";
const EXT = "/2020-01-01/extension";

function register(base: string, name: string, events = ["INVOKE", "SHUTDOWN"]) {
  return call(`${base}${EXT}/register`, {
    method: "POST",
    headers: { "Lambda-Extension-Name": name },
    body: JSON.stringify({ events }),
  });
}

Deno.test("LambdaApi answers a response posted before any event with 403 InvalidStateTransition", async () => {
  await withApi(async (_api, base) => {
    const res = await call(`${base}${RT}/invocation/abc/response`, { method: "POST", body: "{}" });
    assert.equal(res.status, 403);
    assert.equal(res.body.errorType, "InvalidStateTransition");
  });
});

Deno.test("LambdaApi hands an event to /next with Lambda's headers and takes the response", async () => {
  await withApi(async (api, base) => {
    const next = call(`${base}${RT}/invocation/next`);
    await api.until(() => api.state.runtime.state === "ready", performance.now() + 2000);
    api.deliverInvoke({
      requestId: "req-1",
      payload: new TextEncoder().encode('{"a":1}'),
      deadlineMs: 1234,
      functionArn: "arn:aws:lambda:us-east-1:000000000000:function:fn",
      traceId: "Root=1-0-0",
      clientContext: '{"custom":{}}',
    });
    const got = await next;
    assert.equal(got.status, 200);
    assert.deepEqual(got.body, { a: 1 });
    assert.equal(got.headers.get("Lambda-Runtime-Aws-Request-Id"), "req-1");
    assert.equal(got.headers.get("Lambda-Runtime-Deadline-Ms"), "1234");
    assert.equal(
      got.headers.get("Lambda-Runtime-Invoked-Function-Arn"),
      "arn:aws:lambda:us-east-1:000000000000:function:fn",
    );
    assert.equal(got.headers.get("Lambda-Runtime-Trace-Id"), "Root=1-0-0");
    assert.equal(got.headers.get("Lambda-Runtime-Client-Context"), '{"custom":{}}');
    // A second /next before answering is the wrong state.
    const early = await call(`${base}${RT}/invocation/next`);
    assert.equal(early.status, 403);
    assert.equal(early.body.errorType, "InvalidStateTransition");
    const wrongId = await call(`${base}${RT}/invocation/other/response`, {
      method: "POST",
      body: "{}",
    });
    assert.equal(wrongId.status, 400);
    const ok = await call(`${base}${RT}/invocation/req-1/response`, { method: "POST", body: "1" });
    assert.equal(ok.status, 202);
    assert.deepEqual(ok.body, { status: "OK" });
    assert.equal(api.state.runtime.outcome?.kind, "response");
    const again = await call(`${base}${RT}/invocation/req-1/error`, { method: "POST", body: "1" });
    assert.equal(again.status, 403);
  });
});

Deno.test("LambdaApi refuses a response over 6 MiB with 413", async () => {
  await withApi(async (api, base) => {
    const next = call(`${base}${RT}/invocation/next`);
    await api.until(() => api.state.runtime.state === "ready", performance.now() + 2000);
    api.deliverInvoke({
      requestId: "big",
      payload: new Uint8Array(),
      deadlineMs: 0,
      functionArn: "arn",
      traceId: "t",
    });
    await next;
    const res = await call(`${base}${RT}/invocation/big/response`, {
      method: "POST",
      body: new Uint8Array(MAX_RESPONSE_BYTES + 1),
    });
    assert.equal(res.status, 413);
    assert.equal(res.body.errorType, "RequestEntityTooLarge");
    assert.equal(api.state.runtime.oversize, true);
  });
});

Deno.test("LambdaApi records /init/error with the body's errorType, else the header's", async () => {
  await withApi(async (api, base) => {
    const res = await call(`${base}${RT}/init/error`, {
      method: "POST",
      headers: { "Lambda-Runtime-Function-Error-Type": "unhandled" },
      body: JSON.stringify({
        errorMessage: "x",
        errorType: "Runtime.ImportModuleError",
        stackTrace: [],
      }),
    });
    assert.equal(res.status, 202);
    assert.equal(api.state.runtime.initError?.errorType, "Runtime.ImportModuleError");
    const twice = await call(`${base}${RT}/init/error`, { method: "POST", body: "{}" });
    assert.equal(twice.status, 403);
    api.newEnvironment();
    await call(`${base}${RT}/init/error`, {
      method: "POST",
      headers: { "Lambda-Runtime-Function-Error-Type": "Runtime.HandlerNotFound" },
      body: "not json",
    });
    assert.equal(api.state.runtime.initError?.errorType, "Runtime.HandlerNotFound");
  });
});

Deno.test("LambdaApi registers extensions, delivers INVOKE and refuses late registration", async () => {
  await withApi(async (api, base) => {
    const reg = await register(base, "ext-a");
    assert.equal(reg.status, 200);
    assert.deepEqual(reg.body, { functionName: "fn", functionVersion: "$LATEST", handler: "i.h" });
    const id = reg.headers.get("Lambda-Extension-Identifier");
    assert.ok(id);
    const extNext = call(`${base}${EXT}/event/next`, {
      headers: { "Lambda-Extension-Identifier": id },
    });
    const rtNext = call(`${base}${RT}/invocation/next`);
    await api.until(() => api.state.allWaiting(), performance.now() + 2000);
    api.state.initDone = true;
    api.deliverInvoke({
      requestId: "r",
      payload: new Uint8Array(),
      deadlineMs: 99,
      functionArn: "arn:x",
      traceId: "t",
    });
    const event = await extNext;
    assert.equal(event.body.eventType, "INVOKE");
    assert.equal(event.body.requestId, "r");
    assert.equal(event.body.deadlineMs, 99);
    assert.equal(event.body.invokedFunctionArn, "arn:x");
    await rtNext;
    const late = await register(base, "late");
    assert.equal(late.status, 403);
    assert.equal(late.body.errorType, "Extension.RegistrationClosed");
    const noId = await call(`${base}${EXT}/event/next`);
    assert.equal(noId.status, 403);
    assert.equal(noId.body.errorType, "Extension.MissingExtensionIdentifier");
  });
});

Deno.test("LambdaApi accepts at most 10 extensions", async () => {
  await withApi(async (_api, base) => {
    const acct = await call(`${base}${EXT}/register`, {
      method: "POST",
      headers: { "Lambda-Extension-Name": "e0", "Lambda-Extension-Accept-Feature": "accountId" },
      body: JSON.stringify({ events: ["INVOKE"] }),
    });
    assert.equal(acct.body.accountId, "000000000000");
    for (let i = 1; i < MAX_EXTENSIONS; i++) {
      assert.equal((await register(base, `e${i}`)).status, 200);
    }
    const res = await register(base, "eleventh");
    assert.equal(res.status, 403);
    assert.equal(res.body.errorType, "Extension.TooManyExtensions");
  });
});

Deno.test("LambdaApi returns accountId only when Lambda-Extension-Accept-Feature asks", async () => {
  await withApi(async (_api, base) => {
    const plain = await register(base, "plain");
    assert.deepEqual(plain.body, {
      functionName: "fn",
      functionVersion: "$LATEST",
      handler: "i.h",
    });
  });
});

Deno.test("LambdaApi refuses bad registrations with Lambda's 403 error types", async () => {
  await withApi(async (api, base) => {
    const post = (headers: Record<string, string>, body: string) =>
      call(`${base}${EXT}/register`, { method: "POST", headers, body });
    const name = { "Lambda-Extension-Name": "ext" };
    const cases: [Record<string, string>, string, string][] = [
      [{}, '{"events":["INVOKE"]}', "Extension.InvalidExtensionName"],
      [name, "not json", "InvalidRequestFormat"],
      [name, '{"events":"INVOKE"}', "InvalidRequestFormat"],
      [name, '{"events":["INVOKE","RESTORE"]}', "Extension.InvalidEventType"],
    ];
    for (const [headers, body, errorType] of cases) {
      const res = await post(headers, body);
      assert.equal(res.status, 403, body);
      assert.equal(res.body.errorType, errorType, body);
    }
    assert.equal(api.state.extensions.size, 0);
    assert.equal((await register(base, "ext")).status, 200);
    const twice = await register(base, "ext");
    assert.equal(twice.status, 403);
    assert.equal(twice.body.errorType, "Extension.InvalidExtensionState");
  });
});

Deno.test("LambdaApi checks the extension identifier and the error type header", async () => {
  await withApi(async (_api, base) => {
    const id = (await register(base, "ext")).headers.get("Lambda-Extension-Identifier")!;
    const next = (headers: Record<string, string>) =>
      call(`${base}${EXT}/event/next`, { headers, signal: AbortSignal.timeout(2000) });
    const invalid = await next({ "Lambda-Extension-Identifier": "nobody" });
    assert.equal(invalid.status, 403);
    assert.equal(invalid.body.errorType, "Extension.InvalidExtensionIdentifier");
    const unknown = await next({ "Lambda-Extension-Identifier": crypto.randomUUID() });
    assert.equal(unknown.status, 403);
    assert.equal(unknown.body.errorType, "Extension.UnknownExtensionIdentifier");
    const noType = await call(`${base}${EXT}/exit/error`, {
      method: "POST",
      headers: { "Lambda-Extension-Identifier": id },
      body: "{}",
    });
    assert.equal(noType.status, 403);
    assert.equal(noType.body.errorType, "Extension.MissingHeader");
  });
});

Deno.test("LambdaApi validates telemetry subscriptions", async () => {
  await withApi(async (_api, base) => {
    const id = (await register(base, "sub")).headers.get("Lambda-Extension-Identifier")!;
    const put = (body: unknown) =>
      call(`${base}/2022-07-01/telemetry`, {
        method: "PUT",
        headers: { "Lambda-Extension-Identifier": id },
        body: JSON.stringify(body),
      });
    const good = {
      schemaVersion: "2022-12-13",
      types: ["platform", "function"],
      buffering: { maxItems: 1000, maxBytes: 262144, timeoutMs: 100 },
      destination: { protocol: "HTTP", URI: "http://sandbox.localdomain:1234/" },
    };
    assert.equal((await put(good)).status, 200);
    const small = await put({ ...good, buffering: { timeoutMs: 10 } });
    assert.equal(small.status, 400);
    assert.equal(small.body.errorType, "ValidationError");
    assert.match(String(small.body.errorMessage), /timeoutMs/);
    assert.equal((await put({ ...good, types: ["platform", "bogus"] })).status, 400);
    const anonymous = await call(`${base}/2022-07-01/telemetry`, {
      method: "PUT",
      body: JSON.stringify(good),
    });
    assert.equal(anonymous.status, 403);
  });
});

Deno.test("LambdaApi accepts Logs API subscriptions with the Logs API's schema versions", async () => {
  await withApi(async (_api, base) => {
    const id = (await register(base, "logs")).headers.get("Lambda-Extension-Identifier")!;
    const put = (body: unknown) =>
      call(`${base}/2020-08-15/logs`, {
        method: "PUT",
        headers: { "Lambda-Extension-Identifier": id },
        body: JSON.stringify(body),
      });
    const sub = {
      types: ["platform", "function"],
      buffering: { maxItems: 1000, maxBytes: 262144, timeoutMs: 100 },
      destination: { protocol: "HTTP", URI: "http://sandbox:1234/" },
    };
    // Logs API clients (the Go and Python samples, lambda-extension's logs processor) send
    // these versions; the Logs API's schemaVersion is optional.
    assert.equal((await put({ ...sub, schemaVersion: "2021-03-18" })).status, 200);
    assert.equal((await put({ ...sub, schemaVersion: "2020-08-15" })).status, 200);
    assert.equal((await put(sub)).status, 200);
    assert.equal((await put({ ...sub, schemaVersion: "1999-01-01" })).status, 400);
  });
});

Deno.test("LambdaApi refuses a subscription through the other API, and says which API", async () => {
  // "After subscribing using one of these APIs, any attempt to subscribe using the other API
  // returns an error."
  await withApi(async (api, base) => {
    const seen: [string, string[], string][] = [];
    api.setHooks({ onSubscribe: (name, types, via) => seen.push([name, types, via]) });
    const body = (schemaVersion: string) =>
      JSON.stringify({
        schemaVersion,
        types: ["platform"],
        destination: { protocol: "HTTP", URI: "http://sandbox.localdomain:1234/" },
      });
    const put = (id: string, path: string, schemaVersion: string) =>
      call(`${base}${path}`, {
        method: "PUT",
        headers: { "Lambda-Extension-Identifier": id },
        body: body(schemaVersion),
      });
    const a = (await register(base, "a")).headers.get("Lambda-Extension-Identifier")!;
    const b = (await register(base, "b")).headers.get("Lambda-Extension-Identifier")!;
    assert.equal((await put(a, "/2020-08-15/logs", "2021-03-18")).status, 200);
    const other = await put(a, "/2022-07-01/telemetry", "2022-12-13");
    assert.equal(other.status, 400);
    assert.match(String(other.body.errorMessage), /already subscribed through the Logs API/);
    assert.equal((await put(a, "/2020-08-15/logs", "2020-08-15")).status, 200, "same API again");
    assert.equal((await put(b, "/2022-07-01/telemetry", "2022-07-01")).status, 200);
    assert.equal((await put(b, "/2020-08-15/logs", "2021-03-18")).status, 400);
    assert.deepEqual(seen, [
      ["a", ["platform"], "logs"],
      ["a", ["platform"], "logs"],
      ["b", ["platform"], "telemetry"],
    ]);
  });
});

Deno.test("LambdaApi refuses an extension's calls after its /exit/error or /init/error", async () => {
  // Lambda: "After Lambda receives the error, no further API calls succeed."
  await withApi(async (_api, base) => {
    for (const route of ["exit/error", "init/error"]) {
      const id = (await register(base, `ext-${route.replace("/", "-")}`)).headers.get(
        "Lambda-Extension-Identifier",
      )!;
      const headers = { "Lambda-Extension-Identifier": id };
      const err = await call(`${base}${EXT}/${route}`, {
        method: "POST",
        headers: { ...headers, "Lambda-Extension-Function-Error-Type": "Extension.Failed" },
        body: "{}",
      });
      assert.equal(err.status, 202);
      const next = await call(`${base}${EXT}/event/next`, {
        headers,
        signal: AbortSignal.timeout(2000),
      });
      assert.equal(next.status, 403, route);
      assert.equal(next.body.errorType, "InvalidStateTransition");
      const sub = await call(`${base}/2022-07-01/telemetry`, {
        method: "PUT",
        headers,
        body: JSON.stringify({
          schemaVersion: "2022-12-13",
          types: ["platform"],
          destination: { protocol: "HTTP", URI: "http://sandbox.localdomain:1234/" },
        }),
      });
      assert.equal(sub.status, 403, route);
    }
  });
});

/** One raw HTTP/1.1 exchange on a new socket: the text until the server closes. */
async function rawCall(address: string, request: string): Promise<string> {
  const [hostname, port] = address.split(":");
  const conn = await Deno.connect({ hostname: hostname!, port: Number(port) });
  try {
    await conn.write(new TextEncoder().encode(request));
    const buf = new Uint8Array(65536);
    let text = "";
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) return text;
      text += new TextDecoder().decode(buf.subarray(0, n));
    }
  } finally {
    conn.close();
  }
}

Deno.test("LambdaApi: a runtime that leaves its /next is answered into the void, as with Deno.serve", async () => {
  await withApi(async (api) => {
    const [hostname, port] = api.address.split(":");
    const gone = await Deno.connect({ hostname: hostname!, port: Number(port) });
    await gone.write(new TextEncoder().encode(`GET ${RT}/invocation/next HTTP/1.1\r\n\r\n`));
    assert.ok(
      await api.until(() => api.state.runtime.state === "ready", performance.now() + 2000),
    );
    gone.close();
    await new Promise((r) => setTimeout(r, 20));
    // The poll still counts as pending: the event goes to it, and a new /next is refused.
    api.deliverInvoke({
      requestId: "lost",
      payload: new TextEncoder().encode("{}"),
      deadlineMs: 0,
      functionArn: "arn",
      traceId: "t",
    });
    assert.equal(api.state.runtime.state, "invoking");
    const again = await rawCall(
      api.address,
      `GET ${RT}/invocation/next HTTP/1.1\r\nConnection: close\r\n\r\n`,
    );
    assert.match(again, /^HTTP\/1\.1 403 /);
    // The runtime may still answer the event it never read.
    const body = '{"ok":true}';
    const answer = await rawCall(
      api.address,
      `POST ${RT}/invocation/lost/response HTTP/1.1\r\nContent-Length: ${body.length}\r\n` +
        `Connection: close\r\n\r\n${body}`,
    );
    assert.match(answer, /^HTTP\/1\.1 202 /);
    assert.equal(new TextDecoder().decode(api.state.runtime.outcome!.body), body);
  });
});

Deno.test("LambdaApi answers a broken request with 400 and keeps serving the runtime", async () => {
  await withApi(async (api, base) => {
    const broken = await rawCall(api.address, "GET /2018-06-01 HTTP/9\r\n\r\n");
    assert.match(broken, /^HTTP\/1\.1 400 /);
    const res = await call(`${base}${RT}/invocation/abc/response`, { method: "POST", body: "{}" });
    assert.equal(res.status, 403);
    // close() answers the pending /next with 403 and closes its connection.
    const next = rawCall(api.address, `GET ${RT}/invocation/next HTTP/1.1\r\n\r\n`);
    assert.ok(
      await api.until(() => api.state.runtime.state === "ready", performance.now() + 2000),
    );
    await api.close();
    assert.match(await next, /^HTTP\/1\.1 403 [^]*connection: close[^]*InvalidStateTransition/);
  });
});
