/**
 * How busy the host was with work that is not the benchmark's, per cell. A local cell's figures
 * are only as good as the host's quiet: another job on the same cores, or a hypervisor lending
 * them to another machine (steal), lengthens Init and Duration and can turn a memory sweep's
 * order around. So each cell is bracketed by two samples: the host's CPU counters (`/proc/stat`,
 * for the whole and for steal) and the CPU time of every user process outside this benchmark's
 * own process tree (this process and its descendants); what those processes spent between the
 * samples is the others' share.
 *
 * The others are counted by their own CPU time, not as the host's total less the benchmark's:
 * the kernel's work for the benchmark (its disk reads, its cgroups made and removed, in interrupts
 * and kernel threads) would otherwise count as another's, and a short cell's processes, each
 * rounded down to a 10 ms tick, would leave a remainder there too (fidelity cells of 50–230 ms read
 * 4–13% busy on a quiet host that way). Kernel threads are not counted. A process that left the
 * tree (a daemon that double-forked) counts as another's: the benchmark starts none. Linux only;
 * elsewhere nothing is recorded.
 *
 * @module
 */
import { readdirSync, readFileSync } from "node:fs";

/** The host's counters and the other processes' CPU at one moment, in clock ticks. */
export interface HostSample {
  /** `performance.now()` when taken. */
  at: number;
  /** Ticks the hypervisor ran something else on this machine's CPUs. */
  steal: number;
  /** Every tick counted (busy, idle, iowait, steal). */
  total: number;
  /**
   * CPU ticks (own and reaped children's) of each user process outside the benchmark's tree,
   * by `pid:starttime` (so a reused pid is another process).
   */
  others: Map<string, number>;
}

/** What the host did between two samples besides the benchmark. */
export interface HostLoad {
  /** CPU time of processes outside the benchmark, as a share of all the host's CPU time. */
  othersCpu: number;
  /** Time the hypervisor took the CPUs for other machines, as a share of all CPU time. */
  steal: number;
  /** Wall time between the samples, in seconds. */
  seconds: number;
}

/** Above either share, a cell's figures are flagged as taken on a busy host. */
export const BUSY = { othersCpu: 0.1, steal: 0.05 } as const;

/**
 * The aggregate `cpu` line of `/proc/stat`.
 *
 * @param text the file's text
 * @returns busy, steal and total ticks, or null without a `cpu` line
 * @example parseProcStat("cpu  10 0 5 80 5 0 0 0 0 0\n")?.busy // 15
 */
export function parseProcStat(text: string): { busy: number; steal: number; total: number } | null {
  const line = /^cpu\s+([\d\s]+)$/m.exec(text)?.[1];
  if (line === undefined) return null;
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] =
    line.trim().split(/\s+/).map(Number);
  // guest and guest_nice are already inside user and nice.
  const busy = user + nice + system + irq + softirq;
  return { busy, steal, total: busy + idle + iowait + steal };
}

/**
 * A process's own and reaped children's CPU from `/proc/<pid>/stat` (utime, stime, cutime,
 * cstime).
 *
 * @param text the file's text
 * @returns ticks, or null when the line cannot be read
 * @example processTicks("42 (a b) S 1 1 1 0 -1 0 0 0 0 0 7 3 2 1 20 0") // 13
 */
export function processTicks(text: string): number | null {
  const f = statFields(text);
  return f === null ? null : ticksOf(f);
}

/** The fields after the command name (which may hold spaces and parentheses), from field 3. */
function statFields(text: string): string[] | null {
  const close = text.lastIndexOf(")");
  return close < 0 ? null : text.slice(close + 2).trim().split(/\s+/);
}

/** utime + stime + cutime + cstime (fields 14–17, so fields[11]..fields[14]), or null. */
function ticksOf(fields: string[]): number | null {
  const ticks = fields.slice(11, 15).map(Number);
  if (ticks.length < 4 || ticks.some((t) => !Number.isFinite(t))) return null;
  return ticks.reduce((a, b) => a + b, 0);
}

/** What a `/proc/<pid>/stat` line says of the process: parent, kernel thread, start, CPU. */
export function processFacts(
  text: string,
): { ppid: number; kernel: boolean; start: number; ticks: number } | null {
  const f = statFields(text);
  if (f === null) return null;
  // fields[0] is the line's field 3 (state): ppid is field 4, flags 9, start time 22.
  const ppid = Number(f[1]);
  const flags = Number(f[6]);
  const start = Number(f[19]);
  const ticks = ticksOf(f);
  if (!Number.isInteger(ppid) || !Number.isFinite(flags) || !Number.isFinite(start)) return null;
  if (ticks === null) return null;
  // PF_KTHREAD; the kernel's threads also descend from kthreadd (pid 2).
  const kernel = (flags & 0x00200000) !== 0 || ppid === 2 ||
    ppid === 0 && /\(kthreadd\)/.test(text);
  return { ppid, kernel, start, ticks };
}

