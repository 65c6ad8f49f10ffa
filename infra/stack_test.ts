import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { Match, Template } from "aws-cdk-lib/assertions";
import { synthesizeApp, type SynthesizeOptions } from "./app.ts";
import { buildLocationsUnder } from "./builds.ts";
import { EXTENSION_URL, functionName, functionOutputKey, PROJECT_TAG } from "./stack.ts";

const FIXTURE = fileURLToPath(new URL("./testdata/build-fixture", import.meta.url));

type Resource = { Type: string; Properties: Record<string, unknown> };

/** Synthesises against the fixture builds into temp folders, removed afterwards. */
function synthFixture(
  context: Record<string, unknown>,
  overrides: Partial<SynthesizeOptions> = {},
): ReturnType<typeof synthesizeApp> & { template: Template } {
  const tmp = Deno.makeTempDirSync({ prefix: "infra-test-" });
  try {
    const result = synthesizeApp({
      context,
      env: {},
      locations: buildLocationsUnder(FIXTURE),
      stagingDir: `${tmp}/staging`,
      outdir: `${tmp}/cdk.out`,
      ...overrides,
    });
    return { ...result, template: Template.fromStack(result.stack) };
  } finally {
    Deno.removeSync(tmp, { recursive: true });
  }
}

function functionsOf(template: Template): Record<string, Resource> {
  return template.findResources("AWS::Lambda::Function") as Record<string, Resource>;
}

function byName(template: Template, name: string): Resource {
  const found = Object.values(functionsOf(template)).find((r) =>
    r.Properties.FunctionName === name
  );
  assert.ok(found, `function ${name} is in the template`);
  return found;
}

/** Resolves a layer reference in a function to the layer's resource. */
function layersOf(template: Template, fn: Resource): Resource[] {
  const all = template.findResources("AWS::Lambda::LayerVersion") as Record<string, Resource>;
  return ((fn.Properties.Layers ?? []) as { Ref: string }[]).map((ref) => {
    const layer = all[ref.Ref];
    assert.ok(layer, `layer ${ref.Ref} exists`);
    return layer;
  });
}

const EVERYTHING = {
  variants: "none,direct,rust,node,llrt",
  memory: "128,1024",
  arch: "arm64,x86_64",
  workIterations: "5000",
  payloadBytes: "4096",
};

let everything: ReturnType<typeof synthFixture> | undefined;
/** The full fixture synth, made once: synthesis takes about a second. */
function synthEverything(): ReturnType<typeof synthFixture> {
  everything ??= synthFixture(EVERYTHING);
  return everything;
}

Deno.test("BattleStack has one function per variant, memory and architecture that was built", () => {
  const { template, plan } = synthEverything();
  // Every variant on both archs except llrt, whose fixture LLRT binary is arm64 only.
  const expected = ["none", "direct", "rust", "node", "llrt"].flatMap((v) =>
    [128, 1024].flatMap((m) =>
      (v === "llrt" ? ["arm64"] : ["arm64", "x86_64"]).map((a) =>
        `BattleOfTheExtensions-${v}-${a}-${m}`
      )
    )
  );
  const names = Object.values(functionsOf(template)).map((r) => r.Properties.FunctionName).sort();
  assert.deepEqual(names, [...expected].sort());
  assert.equal(plan.functions.length, expected.length);
  for (const fn of plan.functions) {
    const res = byName(template, functionName("BattleOfTheExtensions", fn));
    assert.equal(res.Properties.MemorySize, fn.memoryMb);
    assert.deepEqual(res.Properties.Architectures, [fn.arch]);
    assert.equal(res.Properties.Handler, "index.handler");
  }
});

Deno.test("BattleStack runs Node.js variants on nodejs22.x and LLRT as a custom runtime", () => {
  const { template } = synthEverything();
  for (const v of ["none", "direct", "rust", "node"]) {
    const fn = byName(template, `BattleOfTheExtensions-${v}-x86_64-128`);
    assert.equal(fn.Properties.Runtime, "nodejs22.x");
  }
  const llrt = byName(template, "BattleOfTheExtensions-llrt-arm64-128");
  assert.equal(llrt.Properties.Runtime, "provided.al2023");
  assert.equal(llrt.Properties.Handler, "index.handler");
  const layers = layersOf(template, llrt);
  assert.deepEqual(layers.map((l) => l.Properties.LayerName), ["BattleOfTheExtensions-llrt-arm64"]);
  assert.deepEqual(layers[0]!.Properties.CompatibleArchitectures, ["arm64"]);
});

