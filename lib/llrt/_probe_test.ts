import assert from "node:assert/strict";
import { newestGlibc } from "./_probe.ts";

Deno.test("newestGlibc() finds the highest GLIBC_2.N version named in a binary", () => {
  const bytes = new TextEncoder().encode("\0GLIBC_2.17\0GLIBC_2.35\0GLIBC_2.4\0GLIBCXX_3.4\0");
  assert.equal(newestGlibc(bytes), "2.35");
  assert.equal(newestGlibc(new TextEncoder().encode("static musl binary")), null);
});
