import assert from "node:assert/strict";
import { mockClient } from "aws-sdk-client-mock";
import {
  CloudWatchLogsClient,
  FilterLogEventsCommand,
  GetQueryResultsCommand,
  StartQueryCommand,
} from "@aws-sdk/client-cloudwatch-logs";
import { cloudWatchFetcher } from "./aws_logs.ts";

const report = (id: string) =>
  JSON.stringify({
    time: "2026-11-23T01:00:00.000Z",
    type: "platform.report",
    record: { requestId: id, metrics: { durationMs: 1, billedDurationMs: 1 } },
  });

function client() {
  return new CloudWatchLogsClient({
    region: "us-east-1",
    credentials: { accessKeyId: "x", secretAccessKey: "y" },
  });
}

Deno.test("cloudWatchFetcher() pages FilterLogEvents (empty pages too) for a cell's window", async () => {
  const logs = mockClient(CloudWatchLogsClient);
  logs.on(FilterLogEventsCommand)
    .resolvesOnce({ events: [{ message: report("a"), timestamp: 1 }], nextToken: "t1" })
    .resolvesOnce({ events: [], nextToken: "t2" })
    .resolvesOnce({ events: [{ message: report("b"), timestamp: 2 }] });
  try {
    const fetch = cloudWatchFetcher(client());
    const got = await fetch({ logGroup: "/aws/lambda/f", startTime: 0, endTime: 60_000 });
    assert.deepEqual(got, [report("a"), report("b")]);
    const calls = logs.commandCalls(FilterLogEventsCommand);
    assert.equal(calls.length, 3);
    assert.equal(calls[0]!.args[0].input.filterPattern, '{ $.type = "platform.*" }');
    assert.equal(calls[2]!.args[0].input.nextToken, "t2");
    assert.equal(logs.commandCalls(StartQueryCommand).length, 0);
  } finally {
    logs.restore();
  }
});

Deno.test("cloudWatchFetcher() uses Logs Insights for a large window", async () => {
  const logs = mockClient(CloudWatchLogsClient);
  logs.on(StartQueryCommand).resolves({ queryId: "q1" });
  logs.on(GetQueryResultsCommand).resolves({
    status: "Complete",
    results: [[
      { field: "@message", value: report("c") },
      { field: "@timestamp", value: "2026-11-23 01:00:00.000" },
      { field: "@ptr", value: "p1" },
    ]],
  });
  try {
    const fetch = cloudWatchFetcher(client(), { insightsWindowMs: 1000 });
    const got = await fetch({ logGroup: "/aws/lambda/f", startTime: 0, endTime: 10_000 });
    assert.deepEqual(got, [report("c")]);
    assert.equal(logs.commandCalls(FilterLogEventsCommand).length, 0);
    assert.deepEqual(logs.commandCalls(StartQueryCommand)[0]!.args[0].input.logGroupNames, [
      "/aws/lambda/f",
    ]);
  } finally {
    logs.restore();
  }
});
