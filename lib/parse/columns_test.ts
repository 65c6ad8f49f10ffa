import assert from "node:assert/strict";
import { invocationRows } from "../store/invocations.ts";
import { columnsFrame, invocationsFrame } from "../store/_frame.ts";
import type { InvocationRow } from "../schema.ts";
import { ReportTable } from "./columns.ts";
import { parseExport } from "./export.ts";
import {
  type ClientObservation,
  joinInvocationColumns,
  joinInvocations,
  type RunMeta,
} from "./join.ts";
import { LogParser } from "./parser.ts";
import type { ReportRecord } from "./records.ts";
import { parseTextLine, readReportLine, reportFields } from "./text.ts";

const META: RunMeta = {
  run_id: "20261123T010203Z-abcd",
  backend: "local",
  variant: "rust",
  arch: "x86_64",
  memory_mb: 256,
};

const TESTDATA = new URL("./testdata/", import.meta.url);

function report(id: string, extra = ""): string {
  return `REPORT RequestId: ${id}\tDuration: 12.34 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\tMax Memory Used: 70 MB\t${extra}`;
}

function event(type: string, record: unknown, time = "2024-05-01T10:00:00.020Z"): string {
  return JSON.stringify({ time, type: `platform.${type}`, record });
}

/** Parses the lines both ways, joins both ways, and asserts the same rows and counts. */
function assertSameJoin(lines: string[], client?: Map<string, ClientObservation>): InvocationRow[] {
  const objects = new LogParser();
  const columnar = new LogParser({ columnar: true });
  lines.forEach((l, i) => {
    objects.line(l, i + 1);
    columnar.line(l, i + 1);
  });
  assert.deepEqual(columnar.stats, objects.stats);
  assert.ok(columnar.records.every((r) => r.kind !== "report"));
  const byRows = joinInvocations({
    records: objects.records,
    meta: META,
    ...(client ? { client } : {}),
  });
  const byColumns = joinInvocationColumns({
    reports: columnar.reports!,
    records: columnar.records,
    meta: META,
    ...(client ? { client } : {}),
  });
  const { rows, ...restRows } = byRows;
  const { columns, ...restColumns } = byColumns;
  assert.deepEqual(restColumns, restRows);
  const want = invocationRows(invocationsFrame(rows));
  const got = invocationRows(columnsFrame(columns));
  assert.deepEqual(got, want);
  return got;
}

Deno.test("joinInvocationColumns() gives joinInvocations()'s rows: merges, statuses, times", () => {
  const json = event("report", {
    requestId: "a",
    status: "success",
    metrics: {
      durationMs: 12.34,
      billedDurationMs: 13,
      memorySizeMB: 128,
      maxMemoryUsedMB: 70,
      initDurationMs: 100.5,
    },
  });
  const rows = assertSameJoin([
    "2024-05-01T10:00:00.180000+00:00 s START RequestId: a Version: $LATEST",
    report("a"),
    json,
    report("a"),
    event("runtimeDone", {
      requestId: "e",
      status: "error",
      errorType: "Runtime.X",
      metrics: { durationMs: 5 },
    }),
    report("e"),
    report("t", "Status: timeout\tError Type: Sandbox.Timedout"),
    "2024-05-01T10:00:01.000Z s " + report("p"),
    event("runtimeDone", { requestId: "p", status: "success", metrics: { durationMs: 10.1 } }),
    "START RequestId: half Version: $LATEST",
    event("logsDropped", { reason: "x", droppedRecords: 3, droppedBytes: 9 }),
    "INIT_REPORT Init Duration: 9.5 ms\tPhase: init\tStatus: error",
  ]);
  assert.deepEqual(rows.map((r) => [r.request_id, r.status, r.cold]), [
    ["a", "success", true],
    ["e", "error", false],
    ["t", "timeout", false],
    ["p", "success", false],
  ]);
  assert.equal(rows[3]?.post_runtime_ms, 2.24);
});

