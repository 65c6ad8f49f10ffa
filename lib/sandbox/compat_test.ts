/**
 * The compatibility suite: extensions and runtimes written as third parties write them, run
 * unmodified in the sandbox, each asserting what it received. AWS's custom-runtime tutorial
 * bootstrap from a layer (`/opt/bootstrap`) with its `function.sh`; the shape of
 * aws-samples/aws-lambda-extensions' Python extensions (a launcher in `/opt/extensions` that
 * execs from `/opt/<name>/`, a listener bound to `sandbox.localdomain`); and the
 * `lambda-extension` crate's README logs and telemetry processors (rust/conformance,
 * `compat-logs` and `compat-telemetry`), which bind fixed ports and subscribe with
 * `sandbox.localdomain`. The Rust `lambda_runtime` and `awslambdaric` clients are in
 * conformance_test.ts.
 *
 * @module
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { RUST_DIR, RUST_TARGET_DIR, SANDBOX_EXEC_BIN } from "../paths.ts";
import { Sandbox, type SandboxOptions } from "./sandbox.ts";
import { namespaceSupport } from "./environment_fs.ts";

const TESTDATA = fileURLToPath(new URL("./testdata", import.meta.url));
const COMPAT = join(TESTDATA, "compat");
const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
// These shapes need Lambda's file system (`/opt`, `/var/task`, bash at `/bin/sh`).
const needsNamespace = await namespaceSupport(
  existsSync(SANDBOX_EXEC_BIN) ? SANDBOX_EXEC_BIN : null,
  TESTDATA,
) !== null;

/** Runs `invocations` events, shuts down, and returns the function's log text and responses. */
async function run(
  opts: Omit<SandboxOptions, "logDir">,
  invocations = 2,
): Promise<{ log: string; responses: string[]; fileSystem: string }> {
  const logDir = await Deno.makeTempDir({ prefix: "compat_test_" });
  const sb = await Sandbox.create({ memoryMb: 1769, ...opts, logDir });
  const responses: string[] = [];
  let fileSystem = "";
  try {
    fileSystem = sb.controls.fileSystem;
    for (let i = 0; i < invocations; i++) {
      const r = await sb.invoke(enc({ n: i }));
      assert.equal(r.status, "success", new TextDecoder().decode(r.response));
      responses.push(new TextDecoder().decode(r.response));
    }
  } finally {
    await sb.shutdown();
  }
  const log = await Deno.readTextFile(sb.logFile);
  await Deno.remove(logDir, { recursive: true });
  return { log, responses, fileSystem };
}

let built: Promise<string> | null = null;

/** Builds the crate's README examples once (debug; a no-op when cargo finds them fresh). */
function compatBinaries(): Promise<string> {
  built ??= (async () => {
    const out = await new Deno.Command("cargo", {
      args: [
        "build",
        "--quiet",
        "-p",
        "battle-conformance",
        "--bin",
        "compat-logs",
        "--bin",
        "compat-telemetry",
      ],
      cwd: RUST_DIR,
      stdout: "inherit",
      stderr: "inherit",
    }).output();
    if (!out.success) throw new Error("cargo build -p battle-conformance failed");
    return join(RUST_TARGET_DIR, "debug");
  })();
  return built;
}

/** A layer whose extensions/ holds one executable (a link to it). */
async function layerWith(bin: string): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await Deno.makeTempDir({ prefix: "compat_layer_" });
  await Deno.mkdir(join(dir, "extensions"));
  await Deno.symlink(bin, join(dir, "extensions", bin.split("/").pop()!));
  return { dir, remove: () => Deno.remove(dir, { recursive: true }) };
}

Deno.test({
  name: "AWS's tutorial bash runtime runs from a layer (/opt/bootstrap) with its function.sh",
  ignore: needsNamespace,
  async fn() {
    const { responses, fileSystem } = await run({
      codeDir: join(COMPAT, "bash_runtime_code"),
      optDir: join(COMPAT, "bash_runtime_layer"),
      runtime: "provided",
      handler: "function.handler",
    });
    assert.equal(fileSystem, "namespace");
    assert.deepEqual(responses, [
      `Echoing request: '{"n":0}'`,
      `Echoing request: '{"n":1}'`,
    ]);
  },
});

Deno.test({
  name:
    "an aws-samples-style Python extension execs from /opt/<name>/ and its listener on sandbox.localdomain gets telemetry",
  ignore: needsNamespace,
  async fn() {
    const { log } = await run({
      codeDir: join(TESTDATA, "shell_fn"),
      optDir: join(COMPAT, "python_extension_layer"),
      runtime: "provided",
    });
    const name = "[python-example-extension]";
    assert.match(log, /python-example-extension {2}launching extension/);
    assert.ok(
      log.includes(`${name} registered, running from /opt/python-example-extension/extension.py`),
      log,
    );
    // On the environment's own loopback address, which sandbox.localdomain names inside.
    assert.match(log, /\[python-example-extension\] listening on 127\.\d+\.\d+\.\d+:\d+/);
    assert.equal(log.split(`${name} event INVOKE`).length - 1, 2, log);
    assert.ok(log.includes(`${name} event SHUTDOWN`), log);
    assert.ok(log.includes(`${name} telemetry platform.start`), log);
    assert.ok(log.includes(`${name} telemetry platform.report`), log);
  },
});

Deno.test({
  name:
    "the lambda-extension crate's README telemetry processor gets platform records and function lines",
  ignore: needsNamespace,
  async fn() {
    const layer = await layerWith(join(await compatBinaries(), "compat-telemetry"));
    try {
      const { log } = await run({
        codeDir: join(TESTDATA, "shell_fn"),
        optDir: layer.dir,
        runtime: "provided",
      });
      assert.match(log, /compat-telemetry platform\.initStart/);
      assert.equal(log.split("compat-telemetry platform.report").length - 1, 2, log);
      assert.match(log, /compat-telemetry function: shell runtime got [0-9a-f-]{36}/);
    } finally {
      await layer.remove();
    }
  },
});

Deno.test({
  name:
    "the lambda-extension crate's README logs processor gets function lines through the Logs API",
  ignore: needsNamespace,
  async fn() {
    const layer = await layerWith(join(await compatBinaries(), "compat-logs"));
    try {
      const { log } = await run({
        codeDir: join(TESTDATA, "shell_fn"),
        optDir: layer.dir,
        runtime: "provided",
      });
      assert.match(log, /compat-logs function: shell runtime got [0-9a-f-]{36}/);
      assert.equal(log.split("compat-logs platform.report").length - 1, 2, log);
      // The crate refuses a batch with a record type the Logs API does not have.
      assert.doesNotMatch(log, /LOGS_DROPPED/);
    } finally {
      await layer.remove();
    }
  },
});
