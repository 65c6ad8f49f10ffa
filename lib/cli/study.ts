/**
 * `deno task study [bench flags...]`: the main job end to end on the local backend — setup
 * (installs and builds what is missing), the benchmark, then the report (charts and summary).
 * Flags are passed to `deno task bench` and checked before setup starts; the report goes to
 * `reports/<run-id>/`. Prints the run folder last; exits 2 on a bad flag, else with the code of
 * the step that failed.
 *
 * @module
 */
import { runCommand } from "./_flags.ts";
import { parseBenchArgs } from "./bench.ts";

async function step(
  name: string,
  args: string[],
  capture = false,
): Promise<{ code: number; out: string }> {
  console.error(`study: ${name}`);
  const child = new Deno.Command(Deno.execPath(), {
    args,
    stdout: capture ? "piped" : "inherit",
    stderr: "inherit",
  }).spawn();
  const out = capture ? await new Response(child.stdout).text() : "";
  const { code } = await child.status;
  if (code !== 0) console.error(`study: ${name} failed (exit ${code})`);
  return { code, out };
}

async function study(benchArgs: string[]): Promise<number> {
  const setup = await step("setup", ["run", "-A", "lib/cli/setup.ts"]);
  if (setup.code !== 0) return setup.code;
  const bench = await step("bench", ["run", "-A", "lib/cli/bench.ts", ...benchArgs], true);
  if (bench.code !== 0) return bench.code;
  const runDir = bench.out.trim().split("\n").at(-1) ?? "";
  if (runDir === "") throw new Error("bench printed no run folder");
  const report = await step("report", ["run", "-A", "lib/cli/report.ts", "--run", runDir]);
  if (report.code !== 0) return report.code;
  console.log(runDir);
  return 0;
}

if (import.meta.main) {
  Deno.exit(
    await runCommand("study", Deno.args, {
      parse: (args) => {
        parseBenchArgs(args); // a typo fails now, not after setup
        return args;
      },
      run: study,
    }),
  );
}
