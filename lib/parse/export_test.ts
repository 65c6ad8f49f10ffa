import assert from "node:assert/strict";
import { ExportReader, parseExport } from "./export.ts";
import { joinInvocations, type RunMeta } from "./join.ts";
import type { InvocationRow } from "../schema.ts";

const META: RunMeta = {
  run_id: "ingest",
  backend: null,
  variant: null,
  arch: null,
  memory_mb: null,
};

async function fixture(name: string) {
  const text = await Deno.readTextFile(new URL(`./testdata/${name}`, import.meta.url));
  const parsed = parseExport(text);
  return { ...parsed, joined: joinInvocations({ records: parsed.records, meta: META }) };
}

/** Checks the given fields of a row, one assertion per field so failures name the field. */
function check(row: InvocationRow | undefined, want: Partial<InvocationRow>): void {
  assert.ok(row, "row is missing");
  for (const [k, v] of Object.entries(want)) {
    assert.deepEqual(row[k as keyof InvocationRow], v, `${row.request_id}.${k}`);
  }
}

Deno.test("parseExport() reads an `aws logs tail` text export field by field", async () => {
  const { shape, stats, joined } = await fixture("tail.txt");
  assert.equal(shape, "text");
  assert.deepEqual(
    { lines: stats.lines, platform: stats.platform, noise: stats.noise, rejected: stats.rejected },
    { lines: 27, platform: 20, noise: 4, rejected: 3 },
  );
  assert.deepEqual(stats.rejectedSamples.map((s) => [s.line, s.reason]), [
    [22, 'REPORT: "Duration" has a bad value "12."'],
    [26, 'REPORT: "Duration" has a bad value "abc ms"'],
    [27, 'REPORT: "Max Memory Used" is missing'],
  ]);
  const { rows, orphans, initFailures } = joined;
  assert.equal(rows.length, 5);
  check(rows[0], {
    run_id: "ingest",
    backend: null,
    variant: null,
    arch: null,
    memory_mb: 128,
    request_id: "8f5a3c2e-1b4d-4e6f-9a7b-0c1d2e3f4a5b",
    cold: true,
    init_ms: 168.42,
    restore_ms: null,
    duration_ms: 24.81,
    billed_ms: 25,
    max_memory_mb: 71,
    runtime_done_ms: null,
    post_runtime_ms: null,
    client_rtt_ms: null,
    status: "success",
    error_type: null,
    timestamp: new Date("2024-05-01T10:00:00.180Z"),
  });
  check(rows[1], {
    request_id: "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f",
    cold: false,
    init_ms: null,
    duration_ms: 6.17,
    billed_ms: 7,
    max_memory_mb: 72,
    timestamp: new Date("2024-05-01T10:00:01.000Z"),
  });
  check(rows[2], { duration_ms: 3000, billed_ms: 3000, status: "timeout", error_type: null });
  check(rows[3], { status: "error", error_type: "Runtime.OutOfMemory", max_memory_mb: 128 });
  check(rows[4], {
    request_id: "f1f2f3f4-f5f6-4f7f-8f8f-9fafbfcfdfef",
    duration_ms: 12.34,
    billed_ms: 100,
  });
  assert.deepEqual(orphans, [
    { requestId: "e0e1e2e3-e4e5-4e6e-8e7e-8e9eaebecede", reason: "no-report" },
  ]);
  assert.equal(initFailures, 1);
});

