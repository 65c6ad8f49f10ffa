import assert from "node:assert/strict";
import { FIDELITY_RUNTIMES, publishedFor, readPublished } from "./published.ts";

Deno.test("published_lambda.json has a sourced Init mean and median per runtime at 128, 512 and 1,024 MB on x86_64", () => {
  const figures = readPublished();
  for (const runtime of FIDELITY_RUNTIMES) {
    for (const memoryMb of [128, 512, 1024]) {
      for (const stat of ["mean", "median"] as const) {
        const key = { metric: "init_ms", runtime, memoryMb, arch: "x86_64", stat } as const;
        const f = publishedFor(figures, key);
        assert.ok(f !== null, `${runtime} ${stat} at ${memoryMb} MB`);
        assert.equal(f.stat, stat);
        assert.ok(f.value > 0 && f.value < 10_000, `${runtime}: ${f.value}`);
        assert.ok(f.source.length > 0 && /^\d{4}-\d{2}-\d{2}$/.test(f.date));
      }
    }
  }
  assert.ok(figures.every((f) => f.source !== "" && Number.isFinite(f.value)));
});

Deno.test("publishedFor() prefers the local runtime version, then the newest listed", () => {
  const figures = readPublished();
  const key = { metric: "init_ms", runtime: "nodejs", memoryMb: 128, arch: "x86_64" } as const;
  assert.equal(publishedFor(figures, key)?.runtimeVersion, "nodejs20.x");
  assert.equal(
    publishedFor(figures, { ...key, version: "nodejs22.x" })?.runtimeVersion,
    "nodejs22.x",
  );
  assert.equal(
    publishedFor(figures, { ...key, version: "nodejs99.x" })?.runtimeVersion,
    "nodejs20.x",
  );
  assert.equal(publishedFor(figures, { ...key, memoryMb: 3008 }), null);
});
