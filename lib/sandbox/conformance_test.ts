/**
 * The sandbox exercised by clients nobody here wrote: AWS's Rust `lambda_runtime` and
 * `lambda-extension` crates (rust/conformance, built here once in debug) and AWS's Python
 * runtime interface client `awslambdaric` (installed by setup into `.cache/awslambdaric`).
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { CACHE_DIR, RUST_DIR, RUST_TARGET_DIR } from "../paths.ts";
import { type InvokeResult, Sandbox, type SandboxOptions } from "./sandbox.ts";

const TESTDATA = fileURLToPath(new URL("./testdata", import.meta.url));
const AWSLAMBDARIC_DIR = join(CACHE_DIR, "awslambdaric");
const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
const text = (r: InvokeResult) => new TextDecoder().decode(r.response);

let built: Promise<{ bootstrap: string; extension: string }> | null = null;

/** Builds the Rust fixtures once per test run (a no-op when cargo finds them fresh). */
function rustFixtures(): Promise<{ bootstrap: string; extension: string }> {
  built ??= (async () => {
    const dir = join(RUST_TARGET_DIR, "debug");
    const bins = {
      bootstrap: join(dir, "conformance-bootstrap"),
      extension: join(dir, "conformance-extension"),
    };
    // Skip cargo (and its workspace lock, which concurrent builds hold) when both binaries
    // are newer than every source of the crate.
    if (await newerThanSources(Object.values(bins))) return bins;
    const out = await new Deno.Command("cargo", {
      args: ["build", "--quiet", "-p", "battle-conformance"],
      cwd: RUST_DIR,
      stdout: "inherit",
      stderr: "inherit",
    }).output();
    if (!out.success) throw new Error("cargo build -p battle-conformance failed");
    return bins;
  })();
  return built;
}

async function newerThanSources(bins: string[]): Promise<boolean> {
  const crate = join(RUST_DIR, "conformance");
  const sources = [join(crate, "Cargo.toml"), join(crate, "src", "bin")];
  for await (const e of Deno.readDir(join(crate, "src", "bin"))) {
    sources.push(join(crate, "src", "bin", e.name));
  }
  try {
    const built = Math.min(
      ...await Promise.all(bins.map(async (b) => (await Deno.stat(b)).mtime!.getTime())),
    );
    const changed = Math.max(
      ...await Promise.all(sources.map(async (f) => (await Deno.stat(f)).mtime!.getTime())),
    );
    return built > changed;
  } catch {
    return false;
  }
}

/** A code folder whose `bootstrap` is the Rust runtime, and an /opt with the Rust extension. */
async function rustLayout(
  withExtension: boolean,
): Promise<{ codeDir: string; optDir?: string; root: string }> {
  const bins = await rustFixtures();
  const root = await Deno.makeTempDir({ prefix: "conformance_" });
  const codeDir = join(root, "code");
  await Deno.mkdir(codeDir);
  await Deno.symlink(bins.bootstrap, join(codeDir, "bootstrap"));
  if (!withExtension) return { codeDir, root };
  const optDir = join(root, "opt");
  await Deno.mkdir(join(optDir, "extensions"), { recursive: true });
  await Deno.symlink(bins.extension, join(optDir, "extensions", "conformance-extension"));
  return { codeDir, optDir, root };
}

async function withRust(
  opts: Partial<Omit<SandboxOptions, "codeDir" | "optDir" | "logDir">> & { extension?: boolean },
  fn: (sb: Sandbox, root: string) => Promise<void>,
): Promise<void> {
  const { extension = false, ...rest } = opts;
  const layout = await rustLayout(extension);
  const sb = await Sandbox.create({
    runtime: "provided",
    memoryMb: 1769,
    ...rest,
    codeDir: layout.codeDir,
    ...(layout.optDir ? { optDir: layout.optDir } : {}),
    logDir: join(layout.root, "logs"),
    functionName: "conformance",
  });
  try {
    await fn(sb, layout.root);
  } finally {
    await sb.shutdown();
    await Deno.remove(layout.root, { recursive: true });
  }
}

async function lines(sb: Sandbox): Promise<string[]> {
  const raw = await Deno.readTextFile(sb.logFile);
  return raw.replace(/\n$/, "").split("\n").map((l) => l.slice(l.indexOf("\t") + 1));
}

/** Lambda's REPORT line: tab-separated fields, optional Init Duration and Status, trailing tab. */
const REPORT = new RegExp(
  "^REPORT RequestId: [0-9a-f-]{36}\\tDuration: \\d+\\.\\d{2} ms\\tBilled Duration: \\d+ ms\\t" +
    "Memory Size: \\d+ MB\\tMax Memory Used: \\d+ MB\\t(Init Duration: \\d+\\.\\d{2} ms\\t)?" +
    "(Status: (timeout|error)\\t(Error Type: [A-Za-z.]+\\t)?)?$",
);

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

