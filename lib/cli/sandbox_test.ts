import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { optDirFor, parseSandboxArgs } from "./sandbox.ts";

const CLI = fileURLToPath(new URL("./sandbox.ts", import.meta.url));
const TESTDATA = fileURLToPath(new URL("../sandbox/testdata", import.meta.url));

async function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI, ...args],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const d = new TextDecoder();
  return { code: out.code, stdout: d.decode(out.stdout), stderr: d.decode(out.stderr) };
}

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
  assert.equal(a.fileSystem, "lambda");
  assert.equal(a.ephemeralStorageMb, 512);
  const host = parseSandboxArgs([
    "--code",
    "fn",
    "--file-system",
    "host",
    "--ephemeral-storage",
    "10240",
  ]);
  assert.equal(host.fileSystem, "host");
  assert.equal(host.ephemeralStorageMb, 10240);
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
  assert.throws(() => parseSandboxArgs(["--code", "x", "--file-system", "vm"]), /"vm"/);
  assert.throws(
    () => parseSandboxArgs(["--code", "x", "--ephemeral-storage", "100"]),
    /--ephemeral-storage/,
  );
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
    // A layer with a custom runtime and no extensions is a layer, not a folder of extensions.
    const runtimeLayer = join(root, "runtime-layer");
    await Deno.mkdir(runtimeLayer);
    await Deno.writeTextFile(join(runtimeLayer, "bootstrap"), "#!/bin/sh\n", { mode: 0o755 });
    assert.equal((await optDirFor(runtimeLayer)).optDir, runtimeLayer);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("sandbox CLI prints the Lambda log lines and keeps the files", async () => {
  const logDir = await Deno.makeTempDir();
  const event = join(logDir, "event.json");
  await Deno.writeTextFile(event, '"hello"');
  try {
    const r = await runCli([
      "--code",
      join(TESTDATA, "shell_fn"),
      "--extensions",
      join(TESTDATA, "opt_recorder", "extensions"),
      "--memory",
      "1024",
      "--invoke",
      "2",
      "--event",
      event,
      "--log-dir",
      logDir,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^INIT_START Runtime Version: /m);
    assert.equal(r.stdout.match(/^REPORT RequestId: /gm)?.length, 2);
    assert.match(r.stdout, /^recorder event SHUTDOWN spindown$/m);
    assert.match(r.stdout, /^RESPONSE \S+ "hello"$/m);
    assert.match(await Deno.readTextFile(join(logDir, "shell_fn.log")), /\tREPORT RequestId: /);
    assert.match(
      await Deno.readTextFile(join(logDir, "shell_fn.telemetry.jsonl")),
      /"platform.report"/,
    );
  } finally {
    await Deno.remove(logDir, { recursive: true });
  }
});

Deno.test("sandbox CLI exits 2 with one line on bad input", async () => {
  const r = await runCli(["--code", join(TESTDATA, "shell_fn"), "--event", "/nonexistent.json"]);
  assert.equal(r.code, 2);
  assert.equal(r.stderr.trim().split("\n").length, 1);
  assert.match(r.stderr, /--event file not found: \/nonexistent\.json/);
});

Deno.test("parseSandboxArgs() reads --cpu-period and refuses one outside 1 ms–1 s", () => {
  assert.equal(parseSandboxArgs(["--code", "."]).cpuPeriodUs, null);
  assert.equal(parseSandboxArgs(["--code", ".", "--cpu-period", "20000"]).cpuPeriodUs, 20_000);
  assert.throws(() => parseSandboxArgs(["--code", ".", "--cpu-period", "500"]), {
    name: "RangeError",
    message: 'Invalid --cpu-period "500": expected a whole number ≥ 1000 and ≤ 1000000',
  });
});
