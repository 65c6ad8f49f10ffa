import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { CDK_CLI_VERSION, cdkInvocations, parseCli, preflight } from "./cli.ts";
import { OUTPUTS_FILE } from "../lib/aws/outputs.ts";

const CLI = fileURLToPath(new URL("./cli.ts", import.meta.url));
const FIXTURE = fileURLToPath(new URL("./testdata/build-fixture", import.meta.url));
const DENO_JSON = fileURLToPath(new URL("../deno.json", import.meta.url));

/** Runs the CLI with no AWS_* variables and HOME set to an empty folder. */
async function runCliWithoutAws(
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string; ms: number }> {
  const home = await Deno.makeTempDir({ prefix: "infra-home-" });
  const denoDir = Deno.env.get("DENO_DIR") ??
    join(Deno.env.get("HOME") ?? "/root", ".cache", "deno");
  try {
    const started = performance.now();
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", CLI, ...args],
      clearEnv: true,
      env: { HOME: home, PATH: Deno.env.get("PATH") ?? "", DENO_DIR: denoDir, NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const decode = (b: Uint8Array) => new TextDecoder().decode(b);
    return {
      code: out.code,
      stdout: decode(out.stdout),
      stderr: decode(out.stderr),
      ms: performance.now() - started,
    };
  } finally {
    await Deno.remove(home, { recursive: true });
  }
}

Deno.test("parseCli() turns flags into CDK context", () => {
  const request = parseCli([
    "synth",
    "--memory",
    "128,1024",
    "--arch",
    "arm64",
    "--variants",
    "rust,none",
    "--work-iterations",
    "10",
    "--payload-bytes",
    "64",
  ]);
  assert.equal(request.command, "synth");
  assert.deepEqual(request.context, {
    memory: "128,1024",
    arch: "arm64",
    variants: "rust,none",
    workIterations: "10",
    payloadBytes: "64",
  });
  assert.equal(request.skipBootstrap, false);
});

Deno.test("parseCli() rejects a bad command or value before anything runs", () => {
  assert.throws(() => parseCli(["launch"]), {
    name: "RangeError",
    message: 'Invalid command "launch": expected one of synth, deploy, destroy',
  });
  assert.throws(() => parseCli(["synth", "--memory", "64"]), {
    name: "RangeError",
    message: /^Invalid memory size "64"/,
  });
  assert.throws(() => parseCli(["synth", "--arch", "amd64"]), {
    name: "RangeError",
    message: /^Invalid architecture "amd64"/,
  });
  assert.throws(() => parseCli(["synth", "--variants", "bun"]), { name: "RangeError" });
  assert.throws(() => parseCli(["synth", "--colour"]), TypeError);
});

Deno.test("cdkInvocations() bootstraps, then deploys strictly with an outputs file", () => {
  const calls = cdkInvocations(parseCli(["deploy", "--region", "eu-west-1"]), { deno: "deno" });
  assert.deepEqual(calls.map((c) => c[0]), ["bootstrap", "deploy"]);
  const deploy = calls[1]!;
  assert.ok(deploy.includes("--require-approval"));
  assert.equal(deploy[deploy.indexOf("--outputs-file") + 1], OUTPUTS_FILE);
  assert.ok(deploy.includes("strict=true"));
  assert.ok(deploy.includes("region=eu-west-1"));
  assert.equal(deploy[deploy.indexOf("--app") + 1], '"deno" run -A app.ts');
  const skip = cdkInvocations(parseCli(["deploy", "--skip-bootstrap"]), { deno: "deno" });
  assert.deepEqual(skip.map((c) => c[0]), ["deploy"]);
  const [synth] = cdkInvocations(parseCli(["synth"]), { deno: "deno" });
  assert.deepEqual(synth!.slice(0, 2), ["synth", "--quiet"]);
  assert.ok(!synth!.includes("strict=true"));
  const [destroy] = cdkInvocations(parseCli(["destroy"]), { deno: "deno" });
  assert.deepEqual(destroy!.slice(0, 3), ["destroy", "--all", "--force"]);
});

Deno.test("preflight() lets synth run without AWS and stops deploy without credentials", () => {
  const env = { HOME: "/nonexistent" };
  assert.deepEqual(preflight(parseCli(["synth"]), env), {});
  for (const command of ["deploy", "destroy"]) {
    assert.throws(() => preflight(parseCli([command]), env), {
      message: /^Cannot use AWS: no AWS credentials .*; no AWS region \(pass --region/,
    });
  }
});

Deno.test("preflight() refuses a deploy while a build is missing, naming it", () => {
  const env = { HOME: "/nonexistent", AWS_ACCESS_KEY_ID: "AKIA", AWS_SECRET_ACCESS_KEY: "s" };
  const request = parseCli([
    "deploy",
    "--region",
    "eu-west-1",
    "--arch",
    "x86_64",
    "--build-dir",
    FIXTURE,
  ]);
  assert.throws(() => preflight(request, env), {
    message:
      /^Cannot deploy: builds are missing:\nskipped llrt on x86_64: the LLRT binary is built for arm64/,
  });
  const ok = parseCli([
    "deploy",
    "--region",
    "eu-west-1",
    "--arch",
    "arm64",
    "--build-dir",
    FIXTURE,
  ]);
  assert.deepEqual(preflight(ok, env), {
    AWS_REGION: "eu-west-1",
    CDK_DEFAULT_REGION: "eu-west-1",
  });
});

Deno.test("cli deploy and destroy exit at once without credentials", async () => {
  for (const command of ["deploy", "destroy"]) {
    const { code, stdout, stderr, ms } = await runCliWithoutAws([command, "--memory", "128"]);
    assert.equal(code, 2, stderr);
    assert.equal(stdout, "");
    assert.match(stderr, /^Cannot use AWS: no AWS credentials/);
    assert.ok(ms < 10_000, `took ${ms} ms`);
  }
});

Deno.test("cli synth writes templates offline and names what it left out", async () => {
  const out = await Deno.makeTempDir({ prefix: "infra-synth-" });
  try {
    const { code, stdout, stderr } = await runCliWithoutAws([
      "synth",
      "--memory",
      "128,1024",
      "--arch",
      "arm64,x86_64",
      "--build-dir",
      FIXTURE,
      "--output",
      out,
    ]);
    assert.equal(code, 0, stderr);
    assert.match(
      stderr,
      /skipped llrt on x86_64: the LLRT binary is built for arm64 \(.*llrt\.json\)/,
    );
    // 5 named variants and 6 runtimes, 2 sizes, 2 architectures; LLRT has arm64 only here.
    assert.match(stderr, /synthesised 40 functions/);
    assert.match(stdout, new RegExp(`CloudFormation templates written to ${out}`));
    const template = JSON.parse(
      await Deno.readTextFile(join(out, "BattleOfTheExtensions.template.json")),
    );
    const functions = Object.values(template.Resources as Record<string, { Type: string }>)
      .filter((r) => r.Type === "AWS::Lambda::Function");
    assert.equal(functions.length, 40);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("the CDK CLI version is the one deno.json installs", async () => {
  const denoJson = JSON.parse(await Deno.readTextFile(DENO_JSON));
  assert.equal(denoJson.imports["aws-cdk"], `npm:aws-cdk@${CDK_CLI_VERSION}`);
});