Deno.test("parseExport() reads `aws logs filter-log-events` JSON field by field", async () => {
  const { shape, stats, joined, records } = await fixture("filter-log-events.json");
  assert.equal(shape, "filter-log-events");
  assert.deepEqual(
    { lines: stats.lines, platform: stats.platform, noise: stats.noise, rejected: stats.rejected },
    { lines: 13, platform: 10, noise: 1, rejected: 2 },
  );
  assert.deepEqual(stats.rejectedSamples.map((s) => [s.line, s.reason]), [
    [11, 'REPORT: cannot read field "Memory Si"'],
    [12, 'filter-log-events: event has no "message"'],
  ]);
  const report = records.find((r) => r.kind === "report");
  assert.equal(report?.kind === "report" && report.traceId, "1-6633a3c0-1a2b3c4d5e6f7a8b9c0d1e2f");
  const t0 = 1714644000000;
  assert.equal(joined.rows.length, 2);
  check(joined.rows[0], {
    request_id: "0a7c9e1f-3b5d-4f7a-9c1e-3f5a7c9e1b3d",
    memory_mb: 512,
    cold: true,
    init_ms: 119.87,
    duration_ms: 31.62,
    billed_ms: 152,
    max_memory_mb: 38,
    status: "success",
    timestamp: new Date(t0 + 120),
  });
  check(joined.rows[1], {
    request_id: "2b4d6f8a-0c2e-4a6c-8e0a-2c4e6a8c0e2a",
    cold: false,
    duration_ms: 2.95,
    billed_ms: 3,
    max_memory_mb: 39,
    timestamp: new Date(t0 + 900),
  });
  assert.deepEqual(joined.orphans.map((o) => o.reason), ["no-report"]);
});

Deno.test("parseExport() reads JSON-format Lambda logs (JSONL) field by field", async () => {
  const { shape, stats, joined } = await fixture("json-format.jsonl");
  assert.equal(shape, "jsonl");
  assert.deepEqual(
    { lines: stats.lines, platform: stats.platform, noise: stats.noise, rejected: stats.rejected },
    { lines: 19, platform: 14, noise: 2, rejected: 2 },
  );
  assert.deepEqual(stats.unknownTypes, { "platform.futureThing": 1 });
  assert.deepEqual(stats.rejectedSamples.map((s) => [s.line, s.reason]), [
    [17, "malformed JSON platform event"],
    [18, 'platform.report: "metrics.billedDurationMs" is missing or not a number'],
  ]);
  const [p, q, r] = joined.rows;
  assert.equal(joined.rows.length, 3);
  check(p, {
    request_id: "7e9a1c3e-5a7c-4e9a-bc3e-5a7c9e1a3c5e",
    memory_mb: 128,
    cold: true,
    init_ms: 195.312,
    duration_ms: 30.884,
    billed_ms: 227,
    max_memory_mb: 77,
    runtime_done_ms: 21.507,
    post_runtime_ms: 9.377,
    status: "success",
    error_type: null,
    timestamp: new Date("2024-05-03T09:00:00.200Z"),
  });
  check(q, { runtime_done_ms: 3.2, post_runtime_ms: 2.55, status: "error", error_type: "Error" });
  check(r, {
    duration_ms: 3000,
    post_runtime_ms: 0,
    status: "timeout",
    error_type: "Sandbox.Timedout",
  });
  assert.equal(joined.droppedRecords, 3);
});

Deno.test("parseExport() reads a Telemetry API batch with SnapStart restore", async () => {
  const { shape, stats, joined } = await fixture("telemetry.json");
  assert.equal(shape, "telemetry-array");
  assert.deepEqual({ lines: stats.lines, noise: stats.noise, platform: stats.platform }, {
    lines: 6,
    noise: 1,
    platform: 5,
  });
  assert.equal(joined.rows.length, 1);
  check(joined.rows[0], {
    memory_mb: 1024,
    cold: false,
    init_ms: null,
    restore_ms: 312.5,
    duration_ms: 44.25,
    billed_ms: 45,
    max_memory_mb: 140,
    runtime_done_ms: 38.5,
    post_runtime_ms: 5.75,
    timestamp: new Date("2024-05-04T08:00:00.300Z"),
  });
});

Deno.test("parseExport() never throws on garbage", () => {
  for (const text of ["", "\n\n", "{", "[1,2", '{"events": 3}', "\u0000\u0001", "[]", "{}"]) {
    const r = parseExport(text);
    assert.equal(r.records.length, 0, JSON.stringify(text));
  }
});

