import assert from "node:assert/strict";
import { normal, seededRandom } from "./random.ts";
import {
  describe,
  medianInterval,
  medianRanks,
  minSamplesForInterval,
  quantileSorted,
  ratioOfMedians,
  sortedFinite,
} from "./stats.ts";

function sample(n: number, draw: () => number): number[] {
  return Array.from({ length: n }, draw);
}

Deno.test("quantileSorted() interpolates linearly like numpy and polars", () => {
  const s = [1, 2, 3, 4];
  assert.equal(quantileSorted(s, 0.5), 2.5);
  assert.equal(quantileSorted(s, 0), 1);
  assert.equal(quantileSorted(s, 1), 4);
  assert.ok(Math.abs(quantileSorted(s, 0.9)! - 3.7) < 1e-12);
  assert.equal(quantileSorted([], 0.5), null);
  assert.throws(() => quantileSorted(s, 1.5), { name: "RangeError", message: /1\.5/ });
});

Deno.test("medianRanks() matches the binomial table", () => {
  assert.equal(medianRanks(5), null);
  const six = medianRanks(6)!;
  assert.deepEqual([six.lower, six.upper], [1, 6]);
  assert.ok(Math.abs(six.level - (1 - 2 / 64)) < 1e-12);
  // n = 100: the textbook 95% ranks are 40 and 61.
  const hundred = medianRanks(100)!;
  assert.deepEqual([hundred.lower, hundred.upper], [40, 61]);
  assert.ok(hundred.level >= 0.95 && hundred.level < 0.97);
  // Large n does not underflow.
  const big = medianRanks(20000)!;
  assert.ok(big.lower > 9800 && big.lower < 10000);
  assert.equal(minSamplesForInterval(), 6);
});

Deno.test("describe() on a seeded uniform sample brackets the true median", () => {
  const rnd = seededRandom(7);
  const est = describe(sample(200, () => rnd() * 100));
  assert.equal(est.n, 200);
  assert.ok(est.ci !== null);
  assert.ok(est.ci.lower < 50 && est.ci.upper > 50, JSON.stringify(est.ci));
  assert.ok(est.ci.lower <= est.p50! && est.p50! <= est.ci.upper);
  assert.ok(Math.abs(est.mean! - 50) < 6);
  assert.ok(est.p90! > 80 && est.p99! > 95);
});

Deno.test("describe() says when a sample is too small and drops nulls", () => {
  const est = describe([3, null, 1, Number.NaN, 2]);
  assert.equal(est.n, 3);
  assert.equal(est.p50, 2);
  assert.equal(est.ci, null);
  assert.equal(est.note, "n=3: too few for a 95% interval");
  assert.equal(describe([]).note, "no data");
});

Deno.test("medianInterval() covers the true median about 95% of the time", () => {
  const rnd = seededRandom(2024);
  let covered = 0;
  const runs = 400;
  for (let i = 0; i < runs; i++) {
    const s = sortedFinite(sample(41, () => normal(rnd, 10, 3)));
    const ci = medianInterval(s)!;
    if (ci.lower <= 10 && 10 <= ci.upper) covered++;
  }
  const coverage = covered / runs;
  // The exact interval guarantees ≥ 95% (≈ 97.2% at n = 41); allow simulation noise.
  assert.ok(coverage >= 0.93 && coverage <= 0.995, `coverage ${coverage}`);
});

Deno.test("medianInterval() holds its coverage on uniform and skewed samples too", () => {
  const rnd = seededRandom(77);
  const cases = [
    { name: "uniform(0, 1), n=25", n: 25, draw: () => rnd(), median: 0.5 },
    // Cold starts are right-skewed: lognormal with median e^5 ≈ 148.4 ms.
    {
      name: "lognormal, n=12",
      n: 12,
      draw: () => Math.exp(normal(rnd, 5, 0.4)),
      median: Math.exp(5),
    },
  ];
  for (const c of cases) {
    let covered = 0;
    for (let i = 0; i < 400; i++) {
      const ci = medianInterval(sortedFinite(sample(c.n, c.draw)))!;
      if (ci.lower <= c.median && c.median <= ci.upper) covered++;
    }
    const coverage = covered / 400;
    assert.ok(coverage >= 0.93 && coverage <= 0.998, `${c.name}: coverage ${coverage}`);
  }
});

Deno.test("ratioOfMedians() estimates the ratio with a seeded interval", () => {
  const rnd = seededRandom(11);
  const a = sample(60, () => normal(rnd, 42, 4));
  const b = sample(60, () => normal(rnd, 100, 8));
  const r = ratioOfMedians(a, b, { seed: 3 });
  assert.ok(r.ci !== null);
  assert.ok(r.ci.lower < 0.42 && 0.42 < r.ci.upper, JSON.stringify(r));
  assert.ok(r.ci.lower <= r.ratio! && r.ratio! <= r.ci.upper);
  assert.deepEqual(ratioOfMedians(a, b, { seed: 3 }), r, "same seed, same interval");
});

Deno.test("ratioOfMedians() covers the true ratio about 95% of the time", () => {
  const rnd = seededRandom(99);
  let covered = 0;
  const runs = 200;
  for (let i = 0; i < runs; i++) {
    const a = sample(40, () => normal(rnd, 50, 5));
    const b = sample(40, () => normal(rnd, 100, 10));
    const r = ratioOfMedians(a, b, { seed: i, resamples: 400 });
    if (r.ci!.lower <= 0.5 && 0.5 <= r.ci!.upper) covered++;
  }
  const coverage = covered / runs;
  assert.ok(coverage >= 0.88 && coverage <= 0.995, `coverage ${coverage}`);
});

Deno.test("ratioOfMedians() gives no interval for too-small samples", () => {
  const r = ratioOfMedians([1, 2, 3], [2, 4, 6, 8, 10, 12, 14]);
  assert.equal(r.ratio, 2 / 8);
  assert.equal(r.ci, null);
  assert.equal(r.note, "n=3: too few for a 95% interval");
  assert.equal(ratioOfMedians([], [1]).note, "no data");
  assert.equal(ratioOfMedians([1], [0]).note, "denominator median is 0");
});
