import assert from "node:assert/strict";
import { join } from "node:path";
import { rustLambdaBinary, stageHostRustForLambda } from "./lambda_rust.ts";

async function withBuild(fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "lambda-rust-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("stageHostRustForLambda() copies a host build that Lambda's glibc can run", async () => {
  await withBuild(async (dir) => {
    const host = join(dir, "host-bin");
    await Deno.writeFile(host, new TextEncoder().encode("\x7fELF\0GLIBC_2.17\0GLIBC_2.34\0"));
    const r = await stageHostRustForLambda({ hostBinary: host, arch: "x86_64", buildDir: dir });
    assert.deepEqual(r, { staged: true, path: rustLambdaBinary("x86_64", dir), glibc: "2.34" });
    assert.equal((await Deno.stat(rustLambdaBinary("x86_64", dir))).mode! & 0o111, 0o111);
  });
});

Deno.test("stageHostRustForLambda() refuses a host build that needs a newer glibc", async () => {
  await withBuild(async (dir) => {
    const host = join(dir, "host-bin");
    await Deno.writeFile(host, new TextEncoder().encode("\x7fELF\0GLIBC_2.36\0"));
    const r = await stageHostRustForLambda({ hostBinary: host, arch: "x86_64", buildDir: dir });
    assert.equal(r.staged, false);
    assert.match(r.staged ? "" : r.reason, /glibc 2\.36, Lambda has 2\.34/);
    await assert.rejects(Deno.stat(rustLambdaBinary("x86_64", dir)), Deno.errors.NotFound);
  });
});

Deno.test("stageHostRustForLambda() keeps a newer cross-compiled build", async () => {
  await withBuild(async (dir) => {
    const host = join(dir, "host-bin");
    await Deno.writeFile(host, new TextEncoder().encode("host GLIBC_2.17"));
    await Deno.utime(host, 1_000, 1_000);
    const cross = rustLambdaBinary("arm64", dir);
    await Deno.mkdir(join(dir, "lambda", "arm64"), { recursive: true });
    await Deno.writeFile(cross, new TextEncoder().encode("cross"));
    const r = await stageHostRustForLambda({ hostBinary: host, arch: "arm64", buildDir: dir });
    assert.equal(r.staged, false);
    assert.equal(await Deno.readTextFile(cross), "cross");
  });
});
