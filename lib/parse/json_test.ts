import assert from "node:assert/strict";
import { parsePlatformEvent } from "./json.ts";

const ID = "7e9a1c3e-5a7c-4e9a-bc3e-5a7c9e1a3c5e";
const TIME = "2024-05-03T09:00:00.231Z";

Deno.test("parsePlatformEvent() reads platform.report with initDurationMs and tracing", () => {
  const r = parsePlatformEvent(
    {
      time: TIME,
      type: "platform.report",
      record: {
        requestId: ID,
        metrics: {
          durationMs: 30.884,
          billedDurationMs: 227,
          memorySizeMB: 128,
          maxMemoryUsedMB: 77,
          initDurationMs: 195.312,
        },
        tracing: { type: "X-Amzn-Trace-Id", value: "Root=1-6634a8a0-1b2c;Sampled=1" },
        status: "success",
      },
    },
    4,
    null,
  );
  assert.deepEqual(r, {
    kind: "report",
    requestId: ID,
    durationMs: 30.884,
    billedDurationMs: 227,
    memorySizeMb: 128,
    maxMemoryUsedMb: 77,
    initDurationMs: 195.312,
    restoreDurationMs: null,
    billedRestoreDurationMs: null,
    status: "success",
    errorType: null,
    traceId: "Root=1-6634a8a0-1b2c;Sampled=1",
    time: Date.parse(TIME),
    line: 4,
    source: "json",
  });
});

Deno.test("parsePlatformEvent() reads a timed-out platform.report with errorType", () => {
  const r = parsePlatformEvent(
    {
      time: TIME,
      type: "platform.report",
      record: {
        requestId: ID,
        metrics: {
          durationMs: 3000,
          billedDurationMs: 3000,
          memorySizeMB: 128,
          maxMemoryUsedMB: 80,
        },
        status: "timeout",
        errorType: "Sandbox.Timedout",
      },
    },
    1,
    null,
  );
  assert.ok(r !== null && typeof r === "object" && r.kind === "report");
  assert.equal(r.status, "timeout");
  assert.equal(r.errorType, "Sandbox.Timedout");
  assert.equal(r.initDurationMs, null);
});

Deno.test("parsePlatformEvent() reads platform.runtimeDone metrics", () => {
  assert.deepEqual(
    parsePlatformEvent(
      {
        time: TIME,
        type: "platform.runtimeDone",
        record: {
          requestId: ID,
          status: "error",
          errorType: "Error",
          metrics: { durationMs: 3.2, producedBytes: 122 },
        },
      },
      2,
      null,
    ),
    {
      kind: "runtimeDone",
      requestId: ID,
      status: "error",
      errorType: "Error",
      durationMs: 3.2,
      producedBytes: 122,
      time: Date.parse(TIME),
      line: 2,
      source: "json",
    },
  );
});

Deno.test("parsePlatformEvent() reads init, extension, subscription and logsDropped events", () => {
  const kinds = [
    ["platform.initStart", { runtimeVersion: "nodejs:20.v22", phase: "init" }, "initStart"],
    ["platform.initRuntimeDone", { status: "success" }, "initRuntimeDone"],
    ["platform.initReport", { status: "error", metrics: { durationMs: 10 } }, "initReport"],
    ["platform.extension", { name: "ext", state: "Ready" }, "extension"],
    [
      "platform.telemetrySubscription",
      { name: "ext", state: "Subscribed" },
      "telemetrySubscription",
    ],
    // The Logs API's subscription record (the sandbox writes it for Logs API subscribers).
    ["platform.logsSubscription", { name: "ext", state: "Subscribed" }, "telemetrySubscription"],
    [
      "platform.logsDropped",
      { reason: "slow", droppedRecords: 3, droppedBytes: 10 },
      "logsDropped",
    ],
    ["platform.restoreReport", { metrics: { durationMs: 300 } }, "restore"],
  ] as const;
  for (const [type, record, kind] of kinds) {
    const r = parsePlatformEvent({ time: TIME, type, record }, 1, null);
    assert.ok(r !== null && typeof r === "object", type);
    assert.equal(r.kind, kind, type);
  }
});

Deno.test("parsePlatformEvent() rejects platform events with missing or bad fields", () => {
  const cases: Array<[unknown, string]> = [
    [
      { type: "platform.report", record: { requestId: ID, metrics: { durationMs: 1 } } },
      'platform.report: "metrics.billedDurationMs" is missing or not a number',
    ],
    [
      { type: "platform.report", record: { metrics: {} } },
      'platform.report: "requestId" is missing',
    ],
    [{
      type: "platform.report",
      record: {
        requestId: ID,
        metrics: { durationMs: "1", billedDurationMs: 1, memorySizeMB: 1, maxMemoryUsedMB: 1 },
      },
    }, 'platform.report: "metrics.durationMs" is missing or not a number'],
    [{ type: "platform.start" }, 'platform.start: "record" is missing'],
    [
      { type: "platform.initReport", record: {} },
      'platform.initReport: "metrics.durationMs" is missing or not a number',
    ],
  ];
  for (const [event, reason] of cases) assert.equal(parsePlatformEvent(event, 1, null), reason);
});