Deno.test("BattleStack gives each extension variant its layer, per architecture for native code", () => {
  const { template } = synthEverything();
  for (const v of ["none", "direct"]) {
    assert.deepEqual(
      layersOf(template, byName(template, `BattleOfTheExtensions-${v}-arm64-1024`)),
      [],
    );
  }
  for (const arch of ["arm64", "x86_64"]) {
    const rust = layersOf(template, byName(template, `BattleOfTheExtensions-rust-${arch}-128`));
    assert.deepEqual(rust.map((l) => l.Properties.LayerName), [
      `BattleOfTheExtensions-rust-${arch}`,
    ]);
    assert.deepEqual(rust[0]!.Properties.CompatibleArchitectures, [arch]);
    const node = layersOf(template, byName(template, `BattleOfTheExtensions-node-${arch}-128`));
    assert.deepEqual(node.map((l) => l.Properties.LayerName), ["BattleOfTheExtensions-node"]);
    assert.deepEqual(node[0]!.Properties.CompatibleArchitectures, ["arm64", "x86_64"]);
  }
  // One layer per build: rust on each arch, node, llrt on arm64 (its only LLRT binary).
  template.resourceCountIs("AWS::Lambda::LayerVersion", 4);
});

Deno.test("BattleStack stages the Rust layer as /opt/extensions/battle-ext-rust", () => {
  const tmp = Deno.makeTempDirSync({ prefix: "infra-stage-" });
  try {
    synthesizeApp({
      context: { variants: "rust", arch: "arm64", memory: "128" },
      env: {},
      locations: buildLocationsUnder(FIXTURE),
      stagingDir: `${tmp}/staging`,
      outdir: `${tmp}/cdk.out`,
    });
    const staged = `${tmp}/staging/rust-arm64/extensions/battle-ext-rust`;
    assert.equal(Deno.statSync(staged).mode! & 0o111, 0o111);
    assert.equal(Deno.readTextFileSync(staged), "fixture arm64 binary\n");
  } finally {
    Deno.removeSync(tmp, { recursive: true });
  }
});

