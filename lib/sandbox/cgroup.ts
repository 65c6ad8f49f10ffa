/**
 * Resource controls for one Lambda execution environment of the local sandbox, sized from its
 * memory setting the way Lambda sizes it: a memory limit (a breach OOM-kills, which the sandbox
 * reports as `Runtime.OutOfMemory`), Max Memory Used from the kernel's peak accounting of the
 * whole process tree, a CPU quota proportional to memory (1,769 MB = one vCPU) and a freeze of
 * the whole tree between invocations.
 *
 * Mechanisms, best first, chosen per control: cgroup v2 (unified), cgroup v1 (separate
 * hierarchies per controller), then a fallback that needs no privileges: resident memory of the
 * process tree sampled from /proc (or `ps`), SIGSTOP/SIGCONT to every process of the tree, no
 * memory limit, no CPU quota. `inForce` says which one each control uses and why.
 *
 * Groups live at `<hierarchy>/<own cgroup>/battle-sandbox/<name>--<owner pid>` on v1 (nested
 * under this process's own group so limits set above us keep applying) and at the first
 * writable v2 parent without processes of its own (normally the root) on v2.
 *
 * Joining the group: a process should be inside before it runs much, so that its first pages
 * are charged to the group. `wrapCommand()` gives a `sh` prelude that writes the shell's own pid
 * into every `cgroup.procs` and then `exec`s the real command, so the program is in the group
 * from its first instruction (one extra fork-less exec, about a millisecond). `addProcess()`
 * moves an already running process; call it for every spawned child anyway, because the
 * fallback follows the tree from the pids it is given.
 *
 * @example
 * ```ts
 * const controls = await createControls({ name: "node-128-1", memoryMb: 128 });
 * const { command, args } = controls.wrapCommand("node", ["index.mjs"]);
 * const child = new Deno.Command(command, { args }).spawn();
 * await controls.addProcess(child.pid);
 * await controls.freeze();
 * await controls.thaw();
 * console.log(controls.inForce, await controls.peakMemoryBytes());
 * await child.status;
 * await controls.destroy();
 * ```
 *
 * @module
 */
import { join } from "node:path";
import {
  canWrite,
  findHierarchies,
  groupPids,
  type Hierarchy,
  pidAlive,
  pollUntil,
  readKeyed,
  readNumber,
  readOrNull,
  signalPid,
  writeControl,
} from "./_cgroup_fs.ts";
import { emptyAndRemove, makeGroup, PARENT_NAME, removeStale, v2Parent } from "./_cgroup_dirs.ts";
import {
  accountingV1,
  accountingV2,
  limitV1,
  limitV2,
  type MemoryAccounting,
} from "./_cgroup_memory.ts";
import { ProcessTree } from "./_cgroup_proctree.ts";

/** Which mechanism enforces or measures each control. */
export interface ControlsInForce {
  memoryLimit: "cgroup-v1" | "cgroup-v2" | "none";
  cpuQuota: "cgroup-v1" | "cgroup-v2" | "none";
  freezer: "cgroup-v1" | "cgroup-v2" | "sigstop";
  peakMemory: "cgroup-v1" | "cgroup-v2" | "rss-sampling";
  /** Why a control fell back, where the groups are, how swap was disabled. */
  detail?: string;
}

