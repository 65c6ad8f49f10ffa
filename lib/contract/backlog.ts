/**
 * SHUTDOWN with a backlog, the case where an extension is most likely to lose messages: the
 * outbox is filled while SQS holds every request (ElasticMQ paused, or the recording proxy
 * holding), then SQS answers again at the moment SHUTDOWN arrives with Lambda's 2 s deadline.
 * Counts what reached the queue against what was accepted and against the extension's own
 * SHUTDOWN summary line. Used by the contract suite and by `scripts/perf_shutdown_backlog.ts`.
 *
 * @module
 */
import { setPriority } from "node:os";
import { SendMessageBatchCommand } from "@aws-sdk/client-sqs";
import { CONTRACT } from "../../extensions/src/contract.ts";
import type { ElasticMQ } from "../elasticmq/mod.ts";
import { BUSY, parseProcStat } from "../bench/host_load.ts";
import { type ExtensionCommand, type Harness, startHarness } from "./harness.ts";

/** Options of {@linkcode shutdownWithBacklog}. */
export interface BacklogOptions {
  /** Messages accepted before SHUTDOWN; default the outbox's bound (2,000). */
  count?: number;
  /** Bytes per message; default 1,024. */
  bytes?: number;
  /** SHUTDOWN's deadline from the moment SQS answers again; default 2,000 ms (Lambda's). */
  deadlineMs?: number;
  /** More environment for the extension (e.g. `BATTLE_SQS_CONCURRENCY`). */
  env?: Record<string, string>;
  /** Distinguishes the bodies of runs sharing a queue server; default 1. */
  run?: number;
  /**
   * How SQS holds back while the outbox fills. `server` (default): ElasticMQ itself is paused
   * and the extension talks to it directly, so only the extension and ElasticMQ share the
   * CPU in the SHUTDOWN window. `proxy`: the recording proxy holds the requests, and its own
   * forwarding (hundreds of ms of CPU for 200 requests) runs in the window too.
   */
  hold?: "server" | "proxy";
}

/** What one run saw. */
export interface BacklogResult {
  count: number;
  /** Accepted bodies that never reached the queue. */
  lost: number;
  /** Bodies that reached the queue more than once. */
  duplicates: number;
  /** From SQS answering again to its last acknowledgement, ms (null unless held by the proxy). */
  deliveredMs: number | null;
  /** From SQS answering again to the process's exit, ms; null when it did not exit in time. */
  exitMs: number | null;
  exitCode: number | null;
  /** `SendMessageBatch` requests seen (null unless held by the proxy). */
  requests: number | null;
  /** CPU time the extension used from SQS answering again until its exit (or last sample), ms. */
  cpuMs: number | null;
  /**
   * Time the extension's threads spent runnable but waiting for a CPU in that window, ms (Linux
   * `schedstat`): how much a busy host, not the extension, held it back.
   */
  waitedMs: number | null;
  /**
   * The share of the host's CPU time the hypervisor gave other machines in that window
   * (`/proc/stat` steal), or null where it cannot be read.
   */
  steal: number | null;
  /** The extension's SHUTDOWN summary line, read into its counts; null when there was none. */
  summary: Record<string, string> | null;
  /**
   * The extension's nice value in the run: {@linkcode EXTENSION_NICE} where this process may
   * raise it (root), else 0.
   */
  nice: number;
}

/** Lambda's SHUTDOWN deadline for a function with external extensions, ms. */
export const SHUTDOWN_DEADLINE_MS = 2_000;

/**
 * The extension's priority over the local queue server during a run. On Lambda SQS does not
 * share the function's CPUs; here ElasticMQ's JVM does, and on two CPUs it kept the extension
 * waiting for a CPU for most of the 2 s window. A higher priority gives the extension the CPU
 * it would have had, while ElasticMQ still runs whenever the extension waits on it.
 */
export const EXTENSION_NICE = -10;

/**
 * Why the host, not the extension, may have cost a run its messages: the hypervisor took at
 * least {@linkcode BUSY}'s steal share of the CPUs in the window, or the extension waited for a
 * CPU for a quarter of the deadline or more (here the queue server shares the machine's CPUs
 * with it, as SQS on Lambda does not).
 *
 * @param r the run's CPU figures
 * @param deadlineMs SHUTDOWN's deadline
 * @returns the reason in words, or null when the host did not hold the run back
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { heldBack } from "./backlog.ts";
 * assert.equal(heldBack({ waitedMs: 852, steal: 0.01 }, 2000), "it waited for a CPU 852 ms");
 * assert.equal(heldBack({ waitedMs: 40, steal: 0.12 }, 2000), "steal 12% of the host's CPU");
 * assert.equal(heldBack({ waitedMs: 40, steal: 0.01 }, 2000), null);
 * assert.equal(heldBack({ waitedMs: null, steal: null }, 2000), null);
 * ```
 */
