/**
 * Every report's "How far to trust these numbers" section: for local runs, what the sandbox
 * models of Lambda (Init CPU, CPU share, freezing, code loading) and where it still differs,
 * from the newest `deno task fidelity` result on this machine; for AWS runs, that the numbers
 * are Lambda's own.
 *
 * @module
 */
import type { RunInfo } from "../analysis/load.ts";
import { fidelityMarkdown, type FidelityResult } from "../fidelity/report.ts";
import { BUSY, isBusy } from "../bench/host_load.ts";
import { youngGenerationNote } from "../sandbox/young_gen.ts";

function hostLine(runs: readonly RunInfo[]): string {
  const host = runs.map((r) => r.manifest?.host).find((h) => h !== undefined);
  if (!host) return "";
  return ` (${
    host.cpuModel ?? "unknown CPU"
  }, ${host.cores} cores, ${host.cpuSpeed.sha256MBps} MB/s SHA-256 per core)`;
}

/**
 * How quiet the host was while the local cells ran (`host` of each cell in run.json), or null
 * when no cell recorded it.
 *
 * @param runs the local runs
 * @returns one paragraph
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { hostQuietLine } from "./fidelity.ts";
 * assert.equal(hostQuietLine([]), null);
 * ```
 */
export function hostQuietLine(runs: readonly RunInfo[]): string | null {
  const cells = runs.flatMap((r) => r.manifest?.cells ?? []).filter((c) => c.host);
  if (cells.length === 0) return null;
  const percent = (x: number) => `${Math.round(x * 100)}%`;
  const most = (f: (c: typeof cells[number]) => number) => Math.max(...cells.map(f));
  const others = most((c) => c.host!.othersCpu);
  const steal = most((c) => c.host!.steal);
  const busy = cells.filter((c) => isBusy(c.host!));
  if (busy.length === 0) {
    return `While each cell ran, other processes used at most ${percent(others)} of the host's ` +
      `CPU and the hypervisor took at most ${percent(steal)} of it: the host was quiet ` +
      `(a cell is flagged above ${percent(BUSY.othersCpu)} or ${percent(BUSY.steal)}).`;
  }
  const shown = busy.slice(0, 8).map((c) =>
    `${c.cell} (${percent(c.host!.othersCpu)}${
      c.host!.steal > BUSY.steal ? `, steal ${percent(c.host!.steal)}` : ""
    })`
  );
  const more = busy.length > shown.length ? ` and ${busy.length - shown.length} more` : "";
  return `**${busy.length} of ${cells.length} cells ran on a busy host**: other processes used ` +
    `more than ${percent(BUSY.othersCpu)} of its CPU, or the hypervisor took more than ` +
    `${percent(BUSY.steal)} (up to ${percent(others)} and ${percent(steal)}): ` +
    `${shown.join(", ")}${more}. Their Init and Duration can be longer than this host alone ` +
    "gives, and a memory sweep's order can turn around: re-run them on an idle host.";
}

/** `run a` or `runs a, b`. */
function runsNamed(ids: readonly string[]): string {
  return `${ids.length === 1 ? "run" : "runs"} ${ids.join(", ")}`;
}

/** A 128 MB function's CPU quota per 20 ms period, in µs. */
const SMALLEST_QUOTA_US = Math.round((128 / 1769) * 20_000);

/**
 * What the trust section says of the CPU model's two conditions that a run may lack: warm
 * invocations parted as a client's round trip parts them on Lambda (`config.invokeGapMs`), and
 * the kernel's CFS bandwidth slice below a 128 MB quota (`cpu slice S us` in `controls.detail`,
 * cgroup/_slice.ts). Null when every local run had both, or did not record them.
 *
 * @param runs the local runs
 * @returns one paragraph, or null
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { cpuModelLine } from "./fidelity.ts";
 * assert.equal(cpuModelLine([]), null);
 * ```
 */
