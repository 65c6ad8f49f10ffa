import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import {
  GetFunctionCommand,
  GetFunctionConfigurationCommand,
  GetFunctionUrlConfigCommand,
  InvokeCommand,
  LambdaClient,
  ListFunctionsCommand,
  UpdateFunctionConfigurationCommand,
  waitUntilFunctionUpdatedV2,
} from "@aws-sdk/client-lambda";
import {
  CloudWatchLogsClient,
  DescribeLogGroupsCommand,
  DescribeLogStreamsCommand,
  FilterLogEventsCommand,
} from "@aws-sdk/client-cloudwatch-logs";
import { collectInsights, collectLogEvents, parseLogEvents } from "../aws/collect.ts";
import { tailShowsInit } from "../bench/aws.ts";
import { type FunctionSpec, startServer } from "./mod.ts";

const NODE_FN = fileURLToPath(new URL("../sandbox/testdata/node_fn", import.meta.url));
const SHELL_FN = fileURLToPath(new URL("../sandbox/testdata/shell_fn", import.meta.url));
const encoder = new TextEncoder();
const decoder = new TextDecoder();

const functions: FunctionSpec[] = [
  {
    name: "node-json",
    codeDir: NODE_FN,
    runtime: "node",
    handler: "index.handler",
    memoryMb: 128,
    timeoutS: 3,
    arch: "x86_64",
    environment: { GREETING: "hi" },
    // Code loading from a cold page cache is the sandbox's business, not this test's.
    sandbox: { codeLoading: "cached" },
  },
  {
    name: "shell-text",
    codeDir: SHELL_FN,
    runtime: "provided",
    handler: "none",
    memoryMb: 128,
    timeoutS: 3,
    arch: "x86_64",
    environment: {},
    logFormat: "Text",
    sandbox: { codeLoading: "cached" },
  },
];

async function withServer(
  options: { maxEnvironments?: number; minUpdateMs?: number },
  body: (
    s: { endpoint: string; lambda: LambdaClient; logs: CloudWatchLogsClient },
  ) => Promise<void>,
): Promise<void> {
  const logsDir = await Deno.makeTempDir({ prefix: "serve-test-" });
  const server = await startServer({ functions, logsDir, ...options });
  const config = {
    region: "us-east-1",
    endpoint: server.endpoint,
    credentials: { accessKeyId: "any", secretAccessKey: "any" },
    maxAttempts: 1,
  };
  const lambda = new LambdaClient(config);
  const logs = new CloudWatchLogsClient(config);
  try {
    await body({ endpoint: server.endpoint, lambda, logs });
  } finally {
    lambda.destroy();
    logs.destroy();
    await server.close();
    await Deno.remove(logsDir, { recursive: true });
  }
}

const invoke = (lambda: LambdaClient, name: string, event: unknown, tail = true) =>
  lambda.send(
    new InvokeCommand({
      FunctionName: name,
      Payload: encoder.encode(JSON.stringify(event)),
      ...(tail ? { LogType: "Tail" as const } : {}),
    }),
  );

const tailOf = (logResult: string | undefined) =>
  decoder.decode(
    Uint8Array.from(atob(logResult ?? ""), (c) => c.charCodeAt(0)),
  );

Deno.test("serve: Invoke through the SDK answers with the payload, Tail log and headers", async () => {
  await withServer({}, async ({ lambda }) => {
    const cold = await invoke(lambda, "node-json", { n: 1 });
    assert.equal(cold.StatusCode, 200);
    assert.equal(cold.ExecutedVersion, "$LATEST");
    assert.equal(cold.FunctionError, undefined);
    const body = JSON.parse(decoder.decode(cold.Payload));
    assert.deepEqual(body.echo, { n: 1 });
    assert.equal(body.requestId, cold.$metadata.requestId);
    const coldTail = tailOf(cold.LogResult);
    assert.ok(tailShowsInit(coldTail), coldTail);
    assert.match(coldTail, /"type":"platform.report"/);
    const warm = await invoke(lambda, "node-json", { n: 2 });
    assert.ok(!tailShowsInit(tailOf(warm.LogResult)), "a warm tail shows no Init");
    assert.ok(tailOf(warm.LogResult).includes(warm.$metadata.requestId!));

    const failed = await invoke(lambda, "node-json", { fail: "boom" }, false);
    assert.equal(failed.FunctionError, "Unhandled");
    assert.equal(JSON.parse(decoder.decode(failed.Payload)).errorMessage, "boom");

    const text = await invoke(lambda, "shell-text", "plain");
    assert.equal(decoder.decode(text.Payload), '"plain"');
    assert.match(tailOf(text.LogResult), /REPORT RequestId: \S+\tDuration: .*Init Duration: /);

    const event = await lambda.send(
      new InvokeCommand({
        FunctionName: "node-json",
        InvocationType: "Event",
        Payload: encoder.encode("{}"),
      }),
    );
    assert.equal(event.StatusCode, 202);
    const dry = await lambda.send(
      new InvokeCommand({ FunctionName: "node-json", InvocationType: "DryRun" }),
    );
    assert.equal(dry.StatusCode, 204);
    await assert.rejects(invoke(lambda, "missing", {}), {
      name: "ResourceNotFoundException",
      message: "Function not found: arn:aws:lambda:us-east-1:000000000000:function:missing",
    });
  });
});

