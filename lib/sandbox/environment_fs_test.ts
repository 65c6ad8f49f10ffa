import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { SANDBOX_EXEC_BIN } from "../paths.ts";
import {
  EnvironmentFs,
  hostsFile,
  namespaceSupport,
  removeStaleWorkDirs,
} from "./environment_fs.ts";
import { Sandbox } from "./sandbox.ts";

const TESTDATA = fileURLToPath(new URL("./testdata", import.meta.url));
const CODE = join(TESTDATA, "fs_probe_code");
const OPT = join(TESTDATA, "opt_fs_probe");
const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

const cannot = await namespaceSupport(existsSync(SANDBOX_EXEC_BIN) ? SANDBOX_EXEC_BIN : null, CODE);

Deno.test("hostsFile() names the environment sandbox and sandbox.localdomain", () => {
  const lines = hostsFile("127.0.0.1").split("\n");
  assert.ok(lines.includes("127.0.0.1\tlocalhost"));
  assert.ok(lines.includes("127.0.0.1\tsandbox.localdomain sandbox"));
});

Deno.test("an environment folder whose owner died is removed, one whose owner runs is kept", async () => {
  const dead = new Deno.Command("true").spawn();
  await dead.status;
  const alive = new Deno.Command("sleep", { args: ["30"] }).spawn();
  const make = async (owner: number) => {
    const dir = await Deno.makeTempDir({ prefix: "sandbox_env_" });
    await Deno.writeTextFile(join(dir, "owner.pid"), String(owner));
    await Deno.mkdir(join(dir, "tmp"));
    return dir;
  };
  const [gone, kept] = [await make(dead.pid), await make(alive.pid)];
  try {
    await removeStaleWorkDirs();
    assert.equal(existsSync(gone), false, "the dead owner's folder is removed");
    assert.equal(existsSync(kept), true, "the running owner's folder is kept");
  } finally {
    alive.kill("SIGKILL");
    await alive.status;
    await Deno.remove(gone, { recursive: true }).catch(() => {});
    await Deno.remove(kept, { recursive: true });
  }
});

Deno.test("EnvironmentFs without a launcher is the host's file system, and says why", async () => {
  const fs = await EnvironmentFs.create({
    launcher: null,
    codeDir: CODE,
    optDir: OPT,
    hostPaths: [],
    address: "127.0.0.1",
  });
  assert.equal(fs.kind, "host");
  assert.equal(fs.taskRoot, CODE);
  assert.equal(fs.optRoot, OPT);
  assert.equal(fs.mntns, null);
  assert.match(fs.detail, /launcher is not built/);
  await fs.close();
});

Deno.test({
  name: "EnvironmentFs keeps the host's /tmp when what the environment runs from is under it",
  ignore: cannot !== null,
  async fn() {
    const code = await Deno.makeTempDir({ prefix: "envfs_code_" });
    try {
      const fs = await EnvironmentFs.create({
        launcher: SANDBOX_EXEC_BIN,
        codeDir: code,
        hostPaths: [],
        address: "127.0.0.1",
      });
      assert.equal(fs.kind, "namespace");
      assert.equal(fs.privateTmp, false);
      assert.match(fs.detail, /the host's \/tmp/);
      await fs.close();
    } finally {
      await Deno.remove(code, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "an environment sees Lambda's file system: code at /var/task (read-only), layers at /opt, a bootstrap from /opt, a private /tmp, sandbox.localdomain",
  ignore: cannot !== null,
  async fn() {
    const logDir = await Deno.makeTempDir({ prefix: "envfs_test_" });
    const probe = `probe-${crypto.randomUUID()}`;
    const hostHadVarTask = existsSync("/var/task");
    let address = "";
    const sb = await Sandbox.create({
      codeDir: CODE,
      optDir: OPT,
      runtime: "provided",
      memoryMb: 1769,
      logDir,
      env: { PROBE_NAME: probe },
    });
    try {
      assert.equal(sb.controls.fileSystem, "namespace", sb.controls.fileSystemDetail);
      const first = await sb.invoke(enc({}));
      assert.equal(first.status, "success", new TextDecoder().decode(first.response));
      const seen = JSON.parse(new TextDecoder().decode(first.response));
      assert.equal(seen.cwd, "/var/task");
      assert.equal(seen.taskRoot, "/var/task");
      assert.equal(seen.task, "from the code folder");
      assert.equal(seen.readOnly, "yes");
      assert.deepEqual(seen.opt.trim().split(" ").sort(), ["bootstrap", "extensions"]);
      // The environment's own loopback address, not 127.0.0.1 (left to the Runtime API).
      assert.match(seen.address, /^127\.\d+\.\d+\.\d+$/);
      assert.notEqual(seen.address, "127.0.0.1");
      address = seen.address;
      assert.ok(seen.tmp.split(" ").includes(probe), `private /tmp holds ${seen.tmp}`);
      assert.equal(existsSync(join(tmpdir(), probe)), false, "the host's /tmp is untouched");
      assert.equal(existsSync("/var/task"), hostHadVarTask, "the host's /var/task is untouched");
      // A new environment gets a fresh /tmp.
      await sb.reset();
      const next = JSON.parse(new TextDecoder().decode((await sb.invoke(enc({}))).response));
      assert.equal(next.tmp.split(" ").filter((f: string) => f === probe).length, 1);
    } finally {
      await sb.shutdown();
    }
    const log = await Deno.readTextFile(sb.logFile);
    await Deno.remove(logDir, { recursive: true });
    assert.ok(log.includes(`localdomain listening on ${address} subscribed 200`), log);
    assert.match(log, /localdomain got platform\.start/, "the listener on sandbox.localdomain");
  },
});

Deno.test({
  name:
    "two environments at once each bind sandbox.localdomain on the same fixed port and get their own deliveries",
  ignore: cannot !== null,
  async fn() {
    const logDir = await Deno.makeTempDir({ prefix: "envfs_port_test_" });
    // Below the ephemeral range (32768–60999), so no outgoing connection holds it.
    const port = String(20_000 + (Deno.pid % 10_000));
    const make = (name: string) =>
      Sandbox.create({
        codeDir: CODE,
        optDir: OPT,
        runtime: "provided",
        memoryMb: 1769,
        logDir,
        functionName: name,
        env: { PROBE_NAME: `probe-${name}`, LISTEN_PORT: port },
      });
    const [a, b] = await Promise.all([make("envfs-a"), make("envfs-b")]);
    try {
      const [ra, rb] = await Promise.all([a.invoke(enc({})), b.invoke(enc({}))]);
      assert.equal(ra.status, "success", new TextDecoder().decode(ra.response));
      assert.equal(rb.status, "success", new TextDecoder().decode(rb.response));
    } finally {
      await Promise.all([a.shutdown(), b.shutdown()]);
    }
    try {
      for (const sb of [a, b]) {
        const log = await Deno.readTextFile(sb.logFile);
        assert.match(log, new RegExp(`localdomain listening on 127\\.[\\d.]+ subscribed 200`));
        assert.match(log, /localdomain got platform\.start/, log);
      }
    } finally {
      await Deno.remove(logDir, { recursive: true });
    }
  },
});

Deno.test({
  name: "a bootstrap in neither the code nor the layers is refused before Init, naming both",
  async fn() {
    await assert.rejects(
      Sandbox.create({
        codeDir: CODE,
        optDir: join(TESTDATA, "opt_small"),
        runtime: "provided",
        logDir: tmpdir(),
      }),
      (e: Error) => e instanceof Deno.errors.NotFound && /opt_small\/bootstrap/.test(e.message),
    );
  },
});
