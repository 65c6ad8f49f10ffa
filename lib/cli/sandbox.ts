/**
 * `deno task sandbox --code DIR [--extensions DIR] [--runtime node|llrt|provided|python]
 * [--handler NAME] [--memory MB] [--timeout S] [--invoke N] [--event FILE] [--env K=V]...
 * [--log-dir DIR] [--cpu-period US] [--init-cpus C] [--code-loading evict|cached]
 * [--file-system lambda|host] [--ephemeral-storage MB]`
 *
 * Runs any function, with any extensions, in the local Lambda sandbox and prints its Lambda log
 * lines as they happen; the text log and the `platform.*` records (JSON lines) are kept in
 * `--log-dir` (default `data/sandbox/`). `--extensions` takes a folder laid out like `/opt`
 * (with an `extensions/` folder) or the folder of extension executables itself. The runtime
 * defaults to `provided` when the code folder or the layer has a `bootstrap`, else `node`.
 * `--file-system host` runs on the host's paths instead of Lambda's `/var/task`, `/opt` and a
 * private `/tmp` (see lib/sandbox/environment_fs.ts). Exits 0 when every
 * invocation succeeded, 1 when one failed, 2 on bad input.
 *
 * @module
 */
import { join, resolve } from "node:path";
import { LLRT_BIN, RUNS_DIR } from "../paths.ts";
import { type RuntimeName, RUNTIMES, Sandbox } from "../sandbox/sandbox.ts";
import { AWSLAMBDARIC_DIR, BOTO3_DIR } from "../build/functions.ts";
import { numberFlag, parseFlags, runCommand } from "./_flags.ts";
import { type LambdaModels, MODEL_FLAGS, parseModelFlags } from "./_models.ts";

/** Parsed command line. */
export interface SandboxArgs {
  codeDir: string;
  extensions: string | null;
  runtime: RuntimeName | null;
  handler: string;
  memoryMb: number;
  timeoutS: number;
  invocations: number;
  eventFile: string | null;
  env: Record<string, string>;
  logDir: string;
  /** CFS period of the CPU quota, µs; null for the sandbox's default. */
  cpuPeriodUs: number | null;
  /** Init's CPU budget and the code-loading model; empty for the sandbox's defaults. */
  models: LambdaModels;
  fileSystem: "lambda" | "host";
  ephemeralStorageMb: number;
}

/**
 * Reads the command line.
 *
 * @param args the arguments after the task name
 * @returns the parsed arguments
 * @throws {TypeError} for unknown flags or a missing `--code`
 * @throws {RangeError} for numbers out of range, an unknown runtime or a bad `--env`
 */
export function parseSandboxArgs(args: string[]): SandboxArgs {
  const { values } = parseFlags({
    args,
    options: {
      code: { type: "string" },
      extensions: { type: "string" },
      runtime: { type: "string" },
      handler: { type: "string", default: "index.handler" },
      memory: { type: "string", default: "128" },
      timeout: { type: "string", default: "3" },
      invoke: { type: "string", default: "1" },
      event: { type: "string" },
      env: { type: "string", multiple: true, default: [] },
      "log-dir": { type: "string", default: join(RUNS_DIR, "..", "sandbox") },
      "cpu-period": { type: "string" },
      "file-system": { type: "string", default: "lambda" },
      "ephemeral-storage": { type: "string", default: "512" },
      ...MODEL_FLAGS,
    },
    strict: true,
  });
  if (values.code === undefined) throw new TypeError("--code DIR is required");
  const runtime = values.runtime ?? null;
  if (runtime !== null && !(RUNTIMES as readonly string[]).includes(runtime)) {
    throw new RangeError(`--runtime must be one of ${RUNTIMES.join(", ")}, got "${runtime}"`);
  }
  const fileSystem = values["file-system"];
  if (fileSystem !== "lambda" && fileSystem !== "host") {
    throw new RangeError(`--file-system must be lambda or host, got "${fileSystem}"`);
  }
  const env: Record<string, string> = {};
  for (const pair of values.env) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new RangeError(`--env takes KEY=VALUE, got "${pair}"`);
    env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return {
    codeDir: resolve(values.code),
    extensions: values.extensions === undefined ? null : resolve(values.extensions),
    runtime: runtime as RuntimeName | null,
    handler: values.handler,
    memoryMb: numberFlag("memory", values.memory, { integer: true, min: 128, max: 10240 }),
    timeoutS: numberFlag("timeout", values.timeout, { above: 0, max: 900 }),
    invocations: numberFlag("invoke", values.invoke, { integer: true, min: 1 }),
    eventFile: values.event ?? null,
    env,
    logDir: resolve(values["log-dir"]),
    models: parseModelFlags(values),
    fileSystem,
    ephemeralStorageMb: numberFlag("ephemeral-storage", values["ephemeral-storage"], {
      integer: true,
      min: 512,
      max: 10240,
    }),
    cpuPeriodUs: values["cpu-period"] === undefined
      ? null
      : numberFlag("cpu-period", values["cpu-period"], {
        integer: true,
        min: 1_000,
        max: 1_000_000,
      }),
  };
}

