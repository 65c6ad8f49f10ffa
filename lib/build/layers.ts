/**
 * Lays out what each variant deploys, from what the builds produced:
 *
 * - `build/layers/<variant>/`, laid out like `/opt`: `extensions/<ext-name>` is what Lambda
 *   starts. For the Rust extension that is the binary itself; for the JS extension it is a POSIX
 *   sh launcher that finds the bundle (and the LLRT binary) relative to itself, sets
 *   `BATTLE_EXTENSION_NAME` to its own file name and `exec`s the runtime.
 * - `build/functions/<variant>/`, the function code (`index.mjs`, handler `index.handler`). For
 *   the LLRT function runtime it also holds the LLRT binary as `bootstrap`, so the folder is a
 *   complete `provided.al2023` function: Lambda (or the sandbox) runs `bootstrap`, which sees
 *   `AWS_LAMBDA_RUNTIME_API` and `_HANDLER` and serves `index.handler` from `LAMBDA_TASK_ROOT`.
 *
 * Inputs: the JS bundles (`buildJsBundles`), `build/rust/battle-ext-rust` (`lib/build/rust.ts`)
 * and `build/llrt/llrt` with `build/llrt/llrt.json`. A missing input skips the variants that
 * need it, with the reason; the others are still assembled.
 *
 * @module
 */
import { chmod, copyFile, mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { BUILD_DIR, ROOT } from "../paths.ts";
import { EXTENSIONS, type ExtensionSpec, type Variant, VARIANTS } from "../variants.ts";
import type { Artifact } from "./js.ts";

/** Inputs and outputs under one build folder (`build/` unless a test says otherwise). */
export interface BuildLayout {
  jsExtension: { node: string; llrt: string; llrtSdk: string };
  /** The blank extension's bundles (extensions/blank). */
  jsBlankExtension: { node: string; llrt: string };
  /** The blank Rust extension (rust/blank). */
  rustBlankExtension: string;
  jsFunction: (runtime: "node" | "llrt", withSqs: boolean) => string;
  rustExtension: string;
  llrtBinary: string;
  llrtInfo: string;
  layerDir: (variant: string) => string;
  functionDir: (variant: string) => string;
}

/**
 * The layout under a build folder; the same relative paths as `lib/paths.ts` uses for `build/`.
 *
 * @param buildDir The build folder; default `build/`.
 * @returns Where every input and output is.
 */
export function buildLayout(buildDir: string = BUILD_DIR): BuildLayout {
  return {
    jsExtension: {
      node: join(buildDir, "js", "extension-node.mjs"),
      llrt: join(buildDir, "js", "extension-llrt.mjs"),
      llrtSdk: join(buildDir, "js", "extension-llrt-sdk.mjs"),
    },
    jsBlankExtension: {
      node: join(buildDir, "js", "blank-extension-node.mjs"),
      llrt: join(buildDir, "js", "blank-extension-llrt.mjs"),
    },
    rustBlankExtension: join(buildDir, "rust", "battle-ext-blank"),
    jsFunction: (runtime, withSqs) =>
      join(buildDir, "js", `function-${runtime}${withSqs ? "-sqs" : ""}.mjs`),
    rustExtension: join(buildDir, "rust", "battle-ext-rust"),
    llrtBinary: join(buildDir, "llrt", "llrt"),
    llrtInfo: join(buildDir, "llrt", "llrt.json"),
    layerDir: (variant) => join(buildDir, "layers", variant),
    functionDir: (variant) => join(buildDir, "functions", variant),
  };
}

/** What became of one variant. */
export type AssembledVariant =
  & {
    variant: string;
    functionDir: string;
    /** Null for variants without an extension. */
    layerDir: string | null;
    /** The files placed, with sizes. */
    artifacts: Artifact[];
  }
  & ({ status: "ready" } | { status: "skipped"; reason: string });

/** Options of {@linkcode assembleLayers}. */
export interface AssembleOptions {
  /** Which variants; default every one in `lib/variants.ts`. */
  variants?: readonly Variant[];
  /** Where inputs and outputs are; default {@linkcode buildLayout} of `build/`. */
  layout?: BuildLayout;
}

class MissingInput extends Error {}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

function shown(path: string): string {
  const rel = relative(ROOT, path);
  return rel.startsWith("..") ? path : rel;
}

/** What `llrt.json` says about the SDK, read leniently: a missing or unreadable file means "not embedded". */
async function llrtEmbedsSdk(layout: BuildLayout): Promise<boolean> {
  try {
    const info = JSON.parse(await readFile(layout.llrtInfo, "utf8")) as { sdkEmbedded?: unknown };
    return info.sdkEmbedded === true;
  } catch {
    return false;
  }
}

async function place(
  from: string,
  to: string,
  options: { name: string; executable?: boolean; missing: string },
): Promise<Artifact> {
  if (!(await isFile(from))) {
    throw new MissingInput(`${shown(from)} is missing (${options.missing})`);
  }
  await mkdir(dirname(to), { recursive: true });
  await copyFile(from, to);
  if (options.executable) await chmod(to, 0o755);
  return { name: options.name, path: to, bytes: (await stat(to)).size };
}

/**
 * The POSIX sh launcher of a JS extension. It uses parameter expansion rather than
 * `$(dirname "$0")` to find its folder: no subshell, no extra process on every cold start.
 *
 * @param options `runtime`: the command before the bundle path (`"$root/..."` for one in the
 * layer, or a name on PATH); `bundle`: the bundle, relative to the layer root; `setup`: shell
 * lines run before the `exec`; `comment`: what the launcher starts.
 * @returns The script text.
 */
export function launcherScript(
  options: { runtime: string; bundle: string; comment: string; setup?: string[] },
): string {
  return [
    "#!/bin/sh",
    `# ${options.comment}`,
    "# Lambda starts every executable in /opt/extensions; paths are taken relative to this file",
    "# (the layer root is its parent folder), so the layer also works outside /opt.",
    "case $0 in */*) root=${0%/*}/.. ;; *) root=.. ;; esac",
    "BATTLE_EXTENSION_NAME=${0##*/}",
    "export BATTLE_EXTENSION_NAME",
    ...(options.setup ?? []),
    `exec ${options.runtime} "$root/${options.bundle}"`,
    "",
  ].join("\n");
}

async function writeLauncher(path: string, text: string, name: string): Promise<Artifact> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, text);
  await chmod(path, 0o755);
  return { name, path, bytes: (await stat(path)).size };
}

