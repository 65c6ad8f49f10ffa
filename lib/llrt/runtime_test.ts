/**
 * Behaviour of the LLRT binary itself: CLI modules, the APIs the JS extension needs, and the
 * Lambda custom-runtime bootstrap against a fake Runtime API. Skipped, with the reason
 * printed, when no binary is available (run `deno task setup` or
 * `cargo build --release -p battle-llrt` in rust/).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { RUST_TARGET_DIR } from "../paths.ts";
import { type RecordedCall, startFakeRuntimeApi } from "./_fake_runtime_api.ts";
import { readLlrtInfo } from "./info.ts";

const TESTDATA = new URL("./testdata", import.meta.url).pathname;

async function findBinary(): Promise<{ bin: string | null; why: string }> {
  const candidates: string[] = [];
  const fromEnv = Deno.env.get("LLRT_BIN");
  if (fromEnv) candidates.push(fromEnv);
  const info = await readLlrtInfo();
  if (info.available) candidates.push(info.path);
  candidates.push(join(RUST_TARGET_DIR, "release", "llrt"));
  for (const path of candidates) {
    try {
      if ((await Deno.stat(path)).isFile) return { bin: path, why: "" };
    } catch {
      // Try the next candidate.
    }
  }
  const because = info.available ? "" : ` (${info.reason})`;
  return { bin: null, why: `no LLRT binary at ${candidates.join(", ")}${because}` };
}

const { bin, why } = await findBinary();
if (!bin) console.log(`runtime_test.ts: skipped: ${why}`);
const ignore = bin === null;
const BIN = bin ?? "";

/** Runs the binary with a clean environment plus `env`; kills it after 15 s. */
async function runLlrt(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = new Deno.Command(BIN, {
    args,
    cwd: TESTDATA,
    clearEnv: true,
    env: { PATH: Deno.env.get("PATH") ?? "/usr/bin", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
  const out = await child.output();
  clearTimeout(timer);
  const decoder = new TextDecoder();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

/** The JSON a script printed; the Lambda build prefixes console lines with time, id, level. */
function printedJson(stdout: string): Record<string, unknown> {
  const line = stdout.split("\n").find((l) => l.includes("{"));
  assert.ok(line, `no JSON line in ${JSON.stringify(stdout)}`);
  return JSON.parse(line.slice(line.indexOf("{")));
}

Deno.test({
  name: "llrt runs an ES module with process.argv and process.env",
  ignore,
  fn: async () => {
    const { code, stdout } = await runLlrt(["hello.mjs", "one", "two"], { BATTLE_MARKER: "m1" });
    assert.equal(code, 0);
    assert.deepEqual(printedJson(stdout), { args: ["one", "two"], marker: "m1" });
  },
});

Deno.test({
  name: "llrt --version, -e, and a missing file",
  ignore,
  fn: async () => {
    const version = await runLlrt(["--version"]);
    assert.equal(version.code, 0);
    assert.match(version.stdout, /^LLRT v\d+\.\d+\.\d+\S* \(linux, (x64|arm64)\)\n$/);
    const evaluated = await runLlrt(["-e", "console.log(JSON.stringify({sum: 1 + 2}))"]);
    assert.deepEqual(printedJson(evaluated.stdout), { sum: 3 });
    const missing = await runLlrt(["no-such-file.mjs"]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /No such file: no-such-file\.mjs/);
  },
});

Deno.test({
  name: "llrt has fetch, node:net server and client, crypto (incl. subtle HMAC) and timers",
  ignore,
  fn: async () => {
    const server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      async (request) => new Response(`${request.method} ${await request.text()}`),
    );
    try {
      const { code, stdout, stderr } = await runLlrt(["features.mjs"], {
        BATTLE_MARKER: "m2",
        BATTLE_FETCH_URL: `http://127.0.0.1:${server.addr.port}/x`,
      });
      assert.equal(code, 0, stderr);
      assert.deepEqual(printedJson(stdout), {
        sha256: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        hmac: "2d93cbc1be167bcb1637a4a23cbff01a7878f0c50ee833954ea5221bb1b8c628",
        env: "m2",
        subtleHmac: "2d93cbc1be167bcb1637a4a23cbff01a7878f0c50ee833954ea5221bb1b8c628",
        timeoutWaited: true,
        intervalTicks: 3,
        externalFetch: { status: 200, body: "POST ping" },
        netServerFetch: { status: 202, body: { accepted: true } },
        netClientStatusLine: "HTTP/1.1 202 Accepted",
      });
    } finally {
      await server.shutdown();
    }
  },
});

/** Starts the binary as `bootstrap` under the fake Runtime API with handler `handler`. */
async function startBootstrap(handler: string, events: unknown[]) {
  const fake = startFakeRuntimeApi(events);
  const dir = await Deno.makeTempDir({ prefix: "llrt-bootstrap-" });
  await Deno.symlink(BIN, join(dir, "bootstrap"));
  const child = new Deno.Command(join(dir, "bootstrap"), {
    cwd: dir,
    clearEnv: true,
    env: {
      AWS_LAMBDA_RUNTIME_API: fake.address,
      _HANDLER: handler,
      LAMBDA_TASK_ROOT: TESTDATA,
      AWS_LAMBDA_FUNCTION_NAME: "battle-test",
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "128",
      AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
      AWS_REGION: "us-east-1",
      TZ: "UTC",
      BATTLE_MARKER: "m3",
    },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const output = child.output();
  const killTimer = setTimeout(() => child.kill("SIGKILL"), 15_000);
  return {
    fake,
    /** Stops the runtime (if still running) and the fake; returns what the runtime printed. */
    async stop() {
      try {
        child.kill("SIGKILL");
      } catch {
        // Already exited.
      }
      const out = await output;
      clearTimeout(killTimer);
      await fake.close();
      await Deno.remove(dir, { recursive: true });
      const decoder = new TextDecoder();
      return {
        code: out.code,
        stdout: decoder.decode(out.stdout),
        stderr: decoder.decode(out.stderr),
      };
    },
    exited: output,
  };
}

const nextCount = (calls: RecordedCall[]) =>
  calls.filter((c) => c.method === "GET" && c.path.endsWith("/invocation/next")).length;

Deno.test({
  name: "bootstrap runs the handler from _HANDLER and posts each result, then asks again",
  ignore,
  fn: async () => {
    const run = await startBootstrap("handlers.ok", [{ n: 1 }, { n: 2 }]);
    try {
      const calls = await run.fake.waitUntil((c) => nextCount(c) >= 3);
      const posts = calls.filter((c) => c.method === "POST");
      assert.deepEqual(posts.map((c) => c.path), [
        "/2018-06-01/runtime/invocation/req-1/response",
        "/2018-06-01/runtime/invocation/req-2/response",
      ]);
      assert.deepEqual(JSON.parse(posts[0]!.body), {
        echo: { n: 1 },
        requestId: "req-1",
        functionName: "battle-test",
        remainingPositive: true,
        marker: "m3",
      });
      assert.equal(JSON.parse(posts[1]!.body).echo.n, 2);
    } finally {
      await run.stop();
    }
  },
});

Deno.test({
  name: "bootstrap posts a throwing handler's error to /invocation/{id}/error and goes on",
  ignore,
  fn: async () => {
    const run = await startBootstrap("handlers.fails", [{}]);
    try {
      const calls = await run.fake.waitUntil((c) => nextCount(c) >= 2);
      const posts = calls.filter((c) => c.method === "POST");
      assert.equal(posts.length, 1);
      assert.equal(posts[0]!.path, "/2018-06-01/runtime/invocation/req-1/error");
      assert.equal(posts[0]!.headers["lambda-runtime-function-error-type"], "TypeError");
      const body = JSON.parse(posts[0]!.body);
      assert.equal(body.errorType, "TypeError");
      assert.equal(body.errorMessage, "TypeError: handler failed on purpose");
      assert.match(body.stackTrace, /handlers\.mjs/);
    } finally {
      await run.stop();
    }
  },
});

// LLRT's runtime client (llrt_core 0.8.1-beta, as in the official main) posts /init/error only
// for failures once it is polling; a handler that cannot be loaded makes it print the error
// and exit 1 before its first /next. On Lambda that is an Init failure, Runtime.ExitError.
for (
  const [handler, message] of [
    ["missing.handler", /Error resolving module '.*testdata\/missing'/],
    ["handlers.nope", /"nope" is not a function in "handlers"/],
  ] as const
) {
  Deno.test({
    name: `bootstrap with an unloadable handler (${handler}) exits 1 before asking for events`,
    ignore,
    fn: async () => {
      const run = await startBootstrap(handler, [{}]);
      const { code } = await run.exited;
      const { stderr } = await run.stop();
      assert.equal(code, 1);
      assert.match(stderr, message);
      assert.deepEqual(run.fake.calls, []);
    },
  });
}
