import assert from "node:assert/strict";
import { PLATFORM_INSIGHTS_QUERY } from "../aws/collect.ts";
import { compileQuery, insightsTime, QueryError, type QueryEvent, runQuery } from "./insights.ts";

const t0 = Date.UTC(2026, 11, 1, 10, 0, 0);

function event(i: number, message: string): QueryEvent {
  return {
    timestamp: t0 + i,
    ingestionTime: t0 + i,
    message,
    logStream: "s",
    log: "000000000000:/aws/lambda/f",
    ptr: `p${i}`,
  };
}

const EVENTS = [
  event(3, JSON.stringify({ time: "t", type: "platform.report", record: { requestId: "b" } })),
  event(1, "START RequestId: a Version: $LATEST"),
  event(2, "2026-12-01T10:00:00.002Z\ta\tINFO\thello"),
  event(4, "REPORT RequestId: a\tDuration: 1.00 ms"),
  event(5, '{"type": "platform.start","record":{"requestId":"c"}}'),
];

Deno.test("the AWS backend's Insights query returns platform lines oldest first", () => {
  const q = compileQuery(PLATFORM_INSIGHTS_QUERY);
  const { rows, matched } = runQuery(q, EVENTS, 10_000);
  assert.equal(matched, 4);
  assert.deepEqual(rows.map((r) => r.find((f) => f.field === "@ptr")?.value), [
    "p1",
    "p3",
    "p4",
    "p5",
  ]);
  assert.deepEqual(rows[0]!.map((f) => f.field), ["@timestamp", "@message", "@logStream", "@ptr"]);
  assert.equal(rows[0]![0]!.value, "2026-12-01 10:00:00.001");
});

Deno.test("runQuery() reads JSON fields, comparisons, not/and/or, limit and desc by default", () => {
  const q = compileQuery(
    "fields record.requestId as id | filter type like /platform/ and not record.requestId = 'c' | limit 5",
  );
  const { rows } = runQuery(q, EVENTS, 100);
  assert.deepEqual(rows, [[{ field: "id", value: "b" }, { field: "@ptr", value: "p3" }]]);
  const latest = runQuery(compileQuery("fields @message | limit 2"), EVENTS, 100);
  assert.deepEqual(latest.rows.map((r) => r.at(-1)!.value), ["p5", "p4"]);
  const present = runQuery(compileQuery("filter ispresent(record.requestId)"), EVENTS, 100);
  assert.equal(present.matched, 2);
  const inList = runQuery(
    compileQuery("filter @ptr in ['p1', 'p2'] or @message like 'REPORT'"),
    EVENTS,
    1,
  );
  assert.equal(inList.matched, 3);
  assert.equal(inList.rows.length, 1);
});

Deno.test("compileQuery() refuses unsupported commands and bad expressions", () => {
  for (
    const q of ["stats count(*) by bin(5m)", "filter @message like /(/", "limit 0", "sort a up"]
  ) {
    assert.throws(() => compileQuery(q), (e: Error) => {
      assert.ok(e instanceof QueryError);
      assert.equal(e.name, "MalformedQueryException");
      return true;
    }, q);
  }
});

Deno.test("insightsTime() formats like Insights' @timestamp", () => {
  assert.equal(insightsTime(t0 + 7), "2026-12-01 10:00:00.007");
});
