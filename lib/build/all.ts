/**
 * Builds every artifact a run needs — the Rust extension, LLRT (release, `LLRT_BIN`, or the
 * llrt_core crate build), the JS bundles, the per-variant layer and function folders, and the
 * function folder of every function runtime (lib/build/functions.ts) — then
 * writes `build/build.json` (`deno task build`, and a step of `deno task setup`). A part that
 * cannot be built is reported with its reason; the rest still builds.
 *
 * @module
 */
import { relative } from "node:path";
import { BUILD_DIR, BUILD_MANIFEST, INGEST_NATIVE_LIB, ROOT, SANDBOX_EXEC_BIN } from "../paths.ts";
import { writeTextAtomic } from "../store/mod.ts";
import { type Artifact, buildJsBundles } from "./js.ts";
import { assembleExtensionLayers, assembleLayers, describeAssembled } from "./layers.ts";
import { buildFunctionRuntimes, describeRuntimeBuild, type RuntimeBuild } from "./functions.ts";
import {
  buildRustExtension,
  INGEST_NATIVE_ARTIFACT,
  INGEST_NATIVE_PACKAGE,
  RUST_BLANK_EXTENSION_PACKAGE,
  SANDBOX_EXEC_PACKAGE,
} from "./rust.ts";
import { stageHostRustForLambda } from "./lambda_rust.ts";
import { hostArch } from "../bench/matrix.ts";
import { ensureLlrt } from "../llrt/mod.ts";

/** What `build/build.json` holds. */
export interface BuildManifest {
  builtAt: string;
  artifacts: Artifact[];
  variants: { variant: string; status: "ready" | "skipped"; reason: string | null }[];
  /** Per function runtime: ready (with its Lambda architectures) or skipped with the reason. */
  runtimes: RuntimeBuild[];
  llrt: unknown;
  failures: { part: string; error: string }[];
}

/** What {@link buildAll} did. */
export interface BuildResult {
  /** What was written to `build/build.json`. */
  manifest: BuildManifest;
  /** The size of each artifact and the state of each variant, as lines to print. */
  summary: string[];
}

/**
 * Builds everything and writes the manifest.
 *
 * @param log Progress lines; default stderr.
 * @returns The manifest written to `build/build.json` and the summary lines.
 */
