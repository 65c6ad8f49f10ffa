import assert from "node:assert/strict";
import { decodeUtf8, isValidUtf8 } from "./utf8.ts";

const enc = new TextEncoder();

Deno.test("isValidUtf8() accepts ASCII, multi-byte text and emoji", () => {
  for (const s of ["", "plain", "žluťoučký kůň", "中文", "🐎🚀", "\u{10FFFF}", "\uFFFD"]) {
    assert.equal(isValidUtf8(enc.encode(s)), true, s);
  }
});

Deno.test("isValidUtf8() refuses invalid sequences", () => {
  const bad: number[][] = [
    [0xff],
    [0x66, 0xff, 0xfe, 0x66],
    [0xc0, 0x80], // overlong NUL
    [0xe0, 0x80, 0x80], // overlong
    [0xed, 0xa0, 0x80], // surrogate
    [0xf4, 0x90, 0x80, 0x80], // past U+10FFFF
    [0xc3], // truncated
    [0xe2, 0x82], // truncated
    [0x80], // lone continuation
  ];
  for (const b of bad) assert.equal(isValidUtf8(new Uint8Array(b)), false, JSON.stringify(b));
});

Deno.test("decodeUtf8() returns the text or null", () => {
  assert.equal(decodeUtf8(enc.encode("é")), "é");
  assert.equal(decodeUtf8(new Uint8Array([0xff])), null);
});

Deno.test("decodeUtf8() refuses every invalid sequence isValidUtf8() refuses, and keeps a real U+FFFD", () => {
  const bad: number[][] = [
    [0xff],
    [0x66, 0xff, 0xfe, 0x66],
    [0xc0, 0x80],
    [0xe0, 0x80, 0x80],
    [0xed, 0xa0, 0x80],
    [0xf4, 0x90, 0x80, 0x80],
    [0xc3],
    [0xe2, 0x82],
    [0x80],
    [...enc.encode("ok \uFFFD"), 0xff],
  ];
  for (const b of bad) assert.equal(decodeUtf8(new Uint8Array(b)), null, JSON.stringify(b));
  assert.equal(decodeUtf8(enc.encode("a \uFFFD b")), "a \uFFFD b");
  assert.equal(decodeUtf8(enc.encode("🐎 žluťoučký")), "🐎 žluťoučký");
});
