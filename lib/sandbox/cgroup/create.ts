/**
 * Resource controls for one Lambda execution environment of the local sandbox, sized from its
 * memory setting the way Lambda sizes it: a memory limit (a breach OOM-kills, which the sandbox
 * reports as `Runtime.OutOfMemory`), Max Memory Used from the kernel's peak accounting of the
 * whole process tree, a CPU quota proportional to memory (1,769 MB = one vCPU) and a freeze of
 * the whole tree between invocations.
 *
 * Mechanisms, best first, chosen per control: cgroup v2 (unified), cgroup v1 (separate
 * hierarchies per controller), then a fallback that needs no privileges: memory of the process
 * tree sampled from /proc every 10 ms (anonymous memory per process plus each mapped file page
 * once; `ps` RSS on macOS), SIGSTOP/SIGCONT to every process of the tree, no memory limit, no
 * CPU quota. `inForce` says which one each control uses, `inForce.detail` why.
 *
 * What the kernel's peak counts: anonymous memory and the page cache this group brought in. A
 * file page (the `node` binary, a shared library) that some other group read first stays
 * charged there, so on a busy host a Node.js runtime peaks at a few MB in its group against
 * about 39 MB of resident set, and the first environment of a variant can peak higher than the
 * next (it faulted the files in). `peak: "rss"` keeps the kernel's limit and OOM accounting
 * but takes the peak from the tree sampler, which counts every mapped file page once whoever
 * read it first: closer to a fresh Lambda sandbox and the same on every run. `peak: "rss+kernel"`
(what the sandbox uses) also catches spikes shorter than the 10 ms sampling period: it takes the
larger of the sampled peak and the kernel's peak with its file pages swapped for the tree's
mapped files. The sampler runs in this process (outside the group's CPU quota) and stops while
the group is frozen.
 *
 * Groups live at `<hierarchy>/<own cgroup>/battle-sandbox/<name>--<owner pid>` on v1 (nested
 * under this process's own group so limits set above us keep applying) and at the first
 * writable v2 parent without processes of its own (normally the root) on v2.
 *
 * Joining the group: a process should be inside before it runs much, so that its first pages
 * are charged to the group. `wrapCommand()` gives a `sh` prelude that writes the shell's own pid
 * into every `cgroup.procs` and then `exec`s the real command, so the program is in the group
 * from its first instruction (one extra exec of `/bin/sh`, about a millisecond). `addProcess()`
 * moves an already running process; call it for every spawned child anyway, because the
 * fallback follows the tree from the pids it is given.
 *
 * @example
 * ```ts
 * const controls = await createControls({ name: "node-128-1", memoryMb: 128 });
 * const { command, args } = controls.wrapCommand("sleep", ["0.2"]);
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
import { canWrite, findHierarchies, KernelFile, readOrNull, writeControl } from "./_fs.ts";
import { accountingV1, accountingV2, limitV1, limitV2, type MemoryAccounting } from "./_memory.ts";
import { type Placed, Placer } from "./_place.ts";
import { PARENT_NAME } from "./_dirs.ts";
import { Controls, type ControlsParts } from "./_controls.ts";
import { fitBandwidthSlice } from "./_slice.ts";

/** Which mechanism enforces or measures each control. */
export interface ControlsInForce {
  memoryLimit: "cgroup-v1" | "cgroup-v2" | "none";
  cpuQuota: "cgroup-v1" | "cgroup-v2" | "none";
  freezer: "cgroup-v1" | "cgroup-v2" | "sigstop";
  /**
   * `rss+cgroup-v1`/`rss+cgroup-v2`: the larger of the sampled tree and the kernel's peak with
   * its file pages swapped for the tree's mapped files (see `ControlsOptions.peak`).
   */
  peakMemory: "cgroup-v1" | "cgroup-v2" | "rss-sampling" | "rss+cgroup-v1" | "rss+cgroup-v2";
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
  /**
   * Moves a just-spawned process into the group (its later children follow) and tracks it;
   * with `placed`, the process joined the groups itself (the sandbox's launcher): only tracks it.
   */
  addProcess(pid: number, opts?: { placed?: boolean }): Promise<void>;
  /**
   * `command`/`args` that put the process into the group before the program starts: a `sh`
   * prelude that joins and then `exec`s it (unchanged in the fallback). The child exits with
   * status 125 if it cannot join (its group is gone). Still call `addProcess(child.pid)`.
   */
  wrapCommand(command: string, args: readonly string[]): { command: string; args: string[] };
  /** Stops every process; resolves once the kernel reports the group frozen (or all stopped). */
  freeze(): Promise<void>;
  /**
   * Resumes every process; resolves once the group is thawed. With a cgroup freezer the kernel
   * has woken every task before `thaw()` returns (one synchronous write, no read-back).
   */
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
  /**
   * Changes the CPU quota to `fraction` of a CPU per period (capped at the host's cores), as
   * Lambda gives Init more CPU than invocations. Rewriting the quota refills the budget (the
   * kernel's period timer keeps its phase), so what Init used does not throttle the first
   * invocation. A no-op without a CPU quota.
   */
  setCpuFraction(fraction: number): Promise<void>;
  /** Pids of the processes still in the group. */
  pids(): Promise<number[]>;
  /** Sends `signal` (default SIGKILL) to every process; with SIGKILL waits until none is left. */
  killAll(signal?: Deno.Signal): Promise<void>;
  /**
   * Kills leftovers, stops the samplers and removes the cgroup directories. Safe to call twice.
   * @throws {Deno.errors.Busy} naming what survived (the samplers are stopped regardless).
   */
  destroy(): Promise<void>;
}

