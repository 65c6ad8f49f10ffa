import assert from "node:assert/strict";
import { DEFAULT_STACK_NAME, resolveSettings } from "./settings.ts";

const none = () => undefined;

Deno.test("resolveSettings() defaults to the bench defaults, every named variant and runtime, 3 sizes, both archs", () => {
  const s = resolveSettings(none, {});
  assert.equal(s.stackName, DEFAULT_STACK_NAME);
  assert.equal(s.region, undefined);
  assert.deepEqual(s.memorySizes, [128, 512, 1024]);
  assert.equal(s.workIterations, 2000);
  assert.equal(s.payloadBytes, 1024);
  assert.deepEqual(s.architectures, ["arm64", "x86_64"]);
  assert.deepEqual(s.variants.map((v) => v.name), [
    "none",
    "direct",
    "rust",
    "node",
    "llrt",
    "nodejs-none-sqs",
    "python-none-sqs",
    "python-pyo3-none-sqs",
    "rust-none-sqs",
    "go-none-sqs",
    "llrt-none-sqs",
  ]);
  assert.equal(s.strict, false);
  assert.equal(s.buildDir, undefined);
});

Deno.test("resolveSettings() prefers context over the environment", () => {
  const context: Record<string, string> = { memory: "512", variants: "rust" };
  const s = resolveSettings((k) => context[k], {
    BATTLE_MEMORY: "256",
    BATTLE_ARCH: "x86_64",
    AWS_REGION: "eu-west-1",
    BATTLE_PAYLOAD_BYTES: "2048",
  });
  assert.deepEqual(s.memorySizes, [512]);
  assert.deepEqual(s.architectures, ["x86_64"]);
  assert.deepEqual(s.variants.map((v) => v.name), ["rust"]);
  assert.equal(s.region, "eu-west-1");
  assert.equal(s.payloadBytes, 2048);
});

Deno.test("resolveSettings() names the key and value it cannot use", () => {
  assert.throws(() => resolveSettings((k) => (k === "workIterations" ? "-1" : undefined), {}), {
    name: "RangeError",
    message: 'Invalid workIterations "-1": expected a whole number >= 0',
  });
  assert.throws(() => resolveSettings((k) => (k === "stackName" ? "1bad_name" : undefined), {}), {
    name: "RangeError",
    message: /^Invalid stackName "1bad_name"/,
  });
  assert.throws(() => resolveSettings(() => undefined, { BATTLE_TIMEOUT_SECONDS: "901" }), {
    name: "RangeError",
    message: 'Invalid timeoutSeconds "901": expected a whole number from 1 to 900',
  });
});

Deno.test("resolveSettings() rejects memory sizes and architectures Lambda does not have", () => {
  assert.throws(() => resolveSettings((k) => (k === "memory" ? "128,64" : undefined), {}), {
    name: "RangeError",
    message: /^Invalid memory size "64"/,
  });
  assert.throws(() => resolveSettings(() => undefined, { BATTLE_ARCH: "aarch64" }), {
    name: "RangeError",
    message: /^Invalid architecture "aarch64"/,
  });
});

Deno.test("resolveSettings() crosses functions with extensions and workloads, naming the impossible", () => {
  const s = resolveSettings(
    (k) => ({ functions: "go,python", extensions: "none,node", workloads: "sqs,cpu" })[k],
    {},
  );
  assert.deepEqual(s.variants.map((v) => v.name), [
    "go-none-sqs",
    "go-none-cpu",
    "python-none-sqs",
    "python-none-cpu",
  ]);
  assert.deepEqual(s.impossible.map((c) => c.name), [
    "go-node-sqs",
    "go-node-cpu",
    "python-node-sqs",
    "python-node-cpu",
  ]);
  assert.throws(() => resolveSettings((k) => (k === "functions" ? "cobol" : undefined), {}), {
    name: "RangeError",
    message: /^Unknown function runtime "cobol": expected one of nodejs, python, python-pyo3/,
  });
});
