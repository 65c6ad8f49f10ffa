import assert from "node:assert/strict";
import { type ClientObservation, joinInvocations, MISSING_REPORT, type RunMeta } from "./join.ts";
import { parseLines } from "./parser.ts";

const META: RunMeta = {
  run_id: "20261123T010203Z-abcd",
  backend: "local",
  variant: "rust",
  arch: "x86_64",
  memory_mb: 128,
};

function report(id: string, extra = ""): string {
  return `REPORT RequestId: ${id}\tDuration: 12.34 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\tMax Memory Used: 70 MB\t${extra}`;
}

function runtimeDone(id: string, durationMs: number, status = "success"): string {
  return JSON.stringify({
    time: "2024-05-01T10:00:00.010Z",
    type: "platform.runtimeDone",
    record: { requestId: id, status, metrics: { durationMs, producedBytes: 10 } },
  });
}

Deno.test("joinInvocations() fills run fields and computes post_runtime_ms", () => {
  const { records } = parseLines([
    "START RequestId: a Version: $LATEST",
    runtimeDone("a", 10.1),
    report("a", "Init Duration: 100.5 ms\t"),
  ]);
  const { rows } = joinInvocations({ records, meta: META });
  assert.equal(rows.length, 1);
  const [row] = rows;
  assert.equal(row?.run_id, META.run_id);
  assert.equal(row?.backend, "local");
  assert.equal(row?.variant, "rust");
  assert.equal(row?.arch, "x86_64");
  assert.equal(row?.cold, true);
  assert.equal(row?.init_ms, 100.5);
  assert.equal(row?.runtime_done_ms, 10.1);
  assert.equal(row?.post_runtime_ms, 2.24);
});

Deno.test("joinInvocations() makes one row when logs repeat in text and JSON", () => {
  const json = JSON.stringify({
    time: "2024-05-01T10:00:00.020Z",
    type: "platform.report",
    record: {
      requestId: "a",
      status: "success",
      metrics: {
        durationMs: 12.34,
        billedDurationMs: 13,
        memorySizeMB: 128,
        maxMemoryUsedMB: 70,
        initDurationMs: 100.5,
      },
    },
  });
  const { records } = parseLines([report("a"), json, report("a"), json]);
  const { rows } = joinInvocations({ records, meta: META });
  assert.equal(rows.length, 1);
  assert.equal(rows[0]?.init_ms, 100.5, "the JSON copy fills what the first copy lacked");
  assert.equal(rows[0]?.cold, true);
  assert.deepEqual(rows[0]?.timestamp, new Date(Date.parse("2024-05-01T10:00:00.020Z") - 12.34));
});

Deno.test("joinInvocations() takes status from REPORT, then runtimeDone, then the client", () => {
  const { records } = parseLines([
    report("t", "Status: timeout"),
    runtimeDone("e", 5, "error"),
    report("e"),
    report("c"),
    report("s"),
  ]);
  const client = new Map<string, ClientObservation>([
    ["t", { clientRttMs: 3001, timestamp: 1 }],
    ["e", { clientRttMs: 8, timestamp: 2 }],
    ["c", { clientRttMs: 9, timestamp: 3, status: "error", errorType: "Unhandled" }],
    ["s", { clientRttMs: 10, timestamp: new Date(4) }],
  ]);
  const { rows } = joinInvocations({ records, meta: META, client });
  assert.deepEqual(rows.map((r) => [r.request_id, r.status, r.error_type]), [
    ["t", "timeout", null],
    ["e", "error", null],
    ["c", "error", "Unhandled"],
    ["s", "success", null],
  ]);
  assert.deepEqual(rows.map((r) => r.client_rtt_ms), [3001, 8, 9, 10]);
  assert.deepEqual(rows.map((r) => r.timestamp?.getTime()), [1, 2, 3, 4]);
});

Deno.test("joinInvocations() emits client ids without REPORT as failure rows and lists them", () => {
  const { records } = parseLines([
    report("a"),
    report("other-run"),
    "START RequestId: half Version: $LATEST",
  ]);
  const client = new Map<string, ClientObservation>([
    ["a", { clientRttMs: 20, timestamp: 1000 }],
    ["lost", { clientRttMs: 30000, timestamp: 2000, cold: true }],
  ]);
  const { rows, missingReport, orphans } = joinInvocations({ records, meta: META, client });
  assert.deepEqual(missingReport, ["lost"]);
  assert.deepEqual(rows[1], {
    ...META,
    request_id: "lost",
    cold: true,
    init_ms: null,
    restore_ms: null,
    duration_ms: null,
    billed_ms: null,
    max_memory_mb: null,
    runtime_done_ms: null,
    post_runtime_ms: null,
    client_rtt_ms: 30000,
    status: "failure",
    error_type: MISSING_REPORT,
    timestamp: new Date(2000),
  });
  assert.deepEqual(orphans, [
    { requestId: "other-run", reason: "not-invoked-by-client" },
    { requestId: "half", reason: "no-report" },
  ]);
});

Deno.test("joinInvocations() prefers the START time over the client's", () => {
  const { records } = parseLines([
    "2024-05-01T10:00:00.180000+00:00 s START RequestId: a Version: $LATEST",
    report("a"),
  ]);
  const client = new Map([["a", { clientRttMs: 1, timestamp: 5 }]]);
  const { rows } = joinInvocations({ records, meta: META, client });
  assert.deepEqual(rows[0]?.timestamp, new Date("2024-05-01T10:00:00.180Z"));
});
