import assert from "node:assert/strict";
import {
  CloudWatchLogsClient,
  FilterLogEventsCommand,
  GetQueryResultsCommand,
  StartQueryCommand,
  ThrottlingException,
} from "@aws-sdk/client-cloudwatch-logs";
import { mockClient } from "aws-sdk-client-mock";
import {
  collectInsights,
  collectLogEvents,
  createLogsClient,
  parseLogEvents,
  PLATFORM_FILTER_PATTERNS,
  queryInsights,
  withRetry,
} from "./collect.ts";
import { joinInvocations } from "../parse/mod.ts";

const ID = "8f5a3c2e-1b4d-4e6f-9a7b-0c1d2e3f4a5b";
const REPORT =
  `REPORT RequestId: ${ID}\tDuration: 6.17 ms\tBilled Duration: 7 ms\tMemory Size: 128 MB\tMax Memory Used: 72 MB\t\nXRAY TraceId: 1-66321a11-0a1b\tSegmentId: 7f6e\tSampled: true\t\n`;

/** A client with fake static credentials: its `send` is replaced by the mock, never the network. */
function mocked() {
  const client = new CloudWatchLogsClient({
    region: "us-east-1",
    credentials: { accessKeyId: "AKIDTEST", secretAccessKey: "test" },
  });
  return { client, mock: mockClient(client) };
}

function recorder() {
  const delays: number[] = [];
  return { delays, sleep: (ms: number) => (delays.push(ms), Promise.resolve()), random: () => 0 };
}

Deno.test("collectLogEvents() follows nextToken through empty pages", async () => {
  const { client, mock } = mocked();
  mock.on(FilterLogEventsCommand)
    .resolvesOnce({
      events: [{ message: `START RequestId: ${ID} Version: $LATEST\n`, timestamp: 1 }],
      nextToken: "t1",
    })
    .resolvesOnce({ events: [], nextToken: "t2" })
    .resolvesOnce({ nextToken: "t3" })
    .resolvesOnce({ events: [{ message: REPORT, timestamp: 9, logStreamName: "s" }] });
  const { events, pages } = await collectLogEvents({
    client,
    logGroupName: "/aws/lambda/battle-rust-128",
    startTime: 1000,
    endTime: 2000,
  });
  assert.equal(pages, 4);
  assert.deepEqual(events.map((e) => e.timestamp), [1, 9]);
  assert.equal(events[1]?.logStreamName, "s");
  const inputs = mock.commandCalls(FilterLogEventsCommand).map((c) => c.args[0].input);
  assert.deepEqual(inputs.map((i) => i.nextToken), [undefined, "t1", "t2", "t3"]);
  for (const input of inputs) {
    assert.equal(input.logGroupName, "/aws/lambda/battle-rust-128");
    assert.equal(input.startTime, 1000);
    assert.equal(input.endTime, 2000);
    assert.equal(input.filterPattern, PLATFORM_FILTER_PATTERNS.text);
  }
});

Deno.test("collectLogEvents() stops when a token repeats", async () => {
  const { client, mock } = mocked();
  mock.on(FilterLogEventsCommand)
    .resolvesOnce({ events: [], nextToken: "same" })
    .resolves({ events: [], nextToken: "same" });
  const { pages } = await collectLogEvents({
    client,
    logGroupName: "g",
    startTime: 0,
    endTime: 1,
    format: "json",
  });
  assert.equal(pages, 2);
  assert.equal(
    mock.commandCalls(FilterLogEventsCommand)[0]?.args[0].input.filterPattern,
    PLATFORM_FILTER_PATTERNS.json,
  );
});

Deno.test("collectLogEvents() retries throttling with growing backoff", async () => {
  const { client, mock } = mocked();
  const throttled = new ThrottlingException({ message: "Rate exceeded", $metadata: {} });
  const tooMany = Object.assign(new Error("Too many requests"), {
    name: "TooManyRequestsException",
  });
  mock.on(FilterLogEventsCommand)
    .rejectsOnce(throttled)
    .rejectsOnce(tooMany)
    .rejectsOnce(throttled)
    .resolvesOnce({ events: [{ message: REPORT, timestamp: 5 }] });
  const r = recorder();
  const { events } = await collectLogEvents({
    client,
    logGroupName: "g",
    startTime: 0,
    endTime: 1,
    retry: { sleep: r.sleep, random: r.random, baseDelayMs: 100 },
  });
  assert.equal(events.length, 1);
  assert.deepEqual(r.delays, [50, 100, 200]);
});