export async function buildAll(
  log: (line: string) => void = (l) => console.error(l),
): Promise<BuildResult> {
  await Deno.mkdir(BUILD_DIR, { recursive: true });
  const artifacts: Artifact[] = [];
  const failures: BuildManifest["failures"] = [];
  const attempt = async <T>(part: string, fn: () => Promise<T>): Promise<T | null> => {
    const t0 = performance.now();
    log(`build: ${part}...`);
    try {
      const value = await fn();
      log(`build: ${part} done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      return value;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      failures.push({ part, error: message });
      log(`build: ${part} FAILED: ${message}`);
      return null;
    }
  };
  // The sandbox's own launcher first: every local environment starts its processes with it.
  // Static where the host has a static C library (no loader at each start), else dynamic.
  const launcher = await attempt(
    "sandbox launcher (cargo build --release)",
    () =>
      buildRustExtension({ package: SANDBOX_EXEC_PACKAGE, out: SANDBOX_EXEC_BIN, staticCrt: true })
        .catch((e) => {
          log(
            `build: no static launcher (${
              (e as Error).message.split("\n")[0]
            }); linking it dynamically`,
          );
          return buildRustExtension({ package: SANDBOX_EXEC_PACKAGE, out: SANDBOX_EXEC_BIN });
        }),
  );
  if (launcher) {
    artifacts.push({ name: "SANDBOX_EXEC", path: launcher.path, bytes: launcher.bytes });
  }
  const rust = await attempt("Rust extension (cargo build --release)", () => buildRustExtension());
  if (rust) {
    artifacts.push({ name: "RUST_EXTENSION", path: rust.path, bytes: rust.bytes });
    const staged = await stageHostRustForLambda({ hostBinary: rust.path, arch: hostArch() });
    log(
      staged.staged
        ? `build: the host build serves Lambda on ${hostArch()} (glibc ${staged.glibc}): ${
          relative(ROOT, staged.path)
        }`
        : `build: no Lambda build of the Rust extension from the host build: ${staged.reason}`,
    );
  }
  const blank = await attempt(
    "blank Rust extension (cargo build --release)",
    () => buildRustExtension({ package: RUST_BLANK_EXTENSION_PACKAGE }),
  );
  if (blank) {
    artifacts.push({ name: "RUST_BLANK_EXTENSION", path: blank.path, bytes: blank.bytes });
    const staged = await stageHostRustForLambda({
      hostBinary: blank.path,
      arch: hostArch(),
      binary: RUST_BLANK_EXTENSION_PACKAGE,
    });
    if (!staged.staged) log(`build: no Lambda build of the blank Rust extension: ${staged.reason}`);
  }
  // deno task ingest reads with it where it loads, else with the JavaScript reader alone.
  const reader = await attempt(
    "native line reader of ingest (cargo build --release -p battle-ingest)",
    () =>
      buildRustExtension({
        package: INGEST_NATIVE_PACKAGE,
        artifact: INGEST_NATIVE_ARTIFACT,
        out: INGEST_NATIVE_LIB,
      }),
  );
  if (reader) artifacts.push({ name: "INGEST_NATIVE", path: reader.path, bytes: reader.bytes });
  const llrt = await attempt("LLRT", () => ensureLlrt());
  const js = await attempt("JS bundles (esbuild)", () => buildJsBundles());
  if (js) artifacts.push(...js);
  const assembled = await attempt("layers and function folders", () => assembleLayers()) ?? [];
  const extensionLayers =
    await attempt("blank extension layers", () => assembleExtensionLayers()) ??
      [];
  for (const l of extensionLayers) {
    artifacts.push(...l.artifacts);
    if (l.status === "skipped") log(`build: layer ${l.extension} skipped: ${l.reason}`);
  }
  const runtimes = await attempt(
    "function runtimes (esbuild, pip, maturin, cargo, go build)",
    () => buildFunctionRuntimes(undefined, log),
  ) ?? [];
  for (const r of runtimes) {
    artifacts.push(...r.artifacts.map((a) => ({ ...a, name: `${r.runtime}: ${a.name}` })));
  }
  const manifest: BuildManifest = {
    builtAt: new Date().toISOString(),
    artifacts,
    variants: assembled.map((v) => ({
      variant: v.variant,
      status: v.status,
      reason: v.status === "skipped" ? v.reason : null,
    })),
    runtimes,
    llrt,
    failures,
  };
  await writeTextAtomic(BUILD_MANIFEST, `${JSON.stringify(manifest, null, 2)}\n`);
  const summary = ["artifact                         bytes  path"];
  for (const a of artifacts) {
    summary.push(
      `${a.name.padEnd(24)} ${a.bytes.toLocaleString("en-US").padStart(13)}  ${
        relative(ROOT, a.path)
      }`,
    );
  }
  if (llrt && typeof llrt === "object" && "available" in llrt && llrt.available) {
    const info = llrt as { path?: string; source?: string; version?: string };
    try {
      const bytes = info.path ? (await Deno.stat(info.path)).size : 0;
      summary.push(
        `${"LLRT".padEnd(24)} ${bytes.toLocaleString("en-US").padStart(13)}  ${
          info.path ? relative(ROOT, info.path) : "?"
        } (${info.source}, ${info.version})`,
      );
    } catch {
      // the size line is informational only
    }
  }
  summary.push("");
  for (const v of assembled) summary.push(describeAssembled(v));
  for (const l of extensionLayers) {
    summary.push(
      `${l.extension.padEnd(8)} ${
        l.status === "ready"
          ? `ready    layer ${
            l.artifacts.reduce((n, a) => n + a.bytes, 0).toLocaleString("en-US")
          } B`
          : `skipped: ${l.reason}`
      }`,
    );
  }
  summary.push("");
  for (const r of runtimes) summary.push(describeRuntimeBuild(r));
  return { manifest, summary };
}