/** A memory snapshot of the tree, in bytes. */
export interface MemoryUsage {
  /** v1 `memory.usage_in_bytes`, v2 `memory.current`; sampler: anon + file. */
  currentBytes: number;
  /** v1 `rss`, v2 `anon` of `memory.stat`; sampler: RssAnon summed over the tree. */
  anonBytes: number;
  /** v1 `cache`, v2 `file` of `memory.stat`; sampler: each mapped file page once. */
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
   * `rss` samples the tree instead (anonymous memory plus each mapped file page once, see the
   * module notes); `rss+kernel` takes the larger of that sample and the kernel's peak without
   * its file pages plus the tree's mapped files, so spikes shorter than the sampling period
   * still count (`inForce.peakMemory` `rss+cgroup-v1`/`rss+cgroup-v2`). The limit and OOM
   * accounting stay in the kernel in every mode.
   */
  peak?: "kernel" | "rss" | "rss+kernel";
  /** Sampling period of the RSS sampler in ms; default 10 (100 without /proc). */
  sampleMs?: number;
  /**
   * CFS period of the CPU quota in µs (1,000–1,000,000); default `DEFAULT_CPU_PERIOD_US`
   * (20 ms, Lambda's observed granularity). The quota is `cpuFraction` of it, at least 1 ms.
   */
  cpuPeriodUs?: number;
}

/** Memory (MB) that Lambda pairs with one full vCPU. */
export const MB_PER_VCPU = 1769;
/**
 * Default CFS period of the CPU quota: 20 ms, not the kernel's 100 ms. Measurements on Lambda
 * (pwrdrvr/lambda-throttling, docs/index.html, 2025-03-01: a busy loop at 128 MB) show stalls
 * in steps of 20 ms (20, 40, 60, 80 ms), so Lambda refills a function's CPU budget every 20 ms.
 * With 100 ms, a 128 MB function runs about 7 ms and then stalls about 93 ms, which makes short
 * invocations bimodal where Lambda's are not. 10 ms would need a quota under the kernel's 1 ms
 * minimum at 128 MB (0.072 × 10 ms); 20 ms gives 1.45 ms.
 */
