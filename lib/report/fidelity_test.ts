import assert from "node:assert/strict";
import { runInfoFrom } from "../analysis/load.ts";
import type { FidelityResult } from "../fidelity/report.ts";
import { testManifest } from "../store/testdata/manifest.ts";
import { fidelitySection, memoryDifference } from "./fidelity.ts";

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