Deno.test("serve: UpdateFunctionConfiguration goes InProgress then Successful and retires environments", async () => {
  await withServer({ minUpdateMs: 300 }, async ({ lambda }) => {
    await invoke(lambda, "node-json", {});
    const before = await lambda.send(
      new GetFunctionConfigurationCommand({ FunctionName: "node-json" }),
    );
    assert.equal(before.LastUpdateStatus, "Successful");
    assert.deepEqual(before.Environment?.Variables, { GREETING: "hi" });
    const updated = await lambda.send(
      new UpdateFunctionConfigurationCommand({
        FunctionName: "node-json",
        MemorySize: 256,
        Environment: { Variables: { GREETING: "hi", NONCE: "1" } },
      }),
    );
    assert.equal(updated.LastUpdateStatus, "InProgress");
    assert.notEqual(updated.RevisionId, before.RevisionId);
    await assert.rejects(
      lambda.send(
        new UpdateFunctionConfigurationCommand({ FunctionName: "node-json", Timeout: 5 }),
      ),
      { name: "ResourceConflictException" },
    );
    const waited = await waitUntilFunctionUpdatedV2(
      { client: lambda, maxWaitTime: 30, minDelay: 1, maxDelay: 2 },
      { FunctionName: "node-json" },
    );
    assert.equal(waited.state, "SUCCESS");
    const after = await invoke(lambda, "node-json", {});
    const tail = tailOf(after.LogResult);
    assert.ok(tailShowsInit(tail), "the next invocation is cold");
    assert.match(tail, /"memorySizeMB":256/);
    assert.equal(JSON.parse(decoder.decode(after.Payload)).memoryLimitInMB, "256");
    await assert.rejects(
      lambda.send(
        new UpdateFunctionConfigurationCommand({ FunctionName: "node-json", MemorySize: 64 }),
      ),
      { name: "InvalidParameterValueException" },
    );
    const fn = await lambda.send(new GetFunctionCommand({ FunctionName: "node-json" }));
    assert.equal(fn.Configuration?.MemorySize, 256);
    assert.equal(fn.Configuration?.LoggingConfig?.LogFormat, "JSON");
    const list = await lambda.send(new ListFunctionsCommand({}));
    assert.deepEqual(list.Functions?.map((f) => f.FunctionName), ["node-json", "shell-text"]);
  });
});

Deno.test("serve: concurrent invocations scale out, free environments are reused, the bound throttles", async () => {
  await withServer({ maxEnvironments: 2 }, async ({ endpoint, lambda }) => {
    const slow = () => invoke(lambda, "node-json", { sleepMs: 400 }, false);
    const first = slow();
    const second = slow();
    await new Promise((r) => setTimeout(r, 150));
    await assert.rejects(slow(), { name: "TooManyRequestsException" });
    await Promise.all([first, second]);
    // A client that invokes again the moment it has its response is served warm.
    for (let i = 0; i < 20; i++) await invoke(lambda, "node-json", {}, false);
    const stats = await (await fetch(`${endpoint}/_serve/stats`)).json();
    assert.deepEqual(
      [stats["node-json"].created, stats["node-json"].throttles, stats["node-json"].reused],
      [2, 1, 20],
    );
  });
});