/** The resource controls of one execution environment. */
export interface ResourceControls {
  readonly inForce: ControlsInForce;
  /** The limits actually applied: `null` where the control is not in force. */
  readonly limits: { memoryBytes: number | null; cpuFraction: number | null };
  /** The cgroup directories of this environment (empty in the fallback). */
  readonly dirs: readonly string[];
  /** Moves a just-spawned process into the group (its later children follow) and tracks it. */
  addProcess(pid: number): Promise<void>;
  /**
   * `command`/`args` that put the process into the group before the program starts: a `sh`
   * prelude that joins and then `exec`s it (unchanged in the fallback). Still call
   * `addProcess(child.pid)` afterwards.
   */
  wrapCommand(command: string, args: readonly string[]): { command: string; args: string[] };
  /** Stops every process; resolves once the kernel reports the group frozen (or all stopped). */
  freeze(): Promise<void>;
  /** Resumes every process; resolves once the group is thawed. */
  thaw(): Promise<void>;
  /** Starts a new peak-memory window at the current usage. */
  resetPeak(): Promise<void>;
  /** Peak memory of the whole tree since the last `resetPeak()`, in bytes. */
  peakMemoryBytes(): Promise<number>;
  /** Current memory of the tree: total, anonymous and file-backed (page cache / mapped files). */
  memoryUsage(): Promise<MemoryUsage>;
  /** OOM kills in this group so far (always 0 without a memory limit). */
  oomEvents(): Promise<number>;
  /** CPU time used by the group so far in ms (fallback: live processes of the tree). */
  cpuUsageMs(): Promise<number>;
  /** Pids of the processes still in the group. */
  pids(): Promise<number[]>;
  /** Sends `signal` (default SIGKILL) to every process; with SIGKILL waits until none is left. */
  killAll(signal?: Deno.Signal): Promise<void>;
  /** Kills leftovers and removes the cgroup directories. Safe to call twice. */
  destroy(): Promise<void>;
}

/** A memory snapshot of the tree, in bytes. */
export interface MemoryUsage {
  /** v1 `memory.usage_in_bytes`, v2 `memory.current`, fallback summed VmRSS. */
  currentBytes: number;
  /** v1 `rss`, v2 `anon` of `memory.stat`, fallback summed RssAnon. */
  anonBytes: number;
  /** v1 `cache`, v2 `file` of `memory.stat`, fallback summed RssFile + RssShmem. */
  fileBytes: number;
}

/** Options of `createControls()`. */
export interface ControlsOptions {
  /** Group name: letters, digits, `_`, `.`, `-` (the owner pid is appended). */
  name: string;
  /** The function's memory setting in MB (the limit, and the CPU share by default). */
  memoryMb: number;
  /** vCPUs to allow; default `memoryMb / 1769`, capped at the host's cores. */
  cpuFraction?: number;
  /** `fallback` skips cgroups entirely; default `auto`. */
  prefer?: "auto" | "fallback";
  /** cgroup versions that may be used; default both (tests use `[2]` to try the v2 freezer). */
  versions?: ReadonlyArray<1 | 2>;
  /**
   * Source of `peakMemoryBytes()` where a memory cgroup exists: `kernel` (default) is the
   * group's own peak, which counts anonymous memory and the page cache this group brought in,
   * but not file pages (binaries, libraries) already cached and charged to another group;
   * `rss` samples the summed resident set of the tree instead (counts mapped file pages, but a
   * page shared by two processes twice). The limit and OOM accounting stay in the kernel.
   */
  peak?: "kernel" | "rss";
  /** Sampling period of the RSS sampler in ms; default 10 (100 without /proc). */
  sampleMs?: number;
}

/** Memory (MB) that Lambda pairs with one full vCPU. */
export const MB_PER_VCPU = 1769;
const CPU_PERIOD_US = 100_000;
const MIN_QUOTA_US = 1000;

type Version = "cgroup-v1" | "cgroup-v2";
interface Placed {
  version: Version;
  dir: string;
}

/**
 * Reports whether cgroups can be used here.
 * @returns `version` 2 for a unified hierarchy with the memory controller, 1 where the memory
 *   controller is on a v1 hierarchy (hybrid setups count as 1), `null` without cgroups;
 *   `writable` whether this process may create groups; `detail` lists the hierarchies.
 * @example
 * ```ts
 * const { version, writable } = await detectCgroups();
 * ```
 */
export async function detectCgroups(): Promise<
  { version: 1 | 2 | null; writable: boolean; detail: string }
