/**
 * The options of `Sandbox.create()`: what each means, its default, and the checks that name
 * the offending value before anything is started.
 *
 * @example
 * ```ts
 * const o = await resolveOptions({ codeDir: "/tmp", runtime: "node", logDir: "/tmp/logs" });
 * o.memoryMb; // 128
 * ```
 *
 * @module
 */
import { basename, join, resolve } from "node:path";
import { existsSync } from "node:fs";
import { DEFAULT_CPU_PERIOD_US } from "./cgroup/mod.ts";
import { runtimeCommand, type RuntimeName, RUNTIMES } from "./runtimes.ts";
import { DEFAULT_TMP_MB } from "./environment_fs.ts";
import { SANDBOX_EXEC_BIN } from "../paths.ts";

/** Lambda's on-demand Init limit. */
export const INIT_LIMIT_MS = 10_000;

/** Options of `Sandbox.create()`. */
export interface SandboxOptions {
  /** The function's code (`LAMBDA_TASK_ROOT`). */
  codeDir: string;
  /** A folder laid out like `/opt`; its `extensions/` executables start at Init. Default none. */
  optDir?: string;
  runtime: RuntimeName;
  /** Default `index.handler`. */
  handler?: string;
  /** 128–10,240; default 128. Also sets the CPU share (1,769 MB = one vCPU). */
  memoryMb?: number;
  /** Function timeout in seconds; default 3. */
  timeoutS?: number;
  /** Extra environment variables for the runtime and extensions. */
  env?: Record<string, string>;
  /** Default: the code folder's name. */
  functionName?: string;
  /** Where `<functionName>.log` and `<functionName>.telemetry.jsonl` go (appended). */
  logDir: string;
  /** The LLRT binary; required for runtime `llrt` (e.g. `LLRT_BIN` of lib/paths.ts). */
  llrtBin?: string;
  /** Called with every Lambda log line (without the timestamp prefix) as it is written. */
  onLog?: (line: string) => void;
  /** Freeze the environment between invocations, as Lambda does; default true. */
  freeze?: boolean;
  /** `fallback` skips cgroups (SIGSTOP freezer, RSS sampling, no limits); default `auto`. */
  controls?: "auto" | "fallback";
  /** Init time limit in ms; default Lambda's 10,000 for on-demand functions. */
  initLimitMs?: number;
  /**
   * CFS period of the CPU quota in µs; default 20,000 (Lambda's observed granularity, see
   * `DEFAULT_CPU_PERIOD_US` in cgroup/create.ts). The quota is memory/1,769 of it.
   */
  cpuPeriodUs?: number;
  /**
   * CPUs the environment gets during Init (extensions start and register, the runtime starts,
   * until all have called `/next`); the Invoke phase then returns to memory/1,769. Default
   * {@link defaultInitCpus}: two vCPUs or the memory share, whichever is more, as measured on
   * Lambda (see the sandbox README), capped at this host's cores.
   */
  initCpus?: number;
  /**
   * `evict`: before each cold start, drop the function's code, its layers and a custom
   * runtime's binary from the page cache, so Init reads them from disk as a fresh Lambda
   * environment reads them from storage; `cached`: leave the page cache alone. Default `evict`
   * where the host can (see page_cache.ts).
   */
  codeLoading?: "evict" | "cached";
  /**
   * The sandbox's launcher (`rust/launcher`); default `SANDBOX_EXEC_BIN` of lib/paths.ts where
   * it is built (`deno task build`), else none: then processes start through `setsid` and a
   * `sh` prelude on the host's file system. Null asks for that fallback.
   */
  launcher?: string | null;
  /**
   * `lambda`: each environment gets its own mount namespace with the code at `/var/task`, the
   * layers at `/opt`, a private `/tmp` and `sandbox.localdomain` (see environment_fs.ts), where
   * the host allows it; `host`: the host's file system. Default `lambda`.
   */
  fileSystem?: "lambda" | "host";
  /** Ephemeral storage (`/tmp`) in MB, 512–10,240, as Lambda's setting; default 512. */
  ephemeralStorageMb?: number;
}

/** vCPUs of Init on Lambda below about 3 GB, as measured (see the sandbox README). */
export const LAMBDA_INIT_VCPUS = 2;

/**
 * The default Init CPU budget: {@link LAMBDA_INIT_VCPUS} or the memory share, whichever is more
 * (the controls cap it at the host's cores).
 *
 * @example
 * ```ts
 * import { defaultInitCpus } from "./options.ts";
 * defaultInitCpus(128); // 2
 * defaultInitCpus(10240) > 5; // true
 * ```
 */
export function defaultInitCpus(memoryMb: number): number {
  return Math.max(LAMBDA_INIT_VCPUS, memoryMb / 1769);
}

/** {@link SandboxOptions} with every default filled in and the runtime's command. */
export type ResolvedOptions =
  & Required<Omit<SandboxOptions, "optDir" | "onLog" | "llrtBin" | "initCpus" | "launcher">>
  & { initCpus: number; launcher: string | null }
  & SandboxOptions
  & {
    runtimeCommand: { command: string; args: string[] };
    /** Where `provided`'s bootstrap is: the code folder, else the layers (`/opt/bootstrap`). */
    bootstrapIn: "code" | "opt";
  };

