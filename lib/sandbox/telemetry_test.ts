import assert from "node:assert/strict";
import {
  type DroppedRecords,
  forApi,
  LOGS_RECORD_TYPES,
  parseSubscription,
  TELEMETRY_RECORD_TYPES,
  TelemetryHub,
} from "./telemetry.ts";

const valid = {
  schemaVersion: "2022-07-01",
  types: ["platform"],
  buffering: { maxItems: 1000, maxBytes: 262144, timeoutMs: 25 },
  destination: { protocol: "HTTP", URI: "http://sandbox.localdomain:8080/t" },
};

Deno.test("parseSubscription() maps sandbox.localdomain to loopback", () => {
  const sub = parseSubscription(valid);
  assert.equal(sub.url, "http://127.0.0.1:8080/t");
  assert.deepEqual([...sub.types], ["platform"]);
  assert.equal(sub.timeoutMs, 25);
});

Deno.test("parseSubscription() maps sandbox.localdomain to the environment's own address", () => {
  assert.equal(
    parseSubscription(valid, "telemetry", "127.64.0.7").url,
    "http://127.64.0.7:8080/t",
  );
  const local = {
    ...valid,
    destination: { protocol: "HTTP", URI: "http://localhost:8080/t" },
  };
  assert.equal(parseSubscription(local, "telemetry", "127.64.0.7").url, "http://127.0.0.1:8080/t");
});

Deno.test("parseSubscription() enforces Lambda's buffering bounds", () => {
  for (
    const [key, bad] of [
      ["maxItems", 999],
      ["maxItems", 10001],
      ["maxBytes", 262143],
      ["maxBytes", 1048577],
      ["timeoutMs", 24],
      ["timeoutMs", 30001],
    ] as const
  ) {
    assert.throws(
      () => parseSubscription({ ...valid, buffering: { ...valid.buffering, [key]: bad } }),
      (e) => e instanceof RangeError && e.message.includes(key) && e.message.includes(String(bad)),
    );
  }
});

Deno.test("parseSubscription() rejects unknown types, schema versions and destinations", () => {
  assert.throws(() => parseSubscription({ ...valid, types: ["logs"] }), TypeError);
  assert.throws(() => parseSubscription({ ...valid, schemaVersion: "2020-01-01" }), TypeError);
  assert.throws(
    () => parseSubscription({ ...valid, destination: { protocol: "TCP", URI: "x" } }),
    TypeError,
  );
});

Deno.test("TelemetryHub replays Init events, filters by type and POSTs JSON arrays", async () => {
  const batches: unknown[][] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    batches.push(await req.json());
    return new Response("ok");
  });
  const hub = new TelemetryHub();
  try {
    hub.publish({ time: "t0", type: "platform.initStart", record: {} });
    hub.subscribe("ext", {
      ...parseSubscription(valid),
      url: `http://127.0.0.1:${server.addr.port}/`,
    });
    hub.endBacklog();
    hub.publish({ time: "t1", type: "function", record: "a log line" });
    hub.pause();
    hub.publish({ time: "t2", type: "platform.start", record: { requestId: "r" } });
    await new Promise((r) => setTimeout(r, 60));
    assert.equal(batches.length, 0, "paused hubs deliver nothing");
    await hub.flush();
    assert.deepEqual(batches.flat().map((e) => (e as { type: string }).type), [
      "platform.initStart",
      "platform.start",
    ]);
    assert.equal(hub.failedDeliveries, 0);
  } finally {
    hub.close();
    await server.shutdown();
  }
});

