/**
 * `deno task setup`: installs and builds what a run needs, idempotently (finished steps are
 * quick). First the system packages (Chromium for chart export, a JVM and Maven, zstd, g++,
 * curl, fonts; see `_prereqs.ts`): as root with apt-get the missing ones are installed,
 * otherwise setup stops at once naming the one command that installs them, before any long
 * work (so `deno task study` does not fail at its report after the whole benchmark). Then npm
 * packages, ElasticMQ (Maven Central), dynalite (npm), the notebooks' Jupyter venv and Deno
 * kernel, then `deno task build` (Rust extension, LLRT, JS bundles, layers). Flags:
 * `--no-notebooks`, `--no-build`.
 *
 * @module
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { CACHE_DIR } from "../paths.ts";
import { ensureElasticMQ } from "../elasticmq/mod.ts";
import { ensureDynalite } from "../dynamodb/mod.ts";
import { ensureNotebookTools } from "../jupyter.ts";
import { buildAll } from "../build/all.ts";
import { parseFlags, runCommand } from "./_flags.ts";
import { ensurePrerequisites } from "./_prereqs.ts";

/** AWS's Python runtime interface client, for the sandbox's conformance suite. */
export const AWSLAMBDARIC_VERSION = "4.2.2";

async function ensureAwsLambdaRic(): Promise<void> {
  const target = join(CACHE_DIR, "awslambdaric");
  const stamp = join(target, `.installed-${AWSLAMBDARIC_VERSION}`);
  if (existsSync(stamp)) return;
  const out = await new Deno.Command("python3", {
    args: [
      "-m",
      "pip",
      "install",
      "--quiet",
      "--disable-pip-version-check",
      "--upgrade",
      "--target",
      target,
      `awslambdaric==${AWSLAMBDARIC_VERSION}`,
    ],
    stderr: "piped",
    stdout: "null",
  }).output();
  if (!out.success) {
    throw new Error(
      `pip install awslambdaric failed: ${new TextDecoder().decode(out.stderr).trim()}`,
    );
  }
  await Deno.writeTextFile(stamp, new Date().toISOString());
}

/** Parsed command line of `deno task setup`. */
export interface SetupArgs {
  notebooks: boolean;
  build: boolean;
}

/**
 * Reads the command line.
 *
 * @param args `--no-notebooks`, `--no-build`.
 * @returns Which optional steps run.
 * @throws {TypeError} On any other flag.
 */
export function parseSetupArgs(args: string[]): SetupArgs {
  const { values } = parseFlags({
    args,
    options: {
      "no-notebooks": { type: "boolean", default: false },
      "no-build": { type: "boolean", default: false },
    },
  });
  return { notebooks: !values["no-notebooks"], build: !values["no-build"] };
}

async function setup(args: SetupArgs): Promise<number> {
  try {
    const installed = await ensurePrerequisites();
    if (installed.length > 0) console.error(`setup: installed ${installed.join(" ")}`);
  } catch (error) {
    console.error(`setup: ${(error as Error).message}`);
    return 1;
  }
  const failures: string[] = [];
  const step = async (name: string, fn: () => Promise<unknown>) => {
    const t0 = performance.now();
    try {
      await fn();
      console.error(`setup: ${name} ready (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    } catch (error) {
      failures.push(name);
      console.error(`setup: ${name} FAILED: ${error instanceof Error ? error.message : error}`);
    }
  };
  await step("npm packages", async () => {
    const out = await new Deno.Command(Deno.execPath(), { args: ["install"], stderr: "piped" })
      .output();
    if (!out.success) throw new Error(new TextDecoder().decode(out.stderr).trim());
  });
  await step("ElasticMQ", () => ensureElasticMQ());
  await step("dynalite (DynamoDB)", () => ensureDynalite());
  await step("awslambdaric (conformance client)", () => ensureAwsLambdaRic());
  if (args.notebooks) await step("Jupyter (notebooks)", () => ensureNotebookTools());
  if (args.build) {
    await step("build", async () => {
      const { manifest, summary } = await buildAll();
      for (const line of summary) console.log(line);
      if (manifest.failures.length > 0) {
        throw new Error(manifest.failures.map((f) => `${f.part}: ${f.error}`).join("; "));
      }
    });
  }
  if (failures.length === 0) return 0;
  console.error(`setup: failed: ${failures.join(", ")}`);
  return 1;
}

if (import.meta.main) {
  Deno.exit(await runCommand("setup", Deno.args, { parse: parseSetupArgs, run: setup }));
}