async function assembleExtension(
  variant: Pick<Variant, "name" | "extension">,
  layout: BuildLayout,
  dir: string,
): Promise<Artifact[]> {
  const ext = variant.extension!;
  const out: Artifact[] = [];
  const launcherPath = join(dir, "extensions", ext.name);
  const blank = ext.role === "blank";
  if (ext.build === "rust") {
    // The binary is its own launcher: Lambda runs it directly and it registers under its file name.
    out.push(
      await place(blank ? layout.rustBlankExtension : layout.rustExtension, launcherPath, {
        name: "extension binary",
        executable: true,
        missing: "built by lib/build/rust.ts",
      }),
    );
    return out;
  }
  const bundleRel = `${ext.name}/extension.mjs`;
  if (ext.runner === "node") {
    out.push(
      await place(
        blank ? layout.jsBlankExtension.node : layout.jsExtension.node,
        join(dir, bundleRel),
        {
          name: "extension bundle",
          missing: "run buildJsBundles()",
        },
      ),
    );
    out.push(
      await writeLauncher(
        launcherPath,
        launcherScript({
          runtime: "node",
          // /var/lang/bin holds node in the Node.js managed runtimes; appended, never preferred.
          setup: ['PATH="$PATH:/var/lang/bin"'],
          bundle: bundleRel,
          comment: `${ext.name}: the JavaScript extension on Node.js.`,
        }),
        "launcher",
      ),
    );
    return out;
  }
  if (ext.runner === "llrt") {
    out.push(
      await place(layout.llrtBinary, join(dir, "llrt", "llrt"), {
        name: "LLRT binary",
        executable: true,
        missing: "no LLRT binary; built by the LLRT build step",
      }),
    );
    const embedded = await llrtEmbedsSdk(layout);
    out.push(
      await place(
        blank
          ? layout.jsBlankExtension.llrt
          : embedded
          ? layout.jsExtension.llrt
          : layout.jsExtension.llrtSdk,
        join(dir, bundleRel),
        {
          name: blank
            ? "blank extension bundle"
            : embedded
            ? "extension bundle (SDK from LLRT)"
            : "extension bundle (SDK bundled)",
          missing: "run buildJsBundles()",
        },
      ),
    );
    out.push(
      await writeLauncher(
        launcherPath,
        launcherScript({
          runtime: '"$root/llrt/llrt"',
          bundle: bundleRel,
          comment:
            `${ext.name}: the JavaScript extension on LLRT (the binary ships in this layer).`,
        }),
        "launcher",
      ),
    );
    return out;
  }
  throw new RangeError(`Variant "${variant.name}": no layout for extension runner "${ext.runner}"`);
}

async function assembleFunction(
  variant: Variant,
  layout: BuildLayout,
  dir: string,
): Promise<Artifact[]> {
  const runtime = variant.functionRuntime === "llrt" ? "llrt" : "node";
  const out = [
    await place(layout.jsFunction(runtime, variant.mode === "direct"), join(dir, "index.mjs"), {
      name: "function bundle",
      missing: "run buildJsBundles()",
    }),
  ];
  if (runtime === "llrt") {
    out.push(
      await place(layout.llrtBinary, join(dir, "bootstrap"), {
        name: "LLRT bootstrap",
        executable: true,
        missing: "no LLRT binary; built by the LLRT build step",
      }),
    );
  }
  return out;
}