/** One event of each type the sandbox emits, in its own (Telemetry API) shape. */
const EMITTED = [
  {
    time: "t",
    type: "platform.initStart",
    record: { initializationType: "on-demand", phase: "init", runtimeVersion: "v" },
  },
  { time: "t", type: "platform.initRuntimeDone", record: { status: "success", spans: [] } },
  { time: "t", type: "platform.initReport", record: { metrics: { durationMs: 5 } } },
  {
    time: "t",
    type: "platform.extension",
    record: { name: "ext", state: "Ready", events: ["INVOKE", "SHUTDOWN"], errorType: "E" },
  },
  {
    time: "t",
    type: "platform.telemetrySubscription",
    record: { name: "a", state: "Subscribed", types: ["platform"] },
  },
  {
    time: "t",
    type: "platform.logsSubscription",
    record: { name: "b", state: "Subscribed", types: ["platform"] },
  },
  {
    time: "t",
    type: "platform.start",
    record: { requestId: "r", version: "$LATEST", tracing: { type: "X-Amzn-Trace-Id" } },
  },
  { time: "t", type: "function", record: "a log line" },
  { time: "t", type: "extension", record: "an extension line" },
  {
    time: "t",
    type: "platform.runtimeDone",
    record: {
      requestId: "r",
      status: "error",
      errorType: "TypeError",
      metrics: { durationMs: 1, producedBytes: 2 },
      spans: [],
    },
  },
  { time: "t", type: "platform.fault", record: "RequestId: r Error: Runtime exited" },
  { time: "t", type: "platform.end", record: { requestId: "r" } },
  {
    time: "t",
    type: "platform.report",
    record: {
      requestId: "r",
      status: "error",
      errorType: "TypeError",
      metrics: {
        durationMs: 1.5,
        billedDurationMs: 2,
        memorySizeMB: 128,
        maxMemoryUsedMB: 40,
        initDurationMs: 3,
      },
      tracing: { type: "X-Amzn-Trace-Id", value: "Root=1-x" },
    },
  },
  {
    time: "t",
    type: "platform.logsDropped",
    record: { reason: "x", droppedRecords: 1, droppedBytes: 2 },
  },
];

Deno.test("forApi() gives the Telemetry API its own record types, unchanged", () => {
  const got = EMITTED.map((e) => forApi(e, "telemetry", "2022-12-13")).filter((e) => e !== null);
  assert.deepEqual(got.map((e) => e.type), [
    "platform.initStart",
    "platform.initRuntimeDone",
    "platform.initReport",
    "platform.extension",
    "platform.telemetrySubscription",
    "platform.start",
    "function",
    "extension",
    "platform.runtimeDone",
    "platform.report",
    "platform.logsDropped",
  ]);
  for (const e of got) assert.equal(e, EMITTED.find((x) => x.type === e.type), e.type);
});

Deno.test("forApi() gives the Logs API only its 2020-08-15 types with their fields", () => {
  const got = EMITTED.map((e) => forApi(e, "logs", "2020-08-15")).filter((e) => e !== null);
  assert.deepEqual(got, [
    {
      time: "t",
      type: "platform.extension",
      record: { name: "ext", state: "Ready", events: ["INVOKE", "SHUTDOWN"] },
    },
    {
      time: "t",
      type: "platform.logsSubscription",
      record: { name: "b", state: "Subscribed", types: ["platform"] },
    },
    { time: "t", type: "platform.start", record: { requestId: "r", version: "$LATEST" } },
    { time: "t", type: "function", record: "a log line" },
    { time: "t", type: "extension", record: "an extension line" },
    { time: "t", type: "platform.fault", record: "RequestId: r Error: Runtime exited" },
    { time: "t", type: "platform.end", record: { requestId: "r" } },
    {
      time: "t",
      type: "platform.report",
      record: {
        requestId: "r",
        metrics: {
          durationMs: 1.5,
          billedDurationMs: 2,
          memorySizeMB: 128,
          maxMemoryUsedMB: 40,
          initDurationMs: 3,
        },
      },
    },
    {
      time: "t",
      type: "platform.logsDropped",
      record: { reason: "x", droppedRecords: 1, droppedBytes: 2 },
    },
  ]);
  for (const e of got) assert.ok(LOGS_RECORD_TYPES.has(e.type), e.type);
});

