/**
 * `ensureLlrt()`: makes an LLRT binary available and records where it came from. Order:
 * `LLRT_BIN` from the environment; the pinned official release (checksum-verified); a build
 * of `rust/llrt` (the `llrt_core` crate). When none works the record says why, and LLRT
 * variants are skipped with that reason, never run on another runtime.
 *
 * @module
 */
import { join } from "node:path";
import { LLRT_BIN, LLRT_INFO, RUST_DIR } from "../paths.ts";
import { type LlrtAvailable, type LlrtInfo, readLlrtInfo, writeLlrtInfo } from "./info.ts";
import { probeLlrt, type ProbeResult } from "./_probe.ts";
import {
  cliAssetName,
  downloadCliBinary,
  LLRT_RELEASE,
  type LlrtArch,
  type LlrtRelease,
  oneLine,
  sha256Hex,
} from "./release.ts";

/** Options of {@linkcode ensureLlrt}; every field has a default fit for real use. */
export interface EnsureLlrtOptions {
  /** Target architecture (default: the host's). */
  arch?: LlrtArch;
  /** Environment lookup (default `Deno.env.get`); only `LLRT_BIN` is read. */
  env?: (name: string) => string | undefined;
  /** Where the binary is installed (default `LLRT_BIN` of lib/paths.ts). */
  binPath?: string;
  /** Where the record is written (default `LLRT_INFO`). */
  infoPath?: string;
  /** The release table (default `LLRT_RELEASE`). */
  release?: LlrtRelease;
  /** Used for the download (default global `fetch`). */
  fetch?: typeof fetch;
  /** Download time limit (default 15,000 ms). */
  downloadTimeoutMs?: number;
  /** Build `rust/llrt` when the download fails (default true). */
  buildFromCrate?: boolean;
  /** Cargo workspace (default `RUST_DIR`) and the cargo executable (default `cargo`). */
  rustDir?: string;
  cargo?: string;
  /** Ignore a recorded install and resolve again (default false). */
  force?: boolean;
  /** Progress lines (default `console.error`). */
  log?: (line: string) => void;
}

/** `Deno.build.arch` in Lambda's spelling. */
export function hostArch(): LlrtArch {
  return Deno.build.arch === "aarch64" ? "arm64" : "x86_64";
}