export function heldBack(
  r: Pick<BacklogResult, "waitedMs" | "steal">,
  deadlineMs: number,
): string | null {
  if (r.steal !== null && r.steal >= BUSY.steal) {
    return `steal ${Math.round(r.steal * 100)}% of the host's CPU`;
  }
  if (r.waitedMs !== null && r.waitedMs >= deadlineMs / 4) {
    return `it waited for a CPU ${Math.round(r.waitedMs)} ms`;
  }
  return null;
}

/** A regular expression for a `summaryLines` template, with one named group per placeholder. */
export function summaryPattern(template: string): RegExp {
  const escaped = template.replace(/[.*+?^$()|[\]\\]/g, "\\$&");
  return new RegExp(escaped.replace(/\{(\w+)\}/g, (_, name: string) => `(?<${name}>\\S+?)`));
}

/**
 * The counts of the last summary line of a kind in an extension's log.
 *
 * @param log What the extension printed.
 * @param kind Which `summaryLines` template.
 * @returns The placeholders' values, or null when no line matches.
 * @example
 * ```ts
 * import { lastSummary } from "./backlog.ts";
 * lastSummary("[e] invoke r1: delivered 2 (0 after a retry), 0 pending", "invoke")?.delivered; // "2"
 * ```
 */
export function lastSummary(
  log: string,
  kind: "invoke" | "shutdown",
): Record<string, string> | null {
  const pattern = summaryPattern(CONTRACT.summaryLines[kind]);
  const lines = log.split("\n").map((l) => pattern.exec(l)).filter((m) => m !== null);
  return lines.at(-1)?.groups ?? null;
}

/**
 * Waits up to 2 s for a summary line (output arrives after the event it follows).
 *
 * @param h The harness.
 * @param kind Which line.
 * @returns Its counts, or null.
 */
export async function waitForSummary(
  h: Harness,
  kind: "invoke" | "shutdown",
): Promise<Record<string, string> | null> {
  const end = performance.now() + 2_000;
  for (;;) {
    const summary = lastSummary(h.log(), kind);
    if (summary !== null || performance.now() > end) return summary;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Warms a fresh ElasticMQ: a new JVM serves its first few thousand messages several times
 * slower than later ones (measured here: 2,000 × 1 KB in 2.9 s on a new server, 0.7–0.9 s
 * once warm), and a backlog run should measure the extension, not the JIT.
 *
 * @param sqs The server.
 * @param messages How many 1 KB messages to send; default 4,000.
 */
export async function warmUp(sqs: ElasticMQ, messages = 4_000): Promise<void> {
  const queueUrl = await sqs.createQueue(`warm-up-${Deno.pid}`);
  const Entries = Array.from({ length: 10 }, (_, i) => ({
    Id: String(i),
    MessageBody: "w".repeat(1024),
  }));
  let left = Math.ceil(messages / 10);
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (left-- > 0) {
      await sqs.client.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries }));
    }
  }));
  await sqs.receiveAll(queueUrl, { timeoutMs: 1 }).catch(() => []);
}

/**
 * One run: start the extension, fill its outbox while SQS holds every request, then let SQS
 * answer and send SHUTDOWN at once; wait for the exit and count what reached the queue.
 *
 * @param extension How to start the extension.
 * @param sqs A running (preferably warm) ElasticMQ.
 * @param options Count, size, deadline, environment.
 * @returns What the run saw.
 * @throws {Error} When a message is not accepted (202) or the extension does not start.
 */
