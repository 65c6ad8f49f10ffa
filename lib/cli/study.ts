/**
 * `deno task study [bench flags...]`: the main job end to end on the local backend — setup
 * (installs and builds what is missing), the benchmark, then the report (charts and summary).
 * Flags are passed to `deno task bench`; the report goes to `reports/<run-id>/`.
 *
 * @module
 */

async function step(name: string, args: string[], capture = false): Promise<string> {
  console.error(`study: ${name}`);
  const child = new Deno.Command(Deno.execPath(), {
    args,
    stdout: capture ? "piped" : "inherit",
    stderr: "inherit",
  }).spawn();
  const out = capture ? await new Response(child.stdout).text() : "";
  const { code } = await child.status;
  if (code !== 0) {
    console.error(`study: ${name} failed (exit ${code})`);
    Deno.exit(code);
  }
  return out;
}

if (import.meta.main) {
  await step("setup", ["run", "-A", "lib/cli/setup.ts"]);
  const printed = await step("bench", ["run", "-A", "lib/cli/bench.ts", ...Deno.args], true);
  const runDir = printed.trim().split("\n").at(-1) ?? "";
  if (runDir === "") {
    console.error("study: bench printed no run folder");
    Deno.exit(1);
  }
  await step("report", ["run", "-A", "lib/cli/report.ts", "--run", runDir]);
  console.log(runDir);
}
