/**
 * boto3 (the project venv's, installed with moto) against the local endpoint with
 * `AWS_ENDPOINT_URL`: invoke with the Tail log, change the memory and wait with boto3's own
 * waiter, read the logs with its paginator and Insights, and be refused without credentials.
 * Skipped, with the reason, where the venv has no boto3.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { CACHE_DIR } from "../paths.ts";
import { startServer } from "./mod.ts";

const PYTHON = join(CACHE_DIR, "venv", "bin", "python3");
const SHELL_FN = fileURLToPath(new URL("../sandbox/testdata/shell_fn", import.meta.url));
const probe = await new Deno.Command(PYTHON, { args: ["-c", "import boto3"], stderr: "null" })
  .output().catch(() => null);
const skip = probe?.success ? null : `no boto3 in ${PYTHON}`;

const SCRIPT = `
import base64, json, time, boto3
from botocore import UNSIGNED
from botocore.config import Config
out = {}
lam = boto3.client("lambda")
r = lam.invoke(FunctionName="fn", Payload=b'"hello"', LogType="Tail")
out["payload"] = r["Payload"].read().decode()
out["tail"] = base64.b64decode(r["LogResult"]).decode()
out["version"] = r["ExecutedVersion"]
lam.update_function_configuration(FunctionName="fn", MemorySize=512)
lam.get_waiter("function_updated_v2").wait(FunctionName="fn", WaiterConfig={"Delay": 1})
out["memory"] = lam.get_function_configuration(FunctionName="fn")["MemorySize"]
lam.invoke(FunctionName="fn", Payload=b'"again"')
time.sleep(0.2)
logs = boto3.client("logs")
events = []
for page in logs.get_paginator("filter_log_events").paginate(logGroupName="/aws/lambda/fn", filterPattern='?"REPORT RequestId"'):
    events += [e["message"] for e in page["events"]]
out["reports"] = events
q = logs.start_query(logGroupName="/aws/lambda/fn", startTime=int(time.time()) - 600, endTime=int(time.time()) + 60,
                     queryString="fields @message | filter @message like /START RequestId/")["queryId"]
while True:
    res = logs.get_query_results(queryId=q)
    if res["status"] == "Complete":
        break
    time.sleep(0.05)
out["starts"] = len(res["results"])
out["groups"] = [g["logGroupName"] for g in logs.describe_log_groups()["logGroups"]]
try:
    boto3.client("lambda", config=Config(signature_version=UNSIGNED)).invoke(FunctionName="fn")
    out["unsigned"] = "accepted"
except Exception as e:
    out["unsigned"] = e.response["Error"]["Code"]
print(json.dumps(out))
`;

Deno.test({
  name: `boto3 drives the local endpoint${skip ? ` (skipped: ${skip})` : ""}`,
  ignore: skip !== null,
  async fn() {
    const logsDir = await Deno.makeTempDir({ prefix: "serve-boto3-" });
    const server = await startServer({
      functions: [{
        name: "fn",
        codeDir: SHELL_FN,
        runtime: "provided",
        handler: "x",
        memoryMb: 128,
        timeoutS: 3,
        arch: "x86_64",
        environment: {},
        logFormat: "Text",
        sandbox: { codeLoading: "cached" },
      }],
      logsDir,
    });
    try {
      const r = await new Deno.Command(PYTHON, {
        args: ["-c", SCRIPT],
        env: {
          AWS_ENDPOINT_URL: server.endpoint,
          AWS_DEFAULT_REGION: "us-east-1",
          AWS_ACCESS_KEY_ID: "any",
          AWS_SECRET_ACCESS_KEY: "any",
          AWS_CONFIG_FILE: "/dev/null",
          AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
        },
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stderr = new TextDecoder().decode(r.stderr);
      assert.ok(r.success, stderr);
      const out = JSON.parse(new TextDecoder().decode(r.stdout));
      assert.equal(out.payload, '"hello"');
      assert.match(out.tail, /REPORT RequestId: .*Init Duration: /);
      assert.equal(out.version, "$LATEST");
      assert.equal(out.memory, 512);
      assert.equal(out.reports.length, 2);
      assert.match(out.reports[1], /Memory Size: 512 MB/);
      assert.equal(out.starts, 2);
      assert.deepEqual(out.groups, ["/aws/lambda/fn"]);
      assert.equal(out.unsigned, "MissingAuthenticationTokenException");
    } finally {
      await server.close();
      await Deno.remove(logsDir, { recursive: true });
    }
  },
});