/**
 * Fills in the defaults and checks the options and the files they name. The CPU period is
 * checked where the controls are made.
 *
 * @param opts the caller's options
 * @returns the options with defaults and the runtime's command
 * @throws {RangeError} for a memory size, timeout, function name or runtime out of range
 * @throws {TypeError} for runtime `llrt` without `llrtBin`
 * @throws {Deno.errors.NotFound} when the code folder, opt folder, bootstrap or LLRT binary is
 *   missing
 */
export async function resolveOptions(opts: SandboxOptions): Promise<ResolvedOptions> {
  const o = {
    handler: "index.handler",
    memoryMb: 128,
    codeLoading: "evict" as const,
    timeoutS: 3,
    env: {},
    functionName: basename(opts.codeDir).replace(/[^A-Za-z0-9_-]/g, "-") || "function",
    freeze: true,
    controls: "auto" as const,
    initLimitMs: INIT_LIMIT_MS,
    cpuPeriodUs: DEFAULT_CPU_PERIOD_US,
    fileSystem: "lambda" as const,
    ephemeralStorageMb: DEFAULT_TMP_MB,
    ...opts,
    // Processes start with the code folder as their working directory, so a relative path
    // would point elsewhere for them.
    codeDir: resolve(opts.codeDir),
    ...(opts.optDir === undefined ? {} : { optDir: resolve(opts.optDir) }),
    ...(opts.llrtBin === undefined ? {} : { llrtBin: resolve(opts.llrtBin) }),
  };
  if (!(RUNTIMES as readonly string[]).includes(o.runtime)) {
    throw new RangeError(`Unknown runtime "${o.runtime}" (expected ${RUNTIMES.join(", ")})`);
  }
  // Lambda looks for a custom runtime's bootstrap in the code, then in the layers.
  const bootstrapIn = o.runtime === "provided" && o.optDir !== undefined &&
      !existsSync(join(o.codeDir, "bootstrap")) && existsSync(join(o.optDir, "bootstrap"))
    ? "opt" as const
    : "code" as const;
  const command = runtimeCommand({ ...o, bootstrapIn });
  if (!Number.isInteger(o.memoryMb) || o.memoryMb < 128 || o.memoryMb > 10240) {
    throw new RangeError(`memoryMb must be an integer in 128..10240, got ${o.memoryMb}`);
  }
  if (!(o.timeoutS > 0 && o.timeoutS <= 900)) {
    throw new RangeError(`timeoutS must be in (0, 900], got ${o.timeoutS}`);
  }
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(o.functionName)) {
    throw new RangeError(`Bad function name "${o.functionName}"`);
  }
  const initCpus = o.initCpus ?? defaultInitCpus(o.memoryMb);
  if (!(Number.isFinite(initCpus) && initCpus > 0)) {
    throw new RangeError(`initCpus must be above 0, got ${o.initCpus}`);
  }
  if (o.codeLoading !== "evict" && o.codeLoading !== "cached") {
    throw new RangeError(`codeLoading must be evict or cached, got ${o.codeLoading}`);
  }
  if (o.fileSystem !== "lambda" && o.fileSystem !== "host") {
    throw new RangeError(`fileSystem must be lambda or host, got ${o.fileSystem}`);
  }
  const tmpMb = o.ephemeralStorageMb;
  if (!Number.isInteger(tmpMb) || tmpMb < 512 || tmpMb > 10240) {
    throw new RangeError(`ephemeralStorageMb must be an integer in 512..10240, got ${tmpMb}`);
  }
  const launcher = opts.launcher === undefined
    ? (existsSync(SANDBOX_EXEC_BIN) ? SANDBOX_EXEC_BIN : null)
    : opts.launcher === null
    ? null
    : resolve(opts.launcher);
  await mustExist(o.codeDir, "code folder", true);
  if (o.optDir !== undefined) await mustExist(o.optDir, "opt folder", true);
  if (o.runtime === "llrt") await mustExist(command.command, "LLRT binary", false);
  if (o.runtime === "provided") {
    const where = o.optDir === undefined
      ? command.command
      : `${command.command} (nor ${join(o.optDir, "bootstrap")} in the layers)`;
    await mustExist(command.command, "bootstrap", false).catch((e) => {
      throw bootstrapIn === "code" && o.optDir !== undefined
        ? new Deno.errors.NotFound(`The bootstrap does not exist: ${where}`)
        : e;
    });
  }
  if (launcher !== null) await mustExist(launcher, "launcher", false);
  return { ...o, initCpus, launcher, bootstrapIn, runtimeCommand: command };
}

async function mustExist(path: string, what: string, dir: boolean): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch {
    throw new Deno.errors.NotFound(`The ${what} does not exist: ${path}`);
  }
  if (dir !== info.isDirectory) {
    throw new Deno.errors.NotFound(`The ${what} is not a ${dir ? "folder" : "file"}: ${path}`);
  }
}