/**
 * Makes an LLRT binary available and writes `LlrtInfo` (also when none could be had).
 * Fast when already installed: a recorded release or crate build that still matches the
 * pinned version (and, for the crate, the sources) is returned without network or cargo.
 *
 * @param options See {@linkcode EnsureLlrtOptions}.
 * @returns The record that was written.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ensureLlrt } from "./ensure.ts";
 * // `await ensureLlrt()` installs into build/llrt/. Here, into a temporary folder and offline:
 * // no LLRT_BIN, a download that fails and no crate build leave a record saying why.
 * const dir = await Deno.makeTempDir();
 * const info = await ensureLlrt({
 *   env: () => undefined,
 *   binPath: `${dir}/llrt`,
 *   infoPath: `${dir}/llrt.json`,
 *   fetch: () => Promise.reject(new TypeError("offline")),
 *   buildFromCrate: false,
 *   log: () => {},
 * });
 * assert.ok(!info.available && info.reason.startsWith("No LLRT binary: release: "));
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function ensureLlrt(options: EnsureLlrtOptions = {}): Promise<LlrtInfo> {
  const arch = options.arch ?? hostArch();
  const infoPath = options.infoPath ?? LLRT_INFO;
  const binPath = options.binPath ?? LLRT_BIN;
  const release = options.release ?? LLRT_RELEASE;
  const rustDir = options.rustDir ?? RUST_DIR;
  const log = options.log ?? ((line: string) => console.error(line));
  const finish = async (info: LlrtInfo) => {
    await writeLlrtInfo(info, infoPath);
    return info;
  };

  const fromEnv = (options.env ?? ((name) => Deno.env.get(name)))("LLRT_BIN");
  if (fromEnv) return finish(await useEnvBinary(fromEnv, arch));

  if (!options.force) {
    const recorded = await readLlrtInfo(infoPath);
    if (await stillValid(recorded, { arch, binPath, release, rustDir })) return recorded;
  }

  const reasons: string[] = [];
  try {
    log(`llrt: downloading ${cliAssetName(arch)} of LLRT v${release.version}`);
    const { asset, binary } = await downloadCliBinary(arch, {
      release,
      ...(options.fetch ? { fetch: options.fetch } : {}),
      ...(options.downloadTimeoutMs ? { timeoutMs: options.downloadTimeoutMs } : {}),
    });
    await install(binary, binPath);
    const probe = await probeLlrt(binPath);
    return finish({
      available: true,
      source: "release",
      version: probe.version,
      asset,
      path: binPath,
      sdkEmbedded: probe.sdkEmbedded,
      ...glibcOf(probe),
      arch,
      builtAt: new Date().toISOString(),
      note: `official LLRT v${release.version} ${asset}, SHA-256 verified`,
    });
  } catch (error) {
    reasons.push(`release: ${oneLine(error)}`);
    log(`llrt: ${reasons.at(-1)}`);
  }

  if (options.buildFromCrate === false) {
    reasons.push("crate: building from llrt_core is disabled");
  } else if (arch !== hostArch()) {
    reasons.push(`crate: cannot build for ${arch} on a ${hostArch()} host`);
  } else {
    try {
      return finish(
        await buildFromCrate({
          arch,
          binPath,
          rustDir,
          log,
          reasons,
          ...(options.cargo ? { cargo: options.cargo } : {}),
        }),
      );
    } catch (error) {
      reasons.push(`crate: ${oneLine(error)}`);
    }
  }
  const info: LlrtInfo = {
    available: false,
    reason: `No LLRT binary: ${reasons.join("; ")}`,
    arch,
    checkedAt: new Date().toISOString(),
  };
  log(`llrt: ${info.reason}`);
  return finish(info);
}

async function useEnvBinary(path: string, arch: LlrtArch): Promise<LlrtInfo> {
  try {
    const stat = await Deno.stat(path);
    if (!stat.isFile || ((stat.mode ?? 0o111) & 0o111) === 0) {
      throw new Error("not an executable file");
    }
    const probe = await probeLlrt(path);
    return {
      available: true,
      source: "env",
      version: probe.version,
      path,
      sdkEmbedded: probe.sdkEmbedded,
      ...glibcOf(probe),
      arch,
      builtAt: stat.mtime?.toISOString() ?? new Date().toISOString(),
      note: `LLRT_BIN=${path} from the environment`,
    };
  } catch (error) {
    return {
      available: false,
      reason: `LLRT_BIN=${path}: ${oneLine(error)}`,
      arch,
      checkedAt: new Date().toISOString(),
    };
  }
}

async function stillValid(
  info: LlrtInfo,
  want: { arch: LlrtArch; binPath: string; release: LlrtRelease; rustDir: string },
): Promise<boolean> {
  if (!info.available || info.arch !== want.arch || info.path !== want.binPath) return false;
  try {
    await Deno.stat(info.path);
  } catch {
    return false;
  }
  if (info.source === "release") {
    return info.version === want.release.version && info.asset === cliAssetName(want.arch);
  }
  if (info.source === "crate") {
    const crate = await readCrate(want.rustDir).catch(() => null);
    return crate !== null && (info as CrateInfo).crateFingerprint === crate.fingerprint;
  }
  return false;
}

type CrateInfo = LlrtAvailable & { crateFingerprint?: string };

/** The `rust/llrt` crate's pinned `llrt_core` version and a hash of its sources. */
async function readCrate(
  rustDir: string,
): Promise<{ coreVersion: string; features: string; fingerprint: string }> {
  const crateDir = join(rustDir, "llrt");
  const manifest = await Deno.readTextFile(join(crateDir, "Cargo.toml"));
  const core = manifest.match(/^llrt_core\s*=\s*\{[^}\n]*version\s*=\s*"=?([^"]+)"[^}\n]*\}/m);
  if (!core?.[1]) throw new Error(`No llrt_core dependency in ${crateDir}/Cargo.toml`);
  const list = (text: string | undefined) =>
    text?.replace(/["\s]/g, "").split(",").join(", ") ?? "";
  const coreFeatures = list(core[0].match(/features\s*=\s*\[([^\]]*)\]/)?.[1]);
  const crateFeatures = list(manifest.match(/^default\s*=\s*\[([^\]]*)\]/m)?.[1]);
  const features = `crate default features: ${crateFeatures || "none"}; llrt_core features: ${
    coreFeatures || "default"
  }`;
  const parts = [manifest];
  const srcDir = join(crateDir, "src");
  const names = [];
  for await (const entry of Deno.readDir(srcDir)) if (entry.isFile) names.push(entry.name);
  for (const name of names.sort()) parts.push(name, await Deno.readTextFile(join(srcDir, name)));
  try {
    parts.push(await Deno.readTextFile(join(rustDir, "Cargo.lock")));
  } catch {
    // A workspace without a lock file still builds; the fingerprint just omits it.
  }
  const fingerprint = await sha256Hex(new TextEncoder().encode(parts.join("\0")));
  return { coreVersion: core[1], features, fingerprint };
}

