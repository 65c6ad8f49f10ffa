/**
 * `LlrtInfo`: which LLRT binary the study uses and where it came from. `ensureLlrt()` writes
 * it to `LLRT_INFO`; the runner and the reports read it and print `llrtLabel()` with every run.
 *
 * @module
 */
import { dirname } from "node:path";
import { LLRT_INFO } from "../paths.ts";
import type { LlrtArch } from "./release.ts";

/** A usable LLRT binary. */
export interface LlrtAvailable {
  available: true;
  /** `release`: the pinned official download; `crate`: built from `llrt_core`; `env`: `LLRT_BIN`. */
  source: "release" | "crate" | "env";
  /** What `llrt --version` reports, e.g. `0.8.1-beta`. */
  version: string;
  /** The `llrt_core` crate version, for `source: "crate"`. */
  llrtCoreVersion?: string;
  /** The official asset, for `source: "release"`. */
  asset?: string;
  /** Absolute path of the executable to run (also usable as a Lambda `bootstrap`). */
  path: string;
  /** Whether `import("@aws-sdk/client-sqs")` resolves inside the binary itself. */
  sdkEmbedded: boolean;
  arch: LlrtArch;
  /**
   * Newest glibc symbol version the binary links against (e.g. `2.35`); absent for static
   * (musl) binaries. Lambda's `provided.al2023` has glibc 2.34.
   */
  requiresGlibc?: string;
  /** ISO-8601 time the binary was installed or built. */
  builtAt: string;
  /** How it was obtained, and why earlier sources in the order were not used. */
  note: string;
}

/** No usable binary: LLRT variants are reported as skipped with `reason`. */
export interface LlrtUnavailable {
  available: false;
  /** One line, naming what was tried and why each failed. */
  reason: string;
  arch?: LlrtArch;
  checkedAt?: string;
}

/** The LLRT binary the study uses, or why there is none. */
export type LlrtInfo = LlrtAvailable | LlrtUnavailable;

/**
 * Reads the recorded `LlrtInfo`.
 *
 * @param path JSON file (default `LLRT_INFO`).
 * @returns The record; `{available: false}` with a reason when the file is missing or invalid.
 * @example
 * ```ts
 * const info = await readLlrtInfo();
 * if (!info.available) console.log(`llrt skipped: ${info.reason}`);
 * ```
 */
export async function readLlrtInfo(path: string = LLRT_INFO): Promise<LlrtInfo> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      return { available: false, reason: `LLRT not set up yet (${path} is missing)` };
    }
    throw error;
  }
  try {
    return parseLlrtInfo(JSON.parse(text));
  } catch (error) {
    return { available: false, reason: `Cannot read ${path}: ${(error as Error).message}` };
  }
}

/**
 * Validates a parsed `LlrtInfo` object.
 *
 * @param value Parsed JSON.
 * @returns The same value, typed.
 * @throws {TypeError} When a required field is missing or has the wrong type.
 */
export function parseLlrtInfo(value: unknown): LlrtInfo {
  if (typeof value !== "object" || value === null) throw new TypeError("not an object");
  const v = value as Record<string, unknown>;
  const need = (key: string, type: "string" | "boolean") => {
    const ok = type === "string" ? typeof v[key] === "string" : typeof v[key] === "boolean";
    if (!ok) throw new TypeError(`"${key}" must be a ${type}`);
  };
  need("available", "boolean");
  if (v.available === false) {
    need("reason", "string");
    return v as unknown as LlrtUnavailable;
  }
  for (const key of ["source", "version", "path", "arch", "builtAt", "note"]) need(key, "string");
  need("sdkEmbedded", "boolean");
  if (!["release", "crate", "env"].includes(v.source as string)) {
    throw new TypeError(`"source" must be release, crate or env, not ${JSON.stringify(v.source)}`);
  }
  return v as unknown as LlrtAvailable;
}

/**
 * Writes `info` as JSON, creating the folder.
 *
 * @param info The record.
 * @param path JSON file (default `LLRT_INFO`).
 */
export async function writeLlrtInfo(info: LlrtInfo, path: string = LLRT_INFO): Promise<void> {
  await Deno.mkdir(dirname(path), { recursive: true });
  await Deno.writeTextFile(path, JSON.stringify(info, null, 2) + "\n");
}

/**
 * One line naming the LLRT build, for report headers and chart notes.
 *
 * @param info The record.
 * @returns E.g. `LLRT 0.8.1-beta (built from llrt_core crate, no embedded SDK)`.
 */
export function llrtLabel(info: LlrtInfo): string {
  if (!info.available) return `LLRT unavailable: ${info.reason}`;
  const sdk = info.sdkEmbedded ? "embedded SDK" : "no embedded SDK";
  const origin = info.source === "release"
    ? `official release${info.asset ? ` ${info.asset}` : ""}`
    : info.source === "crate"
    ? "built from llrt_core crate"
    : `LLRT_BIN=${info.path}`;
  return `LLRT ${info.version} (${origin}, ${sdk})`;
}

/**
 * Pulls the version out of `llrt --version` output (`LLRT v0.8.1-beta (linux, x64)`, or the
 * older `LLRT (linux x64) 0.1.15-beta`).
 *
 * @param output What the binary printed.
 * @returns The version without a leading `v`.
 * @throws {TypeError} When no version is found.
 */
export function parseVersionOutput(output: string): string {
  const m = output.match(/\bv?(\d+\.\d+\.\d+(?:-[0-9A-Za-z.]+)?)/);
  if (!m?.[1]) throw new TypeError(`Cannot find a version in ${JSON.stringify(output.trim())}`);
  return m[1];
}
