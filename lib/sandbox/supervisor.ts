/**
 * The process tree of one execution environment: starts the runtime and extension processes,
 * each in its own session and process group, inside the environment's resource controls; pumps
 * their stdout and stderr line by line; records how each exited; signals and kills whole
 * process groups at teardown. Once the processes are placed, a {@link Watchdog} ties them to
 * the owner's life: should the owner die (even while the environment is frozen), the watchdog
 * thaws and kills them. It knows nothing of Lambda's APIs: the sandbox decides when.
 *
 * @example
 * ```ts
 * const sup = new Supervisor({ onOutput: (kind, line) => console.log(kind, line), onExit: () => {} });
 * const controls = { wrapCommand: (command: string, args: readonly string[]) =>
 *   ({ command, args: [...args] }), addProcess: async () => {}, killAll: async () => {} };
 * await sup.spawn(controls, { kind: "function", name: "runtime", command: "/bin/echo",
 *   args: ["hi"], env: {}, cwd: "/" });
 * await sup.killAll(controls);
 * ```
 *
 * @module
 */
import { join } from "node:path";
import type { ResourceControls } from "./cgroup/mod.ts";
import { Watchdog } from "./watchdog.ts";

/** A runtime (`function`, its output is function log) or an extension process. */
export type ProcessKind = "function" | "extension";

/** One process the supervisor started. */
export interface SupervisedProcess {
  readonly kind: ProcessKind;
  /** The extension's executable name, `runtime` for the function. */
  readonly name: string;
  /** Its pid, which is also its process group's id. */
  readonly pid: number;
  /** How it exited; null while it runs. */
  readonly exit: Deno.CommandStatus | null;
}

/**
 * What the supervisor needs of the environment's resource controls; `dirs` (the cgroup
 * directories, none in the fallback) go to the watchdog.
 */
export type ProcessControls =
  & Pick<ResourceControls, "wrapCommand" | "addProcess" | "killAll">
  & Partial<Pick<ResourceControls, "dirs">>;

/** Callbacks of a {@link Supervisor}. */
export interface SupervisorOptions {
  /** Every line a process writes to stdout or stderr, without its newline. */
  onOutput(kind: ProcessKind, line: string): void;
  /** A process exited (its `exit` is set). */
  onExit(): void;
  /** Start a {@link Watchdog} once the processes are placed; default true. */
  watchdog?: boolean;
}

/** What to start. */
export interface SpawnOptions {
  kind: ProcessKind;
  name: string;
  command: string;
  args: string[];
  /** The whole environment of the process (nothing is inherited). */
  env: Record<string, string>;
  /** The working directory, as the process sees it (inside the environment's namespace). */
  cwd: string;
  /**
   * Start through the sandbox's launcher (`battle-sandbox-exec run`): one exec that leads a
   * session, joins the controls' groups, enters the environment's mount namespace (`mntns`)
   * and changes to `cwd`. Without it, `setsid(1)` and the controls' `sh` prelude do the first
   * two (two execs) on the host's file system.
   */
  launch?: { launcher: string; mntns: string | null };
}

/**
 * The launcher's command line for one process.
 *
 * @param launch the launcher and the namespace to join
 * @param dirs the controls' group directories (their `cgroup.procs` are joined)
 * @param opts the command and working directory
 * @returns the arguments after the launcher's path
 * @example launcherArgs({ launcher: "x", mntns: null }, ["/g"], { command: "a", args: ["b"], cwd: "/" })
 *   // ["run", "--procs", "/g/cgroup.procs", "--cwd", "/", "--", "a", "b"]
 */
export function launcherArgs(
  launch: { launcher: string; mntns: string | null },
  dirs: readonly string[],
  opts: Pick<SpawnOptions, "command" | "args" | "cwd">,
  how: { wait?: boolean } = {},
): string[] {
  return [
    "run",
    ...dirs.flatMap((d) => ["--procs", join(d, "cgroup.procs")]),
    ...(launch.mntns === null ? [] : ["--mntns", launch.mntns]),
    "--cwd",
    opts.cwd,
    ...(how.wait ? ["--wait"] : []),
    "--",
    opts.command,
    ...opts.args,
  ];
}

interface Proc {
  kind: ProcessKind;
  name: string;
  pid: number;
  exit: Deno.CommandStatus | null;
  drained: Promise<void>;
}

/**
 * A process made ahead of Init by {@link Supervisor.prepare}: the launcher has led its session,
 * joined the groups and the namespace, and waits to exec the program until
 * {@link Supervisor.start}; {@link Supervisor.discard} lets it go without running it.
 */
export interface PreparedProcess {
  readonly kind: ProcessKind;
  readonly name: string;
  readonly pid: number;
}

interface Prepared extends PreparedProcess {
  proc: Proc;
  stdin: WritableStreamDefaultWriter<Uint8Array>;
  controls: ProcessControls;
}

