import assert from "node:assert/strict";
import { nativeChecksum } from "./hash.ts";

const hex = (b: Uint8Array) => [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
const enc = new TextEncoder();

Deno.test("nativeChecksum('sha256') hashes and resets", async () => {
  const Sha256 = nativeChecksum("sha256");
  const h = new Sha256();
  h.update(enc.encode("a"));
  h.update(enc.encode("bc"));
  assert.equal(
    hex(await h.digest()),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
  h.reset();
  assert.equal(
    hex(await h.digest()),
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  );
});

Deno.test("nativeChecksum('sha256') with a secret is HMAC-SHA256 (RFC 4231 case 2)", async () => {
  const Sha256 = nativeChecksum("sha256");
  const h = new Sha256("Jefe");
  h.update(enc.encode("what do ya want for nothing?"));
  assert.equal(
    hex(await h.digest()),
    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
  );
  const fromBytes = new Sha256(enc.encode("Jefe").buffer);
  fromBytes.update(enc.encode("what do ya want for nothing?"));
  assert.equal(
    hex(await fromBytes.digest()),
    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
  );
});

Deno.test("nativeChecksum('md5') matches the RFC 1321 test vector", async () => {
  const Md5 = nativeChecksum("md5");
  const h = new Md5();
  h.update(enc.encode("abc"));
  assert.equal(hex(await h.digest()), "900150983cd24fb0d6963f7d28e17f72");
});
