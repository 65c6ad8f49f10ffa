/**
 * Private helper for `cgroup.ts`: follows a process tree without cgroups. It knows every process
 * it has seen descend from the added roots (even after one is re-parented), sums their resident
 * memory, stops and continues them all with SIGSTOP/SIGCONT, and kills them.
 *
 * Linux reads /proc (`task/<tid>/children` to find descendants, `status` VmRSS for memory);
 * elsewhere (macOS) it asks `ps` for the whole process table.
 *
 * @module
 */
import { readOrNull, signalPid, sleep } from "./_cgroup_fs.ts";

interface ProcInfo {
  pid: number;
  ppid: number;
  /** Kernel state letter: R, S, D, T (stopped), t, Z (zombie), ... */
  state: string;
  /** Start time, to tell a reused pid from the process we saw. */
  start: string;
  rssBytes: number;
  /** utime + stime + cutime + cstime in clock ticks (Linux only). */
  cpuTicks: number;
}

const HAS_PROC = (await readOrNull("/proc/self/stat")) !== null;
const CLOCK_TICKS = 100; // USER_HZ is 100 on every Linux architecture Lambda runs on.

/** Reads one process from /proc; `null` when it is gone. */
async function readProc(pid: number, withRss: boolean): Promise<ProcInfo | null> {
  const stat = await readOrNull(`/proc/${pid}/stat`);
  if (stat === null) return null;
  // The command name may hold spaces and parentheses: split after the last ")".
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  let rssBytes = 0;
  if (withRss) {
    const status = await readOrNull(`/proc/${pid}/status`);
    const m = status === null ? null : /^VmRSS:\s+(\d+) kB/m.exec(status);
    rssBytes = m ? Number(m[1]) * 1024 : 0;
  }
  return {
    pid,
    ppid: Number(f[1]),
    state: f[0] ?? "?",
    start: f[19] ?? "",
    rssBytes,
    cpuTicks: Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]),
  };
}

/** Children of every thread of `pid` (needs CONFIG_PROC_CHILDREN, present on common kernels). */
async function childrenOf(pid: number): Promise<number[]> {
  const out: number[] = [];
  try {
    for await (const task of Deno.readDir(`/proc/${pid}/task`)) {
      const text = await readOrNull(`/proc/${pid}/task/${task.name}/children`);
      if (text) out.push(...text.trim().split(/\s+/).filter((s) => s !== "").map(Number));
    }
  } catch {
    // Gone meanwhile.
  }
  return out;
}

/** The whole process table from `ps` (systems without /proc). */
async function psTable(): Promise<ProcInfo[]> {
  const { stdout } = await new Deno.Command("ps", {
    args: ["-A", "-o", "pid=,ppid=,rss=,stat=,lstart="],
    stdout: "piped",
    stderr: "null",
  }).output();
  const rows: ProcInfo[] = [];
  for (const line of new TextDecoder().decode(stdout).split("\n")) {
    const m = /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\S+)\s+(.*)$/.exec(line);
    if (!m) continue;
    rows.push({
      pid: Number(m[1]),
      ppid: Number(m[2]),
      rssBytes: Number(m[3]) * 1024,
      state: m[4]![0]!,
      start: m[5]!.trim(),
      cpuTicks: 0,
    });
  }
  return rows;
}

/** A set of processes and all their descendants, followed by pid and start time. */
export class ProcessTree {
  readonly #known = new Map<number, string>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #sampling: Promise<void> | null = null;
  #peak = 0;
  #ticks = 0;

  /** How this tree reads processes: `procfs` on Linux, else `ps`. */
  readonly source: "procfs" | "ps" = HAS_PROC ? "procfs" : "ps";

  /** Starts following `pid` and its descendants. */
  async add(pid: number): Promise<void> {
    const info = HAS_PROC
      ? await readProc(pid, false)
      : (await psTable()).find((p) => p.pid === pid);
    this.#known.set(pid, info?.start ?? "");
  }

