/**
 * Private helper for `create.ts`: follows a process tree without cgroups. It knows every process
 * it has seen descend from the added roots (even after one is re-parented), stops and continues
 * them all with SIGSTOP/SIGCONT, and kills them. `_rss.ts` measures its memory.
 *
 * Linux reads /proc (`task/<tid>/children` to find descendants); elsewhere (macOS) it asks `ps`
 * for the whole process table.
 *
 * @module
 */
import { readOrNull, signalPid, sleep } from "./_fs.ts";

interface ProcInfo {
  pid: number;
  ppid: number;
  /** Kernel state letter: R, S, D, T (stopped), t, Z (zombie), ... */
  state: string;
  /** Start time, to tell a reused pid from the process we saw. */
  start: string;
  /** Resident set from `ps` (0 from /proc, where `_rss.ts` reads memory). */
  rssBytes: number;
  /** utime + stime + cutime + cstime in clock ticks (Linux only). */
  cpuTicks: number;
}

const HAS_PROC = (await readOrNull("/proc/self/stat")) !== null;
const CLOCK_TICKS = 100; // USER_HZ is 100 on every Linux architecture Lambda runs on.

/** Reads one process from /proc; `null` when it is gone. */
async function readProc(pid: number): Promise<ProcInfo | null> {
  const stat = await readOrNull(`/proc/${pid}/stat`);
  if (stat === null) return null;
  // The command name may hold spaces and parentheses: split after the last ")".
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return {
    pid,
    ppid: Number(f[1]),
    state: f[0] ?? "?",
    start: f[19] ?? "",
    rssBytes: 0,
    cpuTicks: Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]),
  };
}

/**
 * Children of `pid`'s main thread, or of all its threads (a runtime may spawn from a worker
 * thread). Needs CONFIG_PROC_CHILDREN, which common kernels have.
 */
async function childrenOf(pid: number, allThreads: boolean): Promise<number[]> {
  const out: number[] = [];
  try {
    const tasks = allThreads
      ? await Array.fromAsync(Deno.readDir(`/proc/${pid}/task`))
      : [{ name: String(pid) }];
    for (const task of tasks) {
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
    args: ["-A", "-o", "pid=,ppid=,rss=,time=,stat=,lstart="],
    stdout: "piped",
    stderr: "null",
  }).output();
  const rows: ProcInfo[] = [];
  for (const line of new TextDecoder().decode(stdout).split("\n")) {
    const m = /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\S+)\s+(\S+)\s+(.*)$/.exec(line);
    if (!m) continue;
    rows.push({
      pid: Number(m[1]),
      ppid: Number(m[2]),
      rssBytes: Number(m[3]) * 1024,
      cpuTicks: parseCpuTime(m[4]!) * CLOCK_TICKS,
      state: m[5]![0]!,
      start: m[6]!.trim(),
    });
  }
  return rows;
}

/** `ps` CPU time in seconds: `[[dd-]hh:]mm:ss[.ff]` (procps and BSD). */
export function parseCpuTime(text: string): number {
  const [days, clock] = text.includes("-") ? text.split("-") : ["0", text];
  const seconds = (clock ?? "").split(":").reduce((sum, part) => sum * 60 + Number(part), 0);
  return Number(days) * 86400 + seconds;
}

/** A set of processes and all their descendants, followed by pid and start time. */
export class ProcessTree {
  readonly #known = new Map<number, string>();

  /** How this tree reads processes: `procfs` on Linux, else `ps`. */
  readonly source: "procfs" | "ps";

  /** @param source `ps` even where /proc exists (tests the macOS path on Linux). */
  constructor(source?: "procfs" | "ps") {
    this.source = source ?? (HAS_PROC ? "procfs" : "ps");
  }

  /** Starts following `pid` and its descendants. */
  async add(pid: number): Promise<void> {
    const info = this.source === "procfs"
      ? await readProc(pid)
      : (await psTable()).find((p) => p.pid === pid);
    this.#known.set(pid, info?.start ?? "");
  }

  /** Pids seen alive at the last `refresh()` (or added since). */
  knownPids(): number[] {
    return [...this.#known.keys()];
  }

  /**
   * Finds new descendants, forgets exited processes, and returns the live ones.
   * @param allThreads look for children of every thread, not only of each main thread.
   */
  async refresh(allThreads = true): Promise<ProcInfo[]> {
    if (this.source === "ps") return this.#refreshFromTable(await psTable());
    const live: ProcInfo[] = [];
    const queue = [...this.#known.keys()];
    const seen = new Set<number>();
    while (queue.length > 0) {
      const pid = queue.pop()!;
      if (seen.has(pid)) continue;
      seen.add(pid);
      const info = await readProc(pid);
      const start = this.#known.get(pid);
      if (info === null || info.state === "Z" || (start !== undefined && start !== info.start)) {
        this.#known.delete(pid);
        continue;
      }
      if (start === undefined) this.#known.set(pid, info.start);
      live.push(info);
      queue.push(...await childrenOf(pid, allThreads));
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

  /** CPU time (user + system, reaped children included) of the live processes, in ms. */
  async cpuMs(): Promise<number> {
    const live = await this.refresh();
    return live.reduce((sum, p) => sum + p.cpuTicks, 0) * 1000 / CLOCK_TICKS;
  }

  /**
   * SIGSTOPs every process in the tree, repeating until a pass finds none still running (a
   * process may fork between the scan and the signal).
   */
  async stopAll(timeoutMs = 5000): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const live = await this.refresh();
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

  /**
   * SIGCONTs every process in the tree: those known since the last scan, with no new scan
   * first. A stopped tree cannot fork, so after {@link stopAll} the known processes are all of
   * it; and a resume is on the path of each warm invocation without cgroups, where a scan of
   * /proc first (a few asynchronous reads per process) made warm invoke → response 4–5× the
   * cross-process round trip. A process that is gone is skipped (a pid reused while the tree
   * was stopped would get a SIGCONT, which a process that is not stopped ignores).
   */
  // deno-lint-ignore require-await
  async continueAll(): Promise<void> {
    for (const pid of this.#known.keys()) signalPid(pid, "SIGCONT");
  }

  /** Sends `signal` to every process in the tree until none is left (SIGKILL) or once. */
  async signalAll(signal: Deno.Signal, timeoutMs = 5000): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const live = await this.refresh();
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
    return (await this.refresh()).map((p) => p.pid);
  }
}
