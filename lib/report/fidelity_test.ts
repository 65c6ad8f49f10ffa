import assert from "node:assert/strict";
import { type RunInfo, runInfoFrom } from "../analysis/load.ts";
import type { FidelityResult } from "../fidelity/report.ts";
import { testManifest, testSandboxControls } from "../store/testdata/manifest.ts";
import { cpuModelLine, fidelitySection, hostQuietLine, memoryDifference } from "./fidelity.ts";
import type { CellRecord } from "../store/run_manifest.ts";

const fidelity: FidelityResult = {
  schemaVersion: 1,
  at: "2026-12-01T22:00:00.000Z",
  arch: "x86_64",
  host: { cpuModel: "Test CPU", cores: 2 },
  sandbox: {},
  versions: {},
  cold: 10,
  warm: 5,
  cells: [],
  rows: [
    {
      check: "init_ratio",
      what: "Init nodejs ÷ rust at 128 MB",
      runtime: "nodejs",
      memoryMb: 128,
      local: 6,
      published: 9,
      error: 6 / 9 - 1,
      target: "±30%",
      withinTarget: false,
      source: "s",
    },
    {
      check: "max_memory",
      what: "Max Memory Used nodejs at 128 MB",
      runtime: "nodejs",
      memoryMb: 128,
      local: 42,
      published: 67,
      error: 42 / 67 - 1,
      target: "±30%",
      withinTarget: false,
      source: "s",
    },
  ],
  order: [],
  skipped: [],
};

const local = runInfoFrom(testManifest({ runId: "local-1" }), "/x");

