import assert from "node:assert/strict";
import {
  composedName,
  composeVariant,
  expandVariants,
  findVariant,
  FUNCTION_RUNTIME_NAMES,
  FUNCTION_RUNTIMES,
  functionRuntimeSpec,
  variantByName,
  VARIANTS,
} from "./variants.ts";

Deno.test("FUNCTION_RUNTIMES declares every runtime once, with a colour and a Lambda runtime", () => {
  assert.deepEqual(FUNCTION_RUNTIMES.map((r) => r.name), [...FUNCTION_RUNTIME_NAMES]);
  assert.equal(new Set(FUNCTION_RUNTIMES.map((r) => r.color)).size, FUNCTION_RUNTIMES.length);
  assert.equal(functionRuntimeSpec("python").sandboxRuntime, "python");
  assert.equal(functionRuntimeSpec("go").handler, "bootstrap");
});

Deno.test("named variants are compositions of the manifest's parts", () => {
  for (const v of VARIANTS) {
    assert.ok(FUNCTION_RUNTIME_NAMES.includes(v.functionRuntime), v.name);
    assert.equal(v.extension === null, v.extensionName === "none", v.name);
  }
  assert.equal(variantByName("direct").workload, "sqs");
  assert.equal(variantByName("direct").mode, "direct");
});

Deno.test("composeVariant() derives the mode and names the cell", () => {
  const direct = composeVariant({
    functionRuntime: "python-pyo3",
    extension: "none",
    workload: "sqs",
  });
  assert.ok("variant" in direct);
  assert.equal(direct.variant.name, "python-pyo3-none-sqs");
  assert.equal(direct.variant.mode, "direct");
  const ext = composeVariant({ functionRuntime: "go", extension: "rust", workload: "sqs" });
  assert.ok("variant" in ext && ext.variant.mode === "extension");
  const hello = composeVariant({ functionRuntime: "rust", extension: "none", workload: "none" });
  assert.ok("variant" in hello && hello.variant.mode === "none");
  const impossible = composeVariant({ functionRuntime: "go", extension: "node", workload: "sqs" });
  assert.ok("reason" in impossible && /Node\.js/.test(impossible.reason));
});

Deno.test("variantByName() reads composed names back, runtime names with dashes included", () => {
  for (const runtime of FUNCTION_RUNTIME_NAMES) {
    const v = variantByName(composedName(runtime, "rust", "sqs"));
    assert.equal(v.functionRuntime, runtime);
    assert.equal(v.extensionName, "rust");
  }
  assert.equal(findVariant("nope"), undefined);
  assert.equal(findVariant(null), undefined);
  assert.throws(() => variantByName("nope"), {
    name: "RangeError",
    message: /^Unknown variant "nope": expected one of none, direct, rust, node, llrt/,
  });
});

Deno.test("expandVariants() crosses the flags in one place and keeps named variants first", () => {
  const { variants, skipped } = expandVariants({
    variants: "rust",
    functions: "nodejs,go",
    extensions: "none,node",
  });
  assert.deepEqual(variants.map((v) => v.name), [
    "rust",
    "nodejs-none-sqs",
    "nodejs-node-sqs",
    "go-none-sqs",
  ]);
  assert.deepEqual(skipped.map((s) => s.name), ["go-node-sqs"]);
  assert.deepEqual(expandVariants({}).variants, [...VARIANTS]);
  assert.deepEqual(
    expandVariants({ extensions: "rust" }).variants.map((v) => v.name),
    ["nodejs-rust-sqs"],
  );
  for (
    const [flag, value, message] of [
      ["functions", "cobol", /^Unknown function runtime "cobol"/],
      ["extensions", "java", /^Unknown extension "java"/],
      ["workloads", "sideways", /^Unknown workload "sideways"/],
      ["variants", "x", /^Unknown variant "x"/],
    ] as const
  ) {
    assert.throws(() => expandVariants({ [flag]: value }), { name: "RangeError", message });
  }
});
