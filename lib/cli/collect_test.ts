import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { invocationRows, readInvocations } from "../store/mod.ts";
import { writeStackOutputs } from "../aws/outputs.ts";
import { startServer } from "../serve/mod.ts";
import { parseCollectArgs } from "./collect.ts";

const CLI = fileURLToPath(new URL("./collect.ts", import.meta.url));
const NODE_FN = fileURLToPath(new URL("../sandbox/testdata/node_fn", import.meta.url));
const SHELL_FN = fileURLToPath(new URL("../sandbox/testdata/shell_fn", import.meta.url));
const DENO_DIR = Deno.env.get("DENO_DIR") ??
  join(Deno.env.get("HOME") ?? "/root", ".cache", "deno");

async function collectCli(args: string[], env: Record<string, string>) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI, ...args],
    clearEnv: true,
    env: { PATH: Deno.env.get("PATH") ?? "", DENO_DIR, NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const d = new TextDecoder();
  return { code: out.code, stdout: d.decode(out.stdout), stderr: d.decode(out.stderr) };
}

Deno.test("parseCollectArgs() reads windows, repeated flags and refuses an empty window", () => {
  const now = Date.UTC(2026, 11, 1, 12);
  const a = parseCollectArgs(["--function", "a,b", "--function", "c", "--since", "2h"], now);
  assert.deepEqual(a.functions, ["a", "b", "c"]);
  assert.equal(a.startTime, now - 2 * 3_600_000);
  assert.equal(a.endTime, now);
  assert.equal(a.stack, false);
  assert.throws(() => parseCollectArgs(["--since", "1h", "--until", "2h"], now), {
    name: "RangeError",
    message: /^Invalid window/,
  });
  assert.throws(() => parseCollectArgs(["--since", "yesterday"], now), {
    name: "RangeError",
    message: /^Invalid --since "yesterday"/,
  });
});

Deno.test("collect without credentials stops at once with one clear line", async () => {
  const home = await Deno.makeTempDir();
  try {
    const t0 = performance.now();
    const r = await collectCli(["--log-group", "/aws/lambda/x"], { HOME: home });
    assert.equal(r.code, 1);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /^collect: Cannot use AWS: no AWS credentials .*; no AWS region/);
    assert.equal(r.stderr.trim().split("\n").length, 1);
    assert.ok(performance.now() - t0 < 15_000);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("collect pulls a deno task serve function's records twice without duplicating them", async () => {
  const root = await Deno.makeTempDir({ prefix: "collect-test-" });
  const server = await startServer({
    functions: [
      {
        name: "S-none-x86_64-128",
        codeDir: NODE_FN,
        runtime: "node",
        handler: "index.handler",
        memoryMb: 128,
        timeoutS: 3,
        arch: "x86_64",
        environment: {},
        sandbox: { codeLoading: "cached" },
      },
      {
        name: "plain",
        codeDir: SHELL_FN,
        runtime: "provided",
        handler: "x",
        memoryMb: 256,
        timeoutS: 3,
        arch: "x86_64",
        environment: {},
        logFormat: "Text",
        sandbox: { codeLoading: "cached" },
      },
    ],
    logsDir: join(root, "logs"),
  });
  const outputs = join(root, "outputs.json");
  await writeStackOutputs(outputs, {
    stackName: "S",
    region: "us-east-1",
    queueUrl: "q",
    deadLetterQueueUrl: "d",
    functions: [{
      functionName: "S-none-x86_64-128",
      variant: "none",
      memoryMb: 128,
      arch: "x86_64",
      logGroupName: "/aws/lambda/S-none-x86_64-128",
    }],
  });
  const env = {
    AWS_ENDPOINT_URL: server.endpoint,
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "local",
    AWS_SECRET_ACCESS_KEY: "local",
    BATTLE_OUTPUTS_FILE: outputs,
    HOME: root,
  };
  const lambda = new LambdaClient({
    region: "us-east-1",
    endpoint: server.endpoint,
    credentials: { accessKeyId: "k", secretAccessKey: "s" },
  });
  const out = join(root, "collected");
  try {
    const ids = new Set<string>();
    const call = async (name: string, n: number) => {
      for (let i = 0; i < n; i++) {
        const r = await lambda.send(
          new InvokeCommand({
            FunctionName: name,
            Payload: new TextEncoder().encode("{}"),
            LogType: "Tail",
          }),
        );
        ids.add(r.$metadata.requestId!);
      }
    };
    await call("S-none-x86_64-128", 3);
    await call("plain", 2);
    const first = await collectCli(
      ["--stack", "--function", "plain", "--since", "10m", "--out", out],
      env,
    );
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stdout.trim(), join(out, "invocations.parquet"));
    assert.match(first.stderr, /collect: 5 new invocations, 0 updated, 5 in /);
    await call("S-none-x86_64-128", 1);
    // An overlapping window: the five already there are merged, the new one added.
    const second = await collectCli(
      ["--stack", "--function", "plain", "--since", "5m", "--out", out],
      env,
    );
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stderr, /collect: 1 new invocations, 5 updated, 6 in /);
    const rows = invocationRows(await readInvocations(join(out, "invocations.parquet")));
    assert.equal(rows.length, 6);
    assert.deepEqual(new Set(rows.map((r) => r.request_id)), ids);
    assert.equal(new Set(rows.map((r) => r.run_id)).size, 1);
    const stackRows = rows.filter((r) => r.variant === "none");
    assert.equal(stackRows.length, 4);
    assert.deepEqual(new Set(stackRows.map((r) => r.memory_mb)), new Set([128]));
    const plainRows = rows.filter((r) => r.variant === null);
    assert.deepEqual(plainRows.map((r) => r.memory_mb), [256, 256]);
    assert.equal(rows.filter((r) => r.cold).length, 2, "one cold start per function");
    const manifest = JSON.parse(await Deno.readTextFile(join(out, "collect.json")));
    assert.equal(manifest.pulls.length, 2);
  } finally {
    lambda.destroy();
    await server.close();
    await Deno.remove(root, { recursive: true });
  }
});