Deno.test("withRetry() gives up after maxAttempts and never retries other errors", async () => {
  const r = recorder();
  let calls = 0;
  const throttled = new ThrottlingException({ message: "Rate exceeded", $metadata: {} });
  await assert.rejects(
    () => withRetry("x", () => (calls++, Promise.reject(throttled)), { ...r, maxAttempts: 3 }),
    { name: "ThrottlingException" },
  );
  assert.equal(calls, 3);
  calls = 0;
  const missing = Object.assign(new Error("The specified log group does not exist."), {
    name: "ResourceNotFoundException",
  });
  await assert.rejects(() => withRetry("x", () => (calls++, Promise.reject(missing)), r), {
    name: "ResourceNotFoundException",
  });
  assert.equal(calls, 1);
});

Deno.test("withRetry() turns a credentials error into a clear message", async () => {
  const err = Object.assign(new Error("Could not load credentials from any providers"), {
    name: "CredentialsProviderError",
  });
  await assert.rejects(() => withRetry('read log group "g"', () => Promise.reject(err)), {
    name: "Error",
    message: 'Cannot read log group "g": no AWS credentials (Could not load credentials from ' +
      "any providers); set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY",
  });
});

Deno.test("createLogsClient() fails fast without credentials", () => {
  const t0 = performance.now();
  assert.throws(() => createLogsClient({ env: {} }), (err: Error) => {
    assert.match(err.message, /^Cannot use AWS: no AWS credentials/);
    assert.match(err.message, /no AWS region/);
    return true;
  });
  assert.ok(performance.now() - t0 < 500);
  const client = createLogsClient({
    env: { AWS_ACCESS_KEY_ID: "AKIDTEST", AWS_SECRET_ACCESS_KEY: "x", AWS_REGION: "eu-west-1" },
  });
  client.destroy();
});

function row(ts: string, message: string, ptr: string) {
  return [
    { field: "@timestamp", value: ts },
    { field: "@message", value: message },
    { field: "@logStream", value: "2024/05/01/[$LATEST]abc" },
    { field: "@ptr", value: ptr },
  ];
}

Deno.test("queryInsights() polls until Complete and reads the rows", async () => {
  const { client, mock } = mocked();
  mock.on(StartQueryCommand).resolves({ queryId: "q-1" });
  mock.on(GetQueryResultsCommand)
    .resolvesOnce({ status: "Scheduled" })
    .resolvesOnce({ status: "Running", results: [] })
    .resolvesOnce({
      status: "Complete",
      results: [row("2024-05-01 10:00:00.180", `START RequestId: ${ID} Version: $LATEST`, "p1")],
    });
  const r = recorder();
  const out = await queryInsights({
    client,
    logGroupNames: ["/aws/lambda/a"],
    startTime: 1_714_557_600_500,
    endTime: 1_714_557_601_200,
    pollIntervalMs: 10,
    retry: r,
  });
  assert.deepEqual(r.delays, [10, 10]);
  assert.deepEqual(out.events, [{
    message: `START RequestId: ${ID} Version: $LATEST`,
    timestamp: Date.UTC(2024, 4, 1, 10, 0, 0, 180),
    logStreamName: "2024/05/01/[$LATEST]abc",
  }]);
  assert.equal(out.saturated, false);
  const start = mock.commandCalls(StartQueryCommand)[0]?.args[0].input;
  assert.equal(start?.startTime, 1_714_557_600);
  assert.equal(start?.endTime, 1_714_557_602);
  assert.deepEqual(start?.logGroupNames, ["/aws/lambda/a"]);
  assert.deepEqual(mock.commandCalls(GetQueryResultsCommand)[0]?.args[0].input, { queryId: "q-1" });
});

Deno.test("queryInsights() fails clearly when the query fails", async () => {
  const { client, mock } = mocked();
  mock.on(StartQueryCommand).resolves({ queryId: "q-2" });
  mock.on(GetQueryResultsCommand).resolves({ status: "Failed" });
  await assert.rejects(
    () =>
      queryInsights({
        client,
        logGroupNames: ["g"],
        startTime: 0,
        endTime: 1000,
        retry: recorder(),
      }),
    { message: "Cannot query g with Logs Insights: query q-2 ended with status Failed" },
  );
});

