import assert from "node:assert/strict";
import type { ReportFacts } from "./records.ts";
import { ReportWriter } from "./report_writer.ts";

function recorder(): {
  writer: ReportWriter;
  lines: string[];
  records: { type: string; record: Record<string, unknown> }[];
} {
  const lines: string[] = [];
  const records: { type: string; record: Record<string, unknown> }[] = [];
  const writer = new ReportWriter({
    line: (text) => lines.push(text),
    platform: (type, record) => records.push({ type, record }),
  });
  return { writer, lines, records };
}

const facts: ReportFacts = {
  requestId: "r1",
  durationMs: 12.3456,
  billedMs: 13,
  memoryMb: 128,
  maxMemoryMb: 40,
  initMs: null,
  status: "success",
  errorType: null,
};
const tracing = { type: "X-Amzn-Trace-Id" as const, value: "Root=1-x" };

Deno.test("ReportWriter writes START, END, REPORT and platform.report in order", () => {
  const { writer, lines, records } = recorder();
  writer.start("r1");
  assert.deepEqual(lines, ["START RequestId: r1 Version: $LATEST"]);
  writer.end({ ...facts, initMs: 100.5 }, { showStatus: false, tracing });
  assert.deepEqual(lines.slice(1), [
    "END RequestId: r1",
    "REPORT RequestId: r1\tDuration: 12.35 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\t" +
    "Max Memory Used: 40 MB\tInit Duration: 100.50 ms\t",
  ]);
  assert.deepEqual(records, [{
    type: "platform.report",
    record: {
      requestId: "r1",
      status: "success",
      metrics: {
        durationMs: 12.346,
        billedDurationMs: 13,
        memorySizeMB: 128,
        maxMemoryUsedMB: 40,
        initDurationMs: 100.5,
      },
      tracing,
    },
  }]);
});

Deno.test("ReportWriter leaves a handler's error out of REPORT but not out of platform.report", () => {
  const { writer, lines, records } = recorder();
  writer.end({ ...facts, status: "error", errorType: "TypeError" }, { showStatus: false });
  assert.doesNotMatch(lines[1]!, /Status|Error Type/);
  assert.equal(records[0]!.record.status, "error");
  assert.equal(records[0]!.record.errorType, "TypeError");
  assert.equal(records[0]!.record.tracing, undefined);
});

Deno.test("ReportWriter shows Status and Error Type of a failed environment", () => {
  const { writer, lines } = recorder();
  writer.end({ ...facts, status: "error", errorType: "Runtime.ExitError" }, { showStatus: true });
  assert.match(lines[1]!, /\tStatus: error\tError Type: Runtime\.ExitError\t$/);
});

Deno.test("ReportWriter names no Error Type in a timeout's REPORT, as Lambda does", () => {
  const { writer, lines, records } = recorder();
  writer.end({ ...facts, status: "timeout", errorType: "Sandbox.Timedout" }, { showStatus: true });
  assert.match(lines[1]!, /\tStatus: timeout\t$/);
  assert.equal(records[0]!.record.errorType, "Sandbox.Timedout");
});