Deno.test("joinInvocationColumns() follows the client: order, missing reports, orphans", () => {
  const client = new Map<string, ClientObservation>([
    ["s", { clientRttMs: 10, timestamp: new Date(4) }],
    ["lost", { clientRttMs: 30000, timestamp: 2000, cold: true }],
    ["c", { clientRttMs: 9, timestamp: 3, status: "error", errorType: "Unhandled" }],
    ["t", { clientRttMs: null, timestamp: null }],
    ["gone", { clientRttMs: null, timestamp: null, errorType: "Client.Gone" }],
  ]);
  const rows = assertSameJoin([
    report("t", "Status: timeout"),
    report("c"),
    report("other-run"),
    report("s"),
    "START RequestId: half Version: $LATEST",
  ], client);
  assert.deepEqual(rows.map((r) => [r.request_id, r.status, r.memory_mb]), [
    ["s", "success", 128],
    ["lost", "failure", 256],
    ["c", "error", 128],
    ["t", "timeout", 128],
    ["gone", "failure", 256],
  ]);
});

Deno.test("joinInvocationColumns() agrees on every fixture in testdata", async () => {
  for (
    const name of ["tail.txt", "json-format.jsonl", "filter-log-events.json", "telemetry.json"]
  ) {
    const text = await Deno.readTextFile(new URL(name, TESTDATA));
    const objects = parseExport(text);
    const columnar = parseExport(text, { columnar: true });
    assert.deepEqual(columnar.stats, objects.stats, name);
    assert.equal(columnar.shape, objects.shape, name);
    const rows = joinInvocations({ records: objects.records, meta: META }).rows;
    const { columns } = joinInvocationColumns({
      reports: columnar.reports!,
      records: columnar.records,
      meta: META,
    });
    assert.ok(rows.length > 0, name);
    assert.deepEqual(
      invocationRows(columnsFrame(columns)),
      invocationRows(invocationsFrame(rows)),
      name,
    );
  }
});

Deno.test("readReportLine() agrees with parseTextLine() on every cut of every line", async () => {
  const text = await Deno.readTextFile(new URL("tail.txt", TESTDATA));
  for (const full of text.split("\n")) {
    for (let cut = 0; cut <= full.length; cut++) {
      const line = full.slice(0, cut);
      const want = parseTextLine(line, 1, null);
      const got = readReportLine(line, null);
      if (got === undefined) {
        assert.ok(
          want === null || typeof want === "string" || want.kind !== "report",
          JSON.stringify(line),
        );
      } else if (typeof got === "string") {
        assert.equal(got, want, JSON.stringify(line));
      } else {
        assert.ok(want !== null && typeof want === "object" && want.kind === "report");
        const { kind: _k, line: _l, source: _s, ...fields } = want as ReportRecord;
        assert.deepEqual({ ...reportFields }, fields, JSON.stringify(line));
      }
    }
  }
});

Deno.test("ReportTable grows, finds ids, and keeps the first values of a repeated id", () => {
  const t = new ReportTable(4);
  const p = new LogParser();
  for (let i = 0; i < 5000; i++) p.line(report(`id-${i}`, i % 7 === 0 ? "Status: error" : ""), i);
  for (const r of p.records) t.add(r as ReportRecord);
  assert.equal(t.length, 5000);
  assert.equal(t.find("id-4321"), 4321);
  assert.equal(t.find("id-5000"), -1);
  const again = parseTextLine(
    report("id-14", "Init Duration: 5 ms\tStatus: timeout\tError Type: X"),
    1,
    99,
  ) as ReportRecord;
  t.add({ ...again, durationMs: 1 });
  t.add({ ...again, requestId: "id-5000" });
  t.add({ ...again, requestId: "id-3", status: "error", errorType: "Y" });
  assert.equal(t.length, 5003);
  assert.equal(t.find("id-5000"), 5000, "find() merges repeats first");
  assert.equal(t.length, 5001);
  assert.equal(t.dedupe(), 0);
  assert.deepEqual(t.idsBetween(4998, 5001), ["id-4998", "id-4999", "id-5000"]);
  assert.equal(t.id(4321), "id-4321");
  assert.equal(t.errorType.length, 5001);
  assert.equal(t.status[3], 1);
  assert.equal(t.errorType[3], "Y");
  assert.equal(t.duration[14], 12.34, "the first copy's values stay");
  assert.equal(t.init[14], 5, "gaps are filled");
  assert.equal(t.status[14], 1, "error stays error");
  assert.equal(t.errorType[14], "X");
  assert.equal(t.time[14], 99);
});