function read(path: string): string | null {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return null;
  }
}

/**
 * Every process now: its stat facts, and which of them are `root`'s tree (itself and its
 * descendants, from every process's parent).
 *
 * @param root the tree's root
 * @returns facts by pid, and the tree's pids
 */
export function processTable(root: number): {
  facts: Map<number, NonNullable<ReturnType<typeof processFacts>>>;
  tree: Set<number>;
} {
  const facts = new Map<number, NonNullable<ReturnType<typeof processFacts>>>();
  const kids = new Map<number, number[]>();
  for (const name of readdirSync("/proc")) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    const text = read(`/proc/${pid}/stat`);
    const f = text === null ? null : processFacts(text);
    if (f === null) continue;
    facts.set(pid, f);
    const siblings = kids.get(f.ppid);
    if (siblings) siblings.push(pid);
    else kids.set(f.ppid, [pid]);
  }
  const tree = new Set<number>();
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.pop()!;
    if (tree.has(pid) || !facts.has(pid)) continue;
    tree.add(pid);
    queue.push(...kids.get(pid) ?? []);
  }
  return { facts, tree };
}

/**
 * Samples the host now.
 *
 * @param root the benchmark's tree, default this process
 * @returns the sample, or null where `/proc/stat` cannot be read (not Linux)
 */
export function sampleHost(root = Deno.pid): HostSample | null {
  const stat = read("/proc/stat");
  const parsed = stat === null ? null : parseProcStat(stat);
  if (parsed === null) return null;
  const { facts, tree } = processTable(root);
  const others = new Map<string, number>();
  for (const [pid, f] of facts) {
    if (!tree.has(pid) && !f.kernel) others.set(`${pid}:${f.start}`, f.ticks);
  }
  return { at: performance.now(), steal: parsed.steal, total: parsed.total, others };
}

/** The other processes' ticks from `a` to `b`: each one's growth, a new one's whole time. */
function othersTicks(a: HostSample, b: HostSample): number {
  let sum = 0;
  for (const [key, ticks] of b.others) sum += Math.max(0, ticks - (a.others.get(key) ?? 0));
  return sum;
}

/**
 * What the host spent beyond the benchmark between two samples.
 *
 * @param a the earlier sample
 * @param b the later one
 * @returns the shares (0 when no tick passed), rounded to 3 places
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { hostLoad } from "./host_load.ts";
 * const a = { at: 0, steal: 0, total: 1000, others: new Map([["7:1", 30]]) };
 * const b = { at: 1000, steal: 10, total: 1200, others: new Map([["7:1", 50], ["9:5", 20]]) };
 * assert.deepEqual(hostLoad(a, b), { othersCpu: 0.2, steal: 0.05, seconds: 1 });
 * ```
 */
export function hostLoad(a: HostSample, b: HostSample): HostLoad {
  const meter = new LoadMeter();
  meter.add(a, b);
  return meter.load()!;
}

/**
 * What the host did over several windows of one cell (its invocations, when cells take turns):
 * the windows' ticks added up, then the shares of the sum.
 */
export class LoadMeter {
  #others = 0;
  #steal = 0;
  #total = 0;
  #ms = 0;
  #windows = 0;

  /** Adds the window from `a` to `b` (nothing when either is null). */
  add(a: HostSample | null, b: HostSample | null): void {
    if (a === null || b === null) return;
    this.#windows++;
    this.#others += othersTicks(a, b);
    this.#steal += b.steal - a.steal;
    this.#total += b.total - a.total;
    this.#ms += b.at - a.at;
  }

  /** The shares over every window added (0 when no tick passed), or null when none was. */
  load(): HostLoad | null {
    if (this.#windows === 0) return null;
    const round = (x: number) => Math.round(x * 1000) / 1000;
    const total = this.#total;
    return {
      othersCpu: total > 0 ? round(Math.min(1, this.#others / total)) : 0,
      steal: total > 0 ? round(Math.max(0, this.#steal) / total) : 0,
      seconds: round(this.#ms / 1000),
    };
  }
}

/**
 * Whether a cell ran on a busy host.
 *
 * @param load the cell's load
 * @returns true above {@link BUSY}
 */
export function isBusy(load: HostLoad): boolean {
  return load.othersCpu > BUSY.othersCpu || load.steal > BUSY.steal;
}

/**
 * A short note for a progress line, or null on a quiet host.
 *
 * @param load the cell's load
 * @returns e.g. `host busy: other processes used 35% of its CPU`
 */
export function busyNote(load: HostLoad): string | null {
  if (!isBusy(load)) return null;
  const parts = [];
  if (load.othersCpu > BUSY.othersCpu) {
    parts.push(`other processes used ${Math.round(load.othersCpu * 100)}% of its CPU`);
  }
  if (load.steal > BUSY.steal) parts.push(`the hypervisor took ${Math.round(load.steal * 100)}%`);
  return `host busy: ${parts.join(", ")}`;
}
