import assert from "node:assert/strict";
import { join } from "node:path";
import {
  type LlrtAvailable,
  llrtLabel,
  parseLlrtInfo,
  parseVersionOutput,
  readLlrtInfo,
  writeLlrtInfo,
} from "./info.ts";

const CRATE: LlrtAvailable = {
  available: true,
  source: "crate",
  version: "0.8.1-beta",
  llrtCoreVersion: "0.8.1-beta",
  path: "/repo/build/llrt/llrt",
  sdkEmbedded: false,
  arch: "x86_64",
  builtAt: "2026-11-23T00:00:00.000Z",
  note: "built",
};

Deno.test("writeLlrtInfo() and readLlrtInfo() round-trip a record", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "nested", "llrt.json");
    await writeLlrtInfo(CRATE, path);
    assert.deepEqual(await readLlrtInfo(path), CRATE);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readLlrtInfo() reports a missing or invalid file as unavailable", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const missing = await readLlrtInfo(join(dir, "none.json"));
    assert.equal(missing.available, false);
    assert.match(
      !missing.available ? missing.reason : "",
      /not set up yet .*none\.json is missing/,
    );
    await Deno.writeTextFile(join(dir, "bad.json"), '{"available": true, "source": "bun"}');
    const bad = await readLlrtInfo(join(dir, "bad.json"));
    assert.match(!bad.available ? bad.reason : "", /^Cannot read .*bad\.json: "version" must be/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("parseLlrtInfo() rejects an unknown source", () => {
  assert.throws(() => parseLlrtInfo({ ...CRATE, source: "bun" }), {
    name: "TypeError",
    message: '"source" must be release, crate or env, not "bun"',
  });
  assert.throws(() => parseLlrtInfo(null), TypeError);
});

Deno.test("llrtLabel() names version, origin and SDK", () => {
  assert.equal(llrtLabel(CRATE), "LLRT 0.8.1-beta (built from llrt_core crate, no embedded SDK)");
  assert.equal(
    llrtLabel({
      ...CRATE,
      source: "release" as const,
      version: "0.7.0-beta",
      asset: "llrt-linux-x64.zip",
      sdkEmbedded: true,
    }),
    "LLRT 0.7.0-beta (official release llrt-linux-x64.zip, embedded SDK)",
  );
  assert.equal(
    llrtLabel({ ...CRATE, source: "env" as const, path: "/usr/bin/llrt" }),
    "LLRT 0.8.1-beta (LLRT_BIN=/usr/bin/llrt, no embedded SDK)",
  );
  assert.equal(
    llrtLabel({ available: false, reason: "No LLRT binary: x" }),
    "LLRT unavailable: No LLRT binary: x",
  );
});

Deno.test("parseVersionOutput() reads current and old --version formats", () => {
  assert.equal(parseVersionOutput("LLRT v0.8.1-beta (linux, x64)\n"), "0.8.1-beta");
  assert.equal(parseVersionOutput("LLRT (linux x64) 0.1.15-beta"), "0.1.15-beta");
  assert.throws(() => parseVersionOutput("hello"), {
    name: "TypeError",
    message: 'Cannot find a version in "hello"',
  });
});