export function cpuModelLine(runs: readonly RunInfo[]): string | null {
  const parts: string[] = [];
  const backToBack = runs.filter((r) =>
    r.manifest !== null && !r.manifest.config.load && !r.manifest.config.invokeGapMs
  ).map((r) => r.runId);
  if (backToBack.length > 0) {
    parts.push(
      `In ${runsNamed(backToBack)}, warm invocations ran back to back: at small memory sizes one ` +
        "then shares the CPU period of the one before and can wait up to 20 ms for the next, " +
        "which a client's round trip between invocations on Lambda avoids (`--invoke-gap-ms`, " +
        "20 ms by default since 2026-12-02).",
    );
  }
  const slices = new Map<number, string[]>();
  for (const r of runs) {
    const slice = /cpu slice (\d+) us/.exec(r.controls?.detail ?? "");
    if (slice === null || r.controls?.cpuQuota === "none") continue;
    const us = Number(slice[1]);
    if (us < SMALLEST_QUOTA_US) continue;
    slices.set(us, [...(slices.get(us) ?? []), r.runId]);
  }
  for (const [us, ids] of slices) {
    parts.push(
      `In ${runsNamed(ids)}, the kernel's CFS bandwidth slice was ${us} µs, more than a 128 MB ` +
        `function's ${SMALLEST_QUOTA_US} µs of CPU per period, and the sandbox could not lower it ` +
        "(it needs root): one CPU takes the period's whole budget, so a thread woken on another " +
        "waits up to 20 ms though the function is under its share, and first invocations of " +
        "multi-threaded runtimes (LLRT, Go, Node.js) at small memory sizes come out long.",
    );
  }
  return parts.length === 0 ? null : parts.join(" ");
}

function pct(e: number): string {
  return `${e >= 0 ? "+" : ""}${(e * 100).toFixed(0)}%`;
}

/** One line per runtime: local Max Memory Used against Lambda's, from the fidelity result. */
export function memoryDifference(fidelity: FidelityResult): string | null {
  const rows = fidelity.rows.filter((r) => r.check === "max_memory" && r.published !== null);
  const byRuntime = new Map<string, { local: number; published: number }>();
  for (const r of rows) {
    if (!byRuntime.has(r.runtime)) {
      byRuntime.set(r.runtime, { local: r.local, published: r.published! });
    }
  }
  if (byRuntime.size === 0) return null;
  return [...byRuntime].map(([runtime, m]) =>
    `${runtime} ${m.local.toFixed(0)} MB here, ${m.published.toFixed(0)} MB on Lambda (${
      pct(m.local / m.published - 1)
    })`
  ).join("; ");
}

/**
 * The section's Markdown lines.
 *
 * @param runs The runs in the report.
 * @param fidelity The newest fidelity result on this machine, or null.
 * @returns Lines, starting with the heading.
 */
export function fidelitySection(
  runs: readonly RunInfo[],
  fidelity: FidelityResult | null,
): string[] {
  const lines = ["## How far to trust these numbers", ""];
  const local = runs.filter((r) => r.backend === "local");
  const aws = runs.filter((r) => r.backend === "aws");
  if (aws.length > 0) {
    lines.push(
      `Runs ${aws.map((r) => r.runId).join(", ")} were measured on AWS Lambda: the figures are ` +
        "Lambda's own REPORT lines and platform records.",
      "",
    );
  }
  if (local.length === 0) return lines;
  const models = local.map((r) => r.controls).find((c) => c !== null) ?? null;
  lines.push(
    `Runs ${local.map((r) => r.runId).join(", ")} come from the local sandbox, which models ` +
      "Lambda where the platform's behaviour is documented or measured: invocations get " +
      "memory/1,769 of a vCPU (20 ms CFS period) and are frozen in between; " +
      (models?.initCpus
        ? `Init runs on ${models.initCpus} vCPUs (Lambda gives Init up to two unthrottled vCPUs); `
        : "Init is not given extra CPU here (no CPU quota in force); ") +
      (models?.codeLoading === "evict"
        ? "each cold start reads the function's code and layers from disk, not from memory."
        : `code loading is not modelled (${models?.codeLoading ?? "not recorded"}).`) +
      ` Numbers from this host also reflect its CPU, not Lambda's${hostLine(local)}.`,
    "",
  );
  const quiet = hostQuietLine(local);
  if (quiet !== null) lines.push(quiet, "");
  const cpu = cpuModelLine(local);
  if (cpu !== null) lines.push(cpu, "");
  const young = new Set(local.map((r) => youngGenerationNote(r.controls?.youngGenerationMb)));
  for (const note of young) if (note !== null) lines.push(note, "");
  if (fidelity === null) {
    lines.push(
      "No fidelity check has been run on this machine, so how far these numbers are from " +
        "Lambda's is not known here: run `deno task fidelity`.",
      "",
    );
    return lines;
  }
  const memory = memoryDifference(fidelity);
  if (memory !== null) {
    lines.push(
      `Max Memory Used is lower here than on Lambda for the same hello function: ${memory}. ` +
        "Compare memory between variants of one run, not with Lambda's figures.",
      "",
    );
  }
  lines.push(fidelityMarkdown(fidelity, { brief: true }), "");
  return lines;
}
