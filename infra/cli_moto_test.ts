/**
 * `deno task deploy` and `deno task destroy` against moto's server mode (PyPI `moto[server]`,
 * Apache-2.0), installed into the project's venv and started on loopback by this test: the CDK
 * CLI bootstraps the environment, publishes the assets and creates the stack through
 * CloudFormation, the stack's resources are there as the template says, and destroy leaves none
 * of them (log groups included). Where moto does not do what AWS does, the test says so in
 * {@link MOTO_GAPS} and checks the rest.
 *
 * Skipped, with the reason, where moto cannot be installed.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  CloudFormationClient,
  DescribeStackResourcesCommand,
  DescribeStacksCommand,
  ListStacksCommand,
} from "@aws-sdk/client-cloudformation";
import { LambdaClient, ListFunctionsCommand, ListLayersCommand } from "@aws-sdk/client-lambda";
import { CloudWatchLogsClient, DescribeLogGroupsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { ListQueuesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { readStackOutputs } from "../lib/aws/outputs.ts";
import { cdkInvocations, parseCli } from "./cli.ts";
import { CACHE_DIR } from "../lib/paths.ts";

/** The moto release the test installs. */
export const MOTO_VERSION = "5.2.5";
const VENV = join(CACHE_DIR, "venv");
const MOTO_SERVER = join(VENV, "bin", "moto_server");
const CLI = fileURLToPath(new URL("./cli.ts", import.meta.url));
const FIXTURE = fileURLToPath(new URL("./testdata/build-fixture", import.meta.url));
const STACK = "MotoBattle";
const REGION = "us-east-1";

/**
 * What moto (5.2.5, server mode) does not do as AWS does, for what this app uses. The test
 * checks everything else; these are listed so a reader knows what a moto run does not prove.
 */
export const MOTO_GAPS: readonly string[] = [
  "deleting the stack leaves its AWS::Lambda::LayerVersion",
  "AWS::Lambda::LayerVersion's LayerName is not kept by moto's CloudFormation",
  "AWS::Lambda::Function's Layers and LoggingConfig are not applied by moto's CloudFormation",
  "ExecuteChangeSet (cdk deploy's default method) publishes no stack Outputs, so the outputs " +
  "file would be empty: the test deploys with --deploy-method direct (CreateStack), whose " +
  "Outputs moto publishes",
  "Lambda functions are created but not run (moto runs them only in Docker): deploy is " +
  "checked, invocation is deno task serve's part",
  "IAM policies are stored, not enforced: least privilege is checked by the synth tests",
];

const GAP_LAYER_NAME = "AWS::Lambda::LayerVersion's LayerName is not kept by moto's " +
  "CloudFormation (it makes up a name from the logical id)";

const GAP_LAYER_DELETE = "deleting the stack leaves its AWS::Lambda::LayerVersion (moto's " +
  "CloudFormation does not delete layer versions; AWS does, DeletionPolicy Delete)";

const GAP_FUNCTION_PROPS = "AWS::Lambda::Function's Layers and LoggingConfig are not applied by " +
  "moto's CloudFormation (the function shows Layers [] and no LoggingConfig): the layer " +
  "version itself is checked, and the synth tests check both properties";

async function venvPython(): Promise<string | null> {
  const py = join(VENV, "bin", "python3");
  if (await Deno.stat(py).catch(() => null)) return py;
  const made = await new Deno.Command("python3", { args: ["-m", "venv", VENV] }).output()
    .catch(() => null);
  return made?.success ? py : null;
}

/** Installs moto into the venv when missing; returns why it cannot, or null. */
async function ensureMoto(): Promise<string | null> {
  const version = await new Deno.Command(join(VENV, "bin", "python3"), {
    args: ["-c", "import moto; print(moto.__version__)"],
    stdout: "piped",
    stderr: "null",
  }).output().catch(() => null);
  if (version?.success && new TextDecoder().decode(version.stdout).trim() === MOTO_VERSION) {
    return null;
  }
  const py = await venvPython();
  if (py === null) return "no Python venv can be made (python3 -m venv failed)";
  const pip = await new Deno.Command(py, {
    args: ["-m", "pip", "install", "--quiet", `moto[server]==${MOTO_VERSION}`],
    stdout: "null",
    stderr: "piped",
  }).output().catch(() => null);
  if (!pip?.success) {
    const why = pip ? new TextDecoder().decode(pip.stderr).trim().split("\n").at(-1) : "no pip";
    return `moto[server]==${MOTO_VERSION} cannot be installed: ${why}`;
  }
  return null;
}

