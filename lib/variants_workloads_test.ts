import assert from "node:assert/strict";
import {
  composedName,
  composeVariant,
  expandVariants,
  EXTENSIONS,
  variantByName,
} from "./variants.ts";

Deno.test("the manifest has the blank extensions and the dynamodb and delay workloads", () => {
  for (const key of ["blankrust", "blanknode", "blankllrt"]) {
    assert.equal(EXTENSIONS[key]?.role, "blank", key);
  }
  for (const key of ["rust", "node", "llrt"]) assert.equal(EXTENSIONS[key]?.role, "forward", key);
  const { variants, skipped } = expandVariants({
    functions: "nodejs,go",
    extensions: "none,blankrust,blanknode",
    workloads: "sqs,dynamodb,delay,cpu,none",
  });
  assert.equal(variants.length, 25);
  assert.deepEqual(
    skipped.map((s) => s.name),
    ["sqs", "dynamodb", "delay", "cpu", "none"].map((w) => composedName("go", "blanknode", w)),
    "the blank JS extension on Node.js needs the function runtime's Node.js",
  );
});

Deno.test("composeVariant(): a blank extension needs nothing from the function; a forwarding one is posted to after any workload", () => {
  const mode = (ext: string, workload: string) => {
    const c = composeVariant({ functionRuntime: "nodejs", extension: ext, workload });
    assert.ok("variant" in c, `${ext} ${workload}: ${"reason" in c ? c.reason : ""}`);
    return c.variant.mode;
  };
  assert.equal(mode("blankrust", "sqs"), "direct");
  assert.equal(mode("blankrust", "delay"), "none");
  assert.equal(mode("blankllrt", "dynamodb"), "none");
  assert.equal(mode("none", "dynamodb"), "none");
  assert.equal(mode("rust", "sqs"), "extension");
  assert.equal(mode("rust", "delay"), "extension");
  assert.equal(mode("node", "dynamodb"), "extension");
  const v = variantByName(composedName("nodejs", "rust", "delay"));
  assert.match(v.description, /sleeps a fixed delay, then sends through the rust extension/);
  assert.match(
    variantByName(composedName("rust", "blankrust", "none")).description,
    /with the blank blankrust extension/,
  );
  assert.notEqual(
    variantByName(composedName("nodejs", "blankrust", "delay")).color,
    variantByName(composedName("nodejs", "none", "delay")).color,
    "a blank extension's cells get their own colour",
  );
});
