/**
 * Which functions the stack can hold given what has been built, and why the rest are left out.
 * A synth skips what is missing and names it; a deploy (strict) refuses to start instead.
 *
 * Inputs per variant × architecture:
 * - function code: a named variant's `build/functions/<variant>/` with `index.mjs|js|cjs`
 *   (handler `index.handler`); a composed variant's runtime folder, `build/runtimes/<runtime>/`
 *   (`handler.py` for Python, `index.mjs` for the JS runtimes), or for the runtimes with native
 *   code (`python-pyo3`, `rust`, `go`) `build/lambda/<arch>/runtimes/<runtime>/`;
 * - `rust` extension: `build/lambda/<arch>/battle-ext-rust`, cross-compiled with cargo-lambda;
 * - `js` extension: `build/layers/<variant>/extensions/<ext-name>` (bundle and launcher);
 * - LLRT (function runtime or extension runner): `build/lambda/<arch>/llrt` when it was
 *   cross-compiled for that architecture, else `build/llrt/llrt` described by
 *   `build/llrt/llrt.json`, usable only on the architecture it names.
 *
 * @module
 */
import { glibcNewer, LAMBDA_GLIBC } from "../lib/build/glibc.ts";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import {
  BUILD_DIR,
  BUILD_MANIFEST,
  functionDir,
  layerDir,
  LLRT_BIN,
  LLRT_INFO,
  ROOT,
} from "../lib/paths.ts";
import type { Arch } from "../lib/schema.ts";
import {
  type FunctionRuntime,
  functionRuntimeSpec,
  needsLlrt,
  type Variant,
  VARIANTS,
} from "../lib/variants.ts";
import {
  isNativeRuntime,
  jsDynamoDbCodeDir,
  lambdaRuntimeCodeDir,
  runtimeCodeDir,
} from "../lib/build/functions.ts";
import type { InfraSettings } from "./settings.ts";

/** Where the builds live; tests point these at fixtures. */
export interface BuildLocations {
  /** Function code folder of a named variant. */
  functionDir(variant: string): string;
  /** A function runtime's code folder (arch-independent runtimes; `withSqs` for the JS ones). */
  runtimeCodeDir(runtime: FunctionRuntime, withSqs: boolean): string;
  /** A JS runtime's code folder with the DynamoDB client (workload `dynamodb`). */
  jsDynamoDbCodeDir(runtime: "nodejs" | "llrt"): string;
  /** A native function runtime's code folder built for a Lambda architecture. */
  lambdaRuntimeCodeDir(runtime: FunctionRuntime, arch: Arch): string;
  /** Folder laid out like `/opt` holding a JS extension and its launcher. */
  layerDir(variant: string): string;
  /**
   * A Rust extension cross-compiled for a Lambda architecture: `battle-ext-rust`, or the blank
   * one's `battle-ext-blank`.
   */
  rustLambdaBinary(arch: Arch, binary?: string): string;
  /** LLRT cross-compiled for a Lambda architecture (optional build). */
  llrtLambdaBinary(arch: Arch): string;
  /** The LLRT binary in use locally and its description (`LlrtInfo` JSON). */
  llrtBinary: string;
  llrtInfo: string;
  /** `build.json`, which says why a runtime has no Lambda build for an architecture. */
  buildManifest?: string;
}

/** The real build folder (`build/`). */
export const DEFAULT_BUILD_LOCATIONS: BuildLocations = {
  functionDir,
  runtimeCodeDir: (runtime, withSqs) => runtimeCodeDir(runtime, withSqs),
  jsDynamoDbCodeDir: (runtime) => jsDynamoDbCodeDir(runtime),
  lambdaRuntimeCodeDir: (runtime, arch) => lambdaRuntimeCodeDir(runtime, arch),
  layerDir,
  rustLambdaBinary: (arch, binary = "battle-ext-rust") => join(BUILD_DIR, "lambda", arch, binary),
  llrtLambdaBinary: (arch) => join(BUILD_DIR, "lambda", arch, "llrt"),
  llrtBinary: LLRT_BIN,
  llrtInfo: LLRT_INFO,
  buildManifest: BUILD_MANIFEST,
};