Deno.test("parseExport() reads filter-log-events pages saved one per line", () => {
  const page = (id: string) =>
    JSON.stringify({
      events: [{ message: `START RequestId: ${id} Version: $LATEST\n`, timestamp: 5 }],
    });
  const r = parseExport(`${page("a")}\n${page("b")}\n`);
  assert.deepEqual(r.records.map((x) => x.kind === "start" && [x.requestId, x.time]), [
    ["a", 5],
    ["b", 5],
  ]);
});

Deno.test("parseExport() skips a byte-order mark", () => {
  const r = parseExport(
    '\ufeff{"time":"2024-05-03T09:00:00.200Z","type":"platform.start","record":{"requestId":"a"}}\n',
  );
  assert.equal(r.records.length, 1);
  assert.equal(r.shape, "jsonl");
});

Deno.test("parseExport() reads `aws logs get-query-results` JSON (Logs Insights rows)", () => {
  const row = (ts: string, message: string) => [
    { field: "@timestamp", value: ts },
    { field: "@message", value: message },
    { field: "@ptr", value: "CmAKJwojMTIz" },
  ];
  const text = JSON.stringify(
    {
      results: [
        row("2024-05-01 10:00:00.180", "START RequestId: a Version: $LATEST\n"),
        row(
          "2024-05-01 10:00:00.205",
          "REPORT RequestId: a\tDuration: 24.81 ms\tBilled Duration: 25 ms\tMemory Size: 128 MB\tMax Memory Used: 71 MB\t\n",
        ),
        [{ field: "@timestamp", value: "2024-05-01 10:00:01.000" }],
      ],
      statistics: { recordsMatched: 3, recordsScanned: 120, bytesScanned: 20480 },
      status: "Complete",
    },
    null,
    2,
  );
  const r = parseExport(text);
  assert.equal(r.shape, "insights-results");
  assert.deepEqual(r.records.map((x) => [x.kind, x.time]), [
    ["start", Date.UTC(2024, 4, 1, 10, 0, 0, 180)],
    ["report", Date.UTC(2024, 4, 1, 10, 0, 0, 205)],
  ]);
  assert.equal(r.stats.rejected, 1);
  assert.equal(r.stats.rejectedSamples[0]?.reason, 'insights-results: row has no "@message"');
});

Deno.test("ExportReader gives the same result for any chunking", async () => {
  const names = [
    "tail.txt",
    "filter-log-events.json",
    "json-format.jsonl",
    "telemetry.json",
  ];
  for (const name of names) {
    const text = await Deno.readTextFile(new URL(`./testdata/${name}`, import.meta.url));
    const want = parseExport(text);
    for (const size of [1, 7, 64, 1000]) {
      const reader = new ExportReader();
      for (let i = 0; i < text.length; i += size) reader.push(text.slice(i, i + size));
      const got = reader.end();
      assert.equal(got.shape, want.shape, `${name} in ${size}-char pieces`);
      assert.deepEqual(got.records, want.records, `${name} in ${size}-char pieces`);
      assert.deepEqual(got.stats, want.stats, `${name} in ${size}-char pieces`);
    }
  }
});

Deno.test("ExportReader reads bracket-prefixed text lines as text", () => {
  const reader = new ExportReader();
  reader.push("[rust] START RequestId: a Version: $LATEST\n[rust] END RequestId: a\n");
  const r = reader.end();
  assert.equal(r.shape, "text");
  assert.deepEqual(r.records.map((x) => x.kind), ["start", "end"]);
});

Deno.test("parseExport() reads compact one-line documents and Insights pages per line", () => {
  const page = JSON.stringify({ results: [[{ field: "@message", value: "END RequestId: b" }]] });
  const events = JSON.stringify({ events: [{ message: "END RequestId: a" }] });
  const r = parseExport(`${events}\n${page}\n`);
  assert.deepEqual(r.records.map((x) => x.kind === "end" && x.requestId), ["a", "b"]);
});

