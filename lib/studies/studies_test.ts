import assert from "node:assert/strict";
import { join } from "node:path";
import pl from "nodejs-polars";
import { parseBenchArgs } from "../cli/bench.ts";
import { expandVariants } from "../variants.ts";
import type { LoadedRuns, RunInfo } from "../analysis/load.ts";
import { benchArgsOf, loadArgsOf, splitStudyArgs } from "./args.ts";
import { differenceOfMedians, headlineLines, studyHeadline } from "./headline.ts";
import { listStudies, studyByName } from "./registry.ts";
import { checkStudy } from "./study.ts";

Deno.test("listStudies() finds the six studies, each a valid bench matrix whose headlines name its cells", async () => {
  const studies = await listStudies();
  assert.deepEqual(studies.map((s) => s.name), [
    "battle-extensions",
    "extension-overhead",
    "llrt-vs-node",
    "multi-runtime",
    "runtimes",
    "rustifying",
  ]);
  for (const s of studies) {
    const bench = parseBenchArgs(benchArgsOf(s));
    assert.equal(bench.plan.cold, s.counts.cold, s.name);
    const names = bench.variants.map((v) => v.name);
    for (const h of s.headlines) {
      assert.ok(names.includes(h.subject), `${s.name}: ${h.subject} is in its matrix`);
      assert.ok(names.includes(h.baseline), `${s.name}: ${h.baseline} is in its matrix`);
    }
    const m = s.matrix;
    const { skipped } = expandVariants({
      ...(m.functions ? { functions: m.functions.join(",") } : {}),
      ...(m.extensions ? { extensions: m.extensions.join(",") } : {}),
      ...(m.workloads ? { workloads: m.workloads.join(",") } : {}),
    });
    assert.deepEqual(skipped, [], `${s.name}: every cell of its matrix can run`);
    const load = loadArgsOf(s);
    if (s.load) assert.equal(parseBenchArgs(load!).load?.requests, s.load.requests, s.name);
    else assert.equal(load, null);
  }
});

Deno.test("studyByName() names the known studies when it does not know one", async () => {
  await assert.rejects(studyByName("nope"), {
    name: "RangeError",
    message: /Unknown study "nope": expected one of battle-extensions, extension-overhead/,
  });
});

Deno.test("checkStudy() names the file and the first wrong field", () => {
  assert.throws(() => checkStudy({ name: "Bad Name", title: "t", question: "q" }, "studies/x.ts"), {
    name: "TypeError",
    message: 'Invalid study in studies/x.ts: "name" must be lowercase words joined by "-"',
  });
});

Deno.test("splitStudyArgs() routes the caller's flags: counts to the bench, load flags to the load, the rest to both", () => {
  const s = splitStudyArgs([
    "--study=llrt-vs-node",
    "--memory",
    "128",
    "--cold",
    "3",
    "--warm",
    "5",
    "--concurrency",
    "4",
    "--no-load",
  ]);
  assert.equal(s.study, "llrt-vs-node");
  assert.equal(s.noLoad, true);
  assert.deepEqual(s.bench, ["--memory", "128", "--cold", "3", "--warm", "5"]);
  assert.deepEqual(s.load, ["--memory", "128", "--concurrency", "4"]);
  assert.throws(() => splitStudyArgs(["--study"]), TypeError);
});

Deno.test("differenceOfMedians() gives the difference with a bootstrap interval, or says why not", () => {
  const a = Array.from({ length: 40 }, (_, i) => 20 + (i % 5));
  const b = Array.from({ length: 40 }, (_, i) => 2 + (i % 3));
  const d = differenceOfMedians(a, b);
  assert.equal(d.difference, 19);
  assert.ok(d.ci !== null && d.ci.lower <= 19 && d.ci.upper >= 19);
  assert.match(differenceOfMedians([1, 2], [1, 2]).note ?? "", /too few/);
  assert.equal(differenceOfMedians([], [1]).note, "no data");
});

function runInfo(runId: string, loadCells?: unknown[]): RunInfo {
  return {
    dir: join("/tmp", runId),
    runId,
    backend: "local",
    llrtLabel: null,
    payloadBytes: 100,
    controls: null,
    manifest: (loadCells ? { loadCells } : {}) as never,
  };
}

Deno.test("studyHeadline() opens with the question, each comparison with its interval per memory size, and the source", async () => {
  const study = await studyByName("llrt-vs-node");
  const n = 30;
  const rows = (variant: string, init: number, run: string) =>
    Array.from({ length: n }, (_, i) => ({
      run_id: run,
      variant,
      memory_mb: 128,
      status: "success",
      cold: i < 15,
      init_ms: i < 15 ? init + i : null,
      client_rtt_ms: init + 50,
      duration_ms: 10 + (i % 3),
      post_runtime_ms: 0.5,
      max_memory_mb: init / 5,
    }));
  const [llrt, node] = [study.headlines[0]!.subject, study.headlines[0]!.baseline];
  const frame = pl.DataFrame([...rows(llrt, 40, "r1"), ...rows(node, 200, "r1")]);
  const loaded: LoadedRuns = { frame, runs: [runInfo("r1")] };
  const text = studyHeadline(study, loaded);
  assert.match(text, /^# LLRT vs Node\.js/);
  assert.match(text, /\*\*Study `llrt-vs-node`\.\*\* How much faster/);
  assert.match(text, /\*\*Init: LLRT vs Node\.js\*\*, 128 MB: 0\.2\d× \[0\.\d\d, 0\.\d\d\]/);
  assert.match(text, /This reproduces \[LLRT .*\]\(https:\/\/github\.com\/awslabs\/llrt\)/);
  const [line] = headlineLines({ ...study.headlines[0]!, metric: "loadLatencyMs" }, loaded);
  assert.match(line!, /no data/, "load metrics read load runs only");
});