> {
  const hs = await findHierarchies();
  if (hs.length === 0) return { version: null, writable: false, detail: "no cgroup file system" };
  const v2 = hs.find((h) => h.version === 2 && h.controllers.includes("memory"));
  const v1 = hs.find((h) => h.version === 1 && h.controllers.includes("memory"));
  const main = v2 ?? v1;
  const detail = hs.map((h) =>
    `v${h.version} ${h.mount} [${h.controllers.join(",")}]${h.readOnly ? " ro" : ""}`
  ).join("; ");
  if (!main) return { version: null, writable: false, detail: `no memory controller: ${detail}` };
  const writable = !main.readOnly && await canWrite(main.version === 1 ? main.ownDir : main.mount);
  return { version: main.version, writable, detail };
}

/**
 * Creates the resource controls of one execution environment: makes its cgroups (clearing
 * stale ones from crashed runs) and applies the memory limit and CPU quota, or sets up the
 * fallback where cgroups are missing or not writable.
 * @param opts name, memory size, CPU share, preferred mechanism (see `ControlsOptions`).
 * @returns controls whose `inForce` names the mechanism of each control.
 * @throws {RangeError} for a bad name, memory size or CPU share.
 * @throws {Deno.errors.AlreadyExists} when this process already has a live group of that name.
 */
