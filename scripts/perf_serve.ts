/**
 * `deno task perf:serve`: the Lambda Invoke round trip through `deno task serve` beside AWS's
 * Runtime Interface Emulator (`aws-lambda-rie`, the Go module
 * `github.com/aws/aws-lambda-runtime-interface-emulator` at {@link RIE_VERSION}, built here with
 * `go build` into `build/`), with a bare loopback HTTP round trip as the floor.
 *
 * All three are separate processes on loopback, driven by the same HTTP client (this process's
 * `fetch`, keep-alive, one request at a time) with the same request (`POST
 * /2015-03-31/functions/<name>/invocations`, body `{}`, a SigV4-shaped Authorization that RIE
 * ignores), interleaved round by round so both see the same host noise. Both run the same
 * no-op bootstrap (`noop-bootstrap` of rust/conformance: one keep-alive connection, no work).
 * The serve side runs as `deno task serve --code` would, with its freezer and cgroups on
 * (between invocations the environment is frozen, as on Lambda; RIE never freezes).
 *
 * Target: the serve round trip below RIE's at the median and at p99.
 *
 * Flags: `--n N` (default 3000 round trips each), `--memory MB` (default 1769: one full vCPU, so
 * the CPU quota does not dominate), `--no-freeze`, `--fallback` (no cgroups).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { BUILD_DIR, ROOT, RUST_DIR, RUST_TARGET_DIR } from "../lib/paths.ts";
import { unsignedSigV4Headers } from "../lib/serve/sigv4.ts";
import { fmt, stats } from "./_bench.ts";
import { HARNESS_V8_FLAGS } from "../lib/sandbox/young_gen.ts";

/** The pinned emulator. */
export const RIE_MODULE = "github.com/aws/aws-lambda-runtime-interface-emulator";
export const RIE_VERSION = "v0.0.0-20261030222936-bef5c4ba774d";
const RIE_BIN = join(BUILD_DIR, "aws-lambda-rie");
const RIE_STAMP = join(BUILD_DIR, "aws-lambda-rie.version");

async function run(
  cmd: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
) {
  const out = await new Deno.Command(cmd, { args, ...options, stdout: "piped", stderr: "piped" })
    .output();
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")} failed:\n${new TextDecoder().decode(out.stderr)}`);
  }
}

