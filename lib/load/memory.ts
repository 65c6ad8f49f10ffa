/**
 * Host memory accounting for the load mode: how many execution environments of a memory size
 * this machine can hold at once without swapping, from `/proc/meminfo`'s `MemAvailable` and an
 * estimate of what one environment may take (its memory size: the sandbox's cgroup limit, so
 * the most it can use, plus the sandbox's own share).
 *
 * @module
 */

/** What the sandbox itself holds per environment besides the function's processes, in MB. */
export const SANDBOX_OVERHEAD_MB = 16;

/**
 * Kept free for everything else a run starts (ElasticMQ's JVM, dynalite, Deno, the page cache
 * the runtimes' code lives in), in MB.
 */
export const HOST_RESERVE_MB = 1024;

/**
 * Reads `MemAvailable` from `/proc/meminfo` text.
 *
 * @param meminfo The file's text.
 * @returns Available memory in MB, or null when the line is missing.
 * @example
 * ```ts
 * import { memAvailableMb } from "./memory.ts";
 * memAvailableMb("MemTotal: 2048000 kB\nMemAvailable: 1024000 kB\n"); // 1000
 * ```
 */
export function memAvailableMb(meminfo: string): number | null {
  const m = /^MemAvailable:\s+(\d+)\s+kB/m.exec(meminfo);
  return m ? Number(m[1]) / 1024 : null;
}

/**
 * The memory one environment of `memoryMb` may take on this host.
 *
 * @param memoryMb The function's memory size.
 * @returns MB: the memory size (its limit) plus {@link SANDBOX_OVERHEAD_MB}.
 */
export function environmentMemoryMb(memoryMb: number): number {
  return memoryMb + SANDBOX_OVERHEAD_MB;
}

/** CPUs one environment of `memoryMb` gets while invoked (Lambda: 1,769 MB is one vCPU). */
export function environmentCpus(memoryMb: number): number {
  return memoryMb / 1769;
}

/**
 * Says when `environments` busy environments of `memoryMb` want more CPU than the host has, so a
 * load's latency then measures the host's queue as well as the function.
 *
 * @param o Environments busy at once, their memory size, and the host's cores (default: this
 *   host's).
 * @returns A note for run.json, or null when they fit.
 * @example
 * ```ts
 * import { cpuOversubscription } from "./memory.ts";
 * cpuOversubscription({ environments: 10, memoryMb: 128, cores: 2 }); // null
 * cpuOversubscription({ environments: 10, memoryMb: 1024, cores: 2 })?.startsWith("10 busy"); // true
 * ```
 */
export function cpuOversubscription(
  o: { environments: number; memoryMb: number; cores?: number },
): string | null {
  const cores = o.cores ?? navigator.hardwareConcurrency ?? 1;
  const wanted = o.environments * environmentCpus(o.memoryMb);
  if (wanted <= cores) return null;
  return `${o.environments} busy environments of ${o.memoryMb} MB want ${
    wanted.toFixed(1)
  } vCPUs, the host has ${cores}: latencies under this load include the host's CPU queue`;
}

/** What {@link checkCapacity} found. */
export interface Capacity {
  /** Environments of this size the host can hold besides {@link HOST_RESERVE_MB}. */
  maxEnvironments: number;
  /** MB available now. */
  availableMb: number;
  /** MB one environment is counted at. */
  perEnvironmentMb: number;
}

/**
 * Checks that `environments` environments of `memoryMb` fit into the host's available memory.
 *
 * @param o `environments` wanted at once, `memoryMb` each, and `meminfo` (default: read
 *   `/proc/meminfo`).
 * @returns The capacity.
 * @throws {RangeError} When they do not fit, naming the sizes and the largest concurrency that
 *   does, so a run refuses instead of swapping.
 * @example
 * ```ts
 * import { checkCapacity } from "./memory.ts";
 * const meminfo = "MemAvailable: 4194304 kB\n"; // 4 GiB
 * checkCapacity({ environments: 10, memoryMb: 128, meminfo }).maxEnvironments; // 21
 * ```
 */
export function checkCapacity(
  o: { environments: number; memoryMb: number; meminfo?: string },
): Capacity {
  let text = o.meminfo;
  if (text === undefined) {
    try {
      text = Deno.readTextFileSync("/proc/meminfo");
    } catch {
      text = "";
    }
  }
  const available = memAvailableMb(text);
  const perEnvironmentMb = environmentMemoryMb(o.memoryMb);
  if (available === null) {
    // No /proc/meminfo (not Linux): nothing to account against; the sandbox is Linux-only.
    return { maxEnvironments: o.environments, availableMb: NaN, perEnvironmentMb };
  }
  const maxEnvironments = Math.max(0, Math.floor((available - HOST_RESERVE_MB) / perEnvironmentMb));
  if (o.environments > maxEnvironments) {
    throw new RangeError(
      `Cannot hold ${o.environments} environments of ${o.memoryMb} MB: ${
        Math.round(available)
      } MB available, ${perEnvironmentMb} MB each and ${HOST_RESERVE_MB} MB kept for the host ` +
        `allow at most ${maxEnvironments} (lower --concurrency or --reserved-concurrency)`,
    );
  }
  return { maxEnvironments, availableMb: available, perEnvironmentMb };
}