Deno.test("lambda_runtime: echo round trip, handler error and REPORT lines", async () => {
  await withRust({}, async (sb) => {
    const cold = await sb.invoke(enc({ hello: "world" }));
    assert.equal(cold.status, "success", text(cold));
    assert.equal(cold.cold, true);
    assert.deepEqual(JSON.parse(text(cold)), {
      echo: { hello: "world" },
      requestId: cold.requestId,
    });
    const warm = await sb.invoke(enc({ n: 2 }));
    assert.equal(warm.cold, false);
    const failed = await sb.invoke(enc({ fail: "nope" }));
    assert.equal(failed.status, "error");
    assert.equal(failed.errorType, "Conformance.Failure");
    assert.equal(JSON.parse(text(failed)).errorMessage, "nope");
    const reports = (await lines(sb)).filter((l) => l.startsWith("REPORT"));
    assert.equal(reports.length, 3);
    for (const r of reports) assert.match(r, REPORT);
    assert.match(reports[0]!, /Init Duration/);
    assert.doesNotMatch(reports[1]!, /Init Duration/);
  });
});

Deno.test("lambda_runtime: calls in the wrong state get 403 InvalidStateTransition", async () => {
  await withRust({}, async (sb) => {
    await sb.invoke(enc({}));
    const res = await fetch(`http://${sb.apiAddress}/2018-06-01/runtime/invocation/x/response`, {
      method: "POST",
      body: "{}",
    });
    assert.equal(res.status, 403);
    assert.equal((await res.json()).errorType, "InvalidStateTransition");
    const late = await fetch(`http://${sb.apiAddress}/2020-01-01/extension/register`, {
      method: "POST",
      headers: { "Lambda-Extension-Name": "late" },
      body: JSON.stringify({ events: ["INVOKE"] }),
    });
    assert.equal(late.status, 403, "registration after Init fails");
    await late.body?.cancel();
    assert.equal((await sb.invoke(enc({ after: true }))).status, "success");
  });
});

Deno.test("lambda_runtime: a response over 6 MiB is refused (413) and the invoke fails", async () => {
  await withRust({}, async (sb) => {
    const r = await sb.invoke(enc({ responseBytes: 6 * 1024 * 1024 + 10 }));
    assert.equal(r.status, "error");
    assert.equal(r.errorType, "Function.ResponseSizeTooLarge");
    const ok = await sb.invoke(enc({ responseBytes: 1000 }));
    assert.equal(ok.status, "success");
    assert.equal(ok.response.length, 1002);
  });
});

Deno.test("lambda_runtime: a timeout ends with Status: timeout and the next invoke is cold", async () => {
  await withRust({ timeoutS: 0.5 }, async (sb) => {
    const r = await sb.invoke(enc({ sleepMs: 3000 }));
    assert.equal(r.status, "timeout");
    const next = await sb.invoke(enc({}));
    assert.equal(next.status, "success");
    assert.equal(next.cold, true);
    const reports = (await lines(sb)).filter((l) => l.startsWith("REPORT"));
    assert.match(reports[0]!, /\tStatus: timeout\t$/);
    assert.match(reports[1]!, /Init Duration/);
  });
});

Deno.test("lambda_runtime: allocating past the memory size ends as Runtime.OutOfMemory", async (t) => {
  // 128 MB gets 7 % of a CPU: give the allocation time to reach the limit on a busy host.
  await withRust({ memoryMb: 128, timeoutS: 20 }, async (sb) => {
    if (sb.controls.memoryLimit === "none") {
      t.step({ name: "no memory limit in force here; skipped", ignore: true, fn() {} });
      return;
    }
    const ok = await sb.invoke(enc({ allocMb: 16 }));
    assert.equal(ok.status, "success", text(ok));
    assert.ok(ok.maxMemoryMb >= 16 && ok.maxMemoryMb < 128, `Max Memory Used ${ok.maxMemoryMb}`);
    const r = await sb.invoke(enc({ allocMb: 400 }));
    assert.equal(r.status, "error", `${r.status} ${r.errorType} after ${r.durationMs} ms`);
    assert.equal(r.errorType, "Runtime.OutOfMemory");
    assert.match(
      (await lines(sb)).filter((l) => l.startsWith("REPORT")).at(-1)!,
      /Status: error\tError Type: Runtime\.OutOfMemory\t$/,
    );
    assert.equal((await sb.invoke(enc({}))).cold, true);
  });
});

Deno.test("lambda-extension: gets INVOKE, SHUTDOWN and parseable telemetry", async () => {
  await withRust(
    { extension: true, env: { CONFORMANCE_TELEMETRY_PORT: String(freePort()) } },
    async (sb) => {
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) ids.push((await sb.invoke(enc({ i }))).requestId);
      await sb.shutdown();
      const got = await lines(sb);
      for (const id of ids) assert.ok(got.includes(`conformance-extension INVOKE ${id}`), id);
      assert.ok(got.includes("conformance-extension SHUTDOWN spindown"));
      const types = [
        "platform.initStart",
        "platform.initRuntimeDone",
        "platform.initReport",
        "platform.start",
        "platform.runtimeDone",
        "platform.report",
        "platform.extension",
        "platform.telemetrySubscription",
      ];
      for (const type of types) {
        assert.ok(
          got.includes(`conformance-extension TELEMETRY ${type}`),
          `subscriber parsed ${type}`,
        );
      }
    },
  );
});

