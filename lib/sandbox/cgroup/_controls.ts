/**
 * Private helper for `create.ts`: the `ResourceControls` object over the groups that
 * `createControls()` made, with the process-tree fallback for whatever has no cgroup.
 *
 * @module
 */
import { join } from "node:path";
import {
  type ControlsInForce,
  type MemoryUsage,
  type ResourceControls,
  writeCpuQuota,
} from "./create.ts";
import {
  groupPids,
  KernelFile,
  pidAlive,
  pollUntil,
  readOrNull,
  signalPid,
  writeControl,
} from "./_fs.ts";
import { emptyAndRemove } from "./_dirs.ts";
import type { MemoryAccounting } from "./_memory.ts";
import type { Placed } from "./_place.ts";
import { ProcessTree } from "./_proctree.ts";
import { RssSampler } from "./_rss.ts";

/** What `createControls()` set up. */
export interface ControlsParts {
  inForce: ControlsInForce;
  limits: { memoryBytes: number | null; cpuFraction: number | null };
  dirs: string[];
  accounting: MemoryAccounting | null;
  freezer: Placed | null;
  /** The group's CPU time so far, in ms (read through a descriptor kept open). */
  cpuUsage: { ms(): number; close(): void } | null;
  /** The CPU group and its period, where a quota is in force. */
  cpuQuota: { placed: Placed; periodUs: number; cores: number } | null;
  sampleMs: number;
}

const encoder = new TextEncoder();
/** What the freezer files take, encoded once: a write per invocation each way. */
const FREEZER_VALUES: Record<"FROZEN" | "THAWED" | "1" | "0", Uint8Array> = {
  FROZEN: encoder.encode("FROZEN"),
  THAWED: encoder.encode("THAWED"),
  1: encoder.encode("1"),
  0: encoder.encode("0"),
};

/** v1's freezer.state may be unreadable for a moment: read as not frozen yet, as before. */
function textOrNull(file: KernelFile): string | null {
  try {
    return file.text();
  } catch {
    return null;
  }
}

export class Controls implements ResourceControls {
  readonly inForce: ControlsInForce;
  readonly limits: { memoryBytes: number | null; cpuFraction: number | null };
  readonly dirs: readonly string[];
  readonly #tree = new ProcessTree();
  readonly #rss = new RssSampler(this.#tree);
  readonly #parts: ControlsParts;
  /** `kernel`: the group's peak; `rss`: the tree sampler; `both`: the larger (see peak). */
  readonly #peak: "kernel" | "rss" | "both";
  /** The group's file pages at the start of the peak window (`both`). */
  #fileAtReset = 0;
  #frozen = false;
  #freezerFile: Deno.FsFile | null = null;
  #freezerRead: KernelFile | null = null;
  #destroyed = false;

