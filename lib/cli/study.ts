/**
 * `deno task study [--study NAME] [--no-load] [bench flags...]`: a study end to end on the local
 * backend — setup (installs and builds what is missing), the benchmark, the study's load when it
 * has one (`bench --load`), then the report (charts and `summary.md`, which opens with the
 * study's headline). A study is a file in `studies/` (`deno task studies` lists them); without
 * `--study` the bench defaults run, as before studies. The caller's flags override the study's
 * and are checked before setup starts: `--cold`/`--warm` go to the cold/warm run,
 * `--requests`/`--concurrency`/`--reserved-concurrency` to the load, the rest to both. The
 * report goes to `reports/<run-ids>/`. Prints the load run's folder, then the run folder last;
 * exits 2 on a bad flag, else with the code of the step that failed.
 *
 * @module
 */
import { runCommand } from "./_flags.ts";
import { parseBenchArgs } from "./bench.ts";
import { studyByName } from "../studies/registry.ts";
import { benchArgsOf, loadArgsOf, splitStudyArgs } from "../studies/args.ts";
import type { Study } from "../studies/study.ts";
import { HARNESS_V8_FLAGS } from "../sandbox/young_gen.ts";

/** `deno task bench`'s command: the sandbox runs in it (young_gen.ts). */
const BENCH = ["run", "-A", HARNESS_V8_FLAGS, "lib/cli/bench.ts"];

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

/** The runs a study makes: the cold/warm bench flags, and the load's (null without one). */
interface StudyPlan {
  study: Study | null;
  bench: string[];
  load: string[] | null;
}

async function plan(args: string[]): Promise<StudyPlan> {
  const line = splitStudyArgs(args);
  const study = line.study === null ? null : await studyByName(line.study);
  const bench = [...(study ? benchArgsOf(study) : []), ...line.bench];
  const studyLoad = study && !line.noLoad ? loadArgsOf(study) : null;
  const load = studyLoad === null ? null : [...studyLoad, ...line.load];
  // A typo fails now, not after setup.
  parseBenchArgs(bench);
  if (load !== null) parseBenchArgs(load);
  return { study, bench, load };
}

function lastLine(out: string): string {
  const dir = out.trim().split("\n").at(-1) ?? "";
  if (dir === "") throw new Error("bench printed no run folder");
  return dir;
}

async function study(p: StudyPlan): Promise<number> {
  const setup = await step("setup", ["run", "-A", "lib/cli/setup.ts"]);
  if (setup.code !== 0) return setup.code;
  const name = p.study ? ` ${p.study.name}` : "";
  const bench = await step(`bench${name}`, [...BENCH, ...p.bench], true);
  if (bench.code !== 0) return bench.code;
  const runDir = lastLine(bench.out);
  const runs = ["--run", runDir];
  if (p.load !== null) {
    const load = await step(`load${name}`, [...BENCH, ...p.load], true);
    if (load.code !== 0) return load.code;
    const loadDir = lastLine(load.out);
    runs.push("--run", loadDir);
    console.log(loadDir);
  }
  const report = await step("report", [
    "run",
    "-A",
    "lib/cli/report.ts",
    ...runs,
    ...(p.study ? ["--study", p.study.name] : []),
  ]);
  if (report.code !== 0) return report.code;
  console.log(runDir);
  return 0;
}

if (import.meta.main) {
  const args = [...Deno.args];
  let planned: StudyPlan;
  try {
    planned = await plan(args);
  } catch (error) {
    console.error(`study: ${(error as Error).message.split("\n")[0]}`);
    Deno.exit(2);
  }
  Deno.exit(await runCommand("study", [], { parse: () => planned, run: study }));
}