async function isFile(path: string): Promise<boolean> {
  return await Deno.stat(path).then((i) => i.isFile, () => false);
}

async function isDir(path: string): Promise<boolean> {
  return await Deno.stat(path).then((i) => i.isDirectory, () => false);
}

/**
 * The `/opt`-like folder for `--extensions`: the folder itself when it is laid out like a layer
 * (an `extensions/` folder, a `bootstrap`, or a `bin/`, `lib/`, `nodejs/` or `python/` folder),
 * else a temporary one whose `extensions` links to it (a folder of extension executables).
 *
 * @param dir the folder given
 * @returns the opt folder and a cleanup function
 * @throws {Deno.errors.NotFound} when the folder does not exist
 */
export async function optDirFor(
  dir: string,
): Promise<{ optDir: string; cleanup(): Promise<void> }> {
  if (!(await isDir(dir))) throw new Deno.errors.NotFound(`--extensions folder not found: ${dir}`);
  const layer = await Promise.all([
    ...["extensions", "bin", "lib", "nodejs", "python"].map((d) => isDir(join(dir, d))),
    isFile(join(dir, "bootstrap")),
  ]);
  if (layer.some(Boolean)) return { optDir: dir, cleanup: async () => {} };
  const optDir = await Deno.makeTempDir({ prefix: "sandbox_opt_" });
  await Deno.symlink(dir, join(optDir, "extensions"));
  return { optDir, cleanup: () => Deno.remove(optDir, { recursive: true }) };
}

async function main(args: SandboxArgs): Promise<number> {
  let payload = new TextEncoder().encode("{}");
  if (args.eventFile !== null) {
    const text = await Deno.readTextFile(args.eventFile).catch(() => {
      throw new Deno.errors.NotFound(`--event file not found: ${args.eventFile}`);
    });
    try {
      JSON.parse(text);
    } catch {
      throw new SyntaxError(`--event file is not JSON: ${args.eventFile}`);
    }
    payload = new TextEncoder().encode(text);
  }
  const opt = args.extensions === null ? null : await optDirFor(args.extensions);
  // Lambda looks for a custom runtime's bootstrap in the code, then in the layers.
  const hasBootstrap = await isFile(join(args.codeDir, "bootstrap")) ||
    (opt !== null && await isFile(join(opt.optDir, "bootstrap")));
  try {
    const sb = await Sandbox.create({
      codeDir: args.codeDir,
      ...(opt ? { optDir: opt.optDir } : {}),
      runtime: args.runtime ?? (hasBootstrap ? "provided" : "node"),
      llrtBin: LLRT_BIN,
      handler: args.handler,
      memoryMb: args.memoryMb,
      timeoutS: args.timeoutS,
      // Python: awslambdaric and boto3 are the runtime's own packages (setup and build install
      // them); the caller's PYTHONPATH comes after them.
      env: args.runtime === "python"
        ? {
          ...args.env,
          PYTHONPATH: [AWSLAMBDARIC_DIR, BOTO3_DIR, args.env.PYTHONPATH]
            .filter((p) => p !== undefined).join(":"),
        }
        : args.env,
      logDir: args.logDir,
      ...(args.cpuPeriodUs === null ? {} : { cpuPeriodUs: args.cpuPeriodUs }),
      ...args.models,
      fileSystem: args.fileSystem,
      ephemeralStorageMb: args.ephemeralStorageMb,
      onLog: (line) => console.log(line),
    });
    let failed = 0;
    try {
      for (let i = 0; i < args.invocations; i++) {
        const r = await sb.invoke(payload);
        console.log(`RESPONSE ${r.requestId} ${new TextDecoder().decode(r.response)}`);
        if (r.status !== "success") failed += 1;
      }
    } finally {
      await sb.shutdown();
    }
    console.error(
      `${args.invocations} invocation(s), ${failed} failed; controls ${
        JSON.stringify(sb.controls)
      }`,
    );
    console.error(`log: ${sb.logFile}\ntelemetry: ${sb.telemetryFile}`);
    return failed === 0 ? 0 : 1;
  } finally {
    await opt?.cleanup();
  }
}

if (import.meta.main) {
  // A missing event file or code folder is bad input too: every failure before a run exits 2.
  Deno.exit(
    await runCommand("sandbox", Deno.args, { parse: parseSandboxArgs, run: main }, {
      failureCode: 2,
    }),
  );
}
