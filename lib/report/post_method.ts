/**
 * The post's "Method" and "Reproduce it" sections, from each run's `run.json`: the matrix and
 * counts, how cold starts were forced and checked, and the exact command, versions, commit and
 * host.
 *
 * @module
 */
import { countsTable, markdownTable } from "../analysis/format.ts";
import type { LoadedRuns, RunInfo } from "../analysis/load.ts";
import type { GroupSummary } from "../analysis/summary.ts";
import { DEFAULT_LOCAL_GAP_MS, DEFAULT_LOCAL_SETTINGS } from "../bench/local_settings.ts";
import type { RunManifest } from "../store/run_manifest.ts";

function list(xs: readonly (string | number)[]): string {
  return xs.map((x) => (typeof x === "number" ? x.toLocaleString("en-US") : x)).join(", ");
}

function sum(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}

/**
 * The command that makes the same run again (on a checkout of the run's commit).
 *
 * @param manifest The run's `run.json`.
 * @returns One shell command.
 * @example
 * ```ts ignore
 * reproduceCommand(manifest); // "npx --yes deno@2.9.6 task study --variants none,rust ..."
 * ```
 */
export function reproduceCommand(manifest: RunManifest): string {
  const c = manifest.config;
  const deno = `npx --yes deno@${manifest.versions.deno}`;
  const matrix = [
    `--variants ${c.variants.join(",")}`,
    `--memory ${c.memoryMb.join(",")}`,
    `--cold ${c.cold}`,
    `--warm ${c.warm}`,
    `--payload-bytes ${c.payloadBytes}`,
    // Runs from before the gap was recorded invoked back to back.
    ...((c.invokeGapMs ?? 0) !== (manifest.backend === "local" ? DEFAULT_LOCAL_GAP_MS : 0)
      ? [`--invoke-gap-ms ${c.invokeGapMs ?? 0}`]
      : []),
    ...(c.concurrency > 1 ? [`--concurrency ${c.concurrency}`] : []),
  ];
  if (manifest.backend === "aws") {
    return `${deno} task bench --backend aws --arch ${c.archs.join(",")} ${matrix.join(" ")}`;
  }
  const s = c.functionSettings;
  const settings = s === null ? [] : [
    ...(s.workIterations !== DEFAULT_LOCAL_SETTINGS.workIterations
      ? [`--work-iterations ${s.workIterations}`]
      : []),
    ...(s.timeoutS !== DEFAULT_LOCAL_SETTINGS.timeoutS ? [`--timeout ${s.timeoutS}`] : []),
  ];
  return `${deno} task study ${[...matrix, ...settings].join(" ")}`;
}

/**
 * A long shell command as continued lines, one flag each, so it reads without scrolling.
 *
 * @param command One line.
 * @returns The same command, with ` \` line breaks before its flags when it is long.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { shellLines } from "./post_method.ts";
 * assert.equal(shellLines("deno task study --cold 1"), "deno task study --cold 1");
 * ```
 */
export function shellLines(command: string, width = 80): string {
  if (command.length <= width) return command;
  // Break among the task's flags only, not inside `npx --yes deno@X task NAME`.
  const head = / task \S+/.exec(command);
  const at = head ? head.index + head[0].length : 0;
  const flags = command.slice(at).trim().split(/ (?=--)/);
  return [command.slice(0, at), ...flags].filter((s) => s !== "").join(" \\\n  ");
}

function coldForcing(runs: readonly RunInfo[]): string[] {
  const lines: string[] = [];
  const cells = runs.flatMap((r) => r.manifest?.cells ?? []);
  const retries = sum(cells.map((c) => c.coldRetries));
  const mismatches = sum(cells.map((c) => c.coldMismatches.length));
  const missing = sum(cells.map((c) => c.missingReport.length));
  const rejected = sum(runs.map((r) => r.manifest?.rejectedLines ?? 0));
  if (runs.some((r) => r.backend === "local")) {
    lines.push(
      "Cold starts (local): every cold sample runs in a new sandbox environment — new runtime " +
        "and extension processes that register and run Init again — so Init is measured, not " +
        "assumed; warm invocations reuse one environment, frozen between invocations as Lambda " +
        "freezes it.",
    );
  }
  if (runs.some((r) => r.backend === "aws")) {
    lines.push(
      "Cold starts (AWS): forced by changing an environment variable of the function " +
        "(UpdateFunctionConfiguration, then waiting for LastUpdateStatus Successful); each row " +
        "meant to be cold is checked for an Init Duration and retried until there are N true " +
        "cold samples.",
    );
  }
  lines.push(
    `Checks over all cells: ${retries} cold attempts served warm and retried, ${mismatches} ` +
      `rows whose cold/warm state differs from the plan, ${missing} invocations without a ` +
      `REPORT line, ${rejected} platform lines that could not be read.`,
  );
  return lines;
}

