import assert from "node:assert/strict";
import { LogParser, parseLines } from "./parser.ts";

const ID = "8f5a3c2e-1b4d-4e6f-9a7b-0c1d2e3f4a5b";
const REPORT =
  `REPORT RequestId: ${ID}\tDuration: 24.81 ms\tBilled Duration: 25 ms\tMemory Size: 128 MB\tMax Memory Used: 71 MB\tInit Duration: 168.42 ms\t`;
const XRAY = "XRAY TraceId: 1-66321a10-5b2d7c3e\tSegmentId: 2a3b4c5d6e7f8091\tSampled: true\t";

Deno.test("LogParser attaches an XRAY line to the REPORT before it", () => {
  const { records, stats } = parseLines([REPORT, XRAY]);
  assert.equal(records.length, 1);
  assert.equal(records[0]?.kind === "report" && records[0].traceId, "1-66321a10-5b2d7c3e");
  assert.equal(stats.platform, 2);
  assert.equal(stats.lines, 2);
});

Deno.test("LogParser.message() splits a multi-line REPORT + XRAY event", () => {
  const p = new LogParser();
  p.message(`${REPORT}\n${XRAY}\n`, 5, 1000);
  const [r] = p.records;
  assert.ok(r?.kind === "report");
  assert.equal(r.traceId, "1-66321a10-5b2d7c3e");
  assert.equal(r.time, 1000);
  assert.equal(p.stats.lines, 2);
});

Deno.test("LogParser counts noise, rejections with samples, and unknown types", () => {
  const lines = [
    "2024-05-01T10:00:00.190Z\tabc\tINFO\thello",
    `REPORT RequestId: ${ID}\tDuration: 12.`,
    '{"time":"2024-05-03T09:00:06.000Z","type":"platform.start","record":{"requestId":"x","vers',
    '{"time":"2024-05-03T09:00:06.000Z","type":"platform.future","record":{}}',
    '{"timestamp":"2024-05-03T09:00:06.000Z","level":"INFO","message":"app json"}',
    "{not json at all",
  ];
  const { records, stats } = parseLines(lines, { maxSamples: 1 });
  assert.equal(records.length, 0);
  assert.equal(stats.lines, 6);
  assert.equal(stats.noise, 3);
  assert.equal(stats.rejected, 2);
  assert.deepEqual(stats.rejectedSamples, [
    { line: 2, text: lines[1], reason: 'REPORT: "Duration" has a bad value "12."' },
  ]);
  assert.deepEqual(stats.unknownTypes, { "platform.future": 1 });
});

Deno.test("LogParser reads JSON events after a prefix and Telemetry API arrays on one line", () => {
  const start = {
    time: "2024-05-03T09:00:00.200Z",
    type: "platform.start",
    record: { requestId: "a" },
  };
  const done = {
    time: "2024-05-03T09:00:00.222Z",
    type: "platform.runtimeDone",
    record: { requestId: "a", status: "success", metrics: { durationMs: 21.5, producedBytes: 7 } },
  };
  const fn = { time: "2024-05-03T09:00:00.210Z", type: "function", record: "hi" };
  const { records, stats } = parseLines([
    `2024-05-03T09:00:00.200000+00:00 2024/05/03/[$LATEST]abc ${JSON.stringify(start)}`,
    JSON.stringify([done, fn]),
  ]);
  assert.deepEqual(records.map((r) => r.kind), ["start", "runtimeDone"]);
  assert.equal(stats.lines, 3);
  assert.equal(stats.noise, 1);
  assert.equal(stats.platform, 2);
});

Deno.test("LogParser.event() reads parsed Telemetry API events", () => {
  const p = new LogParser();
  p.event({ type: "platform.start", record: { requestId: "a" } }, 1, 5);
  p.event({ type: "platform.report", record: { requestId: "a" } }, 2);
  assert.equal(p.records.length, 1);
  assert.equal(p.stats.rejected, 1);
  assert.match(p.stats.rejectedSamples[0]?.text ?? "", /platform\.report/);
});

Deno.test("LogParser counts rejections by reason, the offending values left out", () => {
  const warm = (duration: string, used = "60") =>
    `REPORT RequestId: ${ID}\tDuration: ${duration} ms\tBilled Duration: 25 ms\tMemory Size: 128 MB\tMax Memory Used: ${used} MB\t`;
  const report = (metrics: Record<string, unknown>) => ({
    type: "platform.report",
    record: {
      requestId: ID,
      metrics: {
        durationMs: 1,
        billedDurationMs: 1,
        memorySizeMB: 128,
        maxMemoryUsedMB: 60,
        ...metrics,
      },
    },
  });
  const lines = [
    warm("12."),
    warm("abc"),
    warm("100000000000000000000"),
    warm("2000000"),
    warm("1.5", "129"),
    `${warm("1.5")}Init Duraton: 12.3 ms`,
    JSON.stringify(report({ durationMs: -1 })),
    JSON.stringify([report({ memorySizeMB: 1e10 }), report({ initDurationMs: "x" })]),
  ];
  for (const columnar of [false, true]) {
    const { stats } = parseLines(lines, { columnar });
    assert.equal(stats.rejected, 9);
    assert.deepEqual(stats.rejectedByReason, {
      'REPORT: "Duration" has a bad value': 2,
      'REPORT: "Duration" has a too-large value': 2,
      'REPORT: "Max Memory Used" has a too-large value': 1,
      'REPORT: "Init Duration" has a damaged field': 1,
      'platform.report: "metrics.durationMs" has a negative value': 1,
      'platform.report: "metrics.memorySizeMB" has an out-of-range value': 1,
      'platform.report: "metrics.initDurationMs" has a bad value': 1,
    });
    assert.equal(stats.platform, 0);
  }
});

Deno.test("LogParser rejects impossible REPORTs in Telemetry API events", () => {
  const p = new LogParser({ columnar: true });
  const metrics = { durationMs: 1, billedDurationMs: 1, memorySizeMB: 128, maxMemoryUsedMB: 60 };
  p.event({ type: "platform.report", record: { requestId: "a", metrics } }, 1);
  p.event({
    type: "platform.report",
    record: { requestId: "b", metrics: { ...metrics, maxMemoryUsedMB: 4096 } },
  }, 2);
  assert.equal(p.reports!.length, 1);
  assert.equal(p.reports!.id(0), "a");
  assert.deepEqual(p.stats.rejectedByReason, {
    'platform.report: "metrics.maxMemoryUsedMB" has a too-large value': 1,
  });
});
