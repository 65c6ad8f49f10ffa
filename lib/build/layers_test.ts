import assert from "node:assert/strict";
import { chmod, mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { variantByName } from "../variants.ts";
import { assembleLayers, buildLayout, describeAssembled, launcherScript } from "./layers.ts";

/** A build folder with fake inputs; `llrt` and `rust` can be left out. */
async function fixture(options: { llrt?: boolean; rust?: boolean; sdkEmbedded?: boolean }) {
  const dir = await Deno.makeTempDir({ prefix: "battle-layers-" });
  const layout = buildLayout(dir);
  const put = async (path: string, text: string, mode = 0o644) => {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, text);
    await chmod(path, mode);
  };
  await put(layout.jsExtension.node, "// node bundle\n");
  await put(layout.jsExtension.llrt, "// llrt bundle, SDK external\n");
  await put(layout.jsExtension.llrtSdk, "// llrt bundle, SDK bundled\n");
  for (const runtime of ["node", "llrt"] as const) {
    await put(layout.jsFunction(runtime, false), `// ${runtime} function\n`);
    await put(layout.jsFunction(runtime, true), `// ${runtime} function with SQS\n`);
  }
  // Fake runtimes print how they were called, so the launchers can be run for real.
  const echo = '#!/bin/sh\necho "name=$BATTLE_EXTENSION_NAME args=$*"\n';
  if (options.rust ?? true) await put(layout.rustExtension, echo, 0o755);
  if (options.llrt ?? true) {
    await put(layout.llrtBinary, echo, 0o755);
    await put(
      layout.llrtInfo,
      JSON.stringify({ available: true, sdkEmbedded: options.sdkEmbedded ?? false }),
    );
  }
  return { dir, layout };
}

async function run(path: string): Promise<string> {
  const out = await new Deno.Command(path, {
    env: { PATH: `${dirname(path)}/../bin:/usr/bin:/bin` },
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout).trim();
}

async function isExecutable(path: string): Promise<boolean> {
  return ((await stat(path)).mode! & 0o111) !== 0;
}

Deno.test("assembleLayers() lays out every variant when all inputs exist", async () => {
  const { dir, layout } = await fixture({});
  try {
    const results = await assembleLayers({ layout });
    assert.deepEqual(results.map((r) => [r.variant, r.status]), [
      ["none", "ready"],
      ["direct", "ready"],
      ["rust", "ready"],
      ["node", "ready"],
      ["llrt", "ready"],
    ]);
    const fn = (v: string, f: string) => readFile(join(layout.functionDir(v), f), "utf8");
    assert.equal(await fn("none", "index.mjs"), "// node function\n");
    assert.equal(await fn("direct", "index.mjs"), "// node function with SQS\n");
    assert.equal(await fn("llrt", "index.mjs"), "// llrt function\n");
    assert.ok(await isExecutable(join(layout.functionDir("llrt"), "bootstrap")));
    assert.equal(results[0]?.layerDir, null);
    assert.ok(await isExecutable(join(layout.layerDir("rust"), "extensions", "battle-ext-rust")));
    assert.ok(results.every((r) => r.artifacts.every((a) => a.bytes > 0)));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("assembleLayers() node launcher names itself and runs node on the bundle beside it", async () => {
  const { dir, layout } = await fixture({});
  try {
    await assembleLayers({ layout, variants: [variantByName("node")] });
    const layer = layout.layerDir("node");
    // A fake `node` on PATH stands in for the real one.
    await mkdir(join(layer, "bin"));
    await writeFile(
      join(layer, "bin", "node"),
      '#!/bin/sh\necho "name=$BATTLE_EXTENSION_NAME args=$*"\n',
    );
    await chmod(join(layer, "bin", "node"), 0o755);
    const out = await run(join(layer, "extensions", "battle-ext-node"));
    assert.equal(
      out,
      `name=battle-ext-node args=${layer}/extensions/../battle-ext-node/extension.mjs`,
    );
    assert.equal(
      await readFile(join(layer, "battle-ext-node", "extension.mjs"), "utf8"),
      "// node bundle\n",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("assembleLayers() llrt launcher runs the LLRT binary from the layer on the SDK-bundled bundle", async () => {
  const { dir, layout } = await fixture({ sdkEmbedded: false });
  try {
    await assembleLayers({ layout, variants: [variantByName("llrt")] });
    const layer = layout.layerDir("llrt");
    const out = await run(join(layer, "extensions", "battle-ext-llrt"));
    assert.equal(
      out,
      `name=battle-ext-llrt args=${layer}/extensions/../battle-ext-llrt/extension.mjs`,
    );
    assert.equal(
      await readFile(join(layer, "battle-ext-llrt", "extension.mjs"), "utf8"),
      "// llrt bundle, SDK bundled\n",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("assembleLayers() picks the SDK-external LLRT bundle when llrt.json says the SDK is embedded", async () => {
  const { dir, layout } = await fixture({ sdkEmbedded: true });
  try {
    await assembleLayers({ layout, variants: [variantByName("llrt")] });
    assert.equal(
      await readFile(join(layout.layerDir("llrt"), "battle-ext-llrt", "extension.mjs"), "utf8"),
      "// llrt bundle, SDK external\n",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("assembleLayers() skips variants whose inputs are missing, with the reason, and assembles the rest", async () => {
  const { dir, layout } = await fixture({ llrt: false, rust: false });
  try {
    const results = await assembleLayers({ layout });
    const byName = new Map(results.map((r) => [r.variant, r]));
    assert.equal(byName.get("node")?.status, "ready");
    const rust = byName.get("rust")!;
    assert.equal(rust.status, "skipped");
    assert.match(
      rust.status === "skipped" ? rust.reason : "",
      /battle-ext-rust is missing \(built by lib\/build\/rust\.ts\)/,
    );
    // The function folder is still there for deployments that take the binary from elsewhere.
    assert.equal(
      await readFile(join(layout.functionDir("rust"), "index.mjs"), "utf8"),
      "// node function\n",
    );
    const llrt = byName.get("llrt")!;
    assert.equal(llrt.status, "skipped");
    assert.match(llrt.status === "skipped" ? llrt.reason : "", /llrt\/llrt is missing/);
    assert.match(describeAssembled(llrt), /^llrt +skipped: /);
    assert.match(
      describeAssembled(byName.get("node")!),
      /^node +ready +function 17 B, layer \d+ B$/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("launcherScript() execs the runtime with a path relative to the launcher", () => {
  const text = launcherScript({
    runtime: '"$root/llrt/llrt"',
    bundle: "x/extension.mjs",
    comment: "c",
  });
  assert.match(text, /^#!\/bin\/sh\n/);
  assert.match(text, /\nexec "\$root\/llrt\/llrt" "\$root\/x\/extension\.mjs"\n$/);
  assert.match(text, /BATTLE_EXTENSION_NAME=\$\{0##\*\/\}/);
});
