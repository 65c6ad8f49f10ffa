import assert from "node:assert/strict";
import { formatSeconds, Progress } from "./progress.ts";

Deno.test("Progress reports done/total with an ETA from the pace so far", () => {
  let now = 0;
  const lines: string[] = [];
  const p = new Progress(10, { now: () => now, write: (l) => lines.push(l) });
  assert.equal(p.etaSeconds(), null);
  now = 4000;
  p.advance(4);
  assert.equal(p.etaSeconds(), 6);
  p.report("rust-128mb-x86_64 done");
  assert.equal(lines[0], "[4/10] rust-128mb-x86_64 done · 4s elapsed · ETA 6s");
});

Deno.test("Progress.extend() plans retries into the ETA", () => {
  let now = 0;
  const p = new Progress(2, { now: () => now, write: () => {} });
  now = 1000;
  p.advance();
  p.extend(2);
  assert.equal(p.etaSeconds(), 3);
});

Deno.test("formatSeconds() uses minutes and hours past 60", () => {
  assert.equal(formatSeconds(4.2), "4s");
  assert.equal(formatSeconds(75), "1m15s");
  assert.equal(formatSeconds(3 * 3600 + 120), "3h02m");
});