Deno.test("BattleStack swaps in an LLRT cross-compiled for the architecture", () => {
  const tmp = Deno.makeTempDirSync({ prefix: "infra-cross-" });
  try {
    const fixture = buildLocationsUnder(FIXTURE);
    const cross = `${tmp}/llrt-x86_64`;
    Deno.writeTextFileSync(cross, "x86_64 llrt\n");
    const { stack } = synthesizeApp({
      context: { variants: "llrt", arch: "x86_64", memory: "128" },
      env: {},
      locations: {
        ...fixture,
        llrtLambdaBinary: (arch) => (arch === "x86_64" ? cross : "/nonexistent"),
      },
      stagingDir: `${tmp}/staging`,
      outdir: `${tmp}/cdk.out`,
    });
    const template = Template.fromStack(stack);
    const fn = byName(template, "BattleOfTheExtensions-llrt-x86_64-128");
    assert.deepEqual(fn.Properties.Architectures, ["x86_64"]);
    const code = `${tmp}/staging/function-llrt-x86_64`;
    assert.equal(Deno.readTextFileSync(`${code}/bootstrap`), "x86_64 llrt\n");
    assert.match(Deno.readTextFileSync(`${code}/index.mjs`), /variant: "llrt"/);
    const layer = `${tmp}/staging/layer-llrt-x86_64`;
    assert.equal(Deno.readTextFileSync(`${layer}/llrt/llrt`), "x86_64 llrt\n");
    assert.match(Deno.readTextFileSync(`${layer}/extensions/battle-ext-llrt`), /^#!\/bin\/sh/);
    // The build folders themselves are untouched.
    assert.equal(Deno.readTextFileSync(`${FIXTURE}/functions/llrt/bootstrap`), "fixture llrt\n");
  } finally {
    Deno.removeSync(tmp, { recursive: true });
  }
});

Deno.test("BattleStack logs in JSON at system level DEBUG to its own log group", () => {
  const { template, plan } = synthEverything();
  for (const fn of plan.functions) {
    const name = functionName("BattleOfTheExtensions", fn);
    const config = byName(template, name).Properties.LoggingConfig as Record<string, unknown>;
    assert.equal(config.LogFormat, "JSON");
    assert.equal(config.SystemLogLevel, "DEBUG");
    assert.equal(config.ApplicationLogLevel, "INFO");
    assert.deepEqual(Object.keys(config.LogGroup as object), ["Ref"]);
  }
  template.resourceCountIs("AWS::Logs::LogGroup", plan.functions.length);
  template.allResourcesProperties("AWS::Logs::LogGroup", {
    LogGroupName: Match.stringLikeRegexp("^/aws/lambda/BattleOfTheExtensions-"),
    RetentionInDays: 14,
  });
  template.allResources("AWS::Logs::LogGroup", {
    DeletionPolicy: "Delete",
    UpdateReplacePolicy: "Delete",
  });
  template.allResources("AWS::SQS::Queue", { DeletionPolicy: "Delete" });
});

Deno.test("BattleStack sets the function environment from the settings", () => {
  const { template } = synthFixture({
    ...EVERYTHING,
    workIterations: "5000",
    payloadBytes: "4096",
  });
  const env = (name: string) =>
    (byName(template, name).Properties.Environment as { Variables: Record<string, unknown> })
      .Variables;
  const rust = env("BattleOfTheExtensions-rust-arm64-1024");
  assert.equal(rust.BATTLE_MODE, "extension");
  assert.equal(rust.BATTLE_WORK_ITERATIONS, "5000");
  assert.equal(rust.BATTLE_PAYLOAD_BYTES, "4096");
  assert.equal(rust.BATTLE_EXTENSION_URL, EXTENSION_URL);
  assert.equal(rust.BATTLE_EXTENSION_PORT, "4243");
  assert.deepEqual(Object.keys(rust.BATTLE_QUEUE_URL as object), ["Ref"]);
  assert.equal(env("BattleOfTheExtensions-none-arm64-128").BATTLE_MODE, "none");
  assert.equal(env("BattleOfTheExtensions-direct-arm64-128").BATTLE_MODE, "direct");
});

Deno.test("BattleStack lets only senders SendMessage, on the queue ARN only, with no wildcard", () => {
  const { template, plan } = synthEverything();
  const queues = template.findResources("AWS::SQS::Queue", {
    Properties: { RedrivePolicy: Match.anyValue() },
  });
  const queueId = Object.keys(queues)[0]!;
  const policies = template.findResources("AWS::IAM::Policy") as Record<string, Resource>;
  type Statement = { Effect: string; Action: string | string[]; Resource: unknown };
  const statementsByRole = new Map<string, Statement[]>();
  for (const policy of Object.values(policies)) {
    const roles = policy.Properties.Roles as { Ref: string }[];
    const statements = (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement;
    for (const role of roles) {
      statementsByRole.set(role.Ref, [...(statementsByRole.get(role.Ref) ?? []), ...statements]);
    }
  }
  for (const fn of plan.functions) {
    const res = byName(template, functionName("BattleOfTheExtensions", fn));
    const roleId = (res.Properties.Role as { "Fn::GetAtt": string[] })["Fn::GetAtt"][0]!;
    const statements = statementsByRole.get(roleId) ?? [];
    const actions = statements.flatMap((s) => [s.Action].flat()).sort();
    const sender = fn.variant.mode !== "none";
    assert.deepEqual(
      actions,
      sender
        ? ["logs:CreateLogStream", "logs:PutLogEvents", "sqs:SendMessage"]
        : ["logs:CreateLogStream", "logs:PutLogEvents"],
      `${fn.variant.name} actions`,
    );
    for (const s of statements) {
      assert.equal(s.Effect, "Allow");
      if ([s.Action].flat().includes("sqs:SendMessage")) {
        assert.deepEqual(s.Resource, { "Fn::GetAtt": [queueId, "Arn"] });
      }
    }
  }
  // No managed policies (AWSLambdaBasicExecutionRole allows logs on "*").
  template.allResourcesProperties("AWS::IAM::Role", { ManagedPolicyArns: Match.absent() });
  const json = JSON.stringify(template.toJSON());
  assert.doesNotMatch(json, /"Resource":"\*"/);
  assert.doesNotMatch(json, /"Action":(\[[^\]]*)?"[a-z0-9]*:?\*"/);
});

Deno.test("BattleStack tags every resource with the study and outputs each function", () => {
  const { template, plan } = synthEverything();
  for (
    const type of [
      "AWS::Lambda::Function",
      "AWS::SQS::Queue",
      "AWS::IAM::Role",
      "AWS::Logs::LogGroup",
    ]
  ) {
    template.allResourcesProperties(type, {
      Tags: Match.arrayWith([{ Key: PROJECT_TAG.key, Value: PROJECT_TAG.value }]),
    });
  }
  const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
  assert.ok(outputs.QueueUrl);
  for (const fn of plan.functions) {
    const value = JSON.parse(String(outputs[functionOutputKey(fn)]!.Value));
    assert.deepEqual(value, {
      functionName: functionName("BattleOfTheExtensions", fn),
      variant: fn.variant.name,
      functionRuntime: fn.variant.functionRuntime,
      extension: fn.variant.extensionName,
      workload: fn.variant.workload,
      memoryMb: fn.memoryMb,
      arch: fn.arch,
      logGroupName: `/aws/lambda/${functionName("BattleOfTheExtensions", fn)}`,
    });
  }
});

Deno.test("synthesizeApp() skips missing builds with reasons and keeps the rest", () => {
  const fixture = buildLocationsUnder(FIXTURE);
  const { template, plan } = synthFixture(EVERYTHING, {
    locations: {
      ...fixture,
      rustLambdaBinary: (arch) =>
        arch === "arm64" ? "/nonexistent/battle-ext-rust" : fixture.rustLambdaBinary(arch),
      llrtInfo: "/nonexistent/llrt.json",
    },
  });
  assert.deepEqual(plan.skipped.map((s) => [s.variant, s.arch]), [["rust", "arm64"], [
    "llrt",
    null,
  ]]);
  assert.match(plan.skipped[0]!.reason, /\/nonexistent\/battle-ext-rust missing/);
  assert.match(plan.skipped[1]!.reason, /no LLRT binary \(\/nonexistent\/llrt\.json missing/);
  template.resourceCountIs("AWS::Lambda::Function", 4 * 2 * 2 - 2);
  assert.equal(
    byName(template, "BattleOfTheExtensions-rust-x86_64-128").Properties.Runtime,
    "nodejs22.x",
  );
});

Deno.test("synthesizeApp() in strict mode refuses and names every missing build", () => {
  const fixture = buildLocationsUnder(FIXTURE);
  assert.throws(
    () =>
      synthFixture({ ...EVERYTHING, strict: "true" }, {
        locations: { ...fixture, rustLambdaBinary: () => "/nonexistent/battle-ext-rust" },
      }),
    (err: unknown) => {
      assert.ok(err instanceof Error);
      assert.match(err.message, /^Cannot deploy: builds are missing:/);
      assert.match(err.message, /skipped rust on arm64: \/nonexistent\/battle-ext-rust missing/);
      assert.match(err.message, /skipped rust on x86_64:/);
      assert.match(err.message, /skipped llrt on x86_64: the LLRT binary is built for arm64/);
      return true;
    },
  );
});

Deno.test("synthesizeApp() honours the variants, region and stack name settings", () => {
  const { template, stack } = synthFixture({
    variants: "none",
    memory: "256",
    arch: "x86_64",
    region: "eu-west-1",
    stackName: "Battle2",
  });
  assert.equal(stack.region, "eu-west-1");
  template.resourceCountIs("AWS::Lambda::Function", 1);
  byName(template, "Battle2-none-x86_64-256");
});

Deno.test("BattleStack deploys each function runtime on its Lambda runtime, per architecture", () => {
  const { template, plan } = synthFixture({
    functions: "nodejs,llrt,python,python-pyo3,rust,go",
    extensions: "none,rust",
    memory: "128",
    arch: "arm64,x86_64",
  });
  const expected: Record<string, [string, string]> = {
    nodejs: ["nodejs22.x", "index.handler"],
    llrt: ["provided.al2023", "index.handler"],
    python: ["python3.12", "handler.handler"],
    "python-pyo3": ["python3.12", "handler.handler"],
    rust: ["provided.al2023", "bootstrap"],
    go: ["provided.al2023", "bootstrap"],
  };
  // The fixture's LLRT is built for arm64 only; everything else has both architectures.
  assert.deepEqual(plan.skipped.map((s) => [s.variant, s.arch]), [
    ["llrt-none-sqs", "x86_64"],
    ["llrt-rust-sqs", "x86_64"],
  ]);
  assert.match(plan.skipped[0]!.reason, /the LLRT binary is built for arm64/);
  assert.equal(plan.functions.length, 6 * 2 * 2 - 2);
  for (const fn of plan.functions) {
    const props = byName(template, functionName("BattleOfTheExtensions", fn)).Properties;
    const [runtime, handler] = expected[fn.variant.functionRuntime]!;
    assert.equal(props.Runtime, runtime, fn.variant.name);
    assert.equal(props.Handler, handler, fn.variant.name);
    assert.deepEqual(props.Architectures, [fn.arch === "arm64" ? "arm64" : "x86_64"]);
    assert.equal(props.Layers === undefined, fn.variant.extensionName === "none");
    assert.equal(
      (props.Environment as { Variables: Record<string, string> }).Variables.BATTLE_MODE,
      fn.variant.extension ? "extension" : "direct",
    );
  }
  // Native code per architecture: the Go, Rust and PyO3 functions ship one asset per arch.
  const assets = (name: string) =>
    new Set(plan.functions.filter((f) => f.variant.name === name).map((f) => f.codeDir)).size;
  for (const name of ["go-none-sqs", "rust-none-sqs", "python-pyo3-none-sqs"]) {
    assert.equal(assets(name), 2, name);
  }
  assert.equal(assets("python-none-sqs"), 1);
  // Least privilege as for every function: its own log group, SendMessage on the queue only.
  const json = JSON.stringify(template.toJSON());
  assert.doesNotMatch(json, /"Resource":"\*"/);
});
