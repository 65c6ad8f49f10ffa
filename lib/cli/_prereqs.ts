/**
 * The system packages a local study needs, checked before any long work: Chromium (the
 * report's PNG and SVG charts, the study's last step), a JVM and Maven (ElasticMQ, the local
 * SQS), zstd and g++ (building LLRT), curl, and fonts for chart text. As root with `apt-get`
 * (a fresh container, CI) the missing ones are installed, as `.ci/run` does; otherwise the
 * command stops at once with the one command that installs them.
 *
 * @module
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { findChromium } from "../charts/chromium.ts";

/** One system package and how to tell it is there. */
export interface Prerequisite {
  /** What is missing, as the user knows it. */
  name: string;
  /** The Debian/Ubuntu package that provides it. */
  aptPackage: string;
  /** What needs it. */
  neededFor: string;
  /** Whether it is there. */
  present(): boolean;
}

/** Whether an executable of that name is on PATH. */
export function onPath(name: string, path: string = Deno.env.get("PATH") ?? ""): boolean {
  return path.split(":").some((dir) => dir !== "" && existsSync(join(dir, name)));
}

/** What `deno task study` (setup, bench, report on the local backend) needs. */
export const STUDY_PREREQUISITES: readonly Prerequisite[] = [
  {
    name: "Chromium",
    aptPackage: "chromium",
    neededFor: "the report's PNG and SVG charts",
    present: () => findChromium() !== null,
  },
  {
    name: "java",
    aptPackage: "default-jre-headless",
    neededFor: "ElasticMQ (the local SQS)",
    present: () => onPath("java"),
  },
  {
    name: "mvn",
    aptPackage: "maven",
    neededFor: "fetching ElasticMQ",
    present: () => onPath("mvn"),
  },
  {
    name: "zstd",
    aptPackage: "zstd",
    neededFor: "building LLRT",
    present: () => onPath("zstd"),
  },
  { name: "g++", aptPackage: "g++", neededFor: "building LLRT", present: () => onPath("g++") },
  {
    name: "curl",
    aptPackage: "curl",
    neededFor: "the sandbox's shell runtimes",
    present: () => onPath("curl"),
  },
  {
    name: "Liberation fonts",
    aptPackage: "fonts-liberation",
    neededFor: "chart text",
    present: () => existsSync("/usr/share/fonts/truetype/liberation"),
  },
];

/** How {@link ensurePrerequisites} may install; each part replaceable in tests. */
export interface InstallOptions {
  /** Whether missing packages may be installed (root with `apt-get`). Default: detected. */
  canInstall?: boolean;
  /** Runs a command, returning whether it succeeded and its output. Default: `Deno.Command`. */
  run?: (command: string, args: string[]) => Promise<{ success: boolean; output: string }>;
  /** Progress lines. Default `console.error`. */
  log?: (line: string) => void;
}

/** The one command that installs the packages. */
export function installCommand(missing: readonly Prerequisite[]): string {
  const sudo = Deno.uid() === 0 ? "" : "sudo ";
  return `${sudo}apt-get install -y --no-install-recommends ${
    missing.map((p) => p.aptPackage).join(" ")
  }`;
}

function describe(missing: readonly Prerequisite[]): string {
  return missing.map((p) => `${p.name} (${p.neededFor})`).join(", ");
}

async function runCommand(
  command: string,
  args: string[],
): Promise<{ success: boolean; output: string }> {
  const out = await new Deno.Command(command, {
    args,
    env: { DEBIAN_FRONTEND: "noninteractive" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return { success: out.success, output: decoder.decode(out.stdout) + decoder.decode(out.stderr) };
}

/**
 * Makes sure the prerequisites are there: returns at once when they are; installs the missing
 * ones with `apt-get` when it may; throws otherwise.
 *
 * @param prerequisites What to check; default {@linkcode STUDY_PREREQUISITES}.
 * @param options Whether and how to install.
 * @returns The packages it installed (none when nothing was missing).
 * @throws {Error} When something is missing and cannot be installed here: the message names
 * what is missing, what needs it, and the one command that installs it.
 * @example
 * ```ts
 * import { ensurePrerequisites } from "./_prereqs.ts";
 * const always = { name: "sh", aptPackage: "dash", neededFor: "tests", present: () => true };
 * await ensurePrerequisites([always], { canInstall: false }); // []
 * ```
 */
export async function ensurePrerequisites(
  prerequisites: readonly Prerequisite[] = STUDY_PREREQUISITES,
  options: InstallOptions = {},
): Promise<string[]> {
  const missing = prerequisites.filter((p) => !p.present());
  if (missing.length === 0) return [];
  const canInstall = options.canInstall ?? (Deno.uid() === 0 && onPath("apt-get"));
  if (!canInstall) {
    throw new Error(`Missing ${describe(missing)}: install with: ${installCommand(missing)}`);
  }
  const run = options.run ?? runCommand;
  const log = options.log ?? ((line: string) => console.error(line));
  const packages = missing.map((p) => p.aptPackage);
  log(`installing ${packages.join(" ")} (${describe(missing)}) with apt-get`);
  const steps: [string, string[]][] = [
    ["apt-get", ["update", "-qq"]],
    ["apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...packages]],
  ];
  for (const [command, args] of steps) {
    const result = await run(command, args);
    if (!result.success) {
      const tail = result.output.trim().split("\n").slice(-3).join(" | ");
      throw new Error(`${command} ${args.join(" ")} failed: ${tail}`);
    }
  }
  const still = missing.filter((p) => !p.present());
  if (still.length > 0) {
    throw new Error(`Still missing after apt-get install: ${describe(still)}`);
  }
  return packages;
}