export async function createControls(opts: ControlsOptions): Promise<ResourceControls> {
  if (!/^[A-Za-z0-9_.-]{1,100}$/.test(opts.name) || opts.name.startsWith(".")) {
    throw new RangeError(`Cannot create controls: bad name "${opts.name}"`);
  }
  if (!Number.isFinite(opts.memoryMb) || opts.memoryMb <= 0) {
    throw new RangeError(`Cannot create controls: memoryMb must be positive, got ${opts.memoryMb}`);
  }
  const wanted = opts.cpuFraction ?? opts.memoryMb / MB_PER_VCPU;
  if (!Number.isFinite(wanted) || wanted <= 0) {
    throw new RangeError(`Cannot create controls: cpuFraction must be positive, got ${wanted}`);
  }
  const cores = navigator.hardwareConcurrency || 1;
  const cpuFraction = Math.min(wanted, cores);
  const memoryBytes = Math.round(opts.memoryMb * 1024 * 1024);
  const sampleMs = opts.sampleMs ?? 10;
  const notes: string[] = [];
  if (wanted > cores) notes.push(`cpu ${wanted.toFixed(3)} capped at ${cores} cores`);

  const versions = opts.versions ?? [1, 2];
  const hs = opts.prefer === "fallback"
    ? []
    : (await findHierarchies()).filter((h) => versions.includes(h.version) && !h.readOnly);
  if (opts.prefer === "fallback") notes.push("fallback requested");
  else if (hs.length === 0) notes.push("no usable cgroup hierarchy");

  const dirs = new Map<Hierarchy, string>();
  const failed = new Set<Hierarchy>();
  const cleanup: string[] = [];
  /** The group dir in `h`, created on first use; null where `h` cannot be used. */
  const groupIn = async (h: Hierarchy, controllers: string[]): Promise<string | null> => {
    if (dirs.has(h)) return dirs.get(h)!;
    if (failed.has(h)) return null;
    try {
      const parent = h.version === 1 ? join(h.ownDir, PARENT_NAME) : await v2Parent(h, controllers);
      if (!(await canWrite(parent)) && !(await canWrite(h.ownDir))) {
        throw new Error(`${parent} not writable (needs root or a delegated cgroup)`);
      }
      await Deno.mkdir(parent, { recursive: true });
      cleanup.push(...await removeStale(parent));
      const dir = await makeGroup(parent, opts.name);
      dirs.set(h, dir);
      return dir;
    } catch (e) {
      if (e instanceof Deno.errors.AlreadyExists) throw e;
      failed.add(h);
      notes.push(`cannot use ${h.mount} (${(e as Error).message})`);
      return null;
    }
  };
  const v2 = hs.find((h) => h.version === 2);
  const v1With = (c: string) => hs.find((h) => h.version === 1 && h.controllers.includes(c));
  /** Places `controller` in v2 when the unified hierarchy has it, else in its v1 hierarchy. */
  const place = async (controller: string): Promise<Placed | null> => {
    if (v2?.controllers.includes(controller)) {
      const needed = ["memory", "cpu"].filter((c) => v2.controllers.includes(c));
      const dir = await groupIn(v2, needed);
      if (dir) return { version: "cgroup-v2", dir };
    }
    const h = v1With(controller);
    if (h) {
      const dir = await groupIn(h, []);
      if (dir) return { version: "cgroup-v1", dir };
    }
    return null;
  };

  const inForce: ControlsInForce = {
    memoryLimit: "none",
    cpuQuota: "none",
    freezer: "sigstop",
    peakMemory: "rss-sampling",
  };
  let accounting: MemoryAccounting | null = null;
  const memory = await place("memory");
  if (memory) {
    try {
      notes.push(
        memory.version === "cgroup-v1"
          ? await limitV1(memory.dir, memoryBytes)
          : await limitV2(memory.dir, memoryBytes),
      );
      inForce.memoryLimit = memory.version;
    } catch (e) {
      notes.push(`memory limit not set: ${(e as Error).message}`);
    }
    try {
      accounting = memory.version === "cgroup-v1"
        ? accountingV1(memory.dir)
        : await accountingV2(memory.dir, sampleMs);
      await accounting.resetPeak();
      if (opts.peak !== "rss") inForce.peakMemory = memory.version;
      else notes.push("peak from rss-sampling by request");
    } catch (e) {
      accounting?.close();
      accounting = null;
      notes.push(`peak memory not readable: ${(e as Error).message}`);
    }
  } else if (hs.length > 0 && !hs.some((h) => h.controllers.includes("memory"))) {
    notes.push("no memory controller");
  }

  let cpuPlaced = false;
  const cpu = await place("cpu");
  if (cpu) {
    const quota = Math.max(MIN_QUOTA_US, Math.round(cpuFraction * CPU_PERIOD_US));
    try {
      if (cpu.version === "cgroup-v1") {
        await writeControl(join(cpu.dir, "cpu.cfs_period_us"), String(CPU_PERIOD_US));
        await writeControl(join(cpu.dir, "cpu.cfs_quota_us"), String(quota));
      } else {
        await writeControl(join(cpu.dir, "cpu.max"), `${quota} ${CPU_PERIOD_US}`);
      }
      inForce.cpuQuota = cpu.version;
      cpuPlaced = true;
      notes.push(`cpu quota ${quota}/${CPU_PERIOD_US} us`);
    } catch (e) {
      notes.push(`cpu quota not set: ${(e as Error).message}`);
    }
  } else if (hs.length > 0 && !hs.some((h) => h.controllers.includes("cpu"))) {
    notes.push("no cpu controller");
  }

  // The v2 freezer is part of the core (every non-root v2 group has cgroup.freeze); prefer it
  // when v2 is the main hierarchy, else the v1 freezer controller, else the hybrid v2 mount.
  let freezer: Placed | null = null;
  if (v2 && (memory?.version === "cgroup-v2" || !v1With("freezer"))) {
    const dir = await groupIn(v2, []);
    if (dir && (await readOrNull(join(dir, "cgroup.freeze"))) !== null) {
      freezer = { version: "cgroup-v2", dir };
    }
  }
  if (!freezer) {
    const h = v1With("freezer");
    const dir = h ? await groupIn(h, []) : null;
    if (dir) freezer = { version: "cgroup-v1", dir };
  }
  if (freezer) inForce.freezer = freezer.version;

  // CPU accounting: cpuacct (v1) or cpu.stat (v2, present even without the cpu controller).
  let cpuUsage: (() => Promise<number>) | null = null;
  if (cpu?.version === "cgroup-v2" || (!v1With("cpuacct") && v2 && dirs.has(v2))) {
    const dir = cpu?.version === "cgroup-v2" ? cpu.dir : dirs.get(v2!)!;
    cpuUsage = async () => ((await readKeyed(join(dir, "cpu.stat"))).get("usage_usec") ?? 0) / 1000;
  } else {
    const h = v1With("cpuacct");
    const dir = h ? await groupIn(h, []) : null;
    if (dir) cpuUsage = async () => (await readNumber(join(dir, "cpuacct.usage"))) / 1e6;
  }

  if (cleanup.length > 0) notes.push(`removed stale ${cleanup.join(", ")}`);
  if (dirs.size > 0) notes.push(`groups ${[...dirs.values()].join(", ")}`);
  inForce.detail = notes.join("; ");
  return new Controls({
    inForce,
    limits: {
      memoryBytes: inForce.memoryLimit === "none" ? null : memoryBytes,
      cpuFraction: cpuPlaced ? cpuFraction : null,
    },
    dirs: [...dirs.values()],
    accounting,
    freezer,
    cpuUsage,
    sampleMs,
  });
}

