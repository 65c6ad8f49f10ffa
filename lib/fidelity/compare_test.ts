import assert from "node:assert/strict";
import { compareWithPublished, type LocalCell, sameOrder } from "./compare.ts";
import type { PublishedFigure } from "./published.ts";

function fig(
  metric: PublishedFigure["metric"],
  runtime: PublishedFigure["runtime"],
  memoryMb: number,
  value: number,
  stat: PublishedFigure["stat"] = "mean",
  runtimeVersion = runtime === "nodejs" ? "nodejs20.x" : "provided.al2023",
): PublishedFigure {
  return {
    metric,
    runtime,
    runtimeVersion,
    memoryMb,
    arch: "x86_64",
    value,
    stat,
    samples: 70,
    source: `test ${runtime}`,
    date: "2026-08-22",
    note: "",
  };
}

const figures: PublishedFigure[] = [
  // Init is compared median with median: the means are there to be passed over.
  fig("init_ms", "rust", 128, 16, "median"),
  fig("init_ms", "rust", 1024, 16, "median"),
  fig("init_ms", "nodejs", 128, 144, "median"),
  fig("init_ms", "nodejs", 1024, 144, "median"),
  fig("init_ms", "rust", 128, 30),
  fig("init_ms", "rust", 1024, 30),
  fig("init_ms", "nodejs", 128, 30),
  fig("init_ms", "nodejs", 1024, 30),
  fig("first_duration_ms", "rust", 128, 1.25),
  fig("max_memory_mb", "rust", 128, 15),
  fig("max_memory_mb", "nodejs", 128, 67),
];

function cell(runtime: LocalCell["runtime"], memoryMb: number, initMs: number): LocalCell {
  return {
    runtime,
    memoryMb,
    initMs,
    firstDurationMs: 1.5,
    warmDurationMs: 1,
    maxMemoryMb: runtime === "rust" ? 4 : 60,
    coldSamples: 10,
  };
}

Deno.test("compareWithPublished() compares Init ratios to rust with their errors", () => {
  const rows = compareWithPublished(
    [
      cell("rust", 128, 10),
      cell("nodejs", 128, 80),
      cell("rust", 1024, 10),
      cell("nodejs", 1024, 100),
    ],
    figures,
    "x86_64",
  );
  const ratio = rows.filter((r) => r.check === "init_ratio");
  assert.deepEqual(ratio.map((r) => r.what), [
    "Init nodejs ÷ rust at 128 MB",
    "Init nodejs ÷ rust at 1024 MB",
  ]);
  assert.equal(ratio[0]!.local, 8);
  assert.equal(ratio[0]!.published, 9);
  assert.ok(Math.abs(ratio[0]!.error! - (8 / 9 - 1)) < 1e-12);
  assert.equal(ratio[0]!.withinTarget, true);
  assert.equal(ratio[1]!.local, 10);
  assert.equal(ratio[1]!.withinTarget, true, "+11% is within ±30%");
  const scaling = rows.filter((r) => r.check === "init_128_over_1024");
  assert.deepEqual(scaling.map((r) => [r.runtime, r.local, r.withinTarget]), [
    ["rust", 1, true],
    ["nodejs", 0.8, true],
  ]);
});

Deno.test("compareWithPublished() judges memory and first Duration, null where nothing was published", () => {
  const rows = compareWithPublished(
    [cell("rust", 128, 10), cell("nodejs", 128, 80)],
    figures,
    "x86_64",
  );
  const mem = rows.filter((r) => r.check === "max_memory");
  assert.deepEqual(mem.map((r) => [r.runtime, r.local, r.published, r.withinTarget]), [
    ["rust", 4, 15, false],
    ["nodejs", 60, 67, true],
  ]);
  const first = rows.filter((r) => r.check === "first_duration");
  assert.equal(first[0]!.withinTarget, true, "1.5 against 1.25 is +20%");
  assert.equal(first[1]!.published, null, "no published first Duration for nodejs here");
  assert.equal(first[1]!.withinTarget, null);
  assert.equal(first[1]!.error, null);
});

Deno.test("sameOrder() says where local runtimes rank differently from Lambda", () => {
  const cells = [cell("rust", 128, 10), cell("nodejs", 128, 5)];
  assert.deepEqual(sameOrder(cells, figures, "x86_64", "init_ms"), [
    { memoryMb: 128, local: ["nodejs", "rust"], published: ["rust", "nodejs"], agree: false },
  ]);
  assert.equal(sameOrder(cells, figures, "x86_64", "max_memory_mb")[0]!.agree, true);
});

Deno.test("compareWithPublished() compares the first Duration mean with the published mean", () => {
  // Two-valued, as at 128 MB: six quick first invocations and four that waited a period.
  const rust = { ...cell("rust", 128, 10), firstDurationMs: 1.3, firstDurationMeanMs: 9.1 };
  const [first] = compareWithPublished([rust], figures, "x86_64").filter((r) =>
    r.check === "first_duration"
  );
  assert.equal(first!.local, 9.1, "the mean, not the median 1.3");
  assert.equal(first!.published, 1.25);
  assert.equal(first!.withinTarget, false);
  // A file written before the mean was kept: its median stands in.
  const old = compareWithPublished([cell("rust", 128, 10)], figures, "x86_64");
  assert.equal(old.find((r) => r.check === "first_duration")!.local, 1.5);
});