/**
 * The "Method" section.
 *
 * @param loaded The runs.
 * @param summaries Their `summarize()` output (for the counts).
 * @returns Markdown lines.
 */
export function methodLines(loaded: LoadedRuns, summaries: readonly GroupSummary[]): string[] {
  const lines = ["## Method", ""];
  for (const r of loaded.runs) {
    const m = r.manifest;
    if (m === null) {
      lines.push(
        `Run ${r.runId} has no run.json (ingested logs): its configuration is unknown.`,
        "",
      );
      continue;
    }
    const c = m.config;
    const s = c.functionSettings;
    lines.push(
      `Run ${r.runId} (${m.backend}, ${m.startedAt.slice(0, 16).replace("T", " ")} UTC): ` +
        `variants ${list(c.variants)}; memory ${list(c.memoryMb)} MB; ${list(c.archs)}; ` +
        `${c.cold} cold and ${c.warm} warm invocations per cell; a ${c.payloadBytes}-byte payload ` +
        `per invocation; ${
          c.invokeGapMs ? `a ${c.invokeGapMs} ms pause before each warm one; ` : ""
        }${c.concurrency} cell${c.concurrency > 1 ? "s" : ""} at a time` +
        (s
          ? `; each function does ${s.workIterations} hash rounds, timeout ${s.timeoutS} s.`
          : "."),
      "",
    );
    if (m.skipped.length > 0 || m.failedCells.length > 0) {
      lines.push(
        `Not measured: ${
          [
            ...m.skipped.map((x) => `${x.cell} (skipped: ${x.reason})`),
            ...m.failedCells.map((x) => `${x.cell} (failed: ${x.error})`),
          ].join("; ")
        }.`,
        "",
      );
    }
  }
  lines.push(...coldForcing(loaded.runs).flatMap((l) => [l, ""]));
  lines.push("Invocations per cell (failed ones are counted here and left out of the statistics):");
  lines.push("", countsTable(summaries), "");
  return lines;
}

function gib(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(0)} GiB`;
}

/**
 * The "Reproduce it" section: per run, the commit, the exact command, the versions and the host.
 *
 * @param runs The runs.
 * @returns Markdown lines.
 */
export function reproduceLines(runs: readonly RunInfo[]): string[] {
  const lines = ["## Reproduce it", ""];
  for (const r of runs) {
    const m = r.manifest;
    if (m === null) continue;
    const v = m.versions as RunManifest["versions"] & {
      python?: string | null;
      go?: string | null;
    };
    const commit = m.git.commit ?? "unknown";
    lines.push(
      `Run ${r.runId}, on a clone of this repository:`,
      "",
      "```sh",
      ...(m.git.commit ? [`git checkout ${commit}`] : []),
      shellLines(reproduceCommand(m)),
      "```",
      "",
      ...(m.git.dirty
        ? [
          `The working tree at ${commit.slice(0, 12)} had uncommitted changes when the run was ` +
          "made, so that commit alone may not give the same code.",
          "",
        ]
        : []),
      markdownTable(["", "version"], [
        ["commit", `${commit}${m.git.dirty ? " (with uncommitted changes)" : ""}`],
        ["Deno", `${v.deno} (V8 ${v.v8})`],
        ["Node.js", v.node ?? "–"],
        ["Rust", v.rustc ?? "–"],
        ["Java (ElasticMQ)", v.java ?? "–"],
        ...(v.python !== undefined ? [["Python", v.python ?? "–"]] : []),
        ...(v.go !== undefined ? [["Go", v.go ?? "–"]] : []),
        ["LLRT", r.llrtLabel ?? "not recorded"],
      ]),
      "",
      `Host: ${m.host.os} ${m.host.arch} (kernel ${m.host.kernel}), ${
        m.host.cpuModel ?? "unknown CPU"
      }, ${m.host.cores} cores, ${gib(m.host.memoryBytes)}; one core hashes ` +
        `${m.host.cpuSpeed.sha256MBps} MB/s of SHA-256.` +
        (r.controls
          ? ` Sandbox controls in force: memory ${r.controls.memoryLimit}, CPU ${r.controls.cpuQuota}, ` +
            `freezer ${r.controls.freezer}, Init on ${
              r.controls.initCpus ?? "–"
            } vCPUs, code loading ` +
            `${r.controls.codeLoading ?? "–"}` +
            (r.controls.youngGenerationMb == null
              ? "."
              : `, the sandbox process's young generation ${r.controls.youngGenerationMb} MB.`)
          : ""),
      "",
    );
  }
  if (lines.length === 2) lines.push("No run.json: the runs cannot be reproduced from here.", "");
  return lines;
}
