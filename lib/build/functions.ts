/**
 * Builds the application's function for every function runtime into complete function folders
 * (what Lambda's `LAMBDA_TASK_ROOT` holds), one per runtime and, for the JS runtimes, per
 * whether the SQS client is bundled:
 *
 * | runtime       | `build/runtimes/<name>/`                          | made by                          |
 * | ------------- | ------------------------------------------------- | -------------------------------- |
 * | `nodejs`      | `index.mjs` (`nodejs-sqs/` with the SQS client)   | esbuild (lib/build/js.ts)        |
 * | `llrt`        | `index.mjs`, `bootstrap` (the LLRT binary)        | esbuild, the LLRT build          |
 * | `python`      | `handler.py`, `battle_handler.py`                 | copied from functions/python     |
 * | `python-pyo3` | the same, `handler.py` of functions/python-pyo3, `battle_native/` | maturin (PyPI), rust/native |
 * | `rust`        | `bootstrap`                                       | cargo (rust/function)            |
 * | `go`          | `bootstrap`                                       | go build (functions/go)          |
 *
 * Lambda builds, where they differ by architecture, go to `build/lambda/<arch>/runtimes/<name>/`:
 * Go cross-compiles for both; the Rust bootstrap and the PyO3 wheel built on this host serve
 * Lambda on the host's architecture when their glibc is no newer than Lambda's. A runtime whose
 * toolchain is missing is reported skipped with the reason, never replaced by another.
 *
 * @module
 */
import { existsSync } from "node:fs";
import { chmod, copyFile, mkdir, readdir, rm, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { hostArch } from "../bench/matrix.ts";
import { BUILD_DIR, CACHE_DIR, LLRT_BIN, ROOT, RUST_DIR, RUST_TARGET_DIR } from "../paths.ts";
import type { Arch } from "../schema.ts";
import { type FunctionRuntime, VARIANTS } from "../variants.ts";
import { glibcNewer, LAMBDA_GLIBC, newestGlibc } from "./glibc.ts";
import type { Artifact } from "./js.ts";

/** boto3 for the local Python runtime (Lambda's Python runtime brings its own). */
export const BOTO3_VERSION = "1.44.8";
/** maturin (PyPI), which builds the PyO3 wheel. */
export const MATURIN_VERSION = "1.16.0";
/** Where boto3 is installed (`pip install --target`), put on the local runtime's PYTHONPATH. */
export const BOTO3_DIR: string = join(CACHE_DIR, "boto3");
/** AWS's Python runtime interface client, installed by `deno task setup`. */
export const AWSLAMBDARIC_DIR: string = join(CACHE_DIR, "awslambdaric");
/** Where maturin is installed. */
export const MATURIN_DIR: string = join(CACHE_DIR, "maturin");
/** Where the PyO3 wheels go. */
export const WHEELS_DIR: string = join(BUILD_DIR, "wheels");
/** The cargo package of the Rust function. */
export const RUST_FUNCTION_PACKAGE = "battle-function";

/**
 * The function folder of a runtime on this host.
 *
 * @param runtime The function runtime.
 * @param withSqs For the JS runtimes: the bundle with the SQS client (mode `direct`).
 * @param buildDir The build folder; default `build/`.
 * @returns `build/runtimes/<runtime>[-sqs]`.
 * @example
 * ```ts
 * import { runtimeCodeDir } from "./functions.ts";
 * runtimeCodeDir("nodejs", true, "/b"); // "/b/runtimes/nodejs-sqs"
 * runtimeCodeDir("go", true, "/b"); // "/b/runtimes/go"
 * ```
 */
export function runtimeCodeDir(
  runtime: FunctionRuntime,
  withSqs: boolean,
  buildDir: string = BUILD_DIR,
): string {
  const js = runtime === "nodejs" || runtime === "llrt";
  return join(buildDir, "runtimes", `${runtime}${js && withSqs ? "-sqs" : ""}`);
}

/**
 * The Lambda build of a runtime's function folder for one architecture (only the runtimes with
 * native code have one: `python-pyo3`, `rust`, `go`).
 *
 * @returns `build/lambda/<arch>/runtimes/<runtime>`.
 */
export function lambdaRuntimeCodeDir(
  runtime: FunctionRuntime,
  arch: Arch,
  buildDir: string = BUILD_DIR,
): string {
  return join(buildDir, "lambda", arch, "runtimes", runtime);
}

/** True for the runtimes whose function folder holds native code for one architecture. */
export function isNativeRuntime(runtime: FunctionRuntime): boolean {
  return runtime === "python-pyo3" || runtime === "rust" || runtime === "go";
}

/**
 * The local function folder of a variant: a named variant's own folder (`build/functions/<name>`,
 * assembled by lib/build/layers.ts), else its runtime's.
 *
 * @param variant The variant.
 * @returns The folder the sandbox runs.
 */
export function codeDirOf(
  variant: { name: string; functionRuntime: FunctionRuntime; mode: string; workload?: string },
  buildDir: string = BUILD_DIR,
): string {
  if (VARIANTS.some((v) => v.name === variant.name)) {
    return join(buildDir, "functions", variant.name);
  }
  const js = variant.functionRuntime === "nodejs" || variant.functionRuntime === "llrt";
  if (js && variant.workload === "dynamodb") {
    return jsDynamoDbCodeDir(variant.functionRuntime as "nodejs" | "llrt", buildDir);
  }
  return runtimeCodeDir(variant.functionRuntime, variant.mode === "direct", buildDir);
}

/**
 * The function folder of a JS runtime with the DynamoDB client bundled (workload `dynamodb`).
 *
 * @returns `build/runtimes/<runtime>-dynamodb`.
 */
export function jsDynamoDbCodeDir(
  runtime: "nodejs" | "llrt",
  buildDir: string = BUILD_DIR,
): string {
  return join(buildDir, "runtimes", `${runtime}-dynamodb`);
}

/** What became of one runtime's build. */
export interface RuntimeBuild {
  runtime: FunctionRuntime;
  status: "ready" | "skipped";
  reason: string | null;
  /** Architectures with a Lambda build (every one for runtimes without native code). */
  lambdaArchs: Arch[];
  /** Why the other architectures have none. */
  lambdaSkipped: { arch: Arch; reason: string }[];
  artifacts: Artifact[];
}

async function run(
  cmd: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string>; what: string },
): Promise<string> {
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command(cmd, {
      args,
      cwd: options.cwd ?? ROOT,
      ...(options.env ? { env: options.env } : {}),
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new Error(`Cannot build ${options.what}: "${cmd}" is not installed`);
    }
    throw error;
  }
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  if (!out.success) {
    throw new Error(
      `Cannot build ${options.what}: ${cmd} ${args.join(" ")} exited with ${out.code}: ${
        text.trim().split("\n").slice(-4).join(" | ")
      }`,
    );
  }
  return text;
}

