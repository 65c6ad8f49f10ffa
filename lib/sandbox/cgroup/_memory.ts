/**
 * Private helper for `create.ts`: a group's memory accounting (limit, peak window, OOM kills)
 * for cgroup v1 and v2.
 *
 * @module
 */
import { join } from "node:path";
import { KernelFile, readNumber, readOrNull, writeControl } from "./_fs.ts";

/** Peak and OOM accounting of one group. */
export interface MemoryAccounting {
  resetPeak(): Promise<void>;
  peakBytes(): Promise<number>;
  oomKills(): Promise<number>;
  usage(): Promise<{ currentBytes: number; anonBytes: number; fileBytes: number }>;
  close(): void;
}

/**
 * Sets the v1 memory limit to `bytes` with swap off (`memsw` equal to the limit where the kernel
 * accounts swap, else `swappiness` 0).
 * @returns a note on how swap was disabled.
 */
export async function limitV1(dir: string, bytes: number): Promise<string> {
  await writeControl(join(dir, "memory.limit_in_bytes"), String(bytes));
  if ((await readOrNull(join(dir, "memory.memsw.limit_in_bytes"))) !== null) {
    await writeControl(join(dir, "memory.memsw.limit_in_bytes"), String(bytes));
    return "swap off via memory.memsw.limit_in_bytes";
  }
  await writeControl(join(dir, "memory.swappiness"), "0");
  return "swap off via memory.swappiness=0";
}

/** Sets the v2 memory limit to `bytes` and swap to 0 (where the kernel has swap accounting). */
export async function limitV2(dir: string, bytes: number): Promise<string> {
  await writeControl(join(dir, "memory.max"), String(bytes));
  if ((await readOrNull(join(dir, "memory.swap.max"))) !== null) {
    await writeControl(join(dir, "memory.swap.max"), "0");
    return "swap off via memory.swap.max=0";
  }
  return "no memory.swap.max (no swap accounting)";
}

/** v1: `memory.max_usage_in_bytes` (reset by writing 0), `oom_kill` in `memory.oom_control`. */
export function accountingV1(dir: string): MemoryAccounting {
  // Kept open: these are read several times per invocation.
  const maxUsage = join(dir, "memory.max_usage_in_bytes");
  const peak = new KernelFile(maxUsage);
  const stat = new KernelFile(join(dir, "memory.stat"));
  const current = new KernelFile(join(dir, "memory.usage_in_bytes"));
  const oomControl = new KernelFile(join(dir, "memory.oom_control"));
  return {
    resetPeak: () => writeControl(maxUsage, "0"),
    // deno-lint-ignore require-await
    peakBytes: async () => peak.number(),
    async oomKills() {
      // oom_kill exists since Linux 4.13; older kernels only count limit hits in failcnt.
      return oomControl.key("oom_kill") ?? await readNumber(join(dir, "memory.failcnt"));
    },
    // deno-lint-ignore require-await
    async usage() {
      return {
        currentBytes: current.number(),
        anonBytes: stat.key("rss") ?? 0,
        fileBytes: stat.key("cache") ?? 0,
      };
    },
    close() {
      for (const file of [peak, stat, current, oomControl]) file.close();
    },
  };
}

/**
 * v2: `memory.peak` through one open descriptor (a write resets the peak seen through that
 * descriptor, Linux ≥ 6.12). On older kernels the peak cannot be reset: the window's peak is the
 * group's lifetime peak when that rose during the window, else the highest `memory.current`
 * sampled every `sampleMs`.
 */
export async function accountingV2(dir: string, sampleMs: number): Promise<MemoryAccounting> {
  const peakPath = join(dir, "memory.peak");
  const eventsPath = join(dir, "memory.events");
  const statPath = join(dir, "memory.stat");
  const currentPath = join(dir, "memory.current");
  const events = new KernelFile(eventsPath);
  const stat = new KernelFile(statPath);
  const currentFile = new KernelFile(currentPath);
  const files = [events, stat, currentFile];
  // deno-lint-ignore require-await
  const oomKills = async () => events.key("oom_kill") ?? 0;
  // deno-lint-ignore require-await
  const usage = async () => ({
    currentBytes: currentFile.number(),
    anonBytes: stat.key("anon") ?? 0,
    fileBytes: stat.key("file") ?? 0,
  });
  const closeFiles = () => {
    for (const f of files) f.close();
  };
  let fd: Deno.FsFile | null = null;
  try {
    fd = await Deno.open(peakPath, { read: true, write: true });
    await fd.write(new TextEncoder().encode("0\n"));
  } catch {
    fd?.close();
    fd = null;
  }
  if (fd !== null) {
    const file = fd;
    const buf = new Uint8Array(64);
    const reset = new TextEncoder().encode("0\n");
    return {
      // Synchronous, as KernelFile: no promise or string per invocation.
      // deno-lint-ignore require-await
      async resetPeak() {
        file.writeSync(reset);
      },
      // deno-lint-ignore require-await
      async peakBytes() {
        file.seekSync(0, Deno.SeekMode.Start);
        const n = file.readSync(buf) ?? 0;
        return Number(new TextDecoder().decode(buf.subarray(0, n)).trim());
      },
      oomKills,
      usage,
      close: () => {
        file.close();
        closeFiles();
      },
    };
  }
  // deno-lint-ignore require-await
  const current = async () => currentFile.number();
  const lifetime = async () =>
    (await readOrNull(peakPath)) === null ? 0 : await readNumber(peakPath);
  let lifetimeAtReset = await lifetime();
  let sampled = await current();
  const timer = setInterval(() => {
    current().then((v) => sampled = Math.max(sampled, v), () => {});
  }, sampleMs);
  timer.unref();
  return {
    async resetPeak() {
      lifetimeAtReset = await lifetime();
      sampled = await current();
    },
    async peakBytes() {
      sampled = Math.max(sampled, await current());
      const now = await lifetime();
      return now > lifetimeAtReset ? now : sampled;
    },
    oomKills,
    usage,
    close: () => {
      clearInterval(timer);
      closeFiles();
    },
  };
}
