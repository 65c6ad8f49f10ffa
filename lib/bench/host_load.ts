/**
 * How busy the host was with work that is not the benchmark's, per cell. A local cell's figures
 * are only as good as the host's quiet: another job on the same cores, or a hypervisor lending
 * them to another machine (steal), lengthens Init and Duration and can turn a memory sweep's
 * order around. So each cell is bracketed by two samples of the host's CPU counters
 * (`/proc/stat`) and of this benchmark's own process tree (this process, its live descendants
 * and the children it has reaped), and what the host spent beyond the tree is recorded.
 *
 * Processes that left the tree (a daemon that double-forked, reparented to init) count as
 * others: the benchmark starts none. Linux only; elsewhere nothing is recorded.
 *
 * @module
 */
import { readdirSync, readFileSync } from "node:fs";

/** The host's counters and the benchmark tree's CPU at one moment, in clock ticks. */
export interface HostSample {
  /** `performance.now()` when taken. */
  at: number;
  /** Ticks the host's CPUs spent running anything (user, nice, system, irq, softirq). */
  busy: number;
  /** Ticks the hypervisor ran something else on this machine's CPUs. */
  steal: number;
  /** Every tick counted (busy, idle, iowait, steal). */
  total: number;
  /** CPU ticks of this process and its descendants (live, and reaped ones). */
  own: number;
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
  // The command name may hold spaces and parentheses: the fields start after the last ')'.
  const close = text.lastIndexOf(")");
  if (close < 0) return null;
  const fields = text.slice(close + 2).trim().split(/\s+/);
  // Field 3 of the line (state) is fields[0]; utime is field 14, so fields[11]..fields[14].
  const ticks = fields.slice(11, 15).map(Number);
  if (ticks.length < 4 || ticks.some((t) => !Number.isFinite(t))) return null;
  return ticks.reduce((a, b) => a + b, 0);
}

function read(path: string): string | null {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return null;
  }
}

/** The pids of `pid`'s children (from every thread's `children` list), or null without them. */
function childrenOf(pid: number): number[] | null {
  const found: number[] = [];
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return found;
  }
  let listed = false;
  for (const tid of tasks) {
    const text = read(`/proc/${pid}/task/${tid}/children`);
    if (text === null) continue;
    listed = true;
    for (const c of text.split(" ")) if (c.trim() !== "") found.push(Number(c));
  }
  return listed ? found : null;
}

/** The parent of a `/proc/<pid>/stat` line (field 4), or null. */
function parentOf(text: string): number | null {
  const close = text.lastIndexOf(")");
  const ppid = close < 0 ? NaN : Number(text.slice(close + 2).split(" ")[1]);
  return Number.isInteger(ppid) ? ppid : null;
}

/**
 * `root` and its live descendants from every process's parent in `/proc/<pid>/stat`: for
 * kernels without the `children` lists (CONFIG_PROC_CHILDREN).
 *
 * @param root the tree's root
 * @returns each process of the tree with its stat line
 */
export function treeByScan(root: number): Map<number, string> {
  const stats = new Map<number, string>();
  const kids = new Map<number, number[]>();
  for (const name of readdirSync("/proc")) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    const text = read(`/proc/${pid}/stat`);
    const ppid = text === null ? null : parentOf(text);
    if (text === null || ppid === null) continue;
    stats.set(pid, text);
    kids.set(ppid, [...kids.get(ppid) ?? [], pid]);
  }
  const tree = new Map<number, string>();
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.pop()!;
    const text = stats.get(pid);
    if (text === undefined || tree.has(pid)) continue;
    tree.set(pid, text);
    queue.push(...kids.get(pid) ?? []);
  }
  return tree;
}

/**
 * CPU ticks of `root` and every live descendant (each with its reaped children).
 *
 * @param root the tree's root, default this process
 * @returns the sum
 */
export function treeTicks(root = Deno.pid): number {
  let sum = 0;
  const seen = new Set<number>();
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.pop()!;
    if (seen.has(pid)) continue;
    seen.add(pid);
    const text = read(`/proc/${pid}/stat`);
    if (text === null) continue;
    sum += processTicks(text) ?? 0;
    const children = childrenOf(pid);
    if (children === null) {
      // No children lists on this kernel: the whole tree from every process's parent.
      let all = 0;
      for (const line of treeByScan(root).values()) all += processTicks(line) ?? 0;
      return all;
    }
    queue.push(...children);
  }
  return sum;
}

/**
 * Samples the host now.
 *
 * @returns the sample, or null where `/proc/stat` cannot be read (not Linux)
 */
export function sampleHost(): HostSample | null {
  const stat = read("/proc/stat");
  const parsed = stat === null ? null : parseProcStat(stat);
  if (parsed === null) return null;
  return { at: performance.now(), ...parsed, own: treeTicks() };
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
 * const a = { at: 0, busy: 100, steal: 0, total: 1000, own: 50 };
 * const b = { at: 1000, busy: 180, steal: 10, total: 1200, own: 90 };
 * assert.deepEqual(hostLoad(a, b), { othersCpu: 0.2, steal: 0.05, seconds: 1 });
 * ```
 */
export function hostLoad(a: HostSample, b: HostSample): HostLoad {
  const total = b.total - a.total;
  const round = (x: number) => Math.round(x * 1000) / 1000;
  const others = Math.max(0, b.busy - a.busy - (b.own - a.own));
  return {
    othersCpu: total > 0 ? round(others / total) : 0,
    steal: total > 0 ? round(Math.max(0, b.steal - a.steal) / total) : 0,
    seconds: round((b.at - a.at) / 1000),
  };
}

/**
 * What the host did over several windows of one cell (its invocations, when cells take turns):
 * the windows' ticks added up, then the shares of the sum.
 */
export class LoadMeter {
  #sum: HostSample = { at: 0, busy: 0, steal: 0, total: 0, own: 0 };
  #windows = 0;

  /** Adds the window from `a` to `b` (nothing when either is null). */
  add(a: HostSample | null, b: HostSample | null): void {
    if (a === null || b === null) return;
    this.#windows++;
    const s = this.#sum;
    s.at += b.at - a.at;
    s.busy += b.busy - a.busy;
    s.steal += b.steal - a.steal;
    s.total += b.total - a.total;
    s.own += b.own - a.own;
  }

  /** The shares over every window added, or null when none was. */
  load(): HostLoad | null {
    if (this.#windows === 0) return null;
    return hostLoad({ at: 0, busy: 0, steal: 0, total: 0, own: 0 }, this.#sum);
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