/**
 * Assembles `build/layers/<variant>/` and `build/functions/<variant>/` for every variant.
 * Each output folder is emptied first, so nothing stale survives; when an input is missing the
 * variant is reported skipped, and the part that could be assembled stays.
 *
 * @param options Variants and layout.
 * @returns Per variant: ready, or skipped with the reason; the files placed and their sizes.
 * @throws {Error} Only on I/O failures other than a missing input.
 * @example
 * ```ts ignore
 * import { buildJsBundles } from "./js.ts";
 * import { assembleLayers } from "./layers.ts";
 * await buildJsBundles();
 * for (const v of await assembleLayers()) console.log(v.variant, v.status);
 * ```
 */
export async function assembleLayers(options: AssembleOptions = {}): Promise<AssembledVariant[]> {
  const layout = options.layout ?? buildLayout();
  const results: AssembledVariant[] = [];
  for (const variant of options.variants ?? VARIANTS) {
    const functionDir = layout.functionDir(variant.name);
    const layerDir = variant.extension === null ? null : layout.layerDir(variant.name);
    await rm(functionDir, { recursive: true, force: true });
    await rm(layout.layerDir(variant.name), { recursive: true, force: true });
    const artifacts: Artifact[] = [];
    const problems: string[] = [];
    // Function and layer are assembled independently: a deployment may take the Rust binary
    // from elsewhere (cross-compiled per architecture) and still needs the function folder.
    for (
      const part of [
        () => assembleFunction(variant, layout, functionDir),
        ...(layerDir === null ? [] : [() => assembleExtension(variant, layout, layerDir)]),
      ]
    ) {
      try {
        artifacts.push(...await part());
      } catch (e) {
        if (!(e instanceof MissingInput)) throw e;
        if (!problems.includes(e.message)) problems.push(e.message);
      }
    }
    const base = { variant: variant.name, functionDir, layerDir, artifacts };
    results.push(
      problems.length === 0
        ? { ...base, status: "ready" }
        : { ...base, status: "skipped", reason: problems.join("; ") },
    );
  }
  return results;
}

/**
 * One line per variant for the build's summary.
 *
 * @param v An assembled variant.
 * @returns For example `node      ready    function 1,823 B, layer 356,192 B`.
 */
export function describeAssembled(v: AssembledVariant): string {
  if (v.status === "skipped") return `${v.variant.padEnd(8)} skipped: ${v.reason}`;
  const sum = (dir: string | null) =>
    dir === null
      ? 0
      : v.artifacts.filter((a) => a.path.startsWith(dir + "/")).reduce((n, a) => n + a.bytes, 0);
  const fmt = (n: number) => `${n.toLocaleString("en-US")} B`;
  const layer = v.layerDir === null ? "no layer" : `layer ${fmt(sum(v.layerDir))}`;
  return `${v.variant.padEnd(8)} ready    function ${fmt(sum(v.functionDir))}, ${layer}`;
}

if (import.meta.main) {
  for (const v of await assembleLayers()) console.log(describeAssembled(v));
}

/** What became of one extension's layer (for extensions no named variant carries). */
export type AssembledExtension =
  & { extension: string; layerDir: string; artifacts: Artifact[] }
  & ({ status: "ready" } | { status: "skipped"; reason: string });

/**
 * Assembles `build/layers/<extension>/` for every extension of the manifest that no named variant
 * lays out (the blank extensions): composed cells find their extension's layer there.
 *
 * @param options Layout (default `build/`) and which extensions (default: all of them).
 * @returns Per extension: ready, or skipped with the missing input.
 * @throws {Error} Only on I/O failures other than a missing input.
 */
export async function assembleExtensionLayers(
  options: { layout?: BuildLayout; extensions?: Readonly<Record<string, ExtensionSpec | null>> } =
    {},
): Promise<AssembledExtension[]> {
  const layout = options.layout ?? buildLayout();
  const results: AssembledExtension[] = [];
  for (const [key, extension] of Object.entries(options.extensions ?? EXTENSIONS)) {
    if (extension === null || VARIANTS.some((v) => v.name === key)) continue;
    const dir = layout.layerDir(key);
    await rm(dir, { recursive: true, force: true });
    try {
      const artifacts = await assembleExtension({ name: key, extension }, layout, dir);
      results.push({ extension: key, layerDir: dir, artifacts, status: "ready" });
    } catch (e) {
      if (!(e instanceof MissingInput)) throw e;
      results.push({
        extension: key,
        layerDir: dir,
        artifacts: [],
        status: "skipped",
        reason: e.message,
      });
    }
  }
  return results;
}
