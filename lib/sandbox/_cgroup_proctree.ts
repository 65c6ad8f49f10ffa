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
/** Samples between walks of the main threads' children, and between walks of all threads'. */
const DISCOVER_EVERY = 10;
const DISCOVER_ALL_EVERY = 100;
/** `ps` is a process spawn per sample: never sample faster than this without /proc. */
const PS_MIN_SAMPLE_MS = 100;

let pageBytes: number | undefined;
async function pageSize(): Promise<number> {
  if (pageBytes === undefined) {
    try {
      const { stdout } = await new Deno.Command("getconf", { args: ["PAGESIZE"], stderr: "null" })
        .output();
      pageBytes = Number(new TextDecoder().decode(stdout).trim()) || 4096;
    } catch {
      pageBytes = 4096;
    }
  }
  return pageBytes;
}

/** Reads one process from /proc; `null` when it is gone. */
async function readProc(pid: number, withRss: boolean): Promise<ProcInfo | null> {
  const stat = await readOrNull(`/proc/${pid}/stat`);
  if (stat === null) return null;
  // The command name may hold spaces and parentheses: split after the last ")".
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  let rssBytes = 0;
  if (withRss) {
    // statm (pages) is far cheaper for the kernel to produce than status or smaps_rollup.
    const statm = await readOrNull(`/proc/${pid}/statm`);
    rssBytes = statm === null ? 0 : Number(statm.split(" ")[1]) * await pageSize();
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
  readonly #statm = new Map<number, Deno.FsFile>();
  readonly #buf = new Uint8Array(256);
  #timer: ReturnType<typeof setTimeout> | undefined;
  #sampling: Promise<void> | null = null;
  #peak = 0;
  #ticks = 0;

  /** How this tree reads processes: `procfs` on Linux, else `ps`. */
  readonly source: "procfs" | "ps";

  /** @param source `ps` even where /proc exists (tests the macOS path on Linux). */
  constructor(source?: "procfs" | "ps") {
    this.source = source ?? (HAS_PROC ? "procfs" : "ps");
  }

  /** Starts following `pid` and its descendants. */
  async add(pid: number): Promise<void> {
    const info = this.source === "procfs"
      ? await readProc(pid, false)
      : (await psTable()).find((p) => p.pid === pid);
    this.#known.set(pid, info?.start ?? "");
  }

  /** Finds new descendants, forgets exited processes, and returns the live ones. */
  async refresh(withRss = false, allThreads = true): Promise<ProcInfo[]> {
    if (this.source === "ps") return this.#refreshFromTable(await psTable());
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
        this.#forget(pid);
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
        this.#forget(pid);
        continue;
      }
      this.#known.set(pid, info.start);
      live.push(info);
      queue.push(...(byParent.get(pid) ?? []).map((c) => c.pid));
    }
    return live;
  }

  /**
   * Resident pages of `pid` through a `statm` descriptor kept open between samples. This is the
   * sampler's hot path: a synchronous read of an open procfs file costs about 2 µs against
   * about 20 µs for an asynchronous open-read-close, and procfs reads never wait on a device.
   * A descriptor stays bound to its process, so a reused pid reads as an error, not as another
   * process's memory.
   */
  #residentPages(pid: number): number {
    let file = this.#statm.get(pid);
    try {
      if (!file) {
        file = Deno.openSync(`/proc/${pid}/statm`, { read: true });
        this.#statm.set(pid, file);
      }
      file.seekSync(0, Deno.SeekMode.Start);
      const n = file.readSync(this.#buf) ?? 0;
      return Number(new TextDecoder().decode(this.#buf.subarray(0, n)).split(" ")[1]) || 0;
    } catch {
      this.#forget(pid);
      return 0;
    }
  }

  #forget(pid: number): void {
    this.#known.delete(pid);
    this.#statm.get(pid)?.close();
    this.#statm.delete(pid);
  }

  /** Stops sampling and closes every descriptor the tree holds. */
  async close(): Promise<void> {
    await this.stopSampling();
    for (const pid of [...this.#statm.keys()]) this.#forget(pid);
  }

  /** Sum of the resident memory of every live process in the tree, in bytes. */
  async rssBytes(allThreads = true): Promise<number> {
    const live = await this.refresh(true, allThreads);
    return live.reduce((sum, p) => sum + p.rssBytes, 0);
  }

  /** Summed VmRSS, RssAnon and RssFile + RssShmem of the live processes, in bytes. */
  async memoryUsage(): Promise<{ currentBytes: number; anonBytes: number; fileBytes: number }> {
    const usage = { currentBytes: 0, anonBytes: 0, fileBytes: 0 };
    for (const p of await this.refresh(false)) {
      if (this.source === "ps") {
        usage.currentBytes += p.rssBytes;
        continue;
      }
      const status = (await readOrNull(`/proc/${p.pid}/status`)) ?? "";
      const kb = (key: string) =>
        Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? 0) * 1024;
      usage.currentBytes += kb("VmRSS");
      usage.anonBytes += kb("RssAnon");
      usage.fileBytes += kb("RssFile") + kb("RssShmem");
    }
    return usage;
  }

  /** CPU time (user + system, reaped children included) of the live processes, in ms. */
  async cpuMs(): Promise<number> {
    const live = await this.refresh(false);
    return live.reduce((sum, p) => sum + p.cpuTicks, 0) * 1000 / CLOCK_TICKS;
  }

  /** Starts sampling resident memory every `everyMs` ms; the peak feeds `peakBytes()`. */
  startSampling(everyMs: number): void {
    if (this.#timer !== undefined) return;
    if (this.source === "ps") everyMs = Math.max(everyMs, PS_MIN_SAMPLE_MS);
    const tick = () => {
      this.#timer = setTimeout(() => {
        this.#sampling = this.sample().finally(() => {
          this.#sampling = null;
          if (this.#timer !== undefined) tick();
        });
      }, everyMs);
      // A forgotten tree must not keep the process alive.
      this.#timer.unref();
    };
    tick();
  }

  /** Stops sampling and waits for a sample in progress. */
  async stopSampling(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#sampling;
  }

  /**
   * Takes one memory sample now. Walking the tree costs several reads per process (one per
   * thread for all threads), so most samples only re-read the known processes' `statm`; every
   * `DISCOVER_EVERY`th sample also looks for new children of main threads, every
   * `DISCOVER_ALL_EVERY`th (and a `full` one) those of every thread.
   */
  async sample(full = false): Promise<void> {
    if (this.source === "ps" || full || this.#ticks % DISCOVER_ALL_EVERY === 0) {
      this.#peak = Math.max(this.#peak, await this.rssBytes(true));
    } else if (this.#ticks % DISCOVER_EVERY === 0) {
      this.#peak = Math.max(this.#peak, await this.rssBytes(false));
    } else {
      const page = await pageSize();
      let sum = 0;
      for (const pid of this.#known.keys()) sum += this.#residentPages(pid) * page;
      this.#peak = Math.max(this.#peak, sum);
    }
    this.#ticks++;
  }

  /** The highest sampled sum since `resetPeak()`, including a sample taken now. */
  async peakBytes(): Promise<number> {
    await this.sample(true);
    return this.#peak;
  }

  /** Starts a new peak window at the current resident memory. */
  async resetPeak(): Promise<void> {
    this.#peak = 0;
    await this.sample(true);
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
