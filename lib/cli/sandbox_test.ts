import assert from "node:assert/strict";
import { join } from "node:path";
import { optDirFor, parseSandboxArgs } from "./sandbox.ts";

Deno.test("parseSandboxArgs() reads every flag and applies defaults", () => {
  const a = parseSandboxArgs([
    "--code",
    "fn",
    "--memory",
    "512",
    "--env",
    "A=b=c",
    "--invoke",
    "3",
  ]);
  assert.ok(a.codeDir.endsWith("/fn"));
  assert.equal(a.memoryMb, 512);
  assert.equal(a.timeoutS, 3);
  assert.equal(a.invocations, 3);
  assert.equal(a.handler, "index.handler");
  assert.equal(a.runtime, null);
  assert.deepEqual(a.env, { A: "b=c" });
});

Deno.test("parseSandboxArgs() names the offending value", () => {
  assert.throws(
    () => parseSandboxArgs([]),
    (e) => e instanceof TypeError && /--code/.test(e.message),
  );
  assert.throws(
    () => parseSandboxArgs(["--code", "x", "--memory", "100"]),
    (e) => e instanceof RangeError && /--memory.*"100"/.test(e.message),
  );
  assert.throws(
    () => parseSandboxArgs(["--code", "x", "--runtime", "java"]),
    (e) => e instanceof RangeError && /"java"/.test(e.message),
  );
  assert.throws(() => parseSandboxArgs(["--code", "x", "--env", "NOEQUALS"]), /NOEQUALS/);
  assert.throws(() => parseSandboxArgs(["--code", "x", "--invoke", "0"]), /--invoke/);
});

Deno.test("optDirFor() accepts an /opt layout or a folder of extensions", async () => {
  const root = await Deno.makeTempDir();
  try {
    await Deno.mkdir(join(root, "extensions"));
    const asOpt = await optDirFor(root);
    assert.equal(asOpt.optDir, root);
    const asExtensions = await optDirFor(join(root, "extensions"));
    assert.equal(
      await Deno.realPath(join(asExtensions.optDir, "extensions")),
      await Deno.realPath(join(root, "extensions")),
    );
    await asExtensions.cleanup();
    await assert.rejects(() => optDirFor(join(root, "missing")), Deno.errors.NotFound);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