Deno.test("LogParser adds to a given ReportTable, so several files join as one run", () => {
  const table = new ReportTable();
  const a = new LogParser({ columnar: table });
  const b = new LogParser({ columnar: table });
  a.line(report("x"), 1);
  b.line(report("y"), 1);
  b.line(report("x", "Init Duration: 3 ms\t"), 2);
  assert.equal(a.reports, table);
  const { columns } = joinInvocationColumns({ reports: table, records: [], meta: META });
  assert.deepEqual(invocationRows(columnsFrame(columns)).map((r) => r.request_id), ["x", "y"]);
  assert.deepEqual([...columns.cold], [1, 0]);
});

Deno.test("ReportTable keeps non-ASCII ids exactly, also through a merge of repeats", () => {
  const t = new ReportTable();
  const p = new LogParser();
  for (const id of ["a", "é-1", "b", "日本", "é-1", "c"]) p.line(report(id), 1);
  for (const r of p.records) t.add(r as ReportRecord);
  assert.equal(t.dedupe(), 1);
  assert.deepEqual(t.idsBetween(0, t.length), ["a", "é-1", "b", "日本", "c"]);
  assert.equal(t.find("日本"), 3);
  assert.equal(t.find("c"), 4);
  assert.equal(t.id(1), "é-1");
  assert.equal(t.find("e-1"), -1);
});

Deno.test("ReportTable merges repeats of ids whose hashes collide each into its own first entry", () => {
  // "id-149599" and "id-312382" share the table's 32-bit hash.
  const t = new ReportTable();
  const p = new LogParser();
  const ids = ["id-149599", "id-312382", "x", "id-312382", "id-149599", "id-312382", "x"];
  ids.forEach((id, i) => p.line(report(id, i === 4 ? "Init Duration: 7 ms\t" : ""), i + 1));
  for (const r of p.records) t.add(r as ReportRecord);
  assert.equal(t.hashAt(0), t.hashAt(1), "the two ids collide");
  assert.equal(t.dedupe(), 4);
  assert.deepEqual(t.idsBetween(0, t.length), ["id-149599", "id-312382", "x"]);
  assert.equal(t.init[0], 7, "the repeat's Init filled its own id's gap");
  assert.ok(Number.isNaN(t.init[1]!), "and not the other id's");
  assert.equal(t.find("id-312382"), 1);
});

Deno.test("ReportTable.idLines() gives printable-ASCII ids one per line, else null", () => {
  const table = (ids: string[]) => {
    const t = new ReportTable();
    const p = new LogParser();
    for (const id of ids) p.line(report(id), 1);
    for (const r of p.records) t.add(r as ReportRecord);
    t.dedupe();
    return t;
  };
  const ascii = table(["a", 'q"1', "b", "a", "~z!"]);
  assert.equal(new TextDecoder().decode(ascii.idLines()!), 'a\nq"1\nb\n~z!\n');
  assert.equal(table(["a", "é-1"]).idLines(), null, "non-ASCII");
  const control = new ReportTable();
  control.add({ ...reportFields, requestId: "a\u0001b" });
  assert.equal(control.idLines(), null, "a control character");
  const empty = new ReportTable();
  empty.add({ ...reportFields, requestId: "" });
  assert.equal(empty.idLines(), null, "an empty id");
  assert.equal(new ReportTable().idLines()!.length, 0);
});