Deno.test("parsePlatformEvent() flags unknown platform types and ignores other events", () => {
  assert.deepEqual(parsePlatformEvent({ type: "platform.futureThing", record: {} }, 1, null), {
    kind: "unknownType",
    type: "platform.futureThing",
  });
  assert.equal(parsePlatformEvent({ type: "function", record: "hello" }, 1, null), null);
  assert.equal(parsePlatformEvent({ timestamp: TIME, level: "INFO", message: "x" }, 1, null), null);
  assert.equal(parsePlatformEvent("text", 1, null), null);
});

Deno.test("parsePlatformEvent() falls back to the given time when time is missing", () => {
  const r = parsePlatformEvent({ type: "platform.start", record: { requestId: ID } }, 1, 99);
  assert.ok(r !== null && typeof r === "object" && r.kind === "start");
  assert.equal(r.time, 99);
});

/** A `platform.report` event with the given metrics and record fields changed. */
function reportEvent(metrics: Record<string, unknown>, record: Record<string, unknown> = {}) {
  return {
    time: TIME,
    type: "platform.report",
    record: {
      requestId: ID,
      metrics: {
        durationMs: 30.884,
        billedDurationMs: 227,
        memorySizeMB: 128,
        maxMemoryUsedMB: 77,
        ...metrics,
      },
      status: "success",
      ...record,
    },
  };
}

Deno.test("parsePlatformEvent() rejects platform.report values Lambda cannot report", () => {
  const cases: Array<[Record<string, unknown>, string]> = [
    [{ durationMs: -30 }, 'platform.report: "metrics.durationMs" has a negative value "-30"'],
    [
      { billedDurationMs: -1 },
      'platform.report: "metrics.billedDurationMs" has a negative value "-1"',
    ],
    [
      { memorySizeMB: -128 },
      'platform.report: "metrics.memorySizeMB" has an out-of-range value "-128" (128–10,240 MB)',
    ],
    [
      { memorySizeMB: 4294967296 },
      'platform.report: "metrics.memorySizeMB" has an out-of-range value "4294967296" (128–10,240 MB)',
    ],
    [
      { maxMemoryUsedMB: 200 },
      'platform.report: "metrics.maxMemoryUsedMB" has a too-large value "200" (above Memory Size 128 MB)',
    ],
    [
      { durationMs: JSON.parse("1e400") },
      'platform.report: "metrics.durationMs" has a non-finite value "Infinity"',
    ],
    [
      { durationMs: 1e20 },
      'platform.report: "metrics.durationMs" has a too-large value "100000000000000000000" (limit 901,000 ms)',
    ],
    [{ initDurationMs: -5 }, 'platform.report: "metrics.initDurationMs" has a negative value "-5"'],
  ];
  for (const [metrics, reason] of cases) {
    assert.equal(parsePlatformEvent(reportEvent(metrics), 1, null), reason);
  }
});

Deno.test("parsePlatformEvent() rejects a platform.report whose Init or status is damaged", () => {
  const cases: Array<[Record<string, unknown>, Record<string, unknown>, string]> = [
    [
      { initDurationMs: "195.3" },
      {},
      'platform.report: "metrics.initDurationMs" has a bad value "195.3"',
    ],
    [
      { initDuratonMs: 195.3 },
      {},
      'platform.report: "metrics.initDurationMs" has a damaged field "initDuratonMs"',
    ],
    [
      { InitDurationMs: 195.3 },
      {},
      'platform.report: "metrics.initDurationMs" has a damaged field "InitDurationMs"',
    ],
    [
      { restoreDurationMs: true },
      {},
      'platform.report: "metrics.restoreDurationMs" has a bad value "true"',
    ],
    [{}, { status: "sucess" }, 'platform.report: "status" has a bad value "sucess"'],
    [{}, { status: 1 }, 'platform.report: "status" has a bad value "1"'],
    [{}, { stauts: "timeout" }, 'platform.report: "status" has a damaged field "stauts"'],
  ];
  for (const [metrics, record, reason] of cases) {
    assert.equal(parsePlatformEvent(reportEvent(metrics, record), 1, null), reason);
  }
  // Absent (or null) optional metrics are warm invocations; unknown, unlike fields are skipped.
  for (const metrics of [{}, { initDurationMs: null }, { cpuMs: 3 }]) {
    const r = parsePlatformEvent(reportEvent(metrics, { spans: [] }), 1, null);
    assert.ok(r !== null && typeof r === "object" && r.kind === "report", JSON.stringify(metrics));
    assert.equal(r.initDurationMs, null);
  }
});

Deno.test("parsePlatformEvent() rejects impossible runtimeDone, initReport and restore durations", () => {
  const cases: Array<[string, Record<string, unknown>, string]> = [
    [
      "platform.runtimeDone",
      { requestId: ID, metrics: { durationMs: -1 } },
      'platform.runtimeDone: "metrics.durationMs" has a negative value "-1"',
    ],
    [
      "platform.initReport",
      { metrics: { durationMs: 1e9 } },
      'platform.initReport: "metrics.durationMs" has a too-large value "1000000000" (limit 901,000 ms)',
    ],
    [
      "platform.restoreReport",
      { metrics: { durationMs: JSON.parse("-1e400") } },
      'platform.restoreReport: "metrics.durationMs" has a negative value "-Infinity"',
    ],
  ];
  for (const [type, record, reason] of cases) {
    assert.equal(parsePlatformEvent({ time: TIME, type, record }, 1, null), reason);
  }
});
