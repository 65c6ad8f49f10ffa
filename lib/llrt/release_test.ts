import assert from "node:assert/strict";
import { extractZipEntry } from "./_zip.ts";
import {
  cliAssetName,
  downloadCliBinary,
  LLRT_RELEASE,
  type LlrtRelease,
  oneLine,
  sha256Hex,
  verifySha256,
} from "./release.ts";

const FIXTURE = new URL("./testdata/fake-llrt-linux.zip", import.meta.url);
const FIXTURE_SHA256 = "ece056c07fb431ee4fbc2adb8e034f2dfe7c403f1fbf4f066b1b975c4d25ec6a";

function releaseWith(sha256: string | null): LlrtRelease {
  return {
    version: "0.7.0-beta",
    baseUrl: "https://example.invalid/dl",
    assets: { "llrt-linux-x64.zip": { arch: "x86_64", kind: "cli", sdk: "std", sha256 } },
  };
}

Deno.test("sha256Hex() hashes bytes to lowercase hex", async () => {
  assert.equal(
    await sha256Hex(new TextEncoder().encode("abc")),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
});

Deno.test("verifySha256() accepts matching bytes and rejects a mismatch", async () => {
  const bytes = await Deno.readFile(FIXTURE);
  await verifySha256(bytes, FIXTURE_SHA256, "fake.zip");
  await verifySha256(bytes, FIXTURE_SHA256.toUpperCase(), "fake.zip");
  const tampered = bytes.slice();
  tampered[10] = (tampered[10] ?? 0) ^ 0xff;
  await assert.rejects(
    () => verifySha256(tampered, FIXTURE_SHA256, "fake.zip"),
    (error: Error) =>
      error.message.startsWith(`Checksum mismatch for fake.zip: expected ${FIXTURE_SHA256}, got `),
  );
});

Deno.test("verifySha256() refuses an asset without a pinned checksum", async () => {
  await assert.rejects(
    () => verifySha256(new Uint8Array([1]), null, "llrt-lambda-x64.zip"),
    { message: "No pinned SHA-256 for llrt-lambda-x64.zip; refusing to use it" },
  );
});

Deno.test("LLRT_RELEASE pins a checksum for every command-line asset", () => {
  for (const arch of ["x86_64", "arm64"] as const) {
    const asset = LLRT_RELEASE.assets[cliAssetName(arch)];
    assert.ok(asset, `missing ${cliAssetName(arch)}`);
    assert.match(asset.sha256 ?? "", /^[0-9a-f]{64}$/);
    assert.equal(asset.arch, arch);
  }
});

Deno.test("extractZipEntry() reads deflated and stored entries", async () => {
  const zip = await Deno.readFile(FIXTURE);
  const llrt = new TextDecoder().decode(await extractZipEntry(zip, "llrt"));
  assert.match(llrt, /^#!\/bin\/sh/);
  assert.equal(new TextDecoder().decode(await extractZipEntry(zip, "README.txt")), "not llrt");
  await assert.rejects(() => extractZipEntry(zip, "bootstrap"), {
    name: "TypeError",
    message: 'Cannot find "bootstrap" in zip (entries: llrt, README.txt)',
  });
  await assert.rejects(() => extractZipEntry(new Uint8Array(30), "llrt"), TypeError);
});

Deno.test("downloadCliBinary() verifies the zip and returns the llrt executable", async () => {
  const zip = await Deno.readFile(FIXTURE);
  const urls: string[] = [];
  const result = await downloadCliBinary("x86_64", {
    release: releaseWith(FIXTURE_SHA256),
    fetch: (input) => {
      urls.push(String(input));
      return Promise.resolve(new Response(zip));
    },
  });
  assert.deepEqual(urls, ["https://example.invalid/dl/v0.7.0-beta/llrt-linux-x64.zip"]);
  assert.equal(result.asset, "llrt-linux-x64.zip");
  assert.match(new TextDecoder().decode(result.binary), /LLRT v0\.7\.0-beta/);
});

Deno.test("downloadCliBinary() rejects a zip whose checksum differs", async () => {
  const zip = await Deno.readFile(FIXTURE);
  await assert.rejects(
    () =>
      downloadCliBinary("x86_64", {
        release: releaseWith("0".repeat(64)),
        fetch: () => Promise.resolve(new Response(zip)),
      }),
    /^Error: Checksum mismatch for llrt-linux-x64\.zip/,
  );
});

Deno.test("downloadCliBinary() turns network failures and timeouts into one line", async () => {
  const failing = () => Promise.reject(new TypeError("fetch failed", { cause: new Error("dns") }));
  await assert.rejects(
    () => downloadCliBinary("x86_64", { release: releaseWith(FIXTURE_SHA256), fetch: failing }),
    {
      message:
        "Cannot download https://example.invalid/dl/v0.7.0-beta/llrt-linux-x64.zip: fetch failed: dns",
    },
  );
  const hanging: typeof fetch = (_input, init) =>
    new Promise((_resolve, reject) =>
      init?.signal?.addEventListener("abort", () => reject(init.signal?.reason))
    );
  const started = Date.now();
  await assert.rejects(
    () =>
      downloadCliBinary("x86_64", {
        release: releaseWith(FIXTURE_SHA256),
        fetch: hanging,
        timeoutMs: 50,
      }),
    /no answer within 50 ms$/,
  );
  assert.ok(Date.now() - started < 5_000);
  const notFound = () => Promise.resolve(new Response("nope", { status: 404 }));
  await assert.rejects(
    () => downloadCliBinary("x86_64", { release: releaseWith(FIXTURE_SHA256), fetch: notFound }),
    /: HTTP 404$/,
  );
});

Deno.test("oneLine() keeps the first line of each cause and drops the repeated URL", () => {
  const inner = new Error(
    "error sending request for url (https://x/y): client error (Connect)\n  at stack",
  );
  assert.equal(
    oneLine(new TypeError("fetch failed", { cause: inner })),
    "fetch failed: client error (Connect)",
  );
  assert.equal(oneLine("x".repeat(300)).length, 240);
});
