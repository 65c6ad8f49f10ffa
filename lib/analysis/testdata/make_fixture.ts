/**
 * Writes the analysis fixtures: two small synthetic runs under `data/fixtures/analysis/`
 * (`fixture-arm64`: every variant at 128/512/1024 MB, 12 cold + 30 warm each, a few failed
 * rows; `fixture-x86`: rust/node/llrt at 512 MB with 4 cold + 10 warm, too few for intervals).
 * Seeded, so reruns write the same values. Run: `deno run -A lib/analysis/testdata/make_fixture.ts`.
 *
 * @module
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../../paths.ts";
import type { Arch, InvocationRow, InvocationStatus } from "../../schema.ts";
import { runPaths } from "../../store/runs.ts";
import { testManifest, testSandboxControls } from "../../store/testdata/manifest.ts";
import { invocationFrame } from "../frame.ts";
import { normal, type Random, seededRandom } from "../random.ts";

/** Where the fixture runs are written. */
export const FIXTURE_DIR: string = join(ROOT, "data", "fixtures", "analysis");
/** The main fixture run (every variant, three memory sizes). */
export const FIXTURE_RUN: string = join(FIXTURE_DIR, "fixture-arm64");
/** The small x86_64 fixture run. */
export const FIXTURE_RUN_X86: string = join(FIXTURE_DIR, "fixture-x86");

interface Profile {
  initMs: number;
  handlerMs: number;
  postMs: number;
  memoryMb: number;
}

// Plausible shapes only: the fixture exercises the code, it is not a measurement.
const PROFILES: Record<string, Profile> = {
  none: { initMs: 140, handlerMs: 3, postMs: 0.05, memoryMb: 62 },
  direct: { initMs: 175, handlerMs: 28, postMs: 0.05, memoryMb: 71 },
  rust: { initMs: 150, handlerMs: 4, postMs: 12, memoryMb: 66 },
  node: { initMs: 290, handlerMs: 4, postMs: 18, memoryMb: 95 },
  llrt: { initMs: 95, handlerMs: 5, postMs: 15, memoryMb: 48 },
};

interface RunSpec {
  runId: string;
  arch: Arch;
  variants: string[];
  memory: number[];
  cold: number;
  warm: number;
  failures: Array<{ variant: string; memory: number; status: InvocationStatus; type: string }>;
}

function lognormal(random: Random, median: number, sigma: number): number {
  return median * Math.exp(normal(random, 0, sigma));
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

function makeRows(spec: RunSpec, random: Random): InvocationRow[] {
  const rows: InvocationRow[] = [];
  let t = Date.UTC(2026, 10, 1, 12, 0, 0);
  let seq = 0;
  for (const variant of spec.variants) {
    const p = PROFILES[variant]!;
    for (const memory of spec.memory) {
      // CPU share grows with memory (1,769 MB is one vCPU): small sizes run slower.
      const slow = Math.max(1, Math.sqrt(1024 / memory));
      const fails = spec.failures.filter((f) => f.variant === variant && f.memory === memory);
      const total = spec.cold + spec.warm + fails.length;
      for (let i = 0; i < total; i++) {
        const cold = i < spec.cold;
        const failure = i >= spec.cold + spec.warm ? fails[i - spec.cold - spec.warm]! : null;
        const init = cold ? round3(lognormal(random, p.initMs * slow, 0.12)) : null;
        const runtimeDone = round3(lognormal(random, p.handlerMs * slow, 0.15));
        const post = round3(lognormal(random, p.postMs * slow, 0.2));
        const duration = round3(runtimeDone + post);
        const rtt = round3((init ?? 0) + runtimeDone + lognormal(random, cold ? 9 : 2, 0.2));
        seq++;
        rows.push({
          run_id: spec.runId,
          backend: "local",
          variant,
          arch: spec.arch,
          memory_mb: memory,
          request_id: `${spec.runId}-${String(seq).padStart(5, "0")}`,
          cold,
          init_ms: init,
          restore_ms: null,
          duration_ms: failure?.status === "timeout" ? 3000 : duration,
          // Since 2025-08-01 the REPORT line's Billed Duration includes Init on cold starts.
          billed_ms: Math.ceil(duration + (init ?? 0)),
          max_memory_mb: Math.round(lognormal(random, p.memoryMb + memory / 64, 0.03)),
          runtime_done_ms: runtimeDone,
          post_runtime_ms: post,
          client_rtt_ms: rtt,
          status: failure?.status ?? "success",
          error_type: failure?.type ?? null,
          timestamp: new Date(t),
        });
        t += 250;
      }
    }
  }
  return rows;
}

const SPECS: RunSpec[] = [
  {
    runId: "fixture-arm64",
    arch: "arm64",
    variants: ["none", "direct", "rust", "node", "llrt"],
    memory: [128, 512, 1024],
    cold: 12,
    warm: 30,
    failures: [
      { variant: "node", memory: 128, status: "error", type: "Runtime.OutOfMemory" },
      { variant: "node", memory: 128, status: "error", type: "Runtime.OutOfMemory" },
      { variant: "direct", memory: 128, status: "timeout", type: "Sandbox.Timedout" },
    ],
  },
  {
    runId: "fixture-x86",
    arch: "x86_64",
    variants: ["rust", "node", "llrt"],
    memory: [512],
    cold: 4,
    warm: 10,
    failures: [],
  },
];

/**
 * Writes both fixture runs.
 *
 * @param outDir Parent folder (default `data/fixtures/analysis`).
 * @returns The run folders written.
 */
export function writeFixtures(outDir: string = FIXTURE_DIR): string[] {
  const random = seededRandom(20261101);
  return SPECS.map((spec) => {
    const dir = join(outDir, spec.runId);
    mkdirSync(dir, { recursive: true });
    invocationFrame(makeRows(spec, random)).writeParquet(join(dir, "invocations.parquet"));
    // Written through the store, so the fixture is a manifest of the current schema.
    const manifest = testManifest({
      runId: spec.runId,
      config: {
        variants: spec.variants,
        memoryMb: spec.memory,
        archs: [spec.arch],
        cold: spec.cold,
        warm: spec.warm,
        payloadBytes: 1024,
        concurrency: 1,
        invokeGapMs: 20,
        functionSettings: { workIterations: 2000, timeoutS: 10 },
      },
      backendFacts: {
        backend: "local",
        sqsEndpoint: "http://127.0.0.1:9324",
        sqsServer: "ElasticMQ (fixture: synthetic rows, not a measurement)",
        sandboxControls: testSandboxControls({ fileSystemDetail: "mount namespace (fixture)" }),
        llrt: { available: false, reason: "fixture" },
        llrtLabel: "LLRT v0.7.0-beta (fixture)",
        runtimeNotes: [],
      },
    });
    Deno.writeTextFileSync(runPaths(dir).manifest, JSON.stringify(manifest, null, 2) + "\n");
    return dir;
  });
}

if (import.meta.main) {
  for (const dir of writeFixtures()) console.log(dir);
}