async function place(from: string, to: string, name: string, executable = false) {
  await mkdir(dirname(to), { recursive: true });
  await copyFile(from, to);
  if (executable) await chmod(to, 0o755);
  return { name, path: to, bytes: (await stat(to)).size };
}

async function fresh(dir: string): Promise<string> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  return dir;
}

/** `pip install --target dir pkg==version`, once per version (a stamp file says so). */
async function pipTarget(dir: string, pkg: string, version: string): Promise<void> {
  const stamp = join(dir, `.installed-${pkg}-${version}`);
  if (existsSync(stamp)) return;
  await run("python3", [
    "-m",
    "pip",
    "install",
    "--quiet",
    "--disable-pip-version-check",
    "--upgrade",
    "--target",
    dir,
    `${pkg}==${version}`,
  ], { what: `${pkg} (pip)` });
  await Deno.writeTextFile(stamp, new Date().toISOString());
}

/** Installs boto3 for the local Python runtime (Lambda's Python runtime has its own). */
export function ensureBoto3(): Promise<void> {
  return pipTarget(BOTO3_DIR, "boto3", BOTO3_VERSION);
}

async function copyPython(dir: string, handlerFrom: string): Promise<Artifact[]> {
  return [
    await place(
      join(ROOT, "functions", "python", "battle_handler.py"),
      join(dir, "battle_handler.py"),
      "handler module",
    ),
    await place(join(handlerFrom, "handler.py"), join(dir, "handler.py"), "entry point"),
  ];
}

/** A file's glibc needs against Lambda's, as a reason or null. */
async function glibcProblem(path: string): Promise<string | null> {
  const glibc = newestGlibc(await Deno.readFile(path));
  return glibc !== null && glibcNewer(glibc, LAMBDA_GLIBC)
    ? `the host build needs glibc ${glibc}, Lambda has ${LAMBDA_GLIBC}`
    : null;
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...await filesUnder(path));
    else out.push(path);
  }
  return out;
}

async function buildPython(): Promise<Partial<RuntimeBuild>> {
  const dir = await fresh(runtimeCodeDir("python", false));
  const artifacts = await copyPython(dir, join(ROOT, "functions", "python"));
  await ensureBoto3();
  return { artifacts, lambdaArchs: ["x86_64", "arm64"] };
}

