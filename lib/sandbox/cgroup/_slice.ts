/**
 * The kernel's CFS bandwidth slice (`kernel.sched_cfs_bandwidth_slice_us`): how much of a group's
 * CPU quota a CPU takes from the group's pool at a time (5,000 µs by default).
 *
 * At 128 MB an environment's quota is 1,447 µs per 20 ms period, less than one default slice, so
 * the first CPU that runs one of its threads takes the whole period's budget. A thread woken on
 * the other CPU then waits for the next period, up to 20 ms, although the group has used less
 * than its quota, and a CPU that goes idle keeps 1 ms of what it took (the kernel's
 * `min_cfs_rq_runtime`). Lambda documents CPU "in proportion to the memory configured", a share
 * of CPU time, and its multi-threaded runtimes show no such stalls: the mean first invocation
 * after Init of an LLRT hello at 128 MB is 1.48 ms there, of a Go hello 1.68 ms
 * (`lib/fidelity/SOURCES.md`). Here, with the 5,000 µs slice, 12 of 15 cold environments of an
 * LLRT hello at 128 MB had been throttled by the end of their first invocation, for 2–19 ms each
 * (`cpu.stat`), though that invocation used about 1.2 ms of CPU. Alternated runs of 15 cold starts
 * each (2026-12-02), the first invocation's Duration, median and mean:
 *
 * | slice | LLRT hello, 128 MB | Go hello, 128 MB |
 * | --- | --- | --- |
 * | 5,000 µs (the kernel's default) | 0.99–7.27 ms, mean 4.20–7.23 ms (5 runs) | 0.84–0.86, mean 2.20–3.91 ms (2 runs) |
 * | 100 µs | 1.14–1.27 ms, mean 1.33–1.49 ms (2 runs) | 0.78–0.93, mean 0.79–0.99 ms (2 runs) |
 *
 * A single busy thread is throttled in the same 20 ms steps with either slice.
 *
 * The slice is one setting for the whole host. Where this process may write it (root), the
 * sandbox lowers it to {@link SANDBOX_SLICE_US} once, says so on stderr with the command that puts
 * it back, and leaves it (sandboxes in other processes may be running); elsewhere it records the
 * slice in force and why it could not lower it.
 *
 * @module
 */
import { readFile, writeFile } from "node:fs/promises";

/** The sysctl. */
export const SLICE_PATH = "/proc/sys/kernel/sched_cfs_bandwidth_slice_us";

/** The slice the sandbox runs with: under a tenth of its smallest quota (1,447 µs at 128 MB). */
export const SANDBOX_SLICE_US = 100;

/** What is in force after {@link fitBandwidthSlice}, for `ControlsInForce.detail`. */
export interface SliceOutcome {
  /** The slice in force, in µs (null: unknown). */
  sliceUs: number | null;
  /** The slice before this process lowered it (null: left as it was). */
  loweredFrom: number | null;
  /** One phrase, e.g. `cpu slice 100 us (lowered from 5000)`. */
  note: string;
}

async function readSlice(path: string): Promise<number | null> {
  try {
    const n = Number((await readFile(path, "utf8")).trim());
    return Number.isInteger(n) && n > 0 ? n : null;
  } catch {
    return null;
  }
}

/**
 * Lowers the slice at `path` to `targetUs` when it is larger and writable.
 *
 * @param path the sysctl (default {@link SLICE_PATH})
 * @param targetUs the slice wanted (default {@link SANDBOX_SLICE_US})
 * @returns what is in force and what was done
 */
export async function fitSliceAt(
  path = SLICE_PATH,
  targetUs = SANDBOX_SLICE_US,
): Promise<SliceOutcome> {
  const current = await readSlice(path);
  if (current === null) {
    return { sliceUs: null, loweredFrom: null, note: `cpu slice unknown (no ${path})` };
  }
  if (current <= targetUs) {
    return { sliceUs: current, loweredFrom: null, note: `cpu slice ${current} us` };
  }
  try {
    await writeFile(path, String(targetUs));
  } catch (e) {
    return {
      sliceUs: current,
      loweredFrom: null,
      note: `cpu slice ${current} us (not lowered to ${targetUs}: ${(e as Error).message}; ` +
        "at small memory sizes a thread woken on a second CPU can wait up to a period)",
    };
  }
  const now = await readSlice(path);
  if (now !== targetUs) {
    return {
      sliceUs: now,
      loweredFrom: null,
      note: `cpu slice ${now ?? "unknown"} us (writing ${targetUs} did not take)`,
    };
  }
  return {
    sliceUs: now,
    loweredFrom: current,
    note: `cpu slice ${now} us (lowered from ${current})`,
  };
}

let fitted: Promise<SliceOutcome> | null = null;

/**
 * {@link fitSliceAt} on the host's sysctl, once per process; the first change is said on stderr.
 *
 * @returns what is in force
 */
export function fitBandwidthSlice(): Promise<SliceOutcome> {
  fitted ??= fitSliceAt().then((o) => {
    if (o.loweredFrom !== null) {
      console.error(
        `sandbox: lowered kernel.sched_cfs_bandwidth_slice_us from ${o.loweredFrom} to ` +
          `${o.sliceUs} us for CPU shares like Lambda's at small memory sizes (host-wide; ` +
          `restore with: sysctl -w kernel.sched_cfs_bandwidth_slice_us=${o.loweredFrom})`,
      );
    }
    return o;
  });
  return fitted;
}
