import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { Template } from "aws-cdk-lib/assertions";
import { synthesizeApp } from "./app.ts";
import { buildLocationsUnder } from "./builds.ts";
import { functionName } from "./stack.ts";

const FIXTURE = fileURLToPath(new URL("./testdata/build-fixture", import.meta.url));

type Resource = { Type: string; Properties: Record<string, unknown> };

function synth(context: Record<string, unknown>) {
  const tmp = Deno.makeTempDirSync({ prefix: "infra-workloads-" });
  try {
    const result = synthesizeApp({
      context,
      env: {},
      locations: buildLocationsUnder(FIXTURE),
      stagingDir: `${tmp}/staging`,
      outdir: `${tmp}/cdk.out`,
    });
    return { ...result, template: Template.fromStack(result.stack) };
  } finally {
    Deno.removeSync(tmp, { recursive: true });
  }
}

Deno.test("BattleStack makes the requests table and grants each dynamodb function only PutItem on it", () => {
  const { template, plan } = synth({
    functions: "nodejs,go",
    extensions: "none",
    workloads: "dynamodb,delay",
    memory: "128",
    arch: "arm64",
    delayMs: "250",
  });
  assert.equal(plan.functions.length, 4);
  const tables = template.findResources("AWS::DynamoDB::Table") as Record<string, Resource>;
  const [tableId, table] = Object.entries(tables)[0] ?? [];
  assert.equal(Object.keys(tables).length, 1);
  assert.deepEqual(table?.Properties.KeySchema, [{ AttributeName: "id", KeyType: "HASH" }]);
  assert.equal(table?.Properties.BillingMode, "PAY_PER_REQUEST");
  const functions = template.findResources("AWS::Lambda::Function") as Record<string, Resource>;
  const policies = template.findResources("AWS::IAM::Policy") as Record<string, Resource>;
  for (const fn of plan.functions) {
    const [id, f] = Object.entries(functions).find(([, r]) =>
      r.Properties.FunctionName === functionName("BattleOfTheExtensions", fn)
    )!;
    const vars = (f.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    assert.equal(vars.BATTLE_WORKLOAD, fn.variant.workload);
    const statements = Object.values(policies)
      .filter((p) =>
        JSON.stringify(p.Properties.Roles).includes(
          JSON.stringify((f.Properties.Role as { "Fn::GetAtt": string[] })["Fn::GetAtt"][0]),
        )
      )
      .flatMap((p) =>
        (p.Properties.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement
      );
    const dynamo = statements.filter((s) => JSON.stringify(s.Action).includes("dynamodb:"));
    if (fn.variant.workload === "dynamodb") {
      assert.deepEqual(vars.BATTLE_TABLE_NAME, { Ref: tableId }, id);
      assert.equal(dynamo.length, 1, `${fn.variant.name}: one DynamoDB statement`);
      assert.equal(dynamo[0]!.Action, "dynamodb:PutItem");
      assert.match(JSON.stringify(dynamo[0]!.Resource), new RegExp(tableId!));
      assert.equal(vars.BATTLE_DELAY_MS, undefined);
    } else {
      assert.equal(vars.BATTLE_TABLE_NAME, undefined);
      assert.equal(dynamo.length, 0, `${fn.variant.name}: no DynamoDB access`);
      assert.equal(vars.BATTLE_DELAY_MS, "250");
    }
  }
});

Deno.test("BattleStack makes no table without a dynamodb function, and lays the blank Rust extension out as its own layer", () => {
  const { template, plan } = synth({
    functions: "nodejs",
    extensions: "blankrust",
    workloads: "delay",
    memory: "128",
    arch: "arm64",
  });
  template.resourceCountIs("AWS::DynamoDB::Table", 0);
  assert.equal(plan.functions.length, 1);
  const ext = plan.functions[0]!.extension;
  assert.ok(ext?.build === "rust" && ext.binary.endsWith("lambda/arm64/battle-ext-blank"));
  assert.equal(ext.name, "battle-blank-rust");
  template.resourceCountIs("AWS::Lambda::LayerVersion", 1);
});
