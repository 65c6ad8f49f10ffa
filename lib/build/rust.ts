/**
 * Builds the Rust extension for this host with cargo and copies it to `RUST_EXTENSION_BIN`
 * (`build/rust/battle-ext-rust`). Lambda builds (arm64, x86_64) are `scripts/build_lambda_rust.sh`.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { RUST_DIR, RUST_EXTENSION_BIN, RUST_TARGET_DIR } from "../paths.ts";

/** The cargo package and binary name of the Rust extension. */
export const RUST_EXTENSION_PACKAGE = "battle-ext-rust";
/** The cargo package and binary name of the blank Rust extension (rust/blank). */
export const RUST_BLANK_EXTENSION_PACKAGE = "battle-ext-blank";
/** The native line reader of `deno task ingest` (rust/ingest), and the library cargo makes. */
export const INGEST_NATIVE_PACKAGE = "battle-ingest";
export const INGEST_NATIVE_ARTIFACT = "libbattle_ingest.so";
/** The sandbox's process launcher (rust/launcher). */
export const SANDBOX_EXEC_PACKAGE = "battle-sandbox-exec";

/** Options of {@linkcode buildRustExtension}. */
export interface RustBuildOptions {
  /** Cargo profile; default `release` (the one measured). */
  profile?: "release" | "dev";
  /** The cargo executable; default `cargo` on PATH. */
  cargo?: string;
  /** The workspace; default `rust/`. */
  rustDir?: string;
  /** Cargo's target folder; default `rust/target`. */
  targetDir?: string;
  /** Where the binary is copied; default `RUST_EXTENSION_BIN`. */
  out?: string;
  /** The cargo package (and binary) to build; default {@linkcode RUST_EXTENSION_PACKAGE}. */
  package?: string;
  /** The file cargo makes, when not the binary named as the package (a library's `lib*.so`). */
  artifact?: string;
  /** Build only this binary of the package (`--bin`); it is then also the default artifact. */
  bin?: string;
  /**
   * Link the C runtime statically (`cargo rustc -- -C target-feature=+crt-static`, this
   * package only): no dynamic loader at start-up, about 0.2 ms less per exec here. For the
   * sandbox's launcher, which runs in front of every process.
   */
  staticCrt?: boolean;
}

/** What {@linkcode buildRustExtension} built. */
export interface RustBuild {
  /** The copied binary. */
  path: string;
  /** Its size in bytes. */
  bytes: number;
  profile: "release" | "dev";
  /** Wall time of the cargo run. */
  durationMs: number;
}

/**
 * The cargo arguments for a build of the extension.
 *
 * @param profile `release` or `dev`.
 * @param targetDir Cargo's target folder.
 * @param pkg The package; default {@linkcode RUST_EXTENSION_PACKAGE}.
 * @returns The arguments after `cargo`.
 */
export function cargoBuildArgs(
  profile: "release" | "dev",
  targetDir: string,
  pkg: string = RUST_EXTENSION_PACKAGE,
): string[] {
  return [
    "build",
    "--profile",
    profile,
    "-p",
    pkg,
    "--target-dir",
    targetDir,
    "--color",
    "never",
  ];
}

/**
 * Runs `cargo build --release -p battle-ext-rust` in `rust/` and copies the binary to
 * `build/rust/battle-ext-rust` (by rename, so a running copy is never overwritten in place).
 *
 * @param options Profile and paths.
 * @returns The binary's path and size.
 * @throws {Error} When cargo is missing or the build fails; the message holds cargo's last lines.
 * @example
 * ```ts ignore
 * const { path, bytes } = await buildRustExtension();
 * console.log(`${path}: ${bytes} bytes`);
 * ```
 */
export async function buildRustExtension(options: RustBuildOptions = {}): Promise<RustBuild> {
  const profile = options.profile ?? "release";
  const cargo = options.cargo ?? "cargo";
  const targetDir = options.targetDir ?? RUST_TARGET_DIR;
  const pkg = options.package ?? RUST_EXTENSION_PACKAGE;
  const bin = options.bin === undefined ? [] : ["--bin", options.bin];
  const out = options.out ??
    (pkg === RUST_EXTENSION_PACKAGE ? RUST_EXTENSION_BIN : join(dirname(RUST_EXTENSION_BIN), pkg));
  const started = performance.now();
  let result: Deno.CommandOutput;
  try {
    result = await new Deno.Command(cargo, {
      args: options.staticCrt
        ? [
          "rustc",
          ...cargoBuildArgs(profile, targetDir, pkg).slice(1),
          ...bin,
          "--",
          "-C",
          "target-feature=+crt-static",
        ]
        : [...cargoBuildArgs(profile, targetDir, pkg), ...bin],
      cwd: options.rustDir ?? RUST_DIR,
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new Error(`Cannot build ${pkg}: "${cargo}" is not installed (rustup.rs)`);
    }
    throw err;
  }
  const durationMs = performance.now() - started;
  if (!result.success) {
    const stderr = new TextDecoder().decode(result.stderr);
    throw new Error(
      `Cannot build ${pkg}: cargo exited with ${result.code}\n${stderr.slice(-3000)}`,
    );
  }
  const built = join(
    targetDir,
    profile === "dev" ? "debug" : profile,
    options.artifact ?? options.bin ?? pkg,
  );
  await Deno.mkdir(dirname(out), { recursive: true });
  const staging = `${out}.${Deno.pid}.tmp`;
  await Deno.copyFile(built, staging);
  await Deno.chmod(staging, 0o755);
  await Deno.rename(staging, out);
  const { size } = await Deno.stat(out);
  return { path: out, bytes: size, profile, durationMs };
}
