/**
 * The hello functions of the fidelity check (`functions/hello/`), one per function runtime, as
 * public cold-start benchmarks deploy them, and how each is built and started in the sandbox.
 * A runtime whose toolchain or build is missing is skipped with the reason, never replaced.
 *
 * @module
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { BUILD_DIR, CACHE_DIR, LLRT_BIN, ROOT, RUST_DIR, RUST_TARGET_DIR } from "../paths.ts";
import type { RuntimeName } from "../sandbox/mod.ts";
import type { FidelityRuntime } from "./published.ts";
import { ensureLambdaPython } from "../lambda_python.ts";

/** Where the hello functions' sources are. */
export const HELLO_DIR: string = join(ROOT, "functions", "hello");
/** Where their builds go. */
export const HELLO_BUILD_DIR: string = join(BUILD_DIR, "hello");

/** How the sandbox starts one hello function. */
export interface HelloFunction {
  runtime: FidelityRuntime;
  /** The sandbox runtime that starts it. */
  sandboxRuntime: RuntimeName;
  codeDir: string;
  handler: string;
  /** The custom runtime's binary that is part of the function (LLRT). */
  llrtBin?: string;
  env: Record<string, string>;
  /** The runtime version to compare with first, e.g. `nodejs20.x`. */
  version?: string;
  /** Its local version, for the report. */
  localVersion: string;
}

/** A runtime that cannot run here, and why. */
export interface SkippedRuntime {
  runtime: FidelityRuntime;
  reason: string;
}

async function output(cmd: string, args: string[], cwd?: string): Promise<string | null> {
  try {
    const out = await new Deno.Command(cmd, {
      args,
      ...(cwd ? { cwd } : {}),
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) return null;
    const text = new TextDecoder().decode(out.stdout).trim();
    return text === "" ? new TextDecoder().decode(out.stderr).trim() : text;
  } catch {
    return null;
  }
}

async function run(
  cmd: string,
  args: string[],
  opts: { cwd: string; env?: Record<string, string> },
) {
  const out = await new Deno.Command(cmd, {
    args,
    cwd: opts.cwd,
    ...(opts.env ? { env: opts.env } : {}),
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    const err = new TextDecoder().decode(out.stderr).trim().split("\n").slice(-3).join(" | ");
    throw new Error(`${cmd} ${args.join(" ")} failed: ${err}`);
  }
}

/**
 * Builds (where needed) and describes every hello function.
 *
 * @param only Runtimes to prepare (default all).
 * @param log Progress lines.
 * @returns The runnable functions and the skipped runtimes with reasons.
 */
export async function prepareHelloFunctions(
  only: readonly FidelityRuntime[],
  log: (line: string) => void = () => {},
): Promise<{ functions: HelloFunction[]; skipped: SkippedRuntime[] }> {
  const functions: HelloFunction[] = [];
  const skipped: SkippedRuntime[] = [];
  const want = new Set(only);
  const attempt = async (runtime: FidelityRuntime, make: () => Promise<HelloFunction>) => {
    if (!want.has(runtime)) return;
    try {
      functions.push(await make());
    } catch (e) {
      skipped.push({ runtime, reason: (e as Error).message });
    }
  };

  await attempt("rust", async () => {
    const bin = join(RUST_TARGET_DIR, "release", "hello-bootstrap");
    log("fidelity: building the Rust hello (cargo build --release -p battle-hello)");
    await run("cargo", ["build", "--release", "--quiet", "-p", "battle-hello"], { cwd: RUST_DIR });
    const dir = join(HELLO_BUILD_DIR, "rust");
    await Deno.mkdir(dir, { recursive: true });
    await Deno.copyFile(bin, join(dir, "bootstrap"));
    const rustc = await output("rustc", ["--version"]);
    return {
      runtime: "rust",
      sandboxRuntime: "provided",
      codeDir: dir,
      handler: "hello",
      env: {},
      localVersion: `lambda_runtime 1.5.0, ${rustc ?? "rustc ?"}`,
    };
  });

  await attempt("go", async () => {
    const go = await output("go", ["version"]);
    if (go === null) throw new Error("no Go toolchain (go version failed)");
    const dir = join(HELLO_BUILD_DIR, "go");
    await Deno.mkdir(dir, { recursive: true });
    log("fidelity: building the Go hello (go build -ldflags='-s -w' -tags lambda.norpc)");
    await run(
      "go",
      ["build", "-ldflags=-s -w", "-tags", "lambda.norpc", "-o", join(dir, "bootstrap"), "."],
      { cwd: join(HELLO_DIR, "go"), env: { CGO_ENABLED: "0" } },
    );
    return {
      runtime: "go",
      sandboxRuntime: "provided",
      codeDir: dir,
      handler: "hello",
      env: {},
      localVersion: `aws-lambda-go 1.55.1, ${go}`,
    };
  });

  await attempt("llrt", async () => {
    if (!existsSync(LLRT_BIN)) throw new Error(`no LLRT at ${LLRT_BIN} (run deno task setup)`);
    const version = await output(LLRT_BIN, ["--version"]);
    return {
      runtime: "llrt",
      sandboxRuntime: "llrt",
      codeDir: join(HELLO_DIR, "nodejs"),
      handler: "index.handler",
      llrtBin: LLRT_BIN,
      env: {},
      localVersion: version ?? "LLRT",
    };
  });

  await attempt("python", async () => {
    const ric = join(CACHE_DIR, "awslambdaric");
    if (!existsSync(ric)) throw new Error(`no awslambdaric in ${ric} (run deno task setup)`);
    const version = await output("python3", ["--version"]);
    if (version === null) throw new Error("no python3");
    const python = await ensureLambdaPython();
    const minor = /Python 3\.(\d+)/.exec(version ?? "")?.[1];
    return {
      runtime: "python",
      sandboxRuntime: "provided",
      codeDir: join(HELLO_DIR, "python"),
      handler: "handler.handler",
      env: { AWSLAMBDARIC_DIR: ric, PYTHON_BIN: python },
      ...(minor ? { version: `python3.${minor}` } : {}),
      localVersion: `${version ?? "Python"} with awslambdaric`,
    };
  });

  await attempt("nodejs", async () => {
    const version = await output("node", ["--version"]);
    if (version === null) throw new Error("no node");
    const major = /^v(\d+)/.exec(version)?.[1];
    return {
      runtime: "nodejs",
      sandboxRuntime: "node",
      codeDir: join(HELLO_DIR, "nodejs"),
      handler: "index.handler",
      env: {},
      ...(major ? { version: `nodejs${major}.x` } : {}),
      localVersion: `Node.js ${version}`,
    };
  });
  return { functions, skipped };
}
