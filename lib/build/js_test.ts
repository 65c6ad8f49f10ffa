import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { buildJsBundles, type BundleSpec, esbuildOptions, JS_BUNDLES } from "./js.ts";

/** Module specifiers a bundle still imports (static `from "x"` and `import("x")`). */
function importsOf(code: string): string[] {
  const found = new Set<string>();
  for (const m of code.matchAll(/(?:from\s*|import\s*\(\s*|import\s*)"([^"]+)"/g)) found.add(m[1]!);
  return [...found].sort();
}

Deno.test("buildJsBundles() writes every bundle as one ESM file, with sizes", async () => {
  const dir = await Deno.makeTempDir({ prefix: "battle-js-" });
  try {
    const specs: BundleSpec[] = JS_BUNDLES.map((s) => ({
      ...s,
      outfile: join(dir, basename(s.outfile)),
    }));
    const artifacts = await buildJsBundles(specs);
    assert.deepEqual(artifacts.map((a) => a.name), JS_BUNDLES.map((s) => s.name));
    const code = new Map<string, string>();
    for (const a of artifacts) {
      const text = await readFile(a.path, "utf8");
      assert.equal(a.bytes, new TextEncoder().encode(text).length);
      code.set(a.name, text);
    }
    // LLRT has no node:http: its bundles may only import what LLRT serves (or its embedded SDK).
    const llrtSdk = importsOf(code.get("JS_EXTENSION_LLRT_SDK")!);
    assert.deepEqual(llrtSdk, ["node:crypto", "node:net"]);
    assert.deepEqual(importsOf(code.get("JS_EXTENSION_LLRT")!), [
      "@aws-sdk/client-sqs",
      "node:crypto",
      "node:net",
    ]);
    assert.ok(importsOf(code.get("JS_FUNCTION_LLRT_SQS")!).every((m) => m === "node:crypto"));
    // The Node.js bundle carries the SDK itself.
    const node = importsOf(code.get("JS_EXTENSION_NODE")!);
    assert.ok(node.includes("node:http"));
    // (signature-v4-crt is an optional import the SDK tries and tolerates missing.)
    assert.deepEqual(node.filter((m) => m.startsWith("@aws-sdk/")), ["@aws-sdk/signature-v4-crt"]);
    // Handler bundles without the SDK stay tiny.
    assert.ok(artifacts.find((a) => a.name === "JS_FUNCTION_NODE")!.bytes < 10_000);
    assert.ok(artifacts.find((a) => a.name === "JS_FUNCTION_LLRT")!.bytes < 10_000);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("esbuildOptions() targets ES2023 ESM; LLRT bundles use the browser build and keep node:* external", () => {
  const llrt = esbuildOptions(JS_BUNDLES.find((s) => s.name === "JS_EXTENSION_LLRT")!);
  assert.equal(llrt.format, "esm");
  assert.equal(llrt.target, "es2023");
  assert.equal(llrt.platform, "browser");
  assert.deepEqual(llrt.external, ["@aws-sdk/*", "node:*"]);
  const node = esbuildOptions(JS_BUNDLES.find((s) => s.name === "JS_EXTENSION_NODE")!);
  assert.equal(node.platform, "node");
  assert.deepEqual(node.mainFields, ["module", "main"]);
});
