import assert from "node:assert/strict";
import { describe } from "./stats.ts";
import { formatMedian, formatRatio, markdownTable, num } from "./format.ts";

Deno.test("formatRatio() prints the ratio with its interval or the reason", () => {
  assert.equal(
    formatRatio({
      variant: "llrt",
      baseline: "node",
      ratio: 0.4213,
      ci: { lower: 0.381, upper: 0.4749, level: 0.95 },
      note: null,
      nA: 40,
      nB: 40,
    }),
    "llrt vs node: 0.42× [0.38, 0.47]",
  );
  assert.equal(
    formatRatio({ ratio: 0.5, ci: null, note: "n=3: too few for a 95% interval", nA: 3, nB: 9 }),
    "0.50× (n=3: too few for a 95% interval)",
  );
});

Deno.test("formatMedian() and num() round for reading", () => {
  assert.equal(formatMedian(describe([1, 2, 3])), "2.00 (n=3: too few for a 95% interval)");
  assert.equal(formatMedian(describe([10, 11, 12, 13, 14, 15])), "12.5 [10.0, 15.0]");
  assert.equal(num(1234.5), "1,235");
  assert.equal(num(0.01234), "0.012");
  assert.equal(num(null), "–");
});

Deno.test("markdownTable() escapes pipes", () => {
  assert.equal(markdownTable(["a"], [["x|y"]]), "| a |\n| --- |\n| x\\|y |");
});
