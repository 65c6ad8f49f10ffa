/**
 * Asks an LLRT binary what it is: its version, and whether it embeds the AWS SDK.
 *
 * @module
 */
import { newestGlibc } from "../build/glibc.ts";
import { parseVersionOutput } from "./info.ts";

/** What a binary reported about itself. */
export interface ProbeResult {
  version: string;
  sdkEmbedded: boolean;
  /** Newest `GLIBC_x.y` version named in the binary, or null when it names none (static). */
  requiresGlibc: string | null;
}

async function run(bin: string, args: string[], cwd: string): Promise<string> {
  const child = new Deno.Command(bin, {
    args,
    cwd,
    // A clean environment: no Lambda variables (they would start the runtime client) and no
    // LAMBDA_TASK_ROOT (an extra module search path).
    clearEnv: true,
    env: { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", HOME: cwd },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  try {
    const { code, stdout, stderr } = await child.output();
    const text = new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr);
    if (code !== 0) throw new Error(`${bin} ${args[0]} exited ${code}: ${text.trim()}`);
    return text;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs `bin --version` and an import of `@aws-sdk/client-sqs` from an empty folder, so only
 * a module built into the binary can satisfy it, and reads which glibc the binary needs.
 *
 * @param bin Path of the executable.
 * @returns Version and SDK presence.
 * @throws {Error} When the binary cannot run or prints no version.
 */
export async function probeLlrt(bin: string): Promise<ProbeResult> {
  const cwd = await Deno.makeTempDir({ prefix: "llrt-probe-" });
  try {
    const version = parseVersionOutput(await run(bin, ["--version"], cwd));
    const sdk = await run(bin, [
      "-e",
      'import("@aws-sdk/client-sqs").then(() => console.log("sdk:yes"), () => console.log("sdk:no"))',
    ], cwd);
    const requiresGlibc = newestGlibc(await Deno.readFile(bin));
    return { version, sdkEmbedded: sdk.includes("sdk:yes"), requiresGlibc };
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
}
