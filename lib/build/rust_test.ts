import assert from "node:assert/strict";
import { join } from "node:path";
import { buildRustExtension, cargoBuildArgs } from "./rust.ts";

Deno.test("cargoBuildArgs() builds the one package into the given target folder", () => {
  assert.deepEqual(cargoBuildArgs("release", "/t"), [
    "build",
    "--profile",
    "release",
    "-p",
    "battle-ext-rust",
    "--target-dir",
    "/t",
    "--color",
    "never",
  ]);
});

/** A stand-in cargo that records its arguments and "builds" a 1234-byte binary. */
async function fakeCargo(dir: string, exitCode = 0): Promise<string> {
  const script = join(dir, "cargo");
  await Deno.writeTextFile(
    script,
    `#!/bin/sh
echo "$@" > "${dir}/args"
while [ "$1" != "--target-dir" ]; do shift; done
mkdir -p "$2/release"
head -c 1234 /dev/zero > "$2/release/battle-ext-rust"
echo "error: the build broke" >&2
exit ${exitCode}
`,
  );
  await Deno.chmod(script, 0o755);
  return script;
}

Deno.test("buildRustExtension() runs cargo and copies the binary with its size", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const out = join(dir, "out", "battle-ext-rust");
    const built = await buildRustExtension({
      cargo: await fakeCargo(dir),
      rustDir: dir,
      targetDir: join(dir, "target"),
      out,
    });
    assert.equal(built.path, out);
    assert.equal(built.bytes, 1234);
    assert.equal(built.profile, "release");
    assert.equal((await Deno.stat(out)).mode! & 0o111, 0o111, "executable");
    assert.match(
      await Deno.readTextFile(join(dir, "args")),
      /^build --profile release -p battle-ext-rust/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("buildRustExtension() reports cargo's failure and a missing cargo", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const options = { rustDir: dir, targetDir: join(dir, "target"), out: join(dir, "bin") };
    await assert.rejects(
      buildRustExtension({ ...options, cargo: await fakeCargo(dir, 101) }),
      /cargo exited with 101\nerror: the build broke/,
    );
    await assert.rejects(
      buildRustExtension({ ...options, cargo: join(dir, "no-cargo") }),
      /"\/.*no-cargo" is not installed/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
