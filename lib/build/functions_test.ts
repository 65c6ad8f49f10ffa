import assert from "node:assert/strict";
import { join } from "node:path";
import { variantByName } from "../variants.ts";
import {
  codeDirOf,
  describeRuntimeBuild,
  isNativeRuntime,
  lambdaRuntimeCodeDir,
  runtimeCodeDir,
} from "./functions.ts";

Deno.test("runtimeCodeDir() has one folder per runtime, two for the JS ones (with and without SQS)", () => {
  assert.equal(runtimeCodeDir("nodejs", false, "/b"), "/b/runtimes/nodejs");
  assert.equal(runtimeCodeDir("llrt", true, "/b"), "/b/runtimes/llrt-sqs");
  assert.equal(runtimeCodeDir("python", true, "/b"), "/b/runtimes/python");
  assert.equal(lambdaRuntimeCodeDir("go", "arm64", "/b"), "/b/lambda/arm64/runtimes/go");
  assert.deepEqual(
    ["nodejs", "llrt", "python", "python-pyo3", "rust", "go"].filter((r) =>
      isNativeRuntime(r as "go")
    ),
    ["python-pyo3", "rust", "go"],
  );
});

Deno.test("codeDirOf() keeps named variants' folders and gives composed ones their runtime's", () => {
  assert.equal(codeDirOf(variantByName("rust"), "/b"), join("/b", "functions", "rust"));
  assert.equal(codeDirOf(variantByName("rust-none-sqs"), "/b"), "/b/runtimes/rust");
  assert.equal(codeDirOf(variantByName("nodejs-none-sqs"), "/b"), "/b/runtimes/nodejs-sqs");
  assert.equal(codeDirOf(variantByName("nodejs-rust-sqs"), "/b"), "/b/runtimes/nodejs");
});

Deno.test("describeRuntimeBuild() says ready with sizes and Lambda archs, or skipped with the reason", () => {
  const ready = describeRuntimeBuild({
    runtime: "go",
    status: "ready",
    reason: null,
    lambdaArchs: ["x86_64"],
    lambdaSkipped: [{ arch: "arm64", reason: "no cross linker" }],
    artifacts: [{ name: "bootstrap", path: "/r/build/runtimes/go/bootstrap", bytes: 1234 }],
  });
  assert.equal(
    ready,
    "go          ready    function 1,234 B; Lambda: x86_64 (arm64: no cross linker)",
  );
  const skipped = describeRuntimeBuild({
    runtime: "rust",
    status: "skipped",
    reason: 'Cannot build the Rust function (cargo): "cargo" is not installed',
    lambdaArchs: [],
    lambdaSkipped: [],
    artifacts: [],
  });
  assert.match(skipped, /^rust +skipped: Cannot build the Rust function/);
});
