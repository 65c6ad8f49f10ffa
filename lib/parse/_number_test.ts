import assert from "node:assert/strict";
import { readDecimal } from "./_number.ts";

Deno.test("readDecimal() reads exactly what Number() reads for plain decimals", () => {
  for (const s of ["0", "7", "12.34", "3000.00", "0.001", "168.42", "123456789012.5"]) {
    assert.equal(readDecimal(s, 0, s.length), Number(s), s);
  }
  const long = "12345678901234567.25";
  assert.equal(readDecimal(long, 0, long.length), Number(long));
});

Deno.test("readDecimal() refuses anything but an unsigned decimal", () => {
  for (
    const s of ["", "12.", ".5", "-1", "1e3", " 1", "1 ", "abc", "1.2.3", "12345678901234567."]
  ) {
    assert.ok(Number.isNaN(readDecimal(s, 0, s.length)), JSON.stringify(s));
  }
});