Deno.test("ExportReader counts CRLF, blank and cut lines the same in any chunking", async () => {
  const tail = await Deno.readTextFile(new URL("./testdata/tail.txt", import.meta.url));
  const text = `\n\n${tail.replaceAll("\n", "\r\n\r\n")}REPORT RequestId: cut\tDuration: 1`;
  const want = parseExport(text, { columnar: true });
  assert.ok(want.stats.rejected > 0 && want.reports!.length > 0);
  for (const size of [1, 2, 3, 5, 64, 4096]) {
    const reader = new ExportReader({ columnar: true });
    for (let i = 0; i < text.length; i += size) reader.push(text.slice(i, i + size));
    const got = reader.end();
    assert.deepEqual(got.records, want.records, `${size}-char pieces`);
    assert.deepEqual(got.stats, want.stats, `${size}-char pieces`);
    const ids = (r: typeof got) => r.reports!.idsBetween(0, r.reports!.length);
    assert.deepEqual(ids(got), ids(want), `${size}-char pieces`);
  }
});

Deno.test("parseExport() counts a cut-off JSON export as rejected, not as noise", () => {
  const report =
    "REPORT RequestId: a\tDuration: 1.00 ms\tBilled Duration: 1 ms\tMemory Size: 128 MB\tMax Memory Used: 40 MB\t";
  const page = JSON.stringify({ events: [{ message: report, timestamp: 5 }] }, null, 2);
  const cutPretty = page.slice(0, page.length - 8);
  const cutOneLine = JSON.stringify({ events: [{ message: report }, { message: "x" }] }).slice(
    0,
    -10,
  );
  for (const text of [cutPretty, `${cutOneLine}\n`, cutOneLine]) {
    const r = parseExport(text);
    assert.ok(r.stats.rejected >= 1, `rejected for ${JSON.stringify(text.slice(0, 40))}`);
    assert.match(r.stats.rejectedSamples[0]?.reason ?? "", /JSON/);
  }
  // Whole documents still read with nothing rejected.
  assert.equal(parseExport(page).stats.rejected, 0);
  assert.equal(parseExport(JSON.stringify(JSON.parse(page))).stats.rejected, 0);
});

Deno.test("parseExport() rejects a cut-off first JSONL line once", () => {
  const text = '{"time":"2025-01-01T00:00:00Z","type":"platform.start","record":{"requ\n' +
    '{"time":"2025-01-01T00:00:00Z","type":"platform.start","record":{"requestId":"a"}}\n';
  const r = parseExport(text);
  assert.equal(r.stats.rejected, 1);
  assert.equal(r.records.length, 1);
});

Deno.test("parseExport() rejects impossible REPORTs and reads spaced ones in filter-log-events", async () => {
  const text = await Deno.readTextFile(
    new URL("./testdata/filter-log-events.json", import.meta.url),
  );
  const page = JSON.parse(text) as { events: Array<{ message?: string }> };
  const messages = page.events.map((e) => e.message ?? "");
  const cold = messages.findIndex((m) => m.includes("Init Duration"));
  const warm = messages.findIndex((m) => m.startsWith("REPORT") && !m.includes("Init Duration"));
  assert.ok(cold >= 0 && warm >= 0);
  // The cold REPORT with tabs turned to spaces, and the warm one with an impossible Duration.
  page.events[cold]!.message = messages[cold]!.replaceAll("\t", " ");
  page.events[warm]!.message = messages[warm]!.replace(
    /\tDuration: [\d.]+ ms/,
    "\tDuration: 1000000.00 ms",
  );
  const before = await fixture("filter-log-events.json");
  const after = parseExport(JSON.stringify(page));
  assert.equal(after.stats.rejected, before.stats.rejected + 1);
  assert.deepEqual(after.stats.rejectedByReason, {
    ...before.stats.rejectedByReason,
    'REPORT: "Duration" has a too-large value': 1,
  });
  const rows = joinInvocations({ records: after.records, meta: META }).rows;
  assert.equal(rows.length, before.joined.rows.length - 1);
  check(rows[0], { cold: true, init_ms: 119.87, duration_ms: 31.62, billed_ms: 152 });
});
