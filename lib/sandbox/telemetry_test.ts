import assert from "node:assert/strict";
import { parseSubscription, TelemetryHub } from "./telemetry.ts";

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
