/**
 * A complete, valid {@link RunManifest} for tests, with overridable fields.
 *
 * @module
 */
import { INVOCATION_SCHEMA_VERSION } from "../../schema.ts";
import { RUN_MANIFEST_SCHEMA_VERSION, type RunManifest } from "../run_manifest.ts";
import type { SandboxControls } from "../../sandbox/sandbox.ts";

/** The sandbox controls of a local run on a host with cgroups; `overrides` replace fields. */
export function testSandboxControls(overrides: Partial<SandboxControls> = {}): SandboxControls {
  return {
    memoryLimit: "cgroup-v1",
    cpuQuota: "cgroup-v1",
    freezer: "cgroup-v2",
    peakMemory: "rss+cgroup-v1",
    initCpus: 2,
    codeLoading: "evict",
    fileSystem: "namespace",
    fileSystemDetail: "mount namespace",
    ...overrides,
  };
}

/** A local run's manifest; `overrides` replace top-level fields. */
export function testManifest(overrides: Partial<RunManifest> = {}): RunManifest {
  return {
    schemaVersion: RUN_MANIFEST_SCHEMA_VERSION,
    invocationSchemaVersion: INVOCATION_SCHEMA_VERSION,
    runId: "test-run",
    status: "complete",
    backend: "local",
    startedAt: "2026-11-23T01:02:03.000Z",
    finishedAt: "2026-11-23T01:05:03.000Z",
    config: {
      variants: ["rust"],
      memoryMb: [128],
      archs: ["x86_64"],
      cold: 2,
      warm: 3,
      payloadBytes: 1024,
      concurrency: 1,
      invokeGapMs: 20,
      functionSettings: { workIterations: 2000, timeoutS: 10 },
    },
    variants: [],
    backendFacts: {
      backend: "local",
      sqsEndpoint: "http://127.0.0.1:9324",
      sqsServer: "ElasticMQ",
      sandboxControls: null,
      llrt: { available: false, reason: "not built" },
      llrtLabel: "LLRT unavailable (not built)",
      runtimeNotes: [],
    },
    versions: {
      deno: "2.9.6",
      v8: "15",
      node: null,
      rustc: null,
      python: null,
      go: null,
      cargo: null,
      java: null,
      llrt: null,
      builds: null,
    },
    git: { commit: null, dirty: null },
    host: {
      os: "linux",
      arch: "x86_64",
      kernel: "6",
      cpuModel: null,
      cores: 2,
      memoryBytes: 1,
      hostname: "h",
      cpuSpeed: { sha256MBps: 500, method: "test" },
    },
    skipped: [],
    cells: [],
    failedCells: [],
    rejectedLines: 0,
    rejectedByReason: {},
    missingReport: 0,
    rows: 0,
    ...overrides,
  };
}