/**
 * The same layout as `build/` under another folder (for fixtures).
 *
 * @param buildDir A folder with `functions/`, `layers/`, `lambda/<arch>/` and `llrt/`.
 * @returns Locations inside it.
 */
export function buildLocationsUnder(buildDir: string): BuildLocations {
  return {
    functionDir: (variant) => join(buildDir, "functions", variant),
    runtimeCodeDir: (runtime, withSqs) => runtimeCodeDir(runtime, withSqs, buildDir),
    jsDynamoDbCodeDir: (runtime) => jsDynamoDbCodeDir(runtime, buildDir),
    lambdaRuntimeCodeDir: (runtime, arch) => lambdaRuntimeCodeDir(runtime, arch, buildDir),
    layerDir: (variant) => join(buildDir, "layers", variant),
    rustLambdaBinary: (arch, binary = "battle-ext-rust") => join(buildDir, "lambda", arch, binary),
    llrtLambdaBinary: (arch) => join(buildDir, "lambda", arch, "llrt"),
    llrtBinary: join(buildDir, "llrt", "llrt"),
    llrtInfo: join(buildDir, "llrt", "llrt.json"),
    buildManifest: join(buildDir, "build.json"),
  };
}

/**
 * The locations for a `buildDir` setting.
 *
 * @param buildDir A folder laid out like `build/` (relative to the working directory), or
 * undefined for `build/` itself.
 * @returns The locations.
 */
export function locationsFor(buildDir: string | undefined): BuildLocations {
  return buildDir === undefined ? DEFAULT_BUILD_LOCATIONS : buildLocationsUnder(resolve(buildDir));
}

/** What `build/llrt/llrt.json` says (fields the infra uses). */
export interface LlrtInfo {
  available: boolean;
  source?: string;
  version?: string;
  arch?: Arch;
  sdkEmbedded?: boolean;
  reason?: string;
  /** The glibc the binary links against at least (crate builds on a newer host). */
  requiresGlibc?: string;
}

/** The extension a function carries, as built. */
export type PlannedExtension =
  | { build: "rust"; name: string; binary: string }
  | {
    build: "js";
    name: string;
    layerDir: string;
    /** True when the layer holds native code (the LLRT binary), so it is per architecture. */
    perArch: boolean;
  };

/** The LLRT a function uses on its architecture. */
export interface PlannedLlrt {
  /** The LLRT binary for the function's architecture. */
  binary: string;
  /** The local LLRT binary (`build/llrt/llrt`) whose copies in the code and layer folders must
   * be swapped for `binary`, or null when `binary` is that file. */
  replaces: string | null;
}

/** One function the stack will hold. */
export interface PlannedFunction {
  variant: Variant;
  arch: Arch;
  memoryMb: number;
  codeDir: string;
  extension: PlannedExtension | null;
  /** For variants that run on or launch LLRT. */
  llrt: PlannedLlrt | null;
}

/** A variant (on one architecture, or on all when `arch` is null) left out, and why. */
export interface SkippedBuild {
  variant: string;
  arch: Arch | null;
  reason: string;
}

/** What the stack will hold and what it leaves out. */
export interface DeploymentPlan {
  functions: PlannedFunction[];
  skipped: SkippedBuild[];
  /** The LLRT description, when the file exists. */
  llrt: LlrtInfo | null;
}