  /** Finds new descendants, forgets exited processes, and returns the live ones. */
  async refresh(withRss = false): Promise<ProcInfo[]> {
    if (!HAS_PROC) return this.#refreshFromTable(await psTable());
    const live: ProcInfo[] = [];
    const queue = [...this.#known.keys()];
    const seen = new Set<number>();
    while (queue.length > 0) {
      const pid = queue.pop()!;
      if (seen.has(pid)) continue;
      seen.add(pid);
      const info = await readProc(pid, withRss);
      const start = this.#known.get(pid);
      if (info === null || info.state === "Z" || (start !== undefined && start !== info.start)) {
        this.#known.delete(pid);
        continue;
      }
      if (start === undefined) this.#known.set(pid, info.start);
      live.push(info);
      queue.push(...await childrenOf(pid));
    }
    return live;
  }

  #refreshFromTable(table: ProcInfo[]): ProcInfo[] {
    const byParent = new Map<number, ProcInfo[]>();
    const byPid = new Map<number, ProcInfo>();
    for (const p of table) {
      byPid.set(p.pid, p);
      byParent.set(p.ppid, [...byParent.get(p.ppid) ?? [], p]);
    }
    const live: ProcInfo[] = [];
    const queue = [...this.#known.keys()];
    const seen = new Set<number>();
    while (queue.length > 0) {
      const pid = queue.pop()!;
      if (seen.has(pid)) continue;
      seen.add(pid);
      const info = byPid.get(pid);
      const start = this.#known.get(pid);
      if (!info || info.state === "Z" || (start && start !== info.start)) {
        this.#known.delete(pid);
        continue;
      }
      this.#known.set(pid, info.start);
      live.push(info);
      queue.push(...(byParent.get(pid) ?? []).map((c) => c.pid));
    }
    return live;
  }

  /** Sum of the resident memory of every live process in the tree, in bytes. */
  async rssBytes(): Promise<number> {
    const live = await this.refresh(true);
    return live.reduce((sum, p) => sum + p.rssBytes, 0);
  }

  /** CPU time (user + system, reaped children included) of the live processes, in ms. */
  async cpuMs(): Promise<number> {
    const live = await this.refresh(false);
    return live.reduce((sum, p) => sum + p.cpuTicks, 0) * 1000 / CLOCK_TICKS;
  }

  /** Starts sampling resident memory every `everyMs` ms; the peak feeds `peakBytes()`. */
  startSampling(everyMs: number): void {
    if (this.#timer !== undefined) return;
    const tick = () => {
      this.#timer = setTimeout(() => {
        this.#sampling = this.sample().finally(() => {
          this.#sampling = null;
          if (this.#timer !== undefined) tick();
        });
      }, everyMs);
    };
    tick();
  }

  /** Stops sampling and waits for a sample in progress. */
  async stopSampling(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#sampling;
  }

  /** Takes one memory sample now. */
  async sample(): Promise<void> {
    this.#ticks++;
    this.#peak = Math.max(this.#peak, await this.rssBytes());
  }

  /** The highest sampled sum since `resetPeak()`, including a sample taken now. */
  async peakBytes(): Promise<number> {
    await this.sample();
    return this.#peak;
  }

  /** Starts a new peak window at the current resident memory. */
  async resetPeak(): Promise<void> {
    this.#peak = 0;
    await this.sample();
  }

  /** Number of samples taken (for tests and diagnostics). */
  get samples(): number {
    return this.#ticks;
  }

  /**
   * SIGSTOPs every process in the tree, repeating until a pass finds none still running (a
   * process may fork between the scan and the signal).
   */
  async stopAll(timeoutMs = 5000): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const live = await this.refresh(false);
      const running = live.filter((p) => p.state !== "T" && p.state !== "t");
      if (running.length === 0) return;
      for (const p of running) signalPid(p.pid, "SIGSTOP");
      if (performance.now() > deadline) {
        throw new Deno.errors.TimedOut(
          `Cannot stop processes ${running.map((p) => p.pid).join(",")} within ${timeoutMs} ms`,
        );
      }
      await sleep(1);
    }
  }

  /** SIGCONTs every process in the tree. */
  async continueAll(): Promise<void> {
    for (const p of await this.refresh(false)) signalPid(p.pid, "SIGCONT");
  }

  /** Sends `signal` to every process in the tree until none is left (SIGKILL) or once. */
  async signalAll(signal: Deno.Signal, timeoutMs = 5000): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const live = await this.refresh(false);
      if (live.length === 0) return;
      for (const p of live) signalPid(p.pid, signal);
      if (signal !== "SIGKILL") return;
      if (performance.now() > deadline) {
        throw new Deno.errors.TimedOut(
          `Processes ${live.map((p) => p.pid).join(",")} survive SIGKILL after ${timeoutMs} ms`,
        );
      }
      await sleep(2);
    }
  }

  /** Pids of the live processes in the tree. */
  async pids(): Promise<number[]> {
    return (await this.refresh(false)).map((p) => p.pid);
  }
}