/** The processes of one environment. See the module doc. */
export class Supervisor {
  readonly #opts: SupervisorOptions;
  #procs: Proc[] = [];
  /** `addProcess` calls still running. */
  #adding: Promise<void>[] = [];
  /** Watches the processes for the owner's death; from {@link placed} until {@link killAll}. */
  #watchdog: Watchdog | null = null;
  #dirs: readonly string[] = [];

  /** @param opts where output and exits are reported */
  constructor(opts: SupervisorOptions) {
    this.#opts = opts;
  }

  /** Every process started since the last {@link killAll}, in start order. */
  get processes(): readonly SupervisedProcess[] {
    return this.#procs;
  }

  /**
   * Starts a process in its own session inside the resource controls.
   *
   * @param controls the environment's controls (wraps the command, tracks the pid)
   * @param opts what to start
   * @returns the process
   * @throws {Deno.errors.NotFound} when the command cannot be started
   */
  async spawn(controls: ProcessControls, opts: SpawnOptions): Promise<SupervisedProcess> {
    const child = opts.launch === undefined
      ? await spawnWithPrelude(controls, opts)
      : new Deno.Command(opts.launch.launcher, {
        args: launcherArgs(opts.launch, controls.dirs ?? [], opts),
        env: opts.env,
        clearEnv: true,
        // The launcher changes to opts.cwd inside the namespace, where it may not exist here.
        cwd: "/",
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
    const proc = this.#track(child, opts);
    this.#adopt(proc, controls, opts.launch !== undefined);
    return proc;
  }

  /**
   * Makes a process ahead of Init through the launcher (`run --wait`): its session, groups,
   * namespace and working directory are set up and the launcher waits, so Init starts it with
   * one pipe write instead of a spawn (on Lambda, making the environment is not Init either).
   *
   * @param controls the environment's controls
   * @param opts what to start; `launch` is required
   * @returns the waiting process, for {@link start} or {@link discard}
   */
  prepare(controls: ProcessControls, opts: SpawnOptions): PreparedProcess {
    if (opts.launch === undefined) throw new TypeError("prepare() needs the launcher");
    const child = new Deno.Command(opts.launch.launcher, {
      args: launcherArgs(opts.launch, controls.dirs ?? [], opts, { wait: true }),
      env: opts.env,
      clearEnv: true,
      cwd: "/",
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const proc = this.#track(child, opts);
    // Made off Init's clock, so the watchdog can start now and cover Init too.
    if (this.#watchdog === null && (this.#opts.watchdog ?? true)) {
      this.#watchdog = Watchdog.start(controls.dirs ?? []);
    }
    this.#watchdog?.watch(child.pid);
    const prepared: Prepared = {
      kind: opts.kind,
      name: opts.name,
      pid: child.pid,
      proc,
      stdin: child.stdin.getWriter(),
      controls,
    };
    return prepared;
  }

  /**
   * Starts a prepared process: the launcher execs the program now.
   *
   * @param p a process from {@link prepare}
   * @returns the process, now one of {@link processes}
   */
  start(p: PreparedProcess): SupervisedProcess {
    const prepared = p as Prepared;
    // The write is queued at once; the launcher execs when it reads the byte.
    prepared.stdin.write(GO).then(() => prepared.stdin.close()).catch(() => {});
    this.#adopt(prepared.proc, prepared.controls, true);
    return prepared.proc;
  }

  /**
   * Lets a prepared process go without running it (its environment was never used).
   *
   * @param p a process from {@link prepare}
   * @returns when it has exited and its output is read
   */
  async discard(p: PreparedProcess): Promise<void> {
    const prepared = p as Prepared;
    await prepared.stdin.close().catch(() => {});
    let timer: ReturnType<typeof setTimeout> | undefined;
    const exited = await Promise.race([
      prepared.proc.drained.then(() => true),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(false), 2_000))),
    ]);
    clearTimeout(timer);
    if (!exited) signalGroup(prepared.pid, "SIGKILL");
    await prepared.proc.drained;
  }

  #track(child: Deno.ChildProcess, opts: SpawnOptions): Proc {
    const proc: Proc = {
      kind: opts.kind,
      name: opts.name,
      pid: child.pid,
      exit: null,
      drained: Promise.resolve(),
    };
    proc.drained = Promise.all([
      this.#pump(opts.kind, child.stdout),
      this.#pump(opts.kind, child.stderr),
      child.status.then((s) => {
        proc.exit = s;
        this.#opts.onExit();
      }),
    ]).then(() => {});
    return proc;
  }

