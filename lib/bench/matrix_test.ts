import assert from "node:assert/strict";
import { variantByName, VARIANTS } from "../variants.ts";
import { cellLabel, expandMatrix, parseArchList, parseMemoryList } from "./matrix.ts";

Deno.test("parseMemoryList() reads sizes in order without repeats", () => {
  assert.deepEqual(parseMemoryList("128, 1024,128"), [128, 1024]);
});

Deno.test("parseMemoryList() rejects sizes outside Lambda's range, naming the value", () => {
  assert.throws(() => parseMemoryList("64"), { name: "RangeError", message: /"64"/ });
  assert.throws(() => parseMemoryList("10241"), { name: "RangeError", message: /"10241"/ });
  assert.throws(() => parseMemoryList("1.5e3"), { name: "RangeError", message: /"1.5e3"/ });
  assert.throws(() => parseMemoryList(","), { name: "RangeError", message: /names no size/ });
});

Deno.test("parseArchList() accepts only Lambda's architectures", () => {
  assert.deepEqual(parseArchList("arm64,x86_64"), ["arm64", "x86_64"]);
  assert.throws(() => parseArchList("aarch64"), { name: "RangeError", message: /"aarch64"/ });
});

Deno.test("expandMatrix() orders cells by variant, memory, arch and keeps skip reasons", () => {
  const { cells, skipped } = expandMatrix({
    variants: [variantByName("none"), variantByName("llrt")],
    memoryMb: [128, 1024],
    archs: ["x86_64"],
    skipReason: (c) => c.variant.name === "llrt" ? "no LLRT" : null,
  });
  assert.deepEqual(cells.map(cellLabel), ["none-128mb-x86_64", "none-1024mb-x86_64"]);
  assert.deepEqual(skipped.map((s) => [cellLabel(s), s.reason]), [
    ["llrt-128mb-x86_64", "no LLRT"],
    ["llrt-1024mb-x86_64", "no LLRT"],
  ]);
});

Deno.test("expandMatrix() covers every variant × memory × arch", () => {
  const { cells } = expandMatrix({
    variants: VARIANTS,
    memoryMb: [128, 512, 1024],
    archs: ["x86_64", "arm64"],
  });
  assert.equal(cells.length, VARIANTS.length * 3 * 2);
  assert.equal(new Set(cells.map(cellLabel)).size, cells.length);
});