async function buildPythonPyo3(): Promise<Partial<RuntimeBuild>> {
  await pipTarget(MATURIN_DIR, "maturin", MATURIN_VERSION);
  await ensureBoto3();
  await rm(WHEELS_DIR, { recursive: true, force: true });
  // manylinux_2_34: the wheel must load on Lambda's Amazon Linux 2023 (glibc 2.34); maturin
  // refuses to tag a wheel that needs more.
  await run(join(MATURIN_DIR, "bin", "maturin"), [
    "build",
    "--release",
    "--manifest-path",
    join(RUST_DIR, "native", "Cargo.toml"),
    "--out",
    WHEELS_DIR,
    "--target-dir",
    RUST_TARGET_DIR,
    "--compatibility",
    "manylinux_2_34",
  ], { what: "the PyO3 wheel (maturin)", env: { PYTHONPATH: MATURIN_DIR } });
  const wheel = (await readdir(WHEELS_DIR)).find((f) => f.endsWith(".whl"));
  if (!wheel) {
    throw new Error(`Cannot build the PyO3 wheel: maturin wrote no wheel to ${WHEELS_DIR}`);
  }
  const dir = await fresh(runtimeCodeDir("python-pyo3", false));
  const artifacts = await copyPython(dir, join(ROOT, "functions", "python-pyo3"));
  // A wheel is a zip: its package goes into the function folder, as `pip install -t` would.
  await run("python3", ["-m", "zipfile", "-e", join(WHEELS_DIR, wheel), dir], {
    what: "the PyO3 function folder",
  });
  for (const entry of await readdir(dir)) {
    if (entry.endsWith(".dist-info")) await rm(join(dir, entry), { recursive: true });
  }
  for (const file of await filesUnder(join(dir, "battle_native"))) {
    artifacts.push({ name: "PyO3 library", path: file, bytes: (await stat(file)).size });
  }
  artifacts.push({
    name: "PyO3 wheel",
    path: join(WHEELS_DIR, wheel),
    bytes: (await stat(join(WHEELS_DIR, wheel))).size,
  });
  return { artifacts, ...await stageHostBuild("python-pyo3", dir) };
}

/** Copies a host build to the host architecture's Lambda folder when Lambda can run it. */
async function stageHostBuild(
  runtime: FunctionRuntime,
  dir: string,
): Promise<Pick<RuntimeBuild, "lambdaArchs" | "lambdaSkipped">> {
  const host = hostArch();
  const other: Arch = host === "x86_64" ? "arm64" : "x86_64";
  const lambdaSkipped = [{
    arch: other,
    reason: runtime === "rust"
      ? `no ${other} build: cross-compile with scripts/build_lambda_rust.sh (cargo-lambda)`
      : `no ${other} wheel: maturin needs the ${other} Rust target and a cross linker here`,
  }];
  const target = lambdaRuntimeCodeDir(runtime, host);
  const crossBuilt = existsSync(lambdaRuntimeCodeDir(runtime, other));
  if (crossBuilt) lambdaSkipped.length = 0;
  const natives = (await filesUnder(dir)).filter((f) =>
    f.endsWith(".so") || f.endsWith("bootstrap")
  );
  for (const file of natives) {
    const problem = await glibcProblem(file);
    if (problem) {
      await rm(target, { recursive: true, force: true });
      return {
        lambdaArchs: crossBuilt ? [other] : [],
        lambdaSkipped: [...lambdaSkipped, { arch: host, reason: problem }],
      };
    }
  }
  await fresh(target);
  for (const file of await filesUnder(dir)) {
    await place(
      file,
      join(target, file.slice(dir.length + 1)),
      "lambda",
      file.endsWith("bootstrap"),
    );
  }
  return { lambdaArchs: crossBuilt ? [host, other] : [host], lambdaSkipped };
}

async function buildRust(): Promise<Partial<RuntimeBuild>> {
  await run("cargo", [
    "build",
    "--release",
    "-p",
    RUST_FUNCTION_PACKAGE,
    "--target-dir",
    RUST_TARGET_DIR,
    "--color",
    "never",
  ], { cwd: RUST_DIR, what: "the Rust function (cargo)" });
  const dir = await fresh(runtimeCodeDir("rust", false));
  const artifacts = [
    await place(
      join(RUST_TARGET_DIR, "release", RUST_FUNCTION_PACKAGE),
      join(dir, "bootstrap"),
      "bootstrap",
      true,
    ),
  ];
  return { artifacts, ...await stageHostBuild("rust", dir) };
}

const GOARCH: Record<Arch, string> = { x86_64: "amd64", arm64: "arm64" };

