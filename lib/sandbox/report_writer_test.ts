import assert from "node:assert/strict";
import type { ReportFacts } from "./records.ts";
import { ReportWriter } from "./report_writer.ts";
import { parseTextLine } from "../parse/text.ts";

function recorder(): {
  writer: ReportWriter;
  lines: string[];
  records: { type: string; record: Record<string, unknown> }[];
  logsOnly: { type: string; record: unknown }[];
  notes: { type: string; record: Record<string, unknown> }[];
} {
  const lines: string[] = [];
  const records: { type: string; record: Record<string, unknown> }[] = [];
  const logsOnly: { type: string; record: unknown }[] = [];
  const notes: { type: string; record: Record<string, unknown> }[] = [];
  const writer = new ReportWriter({
    line: (text) => lines.push(text),
    platform: (type, record) => records.push({ type, record }),
    logsOnly: (type, record) => logsOnly.push({ type, record }),
    note: (type, record) => notes.push({ type, record }),
  });
  return { writer, lines, records, logsOnly, notes };
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
  const { writer, lines, records, logsOnly } = recorder();
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
  // platform.end is the Logs API's alone: published, not in the telemetry file.
  assert.deepEqual(logsOnly, [{ type: "platform.end", record: { requestId: "r1" } }]);
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

Deno.test("ReportWriter writes Lambda's EXTENSION lines and platform.extension records", () => {
  const { writer, lines, records } = recorder();
  writer.extensions([
    { name: "rust-extension", state: "Ready", events: ["INVOKE", "SHUTDOWN"], errorType: null },
    { name: "late", state: "Registered", events: ["SHUTDOWN", "INVOKE"], errorType: null },
    { name: "bad", state: "InitError", events: [], errorType: "Extension.Broken" },
  ]);
  assert.deepEqual(lines, [
    "EXTENSION\tName: rust-extension\tState: Ready\tEvents: [INVOKE, SHUTDOWN]",
    "EXTENSION\tName: late\tState: Registered\tEvents: [SHUTDOWN, INVOKE]",
    "EXTENSION\tName: bad\tState: InitError\tEvents: []\tError Type: Extension.Broken",
  ]);
  assert.deepEqual(records, [
    {
      type: "platform.extension",
      record: { name: "rust-extension", state: "Ready", events: ["INVOKE", "SHUTDOWN"] },
    },
    {
      type: "platform.extension",
      record: { name: "late", state: "Registered", events: ["SHUTDOWN", "INVOKE"] },
    },
    {
      type: "platform.extension",
      record: { name: "bad", state: "InitError", events: [], errorType: "Extension.Broken" },
    },
  ]);
  // The project's parser reads them as it reads AWS logs.
  const parsed = parseTextLine(lines[2]!, 1, null);
  assert.ok(parsed !== null && typeof parsed === "object" && parsed.kind === "extension");
  assert.equal(parsed.name, "bad");
  assert.equal(parsed.state, "InitError");
  assert.equal(parsed.errorType, "Extension.Broken");
});

Deno.test("ReportWriter writes TELEMETRY and LOGS lines with each API's subscription record", () => {
  const { writer, lines, records } = recorder();
  writer.subscribed("telemetry", "x", ["platform", "function"]);
  writer.subscribed("logs", "y", ["platform", "function", "extension"]);
  assert.deepEqual(lines, [
    "TELEMETRY\tName: x\tState: Subscribed\tTypes: [Platform, Function]",
    "LOGS\tName: y\tState: Subscribed\tTypes: [Platform, Function, Extension]",
  ]);
  assert.deepEqual(records, [
    {
      type: "platform.telemetrySubscription",
      record: { name: "x", state: "Subscribed", types: ["platform", "function"] },
    },
    {
      type: "platform.logsSubscription",
      record: { name: "y", state: "Subscribed", types: ["platform", "function", "extension"] },
    },
  ]);
  for (const [i, name] of [[0, "x"], [1, "y"]] as const) {
    const parsed = parseTextLine(lines[i]!, 1, null);
    assert.ok(parsed !== null && typeof parsed === "object");
    assert.equal(parsed.kind, "telemetrySubscription");
    assert.equal((parsed as { name: string }).name, name);
  }
});

Deno.test("ReportWriter writes fault lines, each a platform.fault for the Logs API", () => {
  const { writer, lines, records, logsOnly } = recorder();
  const fault = "RequestId: r1 Error: Runtime exited with error: signal: killed";
  writer.faults([fault, "Runtime.ExitError"]);
  assert.deepEqual(lines, [fault, "Runtime.ExitError"]);
  assert.deepEqual(records, []);
  assert.deepEqual(logsOnly, [
    { type: "platform.fault", record: fault },
    { type: "platform.fault", record: "Runtime.ExitError" },
  ]);
});

Deno.test("ReportWriter reports dropped records with a line and a platform.logsDropped", () => {
  const { writer, lines, records, notes } = recorder();
  writer.logsDropped({
    name: "ext",
    droppedRecords: 3,
    droppedBytes: 420,
    reason: "Consumer did not acknowledge receipt of logs: HTTP 400 Bad Request",
  });
  assert.deepEqual(lines, [
    "LOGS_DROPPED\tName: ext\tDropped Records: 3\tDropped Bytes: 420\t" +
    "Reason: Consumer did not acknowledge receipt of logs: HTTP 400 Bad Request",
  ]);
  assert.deepEqual(records, [], "not published: the hub tells the subscriber itself");
  assert.deepEqual(notes, [{
    type: "platform.logsDropped",
    record: {
      reason: "Consumer did not acknowledge receipt of logs: HTTP 400 Bad Request",
      droppedRecords: 3,
      droppedBytes: 420,
    },
  }]);
  assert.equal(parseTextLine(lines[0]!, 1, null), null, "the parser reads it as noise");
});

Deno.test("ReportWriter writes how each extension ended at shutdown", () => {
  const { writer, lines } = recorder();
  writer.shutdownExit({ name: "a", how: "exited", code: 0, signal: null, ms: 3.456 });
  writer.shutdownExit({ name: "b", how: "exited", code: 3, signal: null, ms: 10 });
  writer.shutdownExit({ name: "c", how: "exited", code: null, signal: "SIGSEGV", ms: 1 });
  writer.shutdownExit({ name: "d", how: "killed", code: null, signal: "SIGKILL", ms: 1999.5 });
  writer.shutdownExit({ name: "e", how: "not-subscribed", code: null, signal: "SIGKILL", ms: 0 });
  assert.deepEqual(lines, [
    "SHUTDOWN\tName: a\tState: Exited\tExit Status: 0\tDuration: 3.46 ms",
    "SHUTDOWN\tName: b\tState: ShutdownFailed\tExit Status: 3\tDuration: 10.00 ms",
    "SHUTDOWN\tName: c\tState: ShutdownFailed\tSignal: SIGSEGV\tDuration: 1.00 ms",
    "SHUTDOWN\tName: d\tState: ShutdownFailed\tSignal: SIGKILL\tReason: deadline\t" +
    "Duration: 1999.50 ms",
    "SHUTDOWN\tName: e\tState: ShutdownFailed\tSignal: SIGKILL\t" +
    "Reason: not registered for SHUTDOWN\tDuration: 0.00 ms",
  ]);
  for (const line of lines) assert.equal(parseTextLine(line, 1, null), null);
});