Deno.test("forApi() adds platform.runtimeDone {requestId, status} for Logs API 2021-03-18", () => {
  const got = EMITTED.map((e) => forApi(e, "logs", "2021-03-18")).filter((e) => e !== null);
  const done = got.filter((e) => e.type === "platform.runtimeDone");
  assert.deepEqual(done, [{
    time: "t",
    type: "platform.runtimeDone",
    record: { requestId: "r", status: "failure" },
  }]);
  assert.equal(got.length, 10);
  const status = (s: string) =>
    (forApi(
      { time: "t", type: "platform.runtimeDone", record: { requestId: "r", status: s } },
      "logs",
      "2021-03-18",
    )!
      .record as { status: string }).status;
  assert.deepEqual(["success", "timeout", "error", "failure"].map(status), [
    "success",
    "timeout",
    "failure",
    "failure",
  ]);
});

/** A subscriber's HTTP server: records every batch, answers `status()` (200 by default). */
function listener(status: () => number = () => 200) {
  const batches: { type: string; record: unknown }[][] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const body = await req.json();
    const code = status();
    if (code < 300) batches.push(body);
    return new Response("ok", { status: code });
  });
  return { batches, server, url: `http://127.0.0.1:${server.addr.port}/` };
}

Deno.test("TelemetryHub delivers to each subscriber only its API's records", async () => {
  const tel = listener();
  const logs = listener();
  const old = listener();
  const hub = new TelemetryHub();
  try {
    const sub = (url: string, body: unknown, api: "telemetry" | "logs") => ({
      ...parseSubscription(body, api),
      url,
    });
    const types = ["platform", "function", "extension"];
    hub.subscribe("tel", sub(tel.url, { ...valid, types }, "telemetry"));
    hub.subscribe("logs", sub(logs.url, { ...valid, schemaVersion: "2021-03-18", types }, "logs"));
    const { schemaVersion: _, ...noVersion } = valid;
    hub.subscribe("old", sub(old.url, { ...noVersion, types }, "logs"));
    for (const e of EMITTED) hub.publish(e);
    await hub.flush();
    const typesOf = (b: { type: string }[][]) => b.flat().map((e) => e.type);
    assert.deepEqual(
      typesOf(tel.batches),
      EMITTED.map((e) => e.type).filter((t) => TELEMETRY_RECORD_TYPES.has(t)),
    );
    assert.deepEqual(typesOf(logs.batches), [
      "platform.extension",
      "platform.logsSubscription",
      "platform.start",
      "function",
      "extension",
      "platform.runtimeDone",
      "platform.fault",
      "platform.end",
      "platform.report",
      "platform.logsDropped",
    ]);
    assert.deepEqual(
      typesOf(old.batches),
      typesOf(logs.batches).filter((t) => t !== "platform.runtimeDone"),
    );
    assert.equal(hub.failedDeliveries, 0);
  } finally {
    hub.close();
    await Promise.all([tel.server.shutdown(), logs.server.shutdown(), old.server.shutdown()]);
  }
});