async function buildGo(): Promise<Partial<RuntimeBuild>> {
  const source = join(ROOT, "functions", "go");
  const args = (
    out: string,
  ) => ["build", "-ldflags=-s -w", "-tags", "lambda.norpc", "-o", out, "."];
  const dir = await fresh(runtimeCodeDir("go", false));
  const env = { CGO_ENABLED: "0" };
  await run("go", args(join(dir, "bootstrap")), { cwd: source, env, what: "the Go function" });
  const local = join(dir, "bootstrap");
  const artifacts: Artifact[] = [{
    name: "bootstrap",
    path: local,
    bytes: (await stat(local)).size,
  }];
  for (const arch of ["x86_64", "arm64"] as const) {
    const out = join(await fresh(lambdaRuntimeCodeDir("go", arch)), "bootstrap");
    await run("go", args(out), {
      cwd: source,
      env: { ...env, GOOS: "linux", GOARCH: GOARCH[arch] },
      what: `the Go function for ${arch}`,
    });
    artifacts.push({ name: `bootstrap (${arch})`, path: out, bytes: (await stat(out)).size });
  }
  return { artifacts, lambdaArchs: ["x86_64", "arm64"] };
}

async function buildJs(runtime: "nodejs" | "llrt"): Promise<Partial<RuntimeBuild>> {
  const artifacts: Artifact[] = [];
  const bundleRuntime = runtime === "llrt" ? "llrt" : "node";
  if (runtime === "llrt" && !existsSync(LLRT_BIN)) {
    throw new Error(`no LLRT binary (${LLRT_BIN} missing; the LLRT build step makes it)`);
  }
  for (const withSqs of [false, true]) {
    const dir = await fresh(runtimeCodeDir(runtime, withSqs));
    const bundle = join(
      BUILD_DIR,
      "js",
      `function-${bundleRuntime}${withSqs ? "-sqs" : ""}.mjs`,
    );
    artifacts.push(await place(bundle, join(dir, "index.mjs"), "function bundle"));
    if (runtime === "llrt") {
      artifacts.push(await place(LLRT_BIN, join(dir, "bootstrap"), "LLRT bootstrap", true));
    }
  }
  const dynamo = await fresh(jsDynamoDbCodeDir(runtime));
  artifacts.push(
    await place(
      join(BUILD_DIR, "js", `function-${bundleRuntime}-dynamodb.mjs`),
      join(dynamo, "index.mjs"),
      "function bundle (DynamoDB)",
    ),
  );
  if (runtime === "llrt") {
    artifacts.push(await place(LLRT_BIN, join(dynamo, "bootstrap"), "LLRT bootstrap", true));
  }
  return { artifacts, lambdaArchs: ["x86_64", "arm64"] };
}

const BUILDERS: Record<FunctionRuntime, () => Promise<Partial<RuntimeBuild>>> = {
  nodejs: () => buildJs("nodejs"),
  llrt: () => buildJs("llrt"),
  python: buildPython,
  "python-pyo3": buildPythonPyo3,
  rust: buildRust,
  go: buildGo,
};

/**
 * Builds every function runtime's folder (after the JS bundles and LLRT). One runtime's failure
 * is its own: it is reported skipped with the reason and the others still build.
 *
 * @param runtimes Which runtimes; default all.
 * @param log Progress lines.
 * @returns One result per runtime.
 */
export async function buildFunctionRuntimes(
  runtimes: readonly FunctionRuntime[] = Object.keys(BUILDERS) as FunctionRuntime[],
  log: (line: string) => void = () => {},
): Promise<RuntimeBuild[]> {
  const results: RuntimeBuild[] = [];
  for (const runtime of runtimes) {
    const t0 = performance.now();
    try {
      const built = await BUILDERS[runtime]();
      results.push({
        runtime,
        status: "ready",
        reason: null,
        lambdaArchs: built.lambdaArchs ?? [],
        lambdaSkipped: built.lambdaSkipped ?? [],
        artifacts: built.artifacts ?? [],
      });
      log(
        `build: function runtime ${runtime} in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
      );
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      results.push({
        runtime,
        status: "skipped",
        reason,
        lambdaArchs: [],
        lambdaSkipped: [],
        artifacts: [],
      });
      log(`build: function runtime ${runtime} skipped: ${reason}`);
    }
  }
  return results;
}

/**
 * One line per runtime for the build's summary.
 *
 * @param b A runtime's build.
 * @returns For example `go          ready    bootstrap 6,553,784 B; Lambda: x86_64, arm64`.
 */
export function describeRuntimeBuild(b: RuntimeBuild): string {
  if (b.status === "skipped") return `${b.runtime.padEnd(11)} skipped: ${b.reason}`;
  const local = b.artifacts.filter((a) => a.path.includes(`${join("build", "runtimes")}/`));
  const bytes = local.reduce((n, a) => n + a.bytes, 0);
  const lambda = b.lambdaArchs.length ? b.lambdaArchs.join(", ") : "none";
  const missing = b.lambdaSkipped.map((s) => ` (${s.arch}: ${s.reason})`).join("");
  return `${b.runtime.padEnd(11)} ready    function ${bytes.toLocaleString("en-US")} B; ` +
    `Lambda: ${lambda}${missing}`;
}