export const DEFAULT_CPU_PERIOD_US = 20_000;
/** The kernel's minimum quota and period (1 ms) and maximum period (1 s). */
const MIN_QUOTA_US = 1000;
const MAX_PERIOD_US = 1_000_000;

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
  // v2: the root or, in a delegated subtree (systemd user@UID.service), one of our ancestors.
  const candidates = main.version === 1
    ? [join(main.ownDir, PARENT_NAME), main.ownDir]
    : main.ownDir.slice(main.mount.length).split("/").reduce(
      (dirs, part) => part === "" ? dirs : [...dirs, join(dirs.at(-1)!, part)],
      [main.mount],
    );
  let writable = false;
  for (const dir of main.readOnly ? [] : candidates) writable ||= await canWrite(dir);
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
 * @example
 * ```ts
 * const controls = await createControls({ name: "fn-1", memoryMb: 512, prefer: "fallback" });
 * console.log(controls.inForce.freezer); // "sigstop"
 * await controls.destroy();
 * ```
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
  const periodUs = opts.cpuPeriodUs ?? DEFAULT_CPU_PERIOD_US;
  if (!Number.isInteger(periodUs) || periodUs < MIN_QUOTA_US || periodUs > MAX_PERIOD_US) {
    throw new RangeError(
      `Cannot create controls: cpuPeriodUs must be an integer in ${MIN_QUOTA_US}..${MAX_PERIOD_US}, got ${periodUs}`,
    );
  }
  const cores = navigator.hardwareConcurrency || 1;
  const versions = opts.versions ?? [1, 2];
  const hs = opts.prefer === "fallback"
    ? []
    : (await findHierarchies()).filter((h) => versions.includes(h.version) && !h.readOnly);
  const placer = new Placer(hs, opts.name);
  const setup: Setup = {
    placer,
    memoryBytes: Math.round(opts.memoryMb * 1024 * 1024),
    cpuFraction: Math.min(wanted, cores),
    cpuPeriodUs: periodUs,
    sampleMs: opts.sampleMs ?? 10,
    peak: opts.peak ?? "kernel",
    notes: [],
  };
  if (opts.prefer === "fallback") setup.notes.push("fallback requested");
  else if (hs.length === 0) setup.notes.push("no usable cgroup hierarchy");
  if (wanted > cores) setup.notes.push(`cpu ${wanted.toFixed(3)} capped at ${cores} cores`);
  let accounting: MemoryAccounting | null = null;
  try {
    const memory = await setUpMemory(setup);
    accounting = memory.accounting;
    const cpu = await setUpCpu(setup);
    const cpuQuota = cpu.placed && cpu.quota !== "none"
      ? { placed: cpu.placed, periodUs: setup.cpuPeriodUs, cores }
      : null;
    const freezer = await setUpFreezer(setup);
    const cpuUsage = await cpuAccounting(setup, cpu.placed);
    const inForce: ControlsInForce = {
      memoryLimit: memory.limit,
      cpuQuota: cpu.quota,
      freezer: freezer?.version ?? "sigstop",
      peakMemory: memory.peak,
    };
    const notes = [...setup.notes, ...placer.notes];
    if (placer.removed.length > 0) notes.push(`removed stale ${placer.removed.join(", ")}`);
    if (placer.dirs.size > 0) notes.push(`groups ${[...placer.dirs.values()].join(", ")}`);
    inForce.detail = notes.join("; ");
    return new Controls({
      inForce,
      limits: {
        memoryBytes: memory.limit === "none" ? null : setup.memoryBytes,
        cpuFraction: cpu.quota === "none" ? null : setup.cpuFraction,
      },
      dirs: [...placer.dirs.values()],
      accounting,
      freezer,
      cpuUsage,
      cpuQuota,
      sampleMs: setup.sampleMs,
    });
  } catch (e) {
    accounting?.close();
    await placer.removeAll();
    throw e;
  }
}

interface Setup {
  placer: Placer;
  memoryBytes: number;
  cpuFraction: number;
  cpuPeriodUs: number;
  sampleMs: number;
  peak: NonNullable<ControlsOptions["peak"]>;
  notes: string[];
}

/** Memory limit (swap off) and the kernel's peak and OOM accounting. */
async function setUpMemory(s: Setup): Promise<{
  placed: Placed | null;
  limit: ControlsInForce["memoryLimit"];
  peak: ControlsInForce["peakMemory"];
  accounting: MemoryAccounting | null;
}> {
  const placed = await s.placer.place("memory");
  if (!placed) {
    if (!s.placer.has("memory")) s.notes.push("no memory controller");
    return { placed, limit: "none", peak: "rss-sampling", accounting: null };
  }
  let limit: ControlsInForce["memoryLimit"] = "none";
  try {
    s.notes.push(
      placed.version === "cgroup-v1"
        ? await limitV1(placed.dir, s.memoryBytes)
        : await limitV2(placed.dir, s.memoryBytes),
    );
    limit = placed.version;
  } catch (e) {
    s.notes.push(`memory limit not set: ${(e as Error).message}`);
  }
  let accounting: MemoryAccounting | null = null;
  try {
    accounting = placed.version === "cgroup-v1"
      ? accountingV1(placed.dir)
      : await accountingV2(placed.dir, s.sampleMs);
    await accounting.resetPeak();
  } catch (e) {
    accounting?.close();
    s.notes.push(`memory accounting not readable: ${(e as Error).message}`);
    return { placed, limit, peak: "rss-sampling", accounting: null };
  }
  if (s.peak === "kernel") return { placed, limit, peak: placed.version, accounting };
  s.notes.push(`peak ${s.peak} by request (rss sampled every ${s.sampleMs} ms)`);
  const peak = s.peak === "rss" ? "rss-sampling" : `rss+${placed.version}` as const;
  return { placed, limit, peak, accounting };
}