/** Builds the pinned RIE with `go build` into build/ (once per version). */
async function buildRie(): Promise<string> {
  const stamp = await Deno.readTextFile(RIE_STAMP).catch(() => "");
  if (stamp.trim() === RIE_VERSION && (await Deno.stat(RIE_BIN).catch(() => null))) return RIE_BIN;
  console.error(`perf:serve: building aws-lambda-rie ${RIE_VERSION} with go build`);
  const dir = await Deno.makeTempDir({ prefix: "rie-build-" });
  const env = { CGO_ENABLED: "0", GOFLAGS: "-mod=mod" };
  try {
    await run("go", ["mod", "init", "battle/rie-build"], { cwd: dir, env });
    await run("go", ["get", `${RIE_MODULE}@${RIE_VERSION}`], { cwd: dir, env });
    await Deno.mkdir(BUILD_DIR, { recursive: true });
    await run(
      "go",
      [
        "build",
        "-trimpath",
        "-ldflags",
        "-s -w",
        "-o",
        RIE_BIN,
        `${RIE_MODULE}/cmd/aws-lambda-rie`,
      ],
      { cwd: dir, env },
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  await Deno.writeTextFile(RIE_STAMP, RIE_VERSION + "\n");
  return RIE_BIN;
}

async function noopBootstrap(): Promise<string> {
  await run("cargo", ["build", "--quiet", "-p", "battle-conformance", "--bin", "noop-bootstrap"], {
    cwd: RUST_DIR,
  });
  return join(RUST_TARGET_DIR, "debug", "noop-bootstrap");
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** Reads a child's stdout until its first line. */
async function firstLine(child: Deno.ChildProcess): Promise<string> {
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error("the process ended before printing its endpoint");
    text += value;
  }
  // Keep draining so the child never blocks on a full pipe.
  (async () => {
    while (!(await reader.read()).done) { /* drain */ }
  })();
  return text.split("\n")[0]!.trim();
}

async function waitFor(url: string, init: RequestInit, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      const res = await fetch(url, init);
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      n: { type: "string", default: "3000" },
      memory: { type: "string", default: "1769" },
      "no-freeze": { type: "boolean", default: false },
      fallback: { type: "boolean", default: false },
    },
  });
  const n = Number(values.n);
  const memory = Number(values.memory);
  if (!Number.isInteger(n) || n < 10 || !Number.isInteger(memory) || memory < 128) {
    console.error("perf:serve: --n must be a whole number ≥ 10 and --memory ≥ 128");
    Deno.exit(2);
  }
  const [rie, bootstrap] = await Promise.all([buildRie(), noopBootstrap()]);
  const root = await Deno.makeTempDir({ prefix: "perf_serve_" });
  const codeDir = join(root, "code");
  await Deno.mkdir(codeDir);
  await Deno.symlink(bootstrap, join(codeDir, "bootstrap"));

  const children: Deno.ChildProcess[] = [];
  try {
    // The floor: a bare HTTP server in another process, answering what an invoke answers.
    const floorPort = freePort();
    children.push(
      new Deno.Command(Deno.execPath(), {
        args: [
          "eval",
          `Deno.serve({ hostname: "127.0.0.1", port: ${floorPort}, onListen() {} }, async (r) => { await r.arrayBuffer(); return new Response("{}", { headers: { "content-type": "application/json" } }); });`,
        ],
        stdout: "null",
        stderr: "inherit",
      }).spawn(),
    );
    const serveArgs = [
      "run",
      "-A",
      HARNESS_V8_FLAGS,
      join(ROOT, "lib", "cli", "serve.ts"),
      "--code",
      codeDir,
      "--name",
      "noop",
      "--runtime",
      "provided",
      "--memory",
      String(memory),
      "--port",
      "0",
      "--logs",
      join(root, "logs"),
      "--outputs",
      join(root, "outputs.json"),
      ...(values["no-freeze"] ? ["--no-freeze"] : []),
      ...(values.fallback ? ["--fallback"] : []),
    ];
    const serve = new Deno.Command(Deno.execPath(), {
      args: serveArgs,
      stdout: "piped",
      stderr: "null",
    }).spawn();
    children.push(serve);
    const rieApi = freePort();
    const riePort = freePort();
    children.push(
      new Deno.Command(rie, {
        args: [
          "--runtime-interface-emulator-address",
          `127.0.0.1:${riePort}`,
          "--runtime-api-address",
          `127.0.0.1:${rieApi}`,
          "--log-level",
          "error",
          join(codeDir, "bootstrap"),
        ],
        cwd: codeDir,
        env: { AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memory), AWS_LAMBDA_FUNCTION_TIMEOUT: "10" },
        stdout: "null",
        stderr: "null",
      }).spawn(),
    );
    const serveEndpoint = await firstLine(serve);
    const headers = { ...unsignedSigV4Headers("lambda"), "content-type": "application/json" };
    const targets = {
      floor: `http://127.0.0.1:${floorPort}/2015-03-31/functions/noop/invocations`,
      serve: `${serveEndpoint}/2015-03-31/functions/noop/invocations`,
      rie: `http://127.0.0.1:${riePort}/2015-03-31/functions/function/invocations`,
    };
    for (const url of Object.values(targets)) {
      await waitFor(url, { method: "POST", headers, body: "{}" });
    }
    const times: Record<keyof typeof targets, number[]> = { floor: [], serve: [], rie: [] };
    const order = Object.keys(targets) as (keyof typeof targets)[];
    const warmup = 200;
    for (let i = 0; i < n + warmup; i++) {
      // Rotate who goes first, so no series always follows the same one.
      for (let k = 0; k < order.length; k++) {
        const name = order[(i + k) % order.length]!;
        const t0 = performance.now();
        const res = await fetch(targets[name], { method: "POST", headers, body: "{}" });
        const body = await res.text();
        const ms = performance.now() - t0;
        if (res.status !== 200 || body !== "{}") {
          throw new Error(`${name} answered ${res.status} ${body.slice(0, 200)}`);
        }
        if (i >= warmup) times[name].push(ms);
      }
    }
    const s = { floor: stats(times.floor), serve: stats(times.serve), rie: stats(times.rie) };
    const controls = values.fallback ? "cgroups off" : "cgroups on";
    const freezer = values["no-freeze"] ? "freeze off" : "freeze on";
    console.log(
      `perf:serve: ${n} sequential invokes each, no-op bootstrap, ${memory} MB, ${freezer}, ${controls}`,
    );
    console.log(`  loopback HTTP round trip (floor)  ${fmt(s.floor)}`);
    console.log(`  deno task serve Invoke            ${fmt(s.serve)}`);
    console.log(`  aws-lambda-rie Invoke             ${fmt(s.rie)}`);
    const ratio = (a: number, b: number) => (a / b).toFixed(2);
    console.log(
      `  serve ÷ RIE: median ${ratio(s.serve.median, s.rie.median)}×, p99 ${
        ratio(s.serve.p99, s.rie.p99)
      }×; serve ÷ floor: median ${ratio(s.serve.median, s.floor.median)}×, RIE ÷ floor: median ${
        ratio(s.rie.median, s.floor.median)
      }×`,
    );
    const met = s.serve.median < s.rie.median && s.serve.p99 < s.rie.p99;
    console.log(`  target (below RIE at the median and p99): ${met ? "met" : "NOT met"}`);
  } finally {
    for (const c of children) {
      try {
        c.kill("SIGTERM");
      } catch {
        // already gone
      }
    }
    await Promise.all(children.map((c) => c.status));
    await Deno.remove(root, { recursive: true }).catch(() => {});
  }
}