Deno.test("TelemetryHub counts a failed delivery and sends platform.logsDropped with the next", async () => {
  let code = 400;
  const sub = listener(() => code);
  const dropped: DroppedRecords[] = [];
  const hub = new TelemetryHub({ onDropped: (d) => dropped.push(d) });
  try {
    hub.subscribe("ext", { ...parseSubscription(valid), url: sub.url });
    hub.publish({ time: "t1", type: "platform.start", record: { requestId: "a" } });
    hub.publish({ time: "t2", type: "platform.report", record: { requestId: "a" } });
    await hub.flush();
    assert.equal(hub.failedDeliveries, 1);
    assert.equal(hub.droppedRecords, 2);
    const bytes = JSON.stringify(
      { time: "t1", type: "platform.start", record: { requestId: "a" } },
    ).length + JSON.stringify({ time: "t2", type: "platform.report", record: { requestId: "a" } })
      .length +
      2;
    assert.equal(hub.droppedBytes, bytes);
    assert.deepEqual(dropped, [{
      name: "ext",
      api: "telemetry",
      droppedRecords: 2,
      droppedBytes: bytes,
      reason: "Consumer did not acknowledge receipt of logs: HTTP 400 Bad Request",
    }]);
    assert.equal(sub.batches.length, 0);
    code = 200;
    hub.publish({ time: "t3", type: "platform.start", record: { requestId: "b" } });
    await hub.flush();
    assert.equal(sub.batches.length, 1);
    const [notice, start] = sub.batches[0]!;
    assert.equal(notice!.type, "platform.logsDropped");
    assert.deepEqual(notice!.record, {
      reason: "Consumer did not acknowledge receipt of logs: HTTP 400 Bad Request",
      droppedRecords: 2,
      droppedBytes: bytes,
    });
    assert.deepEqual(start, { time: "t3", type: "platform.start", record: { requestId: "b" } });
    // Told once: the next delivery carries no notice.
    hub.publish({ time: "t4", type: "platform.start", record: { requestId: "c" } });
    await hub.flush();
    assert.deepEqual(sub.batches[1]!.map((e) => e.type), ["platform.start"]);
    assert.equal(dropped.length, 1);
  } finally {
    hub.close();
    await sub.server.shutdown();
  }
});

Deno.test("TelemetryHub counts a subscriber that cannot be reached and tells it once back", async () => {
  const port = (() => {
    const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const p = (l.addr as Deno.NetAddr).port;
    l.close();
    return p;
  })();
  const dropped: DroppedRecords[] = [];
  const hub = new TelemetryHub({ onDropped: (d) => dropped.push(d) });
  let server: Deno.HttpServer | null = null;
  try {
    hub.subscribe("gone", {
      ...parseSubscription(
        { ...valid, schemaVersion: "2021-03-18", types: ["platform", "function"] },
        "logs",
      ),
      url: `http://127.0.0.1:${port}/`,
    });
    hub.publish({ time: "t1", type: "function", record: "lost line" });
    await hub.flush();
    hub.publish({ time: "t2", type: "function", record: "lost too" });
    await hub.flush();
    assert.equal(dropped.length, 2);
    assert.equal(dropped[0]!.api, "logs");
    assert.match(dropped[0]!.reason, /^Consumer did not acknowledge receipt of logs: /);
    assert.equal(hub.droppedRecords, 2);
    // The notice alone (flush with nothing queued) fails too, and is not counted as dropped.
    await hub.flush();
    assert.equal(hub.droppedRecords, 2);
    const batches: { type: string; record: unknown }[][] = [];
    server = Deno.serve({ hostname: "127.0.0.1", port, onListen() {} }, async (req) => {
      batches.push(await req.json());
      return new Response("ok");
    });
    await hub.flush();
    assert.equal(batches.length, 1);
    assert.equal(batches[0]![0]!.type, "platform.logsDropped");
    assert.equal((batches[0]![0]!.record as { droppedRecords: number }).droppedRecords, 2);
  } finally {
    hub.close();
    await server?.shutdown();
  }
});

Deno.test("parseSubscription() records the API and schema version (Logs API default 2020-08-15)", () => {
  const { schemaVersion: _, ...noVersion } = valid;
  const logs = parseSubscription(noVersion, "logs");
  assert.equal(logs.api, "logs");
  assert.equal(logs.schemaVersion, "2020-08-15");
  assert.equal(
    parseSubscription({ ...valid, schemaVersion: "2021-03-18" }, "logs").schemaVersion,
    "2021-03-18",
  );
  const tel = parseSubscription(valid);
  assert.equal(tel.api, "telemetry");
  assert.equal(tel.schemaVersion, "2022-07-01");
});
