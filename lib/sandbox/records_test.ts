import assert from "node:assert/strict";
import {
  billedMs,
  endLine,
  initReportLine,
  initStartLine,
  newTraceId,
  reportLine,
  reportRecord,
  startLine,
} from "./records.ts";

const facts = {
  requestId: "8f5b2f4e-1a2b-4c3d-9e8f-0a1b2c3d4e5f",
  durationMs: 12.344,
  billedMs: 13,
  memoryMb: 128,
  maxMemoryMb: 45,
  initMs: 123.456,
  status: "success" as const,
  errorType: null,
};

Deno.test("billedMs() rounds the duration up to the next millisecond", () => {
  assert.equal(billedMs(12.34), 13);
  assert.equal(billedMs(12.001), 13);
  assert.equal(billedMs(12), 12);
  assert.equal(billedMs(0.2), 1);
});

Deno.test("reportLine() writes Lambda's tab-separated REPORT with Init Duration when cold", () => {
  assert.equal(
    reportLine(facts, true),
    "REPORT RequestId: 8f5b2f4e-1a2b-4c3d-9e8f-0a1b2c3d4e5f\tDuration: 12.34 ms\t" +
      "Billed Duration: 13 ms\tMemory Size: 128 MB\tMax Memory Used: 45 MB\t" +
      "Init Duration: 123.46 ms\t",
  );
});

Deno.test("reportLine() appends Status and Error Type on platform failures only", () => {
  const failed = {
    ...facts,
    initMs: null,
    status: "error" as const,
    errorType: "Runtime.ExitError",
  };
  assert.match(
    reportLine(failed, true),
    /Max Memory Used: 45 MB\tStatus: error\tError Type: Runtime\.ExitError\t$/,
  );
  assert.doesNotMatch(reportLine(failed, false), /Status/);
});

Deno.test("START, END, INIT_START and INIT_REPORT lines match Lambda's text", () => {
  assert.equal(startLine("r1"), "START RequestId: r1 Version: $LATEST");
  assert.equal(endLine("r1"), "END RequestId: r1");
  assert.equal(
    initStartLine("nodejs:20.v1", "arn:x"),
    "INIT_START Runtime Version: nodejs:20.v1\tRuntime Version ARN: arn:x",
  );
  assert.equal(
    initReportLine({ durationMs: 10000.5, phase: "init", status: "timeout", errorType: null }),
    "INIT_REPORT Init Duration: 10000.50 ms\tPhase: init\tStatus: timeout",
  );
  assert.equal(
    initReportLine({
      durationMs: 5,
      phase: "invoke",
      status: "error",
      errorType: "Runtime.ExitError",
    }),
    "INIT_REPORT Init Duration: 5.00 ms\tPhase: invoke\tStatus: error\tError Type: Runtime.ExitError",
  );
});

Deno.test("reportRecord() uses the Telemetry API's field names", () => {
  assert.deepEqual(reportRecord(facts), {
    requestId: facts.requestId,
    status: "success",
    metrics: {
      durationMs: 12.344,
      billedDurationMs: 13,
      memorySizeMB: 128,
      maxMemoryUsedMB: 45,
      initDurationMs: 123.456,
    },
  });
});

Deno.test("newTraceId() makes an X-Ray root id", () => {
  assert.match(
    newTraceId(Date.UTC(2026, 0, 1)),
    /^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0$/,
  );
});