Deno.test("lambda-extension: its Logs API processor parses every batch (2021-03-18)", async () => {
  // The crate's logs processor answers 400 to a batch with any record type the Logs API does not
  // have (it once got the Telemetry API's platform.initStart and lost every function line).
  await withRust(
    { extension: true, env: { CONFORMANCE_LOGS_PORT: String(freePort()) } },
    async (sb) => {
      const ids: string[] = [];
      for (let i = 0; i < 2; i++) ids.push((await sb.invoke(enc({ i }))).requestId);
      await sb.shutdown();
      const got = await lines(sb);
      assert.ok(
        got.includes(
          "LOGS\tName: conformance-extension\tState: Subscribed\tTypes: [Platform, Function]",
        ),
      );
      assert.deepEqual(got.filter((l) => l.startsWith("LOGS_DROPPED")), [], "no batch refused");
      const types = new Set(
        got.filter((l) => l.startsWith("conformance-extension LOGS ")).map((l) => l.slice(27)),
      );
      for (
        const type of [
          "platform.logsSubscription",
          "platform.extension",
          "platform.start",
          "platform.runtimeDone",
          "platform.end",
          "platform.report",
        ]
      ) assert.ok(types.has(type), `subscriber parsed ${type}: ${[...types]}`);
      // Killed at the deadline: the crate's run loop calls /next again after SHUTDOWN.
      assert.match(
        got.find((l) => l.startsWith("SHUTDOWN\t"))!,
        /^SHUTDOWN\tName: conformance-extension\tState: ShutdownFailed\tSignal: SIGKILL\tReason: deadline\t/,
      );
    },
  );
});

Deno.test("lambda-extension: a crash ends as Extension.Crash and the next invoke is cold", async () => {
  const marker = await Deno.makeTempFile();
  try {
    await withRust({ extension: true, env: { CONFORMANCE_CRASH_FILE: marker } }, async (sb) => {
      const r = await sb.invoke(enc({}));
      assert.equal(r.status, "error");
      assert.equal(r.errorType, "Extension.Crash");
      const next = await sb.invoke(enc({}));
      assert.equal(next.status, "success");
      assert.equal(next.cold, true);
    });
  } finally {
    await Deno.remove(marker).catch(() => {});
  }
});

async function pythonBin(): Promise<string> {
  const out = await new Deno.Command("python3", {
    args: ["-c", "import sys; print(sys.executable)"],
    stdout: "piped",
  }).output();
  return new TextDecoder().decode(out.stdout).trim();
}

const haveRic = await Deno.stat(join(AWSLAMBDARIC_DIR, "awslambdaric")).then(
  () => true,
  () => false,
);

Deno.test({
  name: "awslambdaric: echo, handler error and init error",
  ignore: !haveRic,
  async fn() {
    const logDir = await Deno.makeTempDir({ prefix: "conformance_py_" });
    const env = {
      AWSLAMBDARIC_DIR,
      PYTHON_BIN: await pythonBin(),
      PYTHONDONTWRITEBYTECODE: "1",
    };
    const base = {
      runtime: "provided" as const,
      handler: "handler.handler",
      memoryMb: 1769,
      logDir,
      env,
    };
    try {
      const sb = await Sandbox.create({ ...base, codeDir: join(TESTDATA, "python_fn") });
      try {
        const ok = await sb.invoke(enc({ py: 1 }));
        assert.equal(ok.status, "success", text(ok));
        const body = JSON.parse(text(ok));
        assert.deepEqual(body.echo, { py: 1 });
        assert.equal(body.requestId, ok.requestId);
        assert.ok(body.remainingMs > 0 && body.remainingMs <= 3000);
        const failed = await sb.invoke(enc({ fail: "py boom" }));
        assert.equal(failed.status, "error");
        assert.equal(failed.errorType, "ValueError");
        assert.equal(JSON.parse(text(failed)).errorMessage, "py boom");
        assert.equal((await sb.invoke(enc({}))).cold, false);
      } finally {
        await sb.shutdown();
      }
      const broken = await Sandbox.create({
        ...base,
        codeDir: join(TESTDATA, "python_init_error"),
      });
      try {
        const r = await broken.invoke(enc({}));
        assert.equal(r.status, "error");
        assert.equal(r.errorType, "RuntimeError");
        assert.equal(JSON.parse(text(r)).errorMessage, "broken at import");
        assert.match(
          (await lines(broken)).find((l) => l.startsWith("INIT_REPORT"))!,
          /Phase: init\tStatus: error\tError Type: RuntimeError$/,
        );
      } finally {
        await broken.shutdown();
      }
    } finally {
      await Deno.remove(logDir, { recursive: true });
    }
  },
});