  /** Makes a started process one of this environment's. */
  #adopt(proc: Proc, controls: ProcessControls, placed: boolean): void {
    this.#procs.push(proc);
    this.#dirs = controls.dirs ?? [];
    this.#watchdog?.watch(proc.pid);
    // The launcher or the command wrapper already put the process into the groups; addProcess
    // also tracks it for the fallback. It runs alongside the start-up rather than in front of
    // it, and writes the groups again only after the `sh` prelude (which cannot say it failed).
    this.#adding.push(controls.addProcess(proc.pid, { placed }).catch(() => {}));
  }

  /**
   * Waits until every process started so far is tracked by the controls, then starts the
   * watchdog (here rather than at the first spawn, so its start is not part of Init's time;
   * the environment is first frozen after Init).
   *
   * @returns when every process started so far is tracked by the controls and the watchdog
   */
  async placed(): Promise<void> {
    await Promise.all(this.#adding.splice(0));
    if (this.#watchdog === null && this.#procs.length > 0 && (this.#opts.watchdog ?? true)) {
      this.#watchdog = Watchdog.start(this.#dirs);
      for (const p of this.#procs) this.#watchdog.watch(p.pid);
    }
  }

  /** @returns the first process (in start order) that has exited, if any */
  firstExited(): SupervisedProcess | undefined {
    return this.#procs.find((p) => p.exit !== null);
  }

  /**
   * @param kind which processes
   * @returns whether a process of that kind still runs
   */
  isRunning(kind: ProcessKind): boolean {
    return this.#procs.some((p) => p.kind === kind && p.exit === null);
  }

  /** @returns whether every process has exited */
  allExited(): boolean {
    return this.#procs.every((p) => p.exit !== null);
  }

  /** Forgets processes that have exited (extensions that left without registering). */
  forgetExited(): void {
    this.#procs = this.#procs.filter((p) => p.exit === null);
  }

  /**
   * Sends a signal to the process group of every process of a kind that still runs.
   *
   * @param kind which processes
   * @param signal e.g. `SIGTERM`
   */
  signal(kind: ProcessKind, signal: Deno.Signal): void {
    for (const p of this.#procs) if (p.kind === kind && p.exit === null) signalGroup(p.pid, signal);
  }

  /**
   * Kills every process group and whatever else is in the controls' groups, waits until all
   * output is read, and forgets the processes.
   *
   * @param controls the environment's controls
   * @returns when every process is gone and its output written
   */
  async killAll(controls: ProcessControls): Promise<void> {
    const procs = this.#procs;
    for (const p of procs) signalGroup(p.pid, "SIGKILL");
    // A process that started a session of its own escapes the group signal but not the
    // cgroup (or the fallback's tree); killAll also waits until none is left.
    if (procs.length > 0) await controls.killAll("SIGKILL");
    await Promise.all(procs.map((p) => p.drained));
    this.#procs = [];
    // Everything is gone: the watchdog leaves without touching anything.
    const watchdog = this.#watchdog;
    this.#watchdog = null;
    await watchdog?.close();
  }

  async #pump(kind: ProcessKind, stream: ReadableStream<Uint8Array>): Promise<void> {
    let rest = "";
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      const lines = (rest + decoder.decode(chunk, { stream: true })).split("\n");
      rest = lines.pop() ?? "";
      for (const line of lines) this.#opts.onOutput(kind, line);
    }
    if (rest !== "") this.#opts.onOutput(kind, rest);
  }
}

/**
 * The names of the executable files (or links to them) in a folder, as Lambda starts the
 * executables in `/opt/extensions`.
 *
 * @param dir the folder
 * @returns the names, sorted; none when the folder does not exist
 * @throws {Deno.errors.PermissionDenied} when the folder cannot be read
 */
export async function listExecutables(dir: string): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (!entry.isFile && !entry.isSymlink) continue;
      const info = await Deno.stat(join(dir, entry.name));
      if (info.isFile && ((info.mode ?? 0) & 0o111) !== 0) names.push(entry.name);
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return names.sort();
}

/** The fallback without the launcher: setsid(1), then the controls' `sh` prelude. */
async function spawnWithPrelude(
  controls: ProcessControls,
  opts: SpawnOptions,
): Promise<Deno.ChildProcess> {
  const wrapped = controls.wrapCommand(opts.command, opts.args);
  // Each process leads its own session and process group, so signals reach its children.
  // setsid(1) execs in place (the child is no group leader); Deno's own `detached` forks
  // the whole Deno process instead of spawning, which costs tens of milliseconds.
  const viaSetsid = await setsidPath();
  return new Deno.Command(viaSetsid ?? wrapped.command, {
    args: viaSetsid ? [wrapped.command, ...wrapped.args] : wrapped.args,
    env: opts.env,
    clearEnv: true,
    cwd: opts.cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    detached: viaSetsid === null,
  }).spawn();
}

/** The byte that starts a prepared process. */
const GO = new Uint8Array([10]);

let setsid: Promise<string | null> | null = null;

/** Where setsid(1) is, or null where there is none (then Deno's `detached` is used). */
function setsidPath(): Promise<string | null> {
  setsid ??= (async () => {
    for (const dir of ["/usr/bin", "/bin", "/usr/local/bin"]) {
      const path = join(dir, "setsid");
      if (await Deno.stat(path).then((i) => i.isFile, () => false)) return path;
    }
    return null;
  })();
  return setsid;
}

function signalGroup(pid: number, signal: Deno.Signal): void {
  try {
    Deno.kill(-pid, signal);
  } catch {
    // No such group: either it is gone, or the child has not reached setsid(1)'s exec yet and
    // still sits in the parent's group. Then the process itself gets the signal.
    try {
      Deno.kill(pid, signal);
    } catch {
      // The process is gone too.
    }
  }
}