  constructor(parts: ControlsParts) {
    this.#parts = parts;
    this.inForce = parts.inForce;
    this.limits = parts.limits;
    this.dirs = parts.dirs;
    const p = parts.inForce.peakMemory;
    this.#peak = parts.accounting === null || p === "rss-sampling"
      ? "rss"
      : p.startsWith("rss+")
      ? "both"
      : "kernel";
    if (this.#peak !== "kernel") this.#rss.start(parts.sampleMs);
  }

  async addProcess(pid: number, opts: { placed?: boolean } = {}): Promise<void> {
    this.#assertLive("addProcess");
    // A process that joined the groups itself (the launcher) needs only to be tracked.
    for (const dir of opts.placed ? [] : this.dirs) {
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
    if (this.#peak !== "kernel") await this.#rss.stop();
    if (!f) return await this.#tree.stopAll();
    const v1 = f.version === "cgroup-v1";
    this.#writeFreezer(v1 ? "FROZEN" : "1");
    // Freezing completes asynchronously (each task stops at its next safe point).
    const status = this.#freezerStatus();
    await pollUntil(
      // deno-lint-ignore require-await
      async () => v1 ? textOrNull(status) === "FROZEN" : status.key("frozen") === 1,
      { what: `${f.dir} to freeze` },
    );
  }

  /**
   * The cgroup write happens synchronously, before this returns: the kernel wakes every task
   * within the write (v1 `THAWED` and v2 `cgroup.freeze` 0 both read back thawed at once), so
   * there is nothing to wait for. v2 takes about 2 µs here, v1 about 90 µs.
   */
  thaw(): Promise<void> {
    try {
      this.#assertLive("thaw");
      this.#frozen = false;
      const f = this.#parts.freezer;
      if (!f) return this.#tree.continueAll().then(() => this.#startSampler());
      this.#writeFreezer(f.version === "cgroup-v1" ? "THAWED" : "0");
      this.#startSampler();
      return Promise.resolve();
    } catch (e) {
      return Promise.reject(e);
    }
  }

  #startSampler(): void {
    if (this.#peak !== "kernel") this.#rss.start(this.#parts.sampleMs);
  }

  /** One `write(2)` to the freezer file through a descriptor kept open. */
  #writeFreezer(value: keyof typeof FREEZER_VALUES): void {
    const f = this.#parts.freezer!;
    this.#freezerFile ??= Deno.openSync(
      join(f.dir, f.version === "cgroup-v1" ? "freezer.state" : "cgroup.freeze"),
      { write: true },
    );
    this.#freezerFile.writeSync(FREEZER_VALUES[value]);
  }

  /** v1 `freezer.state`, v2 `cgroup.events`, read while waiting for a freeze to complete. */
  #freezerStatus(): KernelFile {
    const f = this.#parts.freezer!;
    return this.#freezerRead ??= new KernelFile(
      join(f.dir, f.version === "cgroup-v1" ? "freezer.state" : "cgroup.events"),
    );
  }

  async resetPeak(): Promise<void> {
    this.#assertLive("resetPeak");
    const a = this.#parts.accounting;
    if (this.#peak === "kernel") return await a!.resetPeak();
    if (this.#peak === "rss") return await this.#rss.resetPeak();
    const [, , usage] = await Promise.all([a!.resetPeak(), this.#rss.resetPeak(), a!.usage()]);
    this.#fileAtReset = usage.fileBytes;
  }

  /**
   * `both`: the larger of the sampled tree (anonymous + each mapped file page once) and the
   * kernel's peak without its file pages plus the tree's mapped files. The kernel's peak sees
   * spikes between samples; its file part depends on which group read a file first, so it is
   * swapped for the mapped files. The group's file pages at the peak are not known: the larger
   * of those at the window's start and end stands in, which errs low, never high, while the
   * page cache only grows.
   */
  async peakMemoryBytes(): Promise<number> {
    this.#assertLive("peakMemoryBytes");
    const a = this.#parts.accounting;
    if (this.#peak === "kernel") return await a!.peakBytes();
    if (this.#peak === "rss") return await this.#rss.peakBytes();
    const [sampled, kernel, usage] = await Promise.all([
      this.#rss.peakBytes(),
      a!.peakBytes(),
      a!.usage(),
    ]);
    const nonFile = Math.max(0, kernel - Math.max(this.#fileAtReset, usage.fileBytes));
    return Math.max(sampled, nonFile + this.#rss.fileBytes);
  }

  async memoryUsage(): Promise<MemoryUsage> {
    this.#assertLive("memoryUsage");
    const a = this.#parts.accounting;
    return a ? await a.usage() : await this.#rss.usage();
  }

  async oomEvents(): Promise<number> {
    this.#assertLive("oomEvents");
    return this.#parts.accounting ? await this.#parts.accounting.oomKills() : 0;
  }

  async setCpuFraction(fraction: number): Promise<void> {
    this.#assertLive("setCpuFraction");
    if (!(fraction > 0)) throw new RangeError(`Invalid CPU fraction ${fraction}: must be above 0`);
    const q = this.#parts.cpuQuota;
    if (q === null) return;
    await writeCpuQuota(q.placed, Math.min(fraction, q.cores), q.periodUs);
  }

  async cpuUsageMs(): Promise<number> {
    this.#assertLive("cpuUsageMs");
    return this.#parts.cpuUsage ? this.#parts.cpuUsage.ms() : await this.#tree.cpuMs();
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
    const errors: string[] = [];
    try {
      await this.killAll("SIGKILL");
    } catch (e) {
      errors.push((e as Error).message);
    }
    this.#destroyed = true;
    this.#freezerFile?.close();
    this.#freezerFile = null;
    this.#freezerRead?.close();
    this.#freezerRead = null;
    this.#parts.cpuUsage?.close();
    await this.#rss.close();
    this.#parts.accounting?.close();
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
