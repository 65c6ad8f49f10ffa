import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { readStackOutputs } from "./outputs.ts";

const SAMPLE = fileURLToPath(new URL("./testdata/outputs.json", import.meta.url));

Deno.test("readStackOutputs() reads the queue, region and every function", async () => {
  const outputs = await readStackOutputs({ file: SAMPLE });
  assert.equal(outputs.stackName, "BattleOfTheExtensions");
  assert.equal(outputs.region, "eu-west-1");
  assert.equal(
    outputs.queueUrl,
    "https://sqs.eu-west-1.amazonaws.com/123456789012/BattleOfTheExtensions-Queue4A7E3555-abc",
  );
  assert.deepEqual(outputs.functions, [
    {
      functionName: "BattleOfTheExtensions-none-x86_64-1024",
      variant: "none",
      memoryMb: 1024,
      arch: "x86_64",
      logGroupName: "/aws/lambda/BattleOfTheExtensions-none-x86_64-1024",
    },
    {
      functionName: "BattleOfTheExtensions-rust-arm64-128",
      variant: "rust",
      memoryMb: 128,
      arch: "arm64",
      logGroupName: "/aws/lambda/BattleOfTheExtensions-rust-arm64-128",
    },
  ]);
});

Deno.test("readStackOutputs() says to deploy first when the file is missing", async () => {
  await assert.rejects(
    readStackOutputs({ file: "/nonexistent/outputs.json" }),
    (err: unknown) => {
      assert.ok(err instanceof Deno.errors.NotFound);
      assert.equal(
        err.message,
        "No stack outputs at /nonexistent/outputs.json: run deno task deploy first",
      );
      return true;
    },
  );
});

Deno.test("readStackOutputs() names the stacks the file holds when the one asked is absent", async () => {
  await assert.rejects(readStackOutputs({ file: SAMPLE, stackName: "Other" }), {
    name: "TypeError",
    message: `Cannot find stack "Other" in ${SAMPLE}: it holds "BattleOfTheExtensions"`,
  });
});

Deno.test("readStackOutputs() rejects a function output without its fields", async () => {
  const tmp = await Deno.makeTempFile({ suffix: ".json" });
  try {
    await Deno.writeTextFile(
      tmp,
      JSON.stringify({
        S: { Region: "r", QueueUrl: "q", DeadLetterQueueUrl: "d", FunctionX: '{"variant":"x"}' },
      }),
    );
    await assert.rejects(readStackOutputs({ file: tmp }), {
      name: "TypeError",
      message: new RegExp(`^Cannot read output "FunctionX" in ${tmp}: expected functionName`),
    });
  } finally {
    await Deno.remove(tmp);
  }
});