function shown(path: string): string {
  const rel = relative(ROOT, path);
  return rel.startsWith("..") ? path : rel;
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * Reads `llrt.json`.
 *
 * @param path The file.
 * @returns The description, or null when the file is missing.
 * @throws {SyntaxError} When the file is not JSON.
 */
export function readLlrtInfo(path: string): LlrtInfo | null {
  if (!existsSync(path)) return null;
  const parsed = JSON.parse(readFileSync(path, "utf8")) as Partial<LlrtInfo>;
  return { ...parsed, available: parsed.available === true } as LlrtInfo;
}

function llrtProblem(info: LlrtInfo | null, locations: BuildLocations): string | null {
  const where = shown(locations.llrtInfo);
  if (info === null) return `no LLRT binary (${where} missing; run deno task build)`;
  if (!info.available) {
    const why = info.reason ? `: ${info.reason}` : "";
    return `no LLRT binary (${where}: available false${why})`;
  }
  if (!isFile(locations.llrtBinary)) {
    return `no LLRT binary (${shown(locations.llrtBinary)} missing)`;
  }
  if (info.requiresGlibc && glibcNewer(info.requiresGlibc, LAMBDA_GLIBC)) {
    return `the LLRT binary (${info.source ?? "local"} build) needs glibc ${info.requiresGlibc}, ` +
      `Lambda has ${LAMBDA_GLIBC}: set LLRT_BIN to an official LLRT release or cross-build ` +
      `build/lambda/<arch>/llrt`;
  }
  return null;
}

/**
 * Where a variant's code is for an architecture: a named variant's own folder, else its
 * runtime's (built per architecture for runtimes with native code).
 */
function codeDirFor(variant: Variant, arch: Arch, locations: BuildLocations): string {
  if (VARIANTS.some((v) => v.name === variant.name)) return locations.functionDir(variant.name);
  const js = variant.functionRuntime === "nodejs" || variant.functionRuntime === "llrt";
  if (js && variant.workload === "dynamodb") {
    return locations.jsDynamoDbCodeDir(variant.functionRuntime as "nodejs" | "llrt");
  }
  return isNativeRuntime(variant.functionRuntime)
    ? locations.lambdaRuntimeCodeDir(variant.functionRuntime, arch)
    : locations.runtimeCodeDir(variant.functionRuntime, variant.mode === "direct");
}

/** Why `deno task build` made no Lambda build of a runtime for an architecture, if it said. */
function builtWithout(locations: BuildLocations, runtime: string, arch: Arch): string | null {
  if (locations.buildManifest === undefined || !isFile(locations.buildManifest)) return null;
  try {
    const manifest = JSON.parse(readFileSync(locations.buildManifest, "utf8")) as {
      runtimes?: {
        runtime: string;
        reason: string | null;
        lambdaSkipped?: { arch: string; reason: string }[];
      }[];
    };
    const built = manifest.runtimes?.find((r) => r.runtime === runtime);
    return built?.lambdaSkipped?.find((s) => s.arch === arch)?.reason ?? built?.reason ?? null;
  } catch {
    return null;
  }
}

/** The cargo binary of a Rust extension: the blank one's, or the SQS-forwarding one's. */
function rustBinaryOf(ext: { role: string }): string {
  return ext.role === "blank" ? "battle-ext-blank" : "battle-ext-rust";
}

/** True when a variant's code differs per architecture (a native runtime's composed cell). */
function codePerArch(variant: Variant): boolean {
  return !VARIANTS.some((v) => v.name === variant.name) && isNativeRuntime(variant.functionRuntime);
}

function codeProblem(variant: Variant, dir: string): string | null {
  const spec = functionRuntimeSpec(variant.functionRuntime);
  if (spec.sandboxRuntime === "python" || spec.sandboxRuntime === "provided") {
    const entry = spec.sandboxRuntime === "python" ? "handler.py" : "bootstrap";
    return isFile(join(dir, entry))
      ? null
      : `no ${variant.functionRuntime} function build (${shown(dir)}/${entry} missing; ` +
        "run deno task build, which says why it could not make it)";
  }
  const entry = ["index.mjs", "index.js", "index.cjs"].find((f) => isFile(join(dir, f)));
  if (!entry) return `no function code (${shown(dir)}/index.mjs missing; run deno task build)`;
  if (variant.functionRuntime === "llrt" && !isFile(join(dir, "bootstrap"))) {
    return `no custom runtime bootstrap (${shown(dir)}/bootstrap missing; run deno task build)`;
  }
  return null;
}

/**
 * Decides which functions the stack holds.
 *
 * @param settings Variants, memory sizes and architectures wanted.
 * @param locations Where the builds are (default `build/`).
 * @returns The functions, in variant, memory, architecture order, and what was left out.
 * @throws {SyntaxError} When `llrt.json` exists but is not JSON.
 * @example
 * ```ts
 * import { planDeployment } from "./builds.ts";
 * import { resolveSettings } from "./settings.ts";
 * const plan = planDeployment(resolveSettings(() => undefined));
 * plan.skipped.map((s) => s.reason);
 * ```
 */
export function planDeployment(
  settings: Pick<InfraSettings, "variants" | "memorySizes" | "architectures">,
  locations: BuildLocations = DEFAULT_BUILD_LOCATIONS,
): DeploymentPlan {
  const llrt = readLlrtInfo(locations.llrtInfo);
  const functions: PlannedFunction[] = [];
  const skipped: SkippedBuild[] = [];
  for (const variant of settings.variants) {
    const ext = variant.extension;
    const llrtFor = (arch: Arch): PlannedLlrt | null => {
      const cross = locations.llrtLambdaBinary(arch);
      if (isFile(cross)) return { binary: cross, replaces: locations.llrtBinary };
      return llrtProblem(llrt, locations) === null && (!llrt?.arch || llrt.arch === arch)
        ? { binary: locations.llrtBinary, replaces: null }
        : null;
    };
    const crossLlrt = settings.architectures.some((a) => isFile(locations.llrtLambdaBinary(a)));
    let problem = needsLlrt(variant) && !crossLlrt ? llrtProblem(llrt, locations) : null;
    if (!codePerArch(variant)) {
      problem ??= codeProblem(variant, codeDirFor(variant, "x86_64", locations));
    }
    if (!problem && ext?.build === "js") {
      const launcher = join(locations.layerDir(variant.extensionName), "extensions", ext.name);
      if (!isFile(launcher)) problem = `no JS extension layer (${shown(launcher)} missing)`;
    }
    if (problem) {
      skipped.push({ variant: variant.name, arch: null, reason: problem });
      continue;
    }
    const archs = settings.architectures.filter((arch) => {
      let archProblem: string | null = codePerArch(variant)
        ? codeProblem(variant, codeDirFor(variant, arch, locations))
        : null;
      if (archProblem !== null) {
        const why = builtWithout(locations, variant.functionRuntime, arch);
        if (why !== null) archProblem = `no ${variant.functionRuntime} build for ${arch}: ${why}`;
      }
      if (archProblem === null && needsLlrt(variant) && llrtFor(arch) === null) {
        archProblem = llrtProblem(llrt, locations) ??
          `the LLRT binary is built for ${llrt?.arch} (${shown(locations.llrtInfo)}) and ` +
            `${shown(locations.llrtLambdaBinary(arch))} is missing`;
      } else if (
        archProblem === null && ext?.build === "rust" &&
        !isFile(locations.rustLambdaBinary(arch, rustBinaryOf(ext)))
      ) {
        archProblem = `${shown(locations.rustLambdaBinary(arch, rustBinaryOf(ext)))} missing ` +
          "(run scripts/build_lambda_rust.sh)";
      }
      if (archProblem) skipped.push({ variant: variant.name, arch, reason: archProblem });
      return archProblem === null;
    });
    for (const memoryMb of settings.memorySizes) {
      for (const arch of archs) {
        functions.push({
          variant,
          arch,
          memoryMb,
          codeDir: codeDirFor(variant, arch, locations),
          extension: ext === null ? null : ext.build === "rust"
            ? {
              build: "rust",
              name: ext.name,
              binary: locations.rustLambdaBinary(arch, rustBinaryOf(ext)),
            }
            : {
              build: "js",
              name: ext.name,
              layerDir: locations.layerDir(variant.extensionName),
              perArch: ext.runner === "llrt",
            },
          llrt: needsLlrt(variant) ? llrtFor(arch) : null,
        });
      }
    }
  }
  return { functions, skipped, llrt };
}

/**
 * One line per skip, for the synth's summary and the deploy's refusal.
 *
 * @param skip What was left out.
 * @returns For example `skipped rust on arm64: build/lambda/arm64/battle-ext-rust missing`.
 */
export function describeSkip(skip: SkippedBuild): string {
  const where = skip.arch === null ? "" : ` on ${skip.arch}`;
  return `skipped ${skip.variant}${where}: ${skip.reason}`;
}
