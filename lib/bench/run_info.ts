/**
 * Facts recorded in every run.json: tool and runtime versions, git commit, host.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { BUILD_MANIFEST, LLRT_INFO, ROOT } from "../paths.ts";
import { type LlrtInfo, parseLlrtInfo } from "../llrt/mod.ts";
import type { HostFacts, ToolVersions } from "../store/run_manifest.ts";

/** Runs a command and returns its trimmed stdout, or null when it cannot run. */
export async function commandOutput(cmd: string, args: string[]): Promise<string | null> {
  try {
    const out = await new Deno.Command(cmd, { args, cwd: ROOT, stdout: "piped", stderr: "null" })
      .output();
    return out.success ? new TextDecoder().decode(out.stdout).trim() : null;
  } catch {
    return null;
  }
}

/** Reads a JSON file, or null when it is missing or not JSON. */
export function readJsonOrNull(path: string): unknown {
  if (!existsSync(path)) return null;
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch {
    return null;
  }
}

/** The recorded LLRT build, or null when there is none or it cannot be read. */
function readLlrtInfoOrNull(): LlrtInfo | null {
  const raw = readJsonOrNull(LLRT_INFO);
  if (raw === null) return null;
  try {
    return parseLlrtInfo(raw);
  } catch {
    return null;
  }
}

/** Versions of everything that shapes the numbers. */
export async function toolVersions(): Promise<ToolVersions> {
  const [node, rustc, cargo, java, python, go] = await Promise.all([
    commandOutput("node", ["--version"]),
    commandOutput("rustc", ["--version"]),
    commandOutput("cargo", ["--version"]),
    commandOutput("java", ["--version"]).then((v) => v?.split("\n")[0] ?? null),
    commandOutput("python3", ["--version"]),
    commandOutput("go", ["version"]),
  ]);
  return {
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    node,
    rustc,
    cargo,
    java,
    python,
    go,
    llrt: readLlrtInfoOrNull(),
    builds: readJsonOrNull(BUILD_MANIFEST),
  };
}

/** The commit the run was made from, and whether the tree had changes. */
export async function gitFacts(): Promise<{ commit: string | null; dirty: boolean | null }> {
  const commit = await commandOutput("git", ["rev-parse", "HEAD"]);
  const status = await commandOutput("git", ["status", "--porcelain", "--untracked-files=no"]);
  return { commit, dirty: status === null ? null : status !== "" };
}

let speed: HostFacts["cpuSpeed"] | undefined;

/**
 * How fast one core of this host is, measured once per process: SHA-256 over 32 MiB with
 * node:crypto, the best of three. Local numbers reflect this CPU, not Lambda's, so every run
 * records it.
 */
export function cpuSpeed(): HostFacts["cpuSpeed"] {
  if (speed !== undefined) return speed;
  const data = new Uint8Array(32 * 1024 * 1024).fill(7);
  let best = Infinity;
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    createHash("sha256").update(data).digest();
    best = Math.min(best, performance.now() - t0);
  }
  speed = {
    sha256MBps: Math.round(32 / (best / 1000)),
    method: "node:crypto SHA-256, 32 MiB, best of 3",
  };
  return speed;
}

/** The machine the run was made on. */
export function hostFacts(): HostFacts {
  let cpuModel: string | null = null;
  try {
    const cpuinfo = readFileSync("/proc/cpuinfo", "utf8");
    cpuModel = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? null;
  } catch {
    // not Linux: the model stays unknown
  }
  const memory = Deno.systemMemoryInfo();
  return {
    os: Deno.build.os,
    arch: Deno.build.arch,
    kernel: Deno.osRelease(),
    cpuModel,
    cores: navigator.hardwareConcurrency,
    memoryBytes: memory.total,
    hostname: Deno.hostname(),
    cpuSpeed: cpuSpeed(),
  };
}