Deno.test("fidelitySection() says what the sandbox models and quotes the fidelity check", () => {
  const text = fidelitySection([local], fidelity).join("\n");
  assert.match(text, /^## How far to trust these numbers/);
  assert.match(text, /Runs local-1 come from the local sandbox/);
  assert.match(
    text,
    /Max Memory Used is lower here than on Lambda.*nodejs 42 MB here, 67 MB on Lambda \(-37%\)/,
  );
  assert.match(
    text,
    /\| Init nodejs ÷ rust at 128 MB \| 6\.00 \| 9\.00 \| -33% \| ±30% \| \*\*no\*\* \|/,
  );
  assert.doesNotMatch(text, /Max Memory Used nodejs at 128 MB \|/, "brief: memory rows summarised");
});

Deno.test("fidelitySection() asks for a fidelity check when none was run, and trusts AWS runs", () => {
  assert.match(fidelitySection([local], null).join("\n"), /run `deno task fidelity`/);
  const aws = runInfoFrom(
    testManifest({
      runId: "aws-1",
      backend: "aws",
      backendFacts: { backend: "aws", region: "eu-west-1", queueUrl: null },
    }),
    "/x",
  );
  const text = fidelitySection([aws], fidelity).join("\n");
  assert.match(text, /were measured on AWS Lambda/);
  assert.doesNotMatch(text, /local sandbox/);
  assert.equal(memoryDifference({ ...fidelity, rows: [] }), null);
});

function cell(name: string, host: CellRecord["host"]): CellRecord {
  return {
    cell: name,
    variant: "rust",
    functionRuntime: "nodejs",
    extension: "rust",
    workload: "sqs",
    memoryMb: 128,
    arch: "x86_64",
    settings: { workIterations: 2000, timeoutS: 10 },
    invocations: 5,
    cold: 2,
    warm: 3,
    rejectedLines: 0,
    rejectedByReason: {},
    missingReport: [],
    coldMismatches: [],
    coldRetries: 0,
    messages: null,
    notes: [],
    seconds: 1,
    ...(host === undefined ? {} : { host }),
  };
}

Deno.test("the trust section says how quiet the host was, and names the cells it was not", () => {
  const run = (cells: CellRecord[]) => runInfoFrom(testManifest({ runId: "l", cells }), "/x");
  // Runs from before the record, and hosts without /proc: nothing is claimed.
  assert.equal(hostQuietLine([run([cell("a", undefined), cell("b", null)])]), null);
  assert.doesNotMatch(
    fidelitySection([run([cell("a", undefined)])], fidelity).join("\n"),
    /host was/,
  );
  const quiet = run([
    cell("rust-128mb-x86_64", { othersCpu: 0.02, steal: 0.01, seconds: 3 }),
    cell("rust-512mb-x86_64", { othersCpu: 0.06, steal: 0, seconds: 3 }),
  ]);
  assert.match(
    fidelitySection([quiet], fidelity).join("\n"),
    /other processes used at most 6% of the host's CPU and the hypervisor took at most 1% of it: the host was quiet/,
  );
  const busy = run([
    cell("rust-128mb-x86_64", { othersCpu: 0.02, steal: 0, seconds: 3 }),
    cell("node-512mb-x86_64", { othersCpu: 0.35, steal: 0, seconds: 3 }),
    cell("node-1024mb-x86_64", { othersCpu: 0.04, steal: 0.12, seconds: 3 }),
  ]);
  const text = hostQuietLine([busy])!;
  assert.match(text, /^\*\*2 of 3 cells ran on a busy host\*\*/);
  assert.match(text, /node-512mb-x86_64 \(35%\), node-1024mb-x86_64 \(4%, steal 12%\)\./);
  assert.doesNotMatch(text, /rust-128mb/);
  const many = run(
    Array.from({ length: 11 }, (_, i) => cell(`c${i}`, { othersCpu: 0.5, steal: 0, seconds: 1 })),
  );
  assert.match(hostQuietLine([many])!, /c7 \(50%\) and 3 more\./);
});

Deno.test("a fidelity check taken on a busy host says so where every report quotes it", () => {
  const hello = {
    runtime: "nodejs" as const,
    memoryMb: 128,
    initMs: 30,
    firstDurationMs: 1,
    warmDurationMs: 0.5,
    maxMemoryMb: 42,
    coldSamples: 10,
  };
  const quiet = {
    ...fidelity,
    cells: [{ ...hello, host: { othersCpu: 0.03, steal: 0, seconds: 2 } }],
  };
  assert.doesNotMatch(fidelitySection([local], quiet).join("\n"), /busy host/);
  const busy = {
    ...fidelity,
    cells: [
      { ...hello, host: { othersCpu: 0.03, steal: 0, seconds: 2 } },
      { ...hello, memoryMb: 1024, host: { othersCpu: 0.4, steal: 0, seconds: 2 } },
    ],
  };
  assert.match(
    fidelitySection([local], busy).join("\n"),
    /\*\*1 of 2 cells of this check ran on a busy host\*\* \(other processes used up to 40% of its CPU.*\): nodejs at 1024 MB\. Re-run `deno task fidelity`/,
  );
});

Deno.test("fidelitySection() says when the sandbox ran with V8's small default young generation", () => {
  const withYoung = (runId: string, youngGenerationMb?: number | null) =>
    runInfoFrom(
      testManifest({
        runId,
        backendFacts: {
          backend: "local",
          sqsEndpoint: "http://127.0.0.1:9324",
          sqsServer: "ElasticMQ",
          sandboxControls: testSandboxControls(
            youngGenerationMb === undefined ? {} : { youngGenerationMb },
          ),
          llrt: { available: false, reason: "test" },
          llrtLabel: "none",
          runtimeNotes: [],
        },
      }),
      "/x",
    );
  const say = (...runs: RunInfo[]) =>
    fidelitySection(runs, fidelity).filter((l) => /young generation/.test(l));
  assert.deepEqual(say(withYoung("a", 16.8)), []);
  assert.deepEqual(say(withYoung("a")), [], "a run from before it was recorded: nothing to say");
  assert.deepEqual(say(withYoung("a", null)), []);
  const small = say(withYoung("a", 1), withYoung("b", 1), withYoung("c", 16.8));
  assert.equal(small.length, 1, "said once for runs alike");
  assert.match(
    small[0]!,
    /a 1 MB young generation .*--min-semi-space-size=16.*1\.5% of a no-op.s warm/,
  );
});

Deno.test("cpuModelLine() names runs invoked back to back and runs whose slice was not lowered", () => {
  const run = (
    runId: string,
    o: { gap?: number; load?: boolean; detail?: string; quota?: "cgroup-v1" | "none" } = {},
  ) => {
    const m = testManifest({ runId });
    const { invokeGapMs: _, ...config } = m.config;
    return runInfoFrom(
      {
        ...m,
        config: {
          ...config,
          ...(o.gap === undefined ? {} : { invokeGapMs: o.gap }),
          ...(o.load
            ? { load: { requests: 10, concurrency: 2, reservedConcurrency: null, payloadBytes: 1 } }
            : {}),
        },
        backendFacts: {
          backend: "local",
          sqsEndpoint: "http://127.0.0.1:9324",
          sqsServer: "ElasticMQ",
          sandboxControls: testSandboxControls({
            cpuQuota: o.quota ?? "cgroup-v1",
            detail: o.detail ?? "cpu quota 1447/20000 us; cpu slice 100 us (lowered from 5000)",
          }),
          llrt: { available: false, reason: "test" },
          llrtLabel: "none",
          runtimeNotes: [],
        },
      },
      "/x",
    );
  };
  assert.equal(cpuModelLine([run("a", { gap: 20 })]), null);
  assert.equal(cpuModelLine([run("l", { load: true })]), null, "a load paces itself");
  assert.match(
    cpuModelLine([run("old"), run("zero", { gap: 0 }), run("a", { gap: 20 })]) ?? "",
    /^In runs old, zero, warm invocations ran back to back: .*--invoke-gap-ms/,
  );
  const stuck = "cpu quota 1447/20000 us; cpu slice 5000 us (not lowered to 100: EACCES)";
  const line = cpuModelLine([
    run("b", { gap: 20, detail: stuck }),
    run("c", { gap: 20, detail: stuck }),
  ]);
  assert.match(
    line ?? "",
    /^In runs b, c, the kernel's CFS bandwidth slice was 5000 µs, more than .* 1447 µs/,
  );
  assert.equal(
    cpuModelLine([run("d", { gap: 20, detail: stuck, quota: "none" })]),
    null,
    "without a quota the slice does not matter",
  );
  assert.equal(cpuModelLine([run("e", { gap: 20, detail: "cpu slice 1000 us" })]), null);
});