Deno.test("deploy --deploy-method direct deploys with CreateStack, change sets by default", () => {
  const direct = cdkInvocations(parseCli(["deploy", "--deploy-method", "direct"]), { deno: "d" });
  const deploy = direct.at(-1)!;
  assert.deepEqual(deploy.slice(deploy.indexOf("--method"), deploy.indexOf("--method") + 2), [
    "--method",
    "direct",
  ]);
  const byDefault = cdkInvocations(parseCli(["deploy"]), { deno: "d" }).at(-1)!;
  assert.ok(!byDefault.includes("--method"));
  assert.throws(() => parseCli(["deploy", "--deploy-method", "fast"]), {
    name: "RangeError",
    message: 'Invalid --deploy-method "fast": expected change-set or direct',
  });
});

const skip = await ensureMoto();

async function freePort(): Promise<number> {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return await Promise.resolve(port);
}

async function startMoto(): Promise<{ endpoint: string; stop(): Promise<void> }> {
  const port = await freePort();
  const child = new Deno.Command(MOTO_SERVER, {
    args: ["-H", "127.0.0.1", "-p", String(port)],
    stdout: "null",
    stderr: "null",
  }).spawn();
  // "localhost", not 127.0.0.1: moto reads the bucket of a TemplateURL from its path only when
  // the URL names localhost (the CDK CLI builds the URL from the endpoint).
  const endpoint = `http://localhost:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const res = await fetch(`${endpoint}/moto-api/`);
      await res.body?.cancel();
      break;
    } catch {
      if (Date.now() > deadline) {
        child.kill("SIGKILL");
        await child.status;
        throw new Error(`moto_server did not answer on ${endpoint} within 30 s`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return {
    endpoint,
    async stop() {
      child.kill("SIGTERM");
      await child.status;
    },
  };
}

async function cli(args: string[], env: Record<string, string>) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI, ...args],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const d = new TextDecoder();
  return { code: out.code, stdout: d.decode(out.stdout), stderr: d.decode(out.stderr) };
}

Deno.test({
  name: `deploy and destroy against moto's server mode${skip ? ` (skipped: ${skip})` : ""}`,
  ignore: skip !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const moto = await startMoto();
    const home = await Deno.makeTempDir({ prefix: "moto-home-" });
    const outputsFile = join(home, "outputs.json");
    const cdkOut = join(home, "cdk.out");
    const env = {
      AWS_ENDPOINT_URL: moto.endpoint,
      AWS_ACCESS_KEY_ID: "testing",
      AWS_SECRET_ACCESS_KEY: "testing",
      AWS_REGION: REGION,
      HOME: home,
      DENO_DIR: Deno.env.get("DENO_DIR") ?? join(Deno.env.get("HOME") ?? "/root", ".cache", "deno"),
      BATTLE_OUTPUTS_FILE: outputsFile,
    };
    const config = {
      region: REGION,
      endpoint: moto.endpoint,
      credentials: { accessKeyId: "testing", secretAccessKey: "testing" },
    };
    const cfn = new CloudFormationClient(config);
    const lambda = new LambdaClient(config);
    const logs = new CloudWatchLogsClient(config);
    const sqs = new SQSClient(config);
    const seen: string[] = [];
    const flags = [
      "--region",
      REGION,
      "--stack-name",
      STACK,
      "--memory",
      "128",
      "--arch",
      "x86_64",
      "--variants",
      "none,rust",
      "--build-dir",
      FIXTURE,
      "--output",
      cdkOut,
    ];
    try {
      const deploy = await cli(["deploy", ...flags, "--deploy-method", "direct"], env);
      assert.equal(deploy.code, 0, `deploy failed:\n${deploy.stderr.slice(-4000)}`);
      assert.match(deploy.stdout, new RegExp(`stack outputs written to ${outputsFile}`));

      // Bootstrap: the CDK toolkit stack is there.
      const toolkit = await cfn.send(new DescribeStacksCommand({ StackName: "CDKToolkit" }));
      assert.match(toolkit.Stacks?.[0]?.StackStatus ?? "", /_COMPLETE$/);

      // The stack's resources are the template's.
      const template = JSON.parse(
        await Deno.readTextFile(join(cdkOut, `${STACK}.template.json`)),
      ) as { Resources: Record<string, { Type: string }> };
      const wanted = Object.entries(template.Resources)
        .filter(([, r]) => r.Type !== "AWS::CDK::Metadata")
        .map(([id, r]) => `${id} ${r.Type}`).sort();
      const made = await cfn.send(new DescribeStackResourcesCommand({ StackName: STACK }));
      const have = (made.StackResources ?? [])
        .map((r) => `${r.LogicalResourceId} ${r.ResourceType}`).sort();
      assert.deepEqual(have, wanted);
      for (const r of made.StackResources ?? []) {
        assert.equal(r.ResourceStatus, "CREATE_COMPLETE", `${r.LogicalResourceId}`);
      }

      const outputs = await readStackOutputs({ file: outputsFile });
      assert.deepEqual(outputs.functions.map((f) => f.functionName), [
        `${STACK}-none-x86_64-128`,
        `${STACK}-rust-x86_64-128`,
      ]);
      const fns = await lambda.send(new ListFunctionsCommand({}));
      const ours = (fns.Functions ?? []).filter((f) => f.FunctionName?.startsWith(`${STACK}-`));
      assert.deepEqual(
        ours.map((f) => f.FunctionName).sort(),
        outputs.functions.map((f) => f.functionName),
      );
      for (const f of ours) {
        assert.equal(f.MemorySize, 128);
        assert.deepEqual(f.Architectures, ["x86_64"]);
        assert.equal(f.Environment?.Variables?.BATTLE_QUEUE_URL, outputs.queueUrl);
      }
      const rust = ours.find((f) => f.FunctionName === `${STACK}-rust-x86_64-128`);
      const layers = await lambda.send(new ListLayersCommand({}));
      const ourLayers = (layers.Layers ?? []).map((l) => l.LayerName ?? "")
        .filter((n) => n.startsWith(`${STACK}-`));
      assert.equal(ourLayers.length, 1, "the Rust extension's layer version is published");
      if (ourLayers[0] !== `${STACK}-rust-x86_64`) seen.push(GAP_LAYER_NAME);
      // moto keeps neither the function's Layers nor its LoggingConfig (MOTO_GAPS): where it
      // does, they must be the template's.
      if ((rust?.Layers ?? []).length > 0) assert.equal(rust?.Layers?.length, 1);
      else seen.push(GAP_FUNCTION_PROPS);
      if (rust?.LoggingConfig) assert.equal(rust.LoggingConfig.LogFormat, "JSON");
      else seen.push(GAP_FUNCTION_PROPS);
      const groups = await logs.send(
        new DescribeLogGroupsCommand({ logGroupNamePrefix: `/aws/lambda/${STACK}-` }),
      );
      assert.deepEqual(
        groups.logGroups?.map((g) => [g.logGroupName, g.retentionInDays]).sort(),
        outputs.functions.map((f) => [f.logGroupName, 14]),
      );
      const queues = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: STACK }));
      assert.equal(queues.QueueUrls?.length, 2, "the queue and its dead-letter queue");

      const destroy = await cli(["destroy", ...flags], env);
      assert.equal(destroy.code, 0, `destroy failed:\n${destroy.stderr.slice(-4000)}`);
      const stacks = await cfn.send(new ListStacksCommand({}));
      const left = (stacks.StackSummaries ?? []).filter((s) =>
        s.StackName === STACK && s.StackStatus !== "DELETE_COMPLETE"
      );
      assert.deepEqual(left, [], "the stack is gone");
      const fnsAfter = await lambda.send(new ListFunctionsCommand({}));
      assert.deepEqual(
        (fnsAfter.Functions ?? []).filter((f) => f.FunctionName?.startsWith(`${STACK}-`)),
        [],
      );
      const layersAfter = await lambda.send(new ListLayersCommand({}));
      const layersLeft = (layersAfter.Layers ?? []).filter((l) =>
        l.LayerName?.startsWith(`${STACK}-`)
      );
      if (layersLeft.length > 0) seen.push(GAP_LAYER_DELETE);
      const groupsAfter = await logs.send(
        new DescribeLogGroupsCommand({ logGroupNamePrefix: `/aws/lambda/${STACK}-` }),
      );
      assert.deepEqual(groupsAfter.logGroups, [], "log groups are removed with the stack");
      const queuesAfter = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: STACK }));
      assert.deepEqual(queuesAfter.QueueUrls ?? [], []);
      assert.equal(await Deno.stat(outputsFile).catch(() => null), null, "outputs file removed");
      for (const gap of new Set(seen)) console.log(`moto gap: ${gap}`);
    } finally {
      for (const c of [cfn, lambda, logs, sqs]) c.destroy();
      await moto.stop();
      await Deno.remove(home, { recursive: true });
    }
  },
});
