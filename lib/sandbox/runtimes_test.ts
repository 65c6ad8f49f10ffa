import assert from "node:assert/strict";
import { runtimeCommand, runtimeEnv, runtimeVersion, sharedEnv } from "./runtimes.ts";

Deno.test("runtimeCommand() starts node's client, the given LLRT binary or the bootstrap", () => {
  const node = runtimeCommand({ runtime: "node", codeDir: "/fn" });
  assert.equal(node.command, "node");
  assert.match(node.args[0]!, /runtimes\/node_bootstrap\.mjs$/);
  assert.deepEqual(runtimeCommand({ runtime: "llrt", codeDir: "/fn", llrtBin: "/x/llrt" }), {
    command: "/x/llrt",
    args: [],
  });
  assert.deepEqual(runtimeCommand({ runtime: "provided", codeDir: "/fn" }), {
    command: "/fn/bootstrap",
    args: [],
  });
});

Deno.test("runtimeCommand() needs llrtBin for llrt", () => {
  assert.throws(
    () => runtimeCommand({ runtime: "llrt", codeDir: "/fn" }),
    (e) => e instanceof TypeError && e.message.includes("llrtBin"),
  );
});

Deno.test("runtimeVersion() names the runtime", () => {
  assert.deepEqual(runtimeVersion("node"), {
    version: "nodejs:20.sandbox",
    arn: "arn:aws:lambda:us-east-1::runtime:sandbox-node",
  });
  assert.equal(runtimeVersion("llrt").version, "provided:al2023.sandbox-llrt");
});

Deno.test("sharedEnv() has Lambda's variables, the opt bin folder first, the caller's last", () => {
  const env = sharedEnv({
    apiAddress: "127.0.0.1:9001",
    functionName: "fn",
    memoryMb: 256,
    optDir: "/opt",
    env: { AWS_REGION: "eu-west-1", EXTRA: "1", TZ: "Europe/Paris" },
  });
  assert.equal(env.AWS_LAMBDA_RUNTIME_API, "127.0.0.1:9001");
  assert.equal(env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE, "256");
  assert.equal(env.AWS_LAMBDA_LOG_GROUP_NAME, "/aws/lambda/fn");
  assert.match(env.AWS_LAMBDA_LOG_STREAM_NAME!, /^\d{4}\/\d\d\/\d\d\/\[\$LATEST\][0-9a-f]{32}$/);
  assert.equal(env.AWS_DEFAULT_REGION, "eu-west-1");
  assert.equal(env.EXTRA, "1");
  assert.equal(env.TZ, "Europe/Paris");
  assert.match(env.PATH!, /^\/opt\/bin:/);
  assert.equal(env._HANDLER, undefined, "extensions get no _HANDLER");
});

Deno.test("runtimeEnv() adds the handler and task root; node also its execution env", () => {
  assert.deepEqual(runtimeEnv({ runtime: "provided", handler: "h", codeDir: "/fn" }), {
    _HANDLER: "h",
    LAMBDA_TASK_ROOT: "/fn",
    LAMBDA_RUNTIME_DIR: "/fn",
  });
  const node = runtimeEnv({ runtime: "node", handler: "h", codeDir: "/fn", optDir: "/opt" });
  assert.equal(node.AWS_EXECUTION_ENV, "AWS_Lambda_nodejs20.x");
  assert.equal(node.NODE_PATH, "/opt/nodejs/node_modules");
});

Deno.test("runtimeCommand() starts Python as the managed runtime does: python -m awslambdaric", () => {
  const py = runtimeCommand({ runtime: "python", codeDir: "/fn", handler: "handler.handler" });
  assert.match(py.command, /python3$/);
  assert.deepEqual(py.args, ["-m", "awslambdaric", "handler.handler"]);
  const chosen = runtimeCommand({
    runtime: "python",
    codeDir: "/fn",
    handler: "h.h",
    env: { PYTHON_BIN: "/usr/bin/python3.12" },
  });
  assert.equal(chosen.command, "/usr/bin/python3.12");
  assert.equal(runtimeVersion("python").version, "python:3.sandbox");
});

Deno.test("runtimeEnv() puts the code, the layers' python/ and the runtime's packages on PYTHONPATH", () => {
  const env = runtimeEnv({
    runtime: "python",
    handler: "handler.handler",
    codeDir: "/fn",
    optDir: "/opt",
    env: { PYTHONPATH: "/ric:/boto3" },
  });
  assert.equal(env.PYTHONPATH, "/fn:/opt/python:/ric:/boto3");
  assert.equal(env.AWS_EXECUTION_ENV, "AWS_Lambda_python3.12");
  assert.equal(env._HANDLER, "handler.handler");
});
