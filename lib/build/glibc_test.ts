import assert from "node:assert/strict";
import { glibcNewer, newestGlibc } from "./glibc.ts";

Deno.test("newestGlibc() finds the highest GLIBC_2.N version named in a binary", () => {
  const bytes = new TextEncoder().encode("\0GLIBC_2.17\0GLIBC_2.35\0GLIBC_2.4\0GLIBCXX_3.4\0");
  assert.equal(newestGlibc(bytes), "2.35");
  assert.equal(newestGlibc(new TextEncoder().encode("static musl binary")), null);
});

Deno.test("glibcNewer() compares glibc versions numerically", () => {
  assert.equal(glibcNewer("2.35", "2.34"), true);
  assert.equal(glibcNewer("2.34", "2.34"), false);
  assert.equal(glibcNewer("2.4", "2.34"), false);
  assert.equal(glibcNewer("3.0", "2.34"), true);
});