export async function shutdownWithBacklog(
  extension: ExtensionCommand,
  sqs: ElasticMQ,
  options: BacklogOptions = {},
): Promise<BacklogResult> {
  const count = options.count ?? CONTRACT.outbox.maxMessages.default;
  const deadlineMs = options.deadlineMs ?? SHUTDOWN_DEADLINE_MS;
  const byProxy = options.hold === "proxy";
  const h = await startHarness(extension, sqs, {
    ...(options.env ? { env: options.env } : {}),
    direct: !byProxy,
  });
  let nice = 0;
  try {
    // Per thread on Linux: every thread the extension has started so far (the pid's own too).
    for (const task of Deno.readDirSync(`/proc/${h.pid}/task`)) {
      setPriority(Number(task.name), EXTENSION_NICE);
    }
    nice = EXTENSION_NICE;
  } catch {
    // Not root: the extension competes with ElasticMQ on equal terms; the result says so.
  }
  try {
    const run = options.run ?? 1;
    const bodies = Array.from(
      { length: count },
      (_, i) => `${run}:${String(i).padStart(6, "0")}:`.padEnd(options.bytes ?? 1024, "x"),
    );
    if (byProxy) h.proxy.hold();
    else sqs.pause();
    let next = 0;
    try {
      await Promise.all(Array.from({ length: 16 }, async () => {
        while (next < count) {
          const res = await h.post(bodies[next++]!);
          if (res.status !== 202) {
            throw new Error(`POST /messages answered ${res.status}: ${res.text}`);
          }
        }
      }));
    } catch (e) {
      if (!byProxy) sqs.resume();
      throw e;
    }
    const cpuAtRelease = await cpuMsOf(h.pid);
    const waitAtRelease = await runQueueMsOf(h.pid);
    let cpuLast = cpuAtRelease;
    let waitLast = waitAtRelease;
    const sampler = setInterval(async () => {
      cpuLast = (await cpuMsOf(h.pid)) ?? cpuLast;
      waitLast = (await runQueueMsOf(h.pid)) ?? waitLast;
    }, 20);
    const statAtRelease = procStat();
    const releasedAt = performance.now();
    if (byProxy) h.proxy.release();
    else sqs.resume();
    h.api.shutdown({ deadlineMs: Date.now() + deadlineMs });
    const exit = await h.waitForExit(deadlineMs + 1_000);
    clearInterval(sampler);
    const statAtExit = procStat();
    const received = await sqs.receiveAll(h.queueUrl, { expect: count, timeoutMs: 10_000 });
    const seen = new Map<string, number>();
    for (const m of received) seen.set(m.Body ?? "", (seen.get(m.Body ?? "") ?? 0) + 1);
    const acked = h.proxy.batches.filter((b) => b.status === 200).map((b) => b.endedAt);
    return {
      count,
      lost: bodies.filter((b) => !seen.has(b)).length,
      duplicates: [...seen.values()].reduce((n, k) => n + k - 1, 0),
      deliveredMs: !byProxy ? null : acked.length === 0 ? 0 : Math.max(...acked) - releasedAt,
      exitMs: exit ? exit.at - releasedAt : null,
      exitCode: exit?.code ?? null,
      requests: byProxy ? h.proxy.batches.length : null,
      cpuMs: cpuAtRelease === null || cpuLast === null ? null : cpuLast - cpuAtRelease,
      // Threads that ended take their share along: a negative sum says nothing.
      waitedMs: waitAtRelease === null || waitLast === null || waitLast < waitAtRelease
        ? null
        : waitLast - waitAtRelease,
      steal: statAtRelease === null || statAtExit === null ||
          statAtExit.total <= statAtRelease.total
        ? null
        : (statAtExit.steal - statAtRelease.steal) / (statAtExit.total - statAtRelease.total),
      summary: await waitForSummary(h, "shutdown"),
      nice,
    };
  } finally {
    await h.close();
  }
}

/** The host's CPU counters (`/proc/stat`), or null where they cannot be read. */
function procStat(): { steal: number; total: number } | null {
  try {
    return parseProcStat(Deno.readTextFileSync("/proc/stat"));
  } catch {
    return null;
  }
}

/** User + system CPU time of a live process in ms (Linux `/proc`), or null. */
async function cpuMsOf(pid: number): Promise<number | null> {
  try {
    const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // utime and stime are fields 14 and 15 (1-based) of the whole line: 12 and 13 after comm.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return null;
  }
}

/** Run-queue wait of all threads of a live process in ms (each task's `schedstat`), or null. */
async function runQueueMsOf(pid: number): Promise<number | null> {
  try {
    let ns = 0;
    for await (const task of Deno.readDir(`/proc/${pid}/task`)) {
      const stat = await Deno.readTextFile(`/proc/${pid}/task/${task.name}/schedstat`)
        .catch(() => "0 0 0");
      ns += Number(stat.split(" ")[1] ?? 0);
    }
    return ns / 1e6;
  } catch {
    return null;
  }
}