async function buildFromCrate(
  o: {
    arch: LlrtArch;
    binPath: string;
    rustDir: string;
    cargo?: string;
    log: (line: string) => void;
    reasons: string[];
  },
): Promise<LlrtInfo> {
  const crate = await readCrate(o.rustDir);
  o.log(`llrt: building rust/llrt (llrt_core ${crate.coreVersion}) with cargo; this takes minutes`);
  const started = Date.now();
  let status: Deno.CommandStatus;
  try {
    status = await new Deno.Command(o.cargo ?? "cargo", {
      args: ["build", "--release", "-p", "battle-llrt"],
      cwd: o.rustDir,
      stdin: "null",
      stdout: "inherit",
      stderr: "inherit",
    }).spawn().status;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) throw new Error(`${o.cargo ?? "cargo"} not found`);
    throw error;
  }
  if (!status.success) throw new Error(`cargo build -p battle-llrt exited ${status.code}`);
  const targetDir = Deno.env.get("CARGO_TARGET_DIR") ?? join(o.rustDir, "target");
  await install(await Deno.readFile(join(targetDir, "release", "llrt")), o.binPath);
  const probe = await probeLlrt(o.binPath);
  const seconds = Math.round((Date.now() - started) / 1000);
  const info: CrateInfo = {
    available: true,
    source: "crate",
    version: probe.version,
    llrtCoreVersion: crate.coreVersion,
    path: o.binPath,
    sdkEmbedded: probe.sdkEmbedded,
    ...glibcOf(probe),
    arch: o.arch,
    builtAt: new Date().toISOString(),
    note: `built from the llrt_core ${crate.coreVersion} crate (rust/llrt; ${crate.features}) ` +
      `(cargo build ${seconds} s)` +
      (probe.requiresGlibc && Number(probe.requiresGlibc.split(".")[1]) > 34
        ? `; needs glibc ${probe.requiresGlibc}, so it runs here but not on provided.al2023 ` +
          `(glibc 2.34): deploy the official release there`
        : "") +
      `; ${o.reasons.join("; ")}`,
    crateFingerprint: crate.fingerprint,
  };
  return info;
}

function glibcOf(probe: ProbeResult): { requiresGlibc?: string } {
  return probe.requiresGlibc ? { requiresGlibc: probe.requiresGlibc } : {};
}

async function install(binary: Uint8Array, binPath: string): Promise<void> {
  await Deno.mkdir(join(binPath, ".."), { recursive: true });
  // Write beside and rename, so a running copy is never overwritten in place.
  const partial = `${binPath}.partial`;
  await Deno.writeFile(partial, binary, { mode: 0o755 });
  await Deno.chmod(partial, 0o755);
  await Deno.rename(partial, binPath);
}