/** Interleaved invocations: STARTs near and far from their REPORTs, ENDs with and without. */
function interleaved(count: number): string[] {
  const lines: string[] = [];
  const open: string[] = [];
  for (let i = 0; i < count; i++) {
    const id = `req-${i}`;
    const ts = new Date(Date.UTC(2024, 4, 1) + i * 10).toISOString();
    lines.push(`${ts} s START RequestId: ${id} Version: $LATEST`);
    if (i % 7 === 3) lines.push(`${ts} s START RequestId: ${id} Version: $LATEST`); // twice
    open.push(id);
    // Up to 40 invocations in flight: some STARTs are far from their REPORT.
    while (open.length > (i % 40) || (i === count - 1 && open.length > 0)) {
      const done = open.shift()!;
      const n = Number(done.slice(4));
      if (n % 11 === 5) continue; // no END, no REPORT: an orphan START
      lines.push(`${ts} s END RequestId: ${done}`);
      if (n % 13 === 6) continue; // END without REPORT
      if (n % 5 === 0) lines.push(`${ts} s app log line of ${done}`);
      lines.push(`${ts} s ${report(done, n % 10 === 0 ? "Init Duration: 100.25 ms\t" : "")}`);
    }
  }
  lines.push("END RequestId: only-an-end", "START RequestId: no-time Version: $LATEST");
  lines.push(report("no-time"));
  return lines;
}

Deno.test("joinInvocationColumns() gives the rows' start times and orphans for interleaved logs", () => {
  const lines = interleaved(500);
  const rows = assertSameJoin(lines);
  assert.ok(rows.length > 300);
  assert.ok(rows.every((r) => r.request_id === "no-time" || r.timestamp !== null));
  const objects = new LogParser();
  const columnar = new LogParser({ columnar: true });
  lines.forEach((l, i) => {
    objects.line(l, i + 1);
    columnar.line(l, i + 1);
  });
  const byRows = joinInvocations({ records: objects.records, meta: META });
  const byColumns = joinInvocationColumns({
    reports: columnar.reports!,
    records: columnar.records,
    meta: META,
  });
  const ids = (o: { orphans: Array<{ requestId: string }> }) =>
    o.orphans.map((x) => x.requestId).sort();
  assert.deepEqual(ids(byColumns), ids(byRows));
  assert.ok(byRows.orphans.length > 50);
});

Deno.test("ReportTable.append() of parts' data() gives the one-table rows", () => {
  const lines = interleaved(400);
  const whole = new LogParser({ columnar: true });
  lines.forEach((l, i) => whole.line(l, i + 1));
  const table = new ReportTable();
  const first = new LogParser({ columnar: table });
  const cut = [Math.floor(lines.length / 3), Math.floor((2 * lines.length) / 3), lines.length];
  lines.slice(0, cut[0]).forEach((l, i) => first.line(l, i + 1));
  let from = cut[0]!;
  const records = [...first.records];
  for (const to of cut.slice(1)) {
    const part = new LogParser({ columnar: true });
    lines.slice(from, to).forEach((l, i) => part.line(l, from + i + 1));
    records.push(...part.result().records);
    table.append(structuredClone(part.reports!.data()));
    from = to;
  }
  const one = joinInvocationColumns({
    reports: whole.reports!,
    records: whole.records,
    meta: META,
  });
  const parts = joinInvocationColumns({ reports: table, records, meta: META });
  assert.deepEqual(
    invocationRows(columnsFrame(parts.columns)),
    invocationRows(columnsFrame(one.columns)),
  );
  assert.equal(parts.orphans.length, one.orphans.length);
  assert.equal(table.counted, whole.reports!.counted);
});