Deno.test("serve: Function URLs take plain HTTP with payload format 2.0", async () => {
  await withServer({}, async ({ endpoint, lambda }) => {
    const { FunctionUrl } = await lambda.send(
      new GetFunctionUrlConfigCommand({ FunctionName: "shell-text" }),
    );
    assert.equal(FunctionUrl, `${endpoint}/lambda-url/shell-text/`);
    const res = await fetch(`${FunctionUrl}orders/7?a=1&a=2`, {
      method: "POST",
      headers: { "content-type": "application/json", cookie: "c1=x; c2=y" },
      body: '{"q":1}',
    });
    assert.equal(res.status, 200);
    assert.ok(res.headers.get("x-amzn-requestid"));
    // The shell function answers with its event: Lambda's 200 application/json rule.
    const event = await res.json();
    assert.equal(event.version, "2.0");
    assert.equal(event.rawPath, "/orders/7");
    assert.equal(event.rawQueryString, "a=1&a=2");
    assert.deepEqual(event.queryStringParameters, { a: "1,2" });
    assert.deepEqual(event.cookies, ["c1=x", "c2=y"]);
    assert.equal(event.body, '{"q":1}');
    assert.equal(event.requestContext.http.method, "POST");
    assert.equal((await fetch(`${endpoint}/lambda-url/nope/`)).status, 403);
  });
});

Deno.test("serve: CloudWatch Logs reads the sandbox's streams as FilterLogEvents, Insights and DescribeLogGroups", async () => {
  await withServer({}, async ({ lambda, logs }) => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      ids.push((await invoke(lambda, "shell-text", i)).$metadata.requestId!);
    }
    for (let i = 0; i < 2; i++) await invoke(lambda, "node-json", i, false);
    await new Promise((r) => setTimeout(r, 100)); // the last REPORT comes after the response
    const now = Date.now();
    const first = await logs.send(
      new FilterLogEventsCommand({
        logGroupName: "/aws/lambda/shell-text",
        startTime: now - 60_000,
      }),
    );
    assert.equal(first.events?.length, 0, "the first page is empty");
    assert.ok(first.nextToken, "and carries a token");
    const text = await collectLogEvents({
      client: logs,
      logGroupName: "/aws/lambda/shell-text",
      startTime: now - 60_000,
      endTime: now + 1000,
      pageSize: 2,
    });
    assert.ok(text.pages >= 5, `${text.pages} pages`);
    const parsed = parseLogEvents(text.events);
    const reports = parsed.records.filter((r) => r.kind === "report").map((r) => r.requestId);
    assert.deepEqual(reports, ids);
    assert.ok(
      text.events.every((e) => !e.message.includes("shell runtime got")),
      "platform lines only",
    );

    const json = await collectLogEvents({
      client: logs,
      logGroupName: "/aws/lambda/node-json",
      startTime: now - 60_000,
      endTime: now + 1000,
      format: "json",
    });
    assert.ok(json.events.length > 0);
    assert.ok(json.events.every((e) => JSON.parse(e.message).type.startsWith("platform.")));

    const insights = await collectInsights({
      client: logs,
      logGroupNames: ["/aws/lambda/shell-text", "/aws/lambda/node-json"],
      startTime: now - 60_000,
      endTime: now + 1000,
      pollIntervalMs: 10,
    });
    assert.equal(insights.events.length, text.events.length + json.events.length);

    const groups = await logs.send(
      new DescribeLogGroupsCommand({ logGroupNamePrefix: "/aws/lambda/" }),
    );
    assert.deepEqual(groups.logGroups?.map((g) => g.logGroupName), [
      "/aws/lambda/node-json",
      "/aws/lambda/shell-text",
    ]);
    const streams = await logs.send(
      new DescribeLogStreamsCommand({ logGroupName: "/aws/lambda/shell-text" }),
    );
    assert.equal(streams.logStreams?.length, 1);
    assert.match(
      streams.logStreams![0]!.logStreamName!,
      /^\d{4}\/\d\d\/\d\d\/\[\$LATEST\][0-9a-f]{32}$/,
    );
    await assert.rejects(
      logs.send(new FilterLogEventsCommand({ logGroupName: "/aws/lambda/none" })),
      { name: "ResourceNotFoundException", message: "The specified log group does not exist." },
    );
  });
});

Deno.test("serve: requests without SigV4 credentials are refused as AWS refuses them", async () => {
  await withServer({}, async ({ endpoint }) => {
    const lambda = await fetch(`${endpoint}/2015-03-31/functions/node-json/invocations`, {
      method: "POST",
      body: "{}",
    });
    assert.equal(lambda.status, 403);
    assert.equal(lambda.headers.get("x-amzn-errortype"), "MissingAuthenticationTokenException");
    await lambda.body?.cancel();
    const logs = await fetch(endpoint, {
      method: "POST",
      headers: { "x-amz-target": "Logs_20140328.DescribeLogGroups" },
      body: "{}",
    });
    assert.equal(logs.status, 400);
    assert.equal((await logs.json()).__type, "MissingAuthenticationTokenException");
  });
});