interface ControlsParts {
  inForce: ControlsInForce;
  limits: { memoryBytes: number | null; cpuFraction: number | null };
  dirs: string[];
  accounting: MemoryAccounting | null;
  freezer: Placed | null;
  cpuUsage: (() => Promise<number>) | null;
  sampleMs: number;
}

class Controls implements ResourceControls {
  readonly inForce: ControlsInForce;
  readonly limits: { memoryBytes: number | null; cpuFraction: number | null };
  readonly dirs: readonly string[];
  readonly #tree = new ProcessTree();
  readonly #parts: ControlsParts;
  readonly #kernelPeak: boolean;
  #frozen = false;
  #destroyed = false;

  constructor(parts: ControlsParts) {
    this.#parts = parts;
    this.inForce = parts.inForce;
    this.limits = parts.limits;
    this.dirs = parts.dirs;
    this.#kernelPeak = parts.accounting !== null && parts.inForce.peakMemory !== "rss-sampling";
    if (!this.#kernelPeak) this.#tree.startSampling(parts.sampleMs);
  }

  async addProcess(pid: number): Promise<void> {
    this.#assertLive("addProcess");
    for (const dir of this.dirs) {
      try {
        await writeControl(join(dir, "cgroup.procs"), String(pid));
      } catch (e) {
        if (await pidAlive(pid)) {
          throw new Error(`Cannot move pid ${pid} into ${dir}: ${(e as Error).message}`);
        }
      }
    }
    await this.#tree.add(pid);
    if (this.#frozen) await this.freeze();
  }

  wrapCommand(command: string, args: readonly string[]): { command: string; args: string[] } {
    if (this.dirs.length === 0) return { command, args: [...args] };
    const files = this.dirs.map((d) => join(d, "cgroup.procs"));
    const prelude = 'n=$1; shift; while [ "$n" -gt 0 ]; do echo $$ > "$1" || exit 125; ' +
      'shift; n=$((n-1)); done; exec "$@"';
    return {
      command: "/bin/sh",
      args: ["-c", prelude, "battle-cgroup", String(files.length), ...files, command, ...args],
    };
  }

  async freeze(): Promise<void> {
    this.#assertLive("freeze");
    this.#frozen = true;
    const f = this.#parts.freezer;
    if (!this.#kernelPeak) await this.#tree.stopSampling();
    if (!f) return await this.#tree.stopAll();
    if (f.version === "cgroup-v1") {
      await writeControl(join(f.dir, "freezer.state"), "FROZEN");
      await pollUntil(
        async () => (await readOrNull(join(f.dir, "freezer.state")))?.trim() === "FROZEN",
        { what: `${f.dir} to freeze` },
      );
    } else {
      await writeControl(join(f.dir, "cgroup.freeze"), "1");
      await pollUntil(() => this.#v2Frozen(f.dir, 1), { what: `${f.dir} to freeze` });
    }
  }

  async thaw(): Promise<void> {
    this.#assertLive("thaw");
    this.#frozen = false;
    const f = this.#parts.freezer;
    if (!f) await this.#tree.continueAll();
    else if (f.version === "cgroup-v1") {
      await writeControl(join(f.dir, "freezer.state"), "THAWED");
      await pollUntil(
        async () => (await readOrNull(join(f.dir, "freezer.state")))?.trim() === "THAWED",
        { what: `${f.dir} to thaw` },
      );
    } else {
      await writeControl(join(f.dir, "cgroup.freeze"), "0");
      await pollUntil(() => this.#v2Frozen(f.dir, 0), { what: `${f.dir} to thaw` });
    }
    if (!this.#kernelPeak) this.#tree.startSampling(this.#parts.sampleMs);
  }

  async #v2Frozen(dir: string, want: 0 | 1): Promise<boolean> {
    return (await readKeyed(join(dir, "cgroup.events"))).get("frozen") === want;
  }

  async resetPeak(): Promise<void> {
    this.#assertLive("resetPeak");
    await (this.#kernelPeak ? this.#parts.accounting! : this.#tree).resetPeak();
  }

  async peakMemoryBytes(): Promise<number> {
    this.#assertLive("peakMemoryBytes");
    return this.#kernelPeak
      ? await this.#parts.accounting!.peakBytes()
      : await this.#tree.peakBytes();
  }

  async memoryUsage(): Promise<MemoryUsage> {
    this.#assertLive("memoryUsage");
    const a = this.#parts.accounting;
    return a ? await a.usage() : await this.#tree.memoryUsage();
  }

  async oomEvents(): Promise<number> {
    this.#assertLive("oomEvents");
    return this.#parts.accounting ? await this.#parts.accounting.oomKills() : 0;
  }

  async cpuUsageMs(): Promise<number> {
    this.#assertLive("cpuUsageMs");
    return this.#parts.cpuUsage ? await this.#parts.cpuUsage() : await this.#tree.cpuMs();
  }

  async pids(): Promise<number[]> {
    const all = new Set(await this.#tree.pids());
    for (const dir of this.dirs) for (const pid of await groupPids(dir)) all.add(pid);
    return [...all].sort((a, b) => a - b);
  }

  async killAll(signal: Deno.Signal = "SIGKILL"): Promise<void> {
    if (this.#destroyed) return;
    const v2 = this.#parts.freezer?.version === "cgroup-v2" ? this.#parts.freezer.dir : null;
    if (signal === "SIGKILL" && v2 && (await readOrNull(join(v2, "cgroup.kill"))) !== null) {
      await writeControl(join(v2, "cgroup.kill"), "1");
    }
    for (const pid of await this.pids()) signalPid(pid, signal);
    if (signal !== "SIGKILL") return;
    // v1-frozen tasks handle SIGKILL only once thawed; stopped ones die anyway.
    if (this.#frozen) await this.thaw();
    await this.#tree.signalAll("SIGKILL");
    await pollUntil(async () => {
      const left = await this.pids();
      for (const pid of left) signalPid(pid, "SIGKILL");
      return left.length === 0;
    }, { what: `every process of ${this.dirs.join(", ") || "the tree"} to exit` });
  }

  async destroy(): Promise<void> {
    if (this.#destroyed) return;
    await this.killAll("SIGKILL");
    this.#destroyed = true;
    await this.#tree.close();
    this.#parts.accounting?.close();
    const errors: string[] = [];
    for (const dir of this.dirs) {
      try {
        await emptyAndRemove(dir);
      } catch (e) {
        errors.push((e as Error).message);
      }
    }
    if (errors.length > 0) throw new Deno.errors.Busy(errors.join("; "));
  }

  #assertLive(what: string): void {
    if (this.#destroyed) throw new TypeError(`Cannot ${what}: controls were destroyed`);
  }
}