/** CPU quota: `fraction` of a CPU per `cpuPeriodUs` period (at least 1 ms). */
async function setUpCpu(
  s: Setup,
): Promise<{ placed: Placed | null; quota: ControlsInForce["cpuQuota"] }> {
  const placed = await s.placer.place("cpu");
  if (!placed) {
    if (!s.placer.has("cpu")) s.notes.push("no cpu controller");
    return { placed, quota: "none" };
  }
  const period = s.cpuPeriodUs;
  const exact = s.cpuFraction * period;
  try {
    // A new v1 group has no quota yet (-1), so the period can go first.
    if (placed.version === "cgroup-v1") {
      await writeControl(join(placed.dir, "cpu.cfs_period_us"), String(period));
    }
    const quota = await writeCpuQuota(placed, s.cpuFraction, period);
    s.notes.push(
      `cpu quota ${quota}/${period} us` +
        (quota > exact + 0.5
          ? ` (raised to the kernel's 1 ms minimum from ${exact.toFixed(0)})`
          : ""),
      (await fitBandwidthSlice()).note,
    );
    return { placed, quota: placed.version };
  } catch (e) {
    s.notes.push(`cpu quota not set: ${(e as Error).message}`);
    return { placed, quota: "none" };
  }
}

/**
 * Writes a CPU quota of `fraction` of a CPU per `periodUs` (at least the kernel's 1 ms).
 *
 * @returns the quota written, in µs
 */
export async function writeCpuQuota(
  placed: Placed,
  fraction: number,
  periodUs: number,
): Promise<number> {
  const quota = Math.max(MIN_QUOTA_US, Math.round(fraction * periodUs));
  if (placed.version === "cgroup-v1") {
    await writeControl(join(placed.dir, "cpu.cfs_quota_us"), String(quota));
  } else {
    await writeControl(join(placed.dir, "cpu.max"), `${quota} ${periodUs}`);
  }
  return quota;
}

/**
 * The v2 freezer is part of the core (every non-root v2 group has `cgroup.freeze`), and is used
 * wherever a v2 hierarchy is usable, even when memory and cpu are on v1 (a hybrid host): its
 * thaw is one cheap write (about 2 µs against about 90 µs for the v1 freezer's `THAWED`), and
 * the thaw sits on every warm invocation's path. Else the v1 freezer controller.
 */
async function setUpFreezer(s: Setup): Promise<Placed | null> {
  const v2 = s.placer.v2;
  if (v2) {
    const dir = await s.placer.groupIn(v2);
    if (dir && (await readOrNull(join(dir, "cgroup.freeze"))) !== null) {
      return { version: "cgroup-v2", dir };
    }
  }
  const h = s.placer.v1With("freezer");
  const dir = h ? await s.placer.groupIn(h) : null;
  return dir ? { version: "cgroup-v1", dir } : null;
}

/**
 * CPU time of the group: v2 `cpu.stat` (every v2 group has it, with or without the cpu
 * controller), from the cpu group or the one made for the freezer; else v1 cpuacct. Using the
 * v2 group on a hybrid host spares a cpuacct group and one more `cgroup.procs` write per spawn.
 */
async function cpuAccounting(
  s: Setup,
  cpu: Placed | null,
): Promise<ControlsParts["cpuUsage"]> {
  const v2 = s.placer.v2;
  const v2Dir = cpu?.version === "cgroup-v2" ? cpu.dir : v2 ? s.placer.dirs.get(v2) : undefined;
  if (v2Dir && (await readOrNull(join(v2Dir, "cpu.stat")))?.includes("usage_usec")) {
    const stat = new KernelFile(join(v2Dir, "cpu.stat"));
    return { ms: () => (stat.key("usage_usec") ?? 0) / 1000, close: () => stat.close() };
  }
  const h = s.placer.v1With("cpuacct");
  const dir = h ? await s.placer.groupIn(h) : null;
  if (!dir) return null;
  const usage = new KernelFile(join(dir, "cpuacct.usage"));
  return { ms: () => usage.number() / 1e6, close: () => usage.close() };
}