Deno.test("collectInsights() splits a saturated window and dedupes by @ptr", async () => {
  const { client, mock } = mocked();
  let n = 0;
  mock.on(StartQueryCommand).callsFake(() => Promise.resolve({ queryId: `q${++n}` }));
  mock.on(GetQueryResultsCommand, { queryId: "q1" }).resolves({
    status: "Complete",
    results: [row("2024-05-01 10:00:00.000", "a", "p1"), row("2024-05-01 10:00:01.000", "b", "p2")],
  });
  mock.on(GetQueryResultsCommand, { queryId: "q2" }).resolves({
    status: "Complete",
    results: [row("2024-05-01 10:00:00.000", "a", "p1")],
  });
  mock.on(GetQueryResultsCommand, { queryId: "q3" }).resolves({
    status: "Complete",
    results: [row("2024-05-01 10:00:09.000", "c", "p3"), row("2024-05-01 10:00:00.000", "a", "p1")],
  });
  const start = Date.UTC(2024, 4, 1, 10);
  // q3 returns 2 rows = the limit; its window is short, so it falls back to FilterLogEvents.
  mock.on(FilterLogEventsCommand).resolves({ events: [{ message: "c", timestamp: start + 9000 }] });
  const out = await collectInsights({
    client,
    logGroupNames: ["g"],
    startTime: start,
    endTime: start + 1800,
    limit: 2,
    retry: recorder(),
  });
  assert.equal(out.queries, 3);
  assert.deepEqual(out.events.map((e) => e.message), ["a", "c"]);
  assert.equal(mock.commandCalls(FilterLogEventsCommand).length, 1);
});

Deno.test("parseLogEvents() reads text and JSON messages in time order", () => {
  const json = JSON.stringify({
    time: "2024-05-01T10:00:00.010Z",
    type: "platform.runtimeDone",
    record: { requestId: ID, status: "success", metrics: { durationMs: 4.1, producedBytes: 5 } },
  });
  const { records, stats } = parseLogEvents([
    { message: REPORT, timestamp: 30, logStreamName: null },
    { message: `START RequestId: ${ID} Version: $LATEST\n`, timestamp: 10, logStreamName: null },
    { message: json, timestamp: 20, logStreamName: null },
  ]);
  assert.deepEqual(records.map((r) => r.kind), ["start", "runtimeDone", "report"]);
  const report = records[2];
  assert.ok(report?.kind === "report");
  assert.equal(report.traceId, "1-66321a11-0a1b");
  assert.equal(report.time, 30);
  assert.equal(stats.rejected, 0);
});

Deno.test("collectLogEvents() feeds a captured export through parse and join", async () => {
  const { client, mock } = mocked();
  const url = new URL("../parse/testdata/filter-log-events.json", import.meta.url);
  const captured = JSON.parse(await Deno.readTextFile(url)) as {
    events: Array<{ message?: string; timestamp: number; logStreamName: string }>;
  };
  const withMessage = captured.events.filter((e) => typeof e.message === "string");
  mock.on(FilterLogEventsCommand)
    .resolvesOnce({ events: withMessage.slice(0, 5), nextToken: "a" })
    .resolvesOnce({ events: [], nextToken: "b" })
    .resolvesOnce({ events: withMessage.slice(5) });
  const { events } = await collectLogEvents({
    client,
    logGroupName: "g",
    startTime: 0,
    endTime: 1,
  });
  const { records, stats } = parseLogEvents(events);
  const { rows } = joinInvocations({
    records,
    meta: { run_id: "r", backend: "aws", variant: "node", arch: "arm64", memory_mb: 512 },
  });
  assert.equal(stats.rejected, 1); // the cut-off REPORT in the capture
  assert.deepEqual(rows.map((r) => [r.request_id, r.cold, r.duration_ms, r.billed_ms]), [
    ["0a7c9e1f-3b5d-4f7a-9c1e-3f5a7c9e1b3d", true, 31.62, 152],
    ["2b4d6f8a-0c2e-4a6c-8e0a-2c4e6a8c0e2a", false, 2.95, 3],
  ]);
  assert.deepEqual(rows[0]?.timestamp, new Date(1714644000120));
});

Deno.test("queryInsights() retries StartQuery while too many queries run", async () => {
  const { client, mock } = mocked();
  const limit = Object.assign(new Error("Too many concurrent queries"), {
    name: "LimitExceededException",
  });
  mock.on(StartQueryCommand).rejectsOnce(limit).resolves({ queryId: "q" });
  mock.on(GetQueryResultsCommand).resolves({ status: "Complete", results: [] });
  const r = recorder();
  const out = await queryInsights({
    client,
    logGroupNames: ["g"],
    startTime: 0,
    endTime: 1,
    retry: r,
  });
  assert.deepEqual(out.events, []);
  assert.equal(r.delays.length, 1);
});
