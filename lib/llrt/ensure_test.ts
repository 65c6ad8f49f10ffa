import assert from "node:assert/strict";
import { join } from "node:path";
import { ensureLlrt, type EnsureLlrtOptions, hostArch } from "./ensure.ts";
import { readLlrtInfo } from "./info.ts";
import { cliAssetName, type LlrtRelease } from "./release.ts";

const FIXTURE = new URL("./testdata/fake-llrt-linux.zip", import.meta.url);
const FIXTURE_SHA256 = "ece056c07fb431ee4fbc2adb8e034f2dfe7c403f1fbf4f066b1b975c4d25ec6a";

/** A shell script that answers like an LLRT binary of `version` without the SDK. */
function fakeLlrtScript(version: string): string {
  return `#!/bin/sh
case "$1" in
  --version) echo "LLRT v${version} (linux, x64)" ;;
  -e) echo "sdk:no" ;;
esac
`;
}

/** A temp folder with paths for the binary, the record, a fake workspace and a fake cargo. */
async function sandbox() {
  const dir = await Deno.makeTempDir({ prefix: "ensure-llrt-" });
  const rustDir = join(dir, "rust");
  await Deno.mkdir(join(rustDir, "llrt", "src"), { recursive: true });
  await Deno.writeTextFile(
    join(rustDir, "llrt", "Cargo.toml"),
    '[dependencies]\nllrt_core = { version = "=0.8.1-beta", features = ["crypto-ring"] }\n',
  );
  await Deno.writeTextFile(join(rustDir, "llrt", "src", "main.rs"), "fn main() {}\n");
  const built = join(dir, "built-llrt");
  await Deno.writeTextFile(built, fakeLlrtScript("0.8.1-beta"), { mode: 0o755 });
  const cargoRuns = join(dir, "cargo-runs");
  const cargo = join(dir, "cargo");
  await Deno.writeTextFile(
    cargo,
    `#!/bin/sh\necho run >> "${cargoRuns}"\nmkdir -p target/release && cp "${built}" target/release/llrt\n`,
    { mode: 0o755 },
  );
  const options: EnsureLlrtOptions = {
    binPath: join(dir, "build", "llrt"),
    infoPath: join(dir, "build", "llrt.json"),
    rustDir,
    cargo,
    env: () => undefined,
    log: () => {},
  };
  const countCargoRuns = async () =>
    (await Deno.readTextFile(cargoRuns).catch(() => "")).split("\n").filter(Boolean).length;
  return { dir, options, countCargoRuns, cleanup: () => Deno.remove(dir, { recursive: true }) };
}

function fixtureRelease(sha256: string): LlrtRelease {
  return {
    version: "0.7.0-beta",
    baseUrl: "https://example.invalid/dl",
    assets: {
      [cliAssetName(hostArch())]: { arch: hostArch(), kind: "cli", sdk: "std", sha256 },
    },
  };
}

const offline: typeof fetch = () => Promise.reject(new TypeError("fetch failed"));

Deno.test("ensureLlrt() uses LLRT_BIN from the environment first", async () => {
  const s = await sandbox();
  try {
    const bin = join(s.dir, "my-llrt");
    await Deno.writeTextFile(bin, fakeLlrtScript("0.9.0-beta"), { mode: 0o755 });
    const info = await ensureLlrt({
      ...s.options,
      env: (name) => name === "LLRT_BIN" ? bin : undefined,
      fetch: () => Promise.reject(new Error("must not download")),
    });
    assert.equal(info.available, true);
    assert.ok(info.available);
    assert.equal(info.source, "env");
    assert.equal(info.version, "0.9.0-beta");
    assert.equal(info.path, bin);
    assert.equal(info.sdkEmbedded, false);
    assert.equal(await s.countCargoRuns(), 0);
    assert.deepEqual(await readLlrtInfo(s.options.infoPath), info);
  } finally {
    await s.cleanup();
  }
});

Deno.test("ensureLlrt() reports a bad LLRT_BIN instead of falling back", async () => {
  const s = await sandbox();
  try {
    const info = await ensureLlrt({
      ...s.options,
      env: (name) => name === "LLRT_BIN" ? "/nonexistent/llrt" : undefined,
    });
    assert.equal(info.available, false);
    assert.match(!info.available ? info.reason : "", /^LLRT_BIN=\/nonexistent\/llrt: /);
    assert.equal(await s.countCargoRuns(), 0);
  } finally {
    await s.cleanup();
  }
});

Deno.test("ensureLlrt() installs the verified release, then reuses it without network", async () => {
  const s = await sandbox();
  try {
    const zip = await Deno.readFile(FIXTURE);
    const release = fixtureRelease(FIXTURE_SHA256);
    const info = await ensureLlrt({
      ...s.options,
      release,
      fetch: () => Promise.resolve(new Response(zip)),
    });
    assert.ok(info.available);
    assert.equal(info.source, "release");
    assert.equal(info.version, "0.7.0-beta");
    assert.equal(info.asset, cliAssetName(hostArch()));
    assert.equal(info.sdkEmbedded, true);
    assert.equal(info.path, s.options.binPath);
    assert.equal(((await Deno.stat(info.path)).mode ?? 0) & 0o111, 0o111);

    const again = await ensureLlrt({ ...s.options, release, fetch: offline });
    assert.deepEqual(again, info);
    assert.equal(await s.countCargoRuns(), 0);
  } finally {
    await s.cleanup();
  }
});

Deno.test("ensureLlrt() rejects a release with a wrong checksum and builds the crate", async () => {
  const s = await sandbox();
  try {
    const zip = await Deno.readFile(FIXTURE);
    const info = await ensureLlrt({
      ...s.options,
      release: fixtureRelease("0".repeat(64)),
      fetch: () => Promise.resolve(new Response(zip)),
    });
    assert.ok(info.available);
    assert.equal(info.source, "crate");
    assert.equal(info.version, "0.8.1-beta");
    assert.equal(info.llrtCoreVersion, "0.8.1-beta");
    assert.equal(info.sdkEmbedded, false);
    assert.match(info.note, /llrt_core features: crypto-ring/);
    assert.match(info.note, /release: Checksum mismatch for llrt-linux-/);
    assert.equal(await s.countCargoRuns(), 1);

    await ensureLlrt({ ...s.options, fetch: offline });
    assert.equal(await s.countCargoRuns(), 1, "an unchanged crate build is reused");
    await Deno.writeTextFile(join(s.options.rustDir!, "llrt", "src", "main.rs"), "// changed\n");
    await ensureLlrt({ ...s.options, fetch: offline });
    assert.equal(await s.countCargoRuns(), 2, "a changed crate is rebuilt");
  } finally {
    await s.cleanup();
  }
});

Deno.test("ensureLlrt() records why no binary could be had", async () => {
  const s = await sandbox();
  try {
    const started = Date.now();
    const info = await ensureLlrt({ ...s.options, fetch: offline, buildFromCrate: false });
    assert.ok(Date.now() - started < 5_000);
    assert.equal(info.available, false);
    assert.match(
      !info.available ? info.reason : "",
      /^No LLRT binary: release: Cannot download https:\/\/.*: fetch failed; crate: building from llrt_core is disabled$/,
    );
    assert.deepEqual(await readLlrtInfo(s.options.infoPath), info);
  } finally {
    await s.cleanup();
  }
});

Deno.test("ensureLlrt() does not cross-build the crate for another architecture", async () => {
  const s = await sandbox();
  try {
    const other = hostArch() === "x86_64" ? "arm64" : "x86_64";
    const info = await ensureLlrt({ ...s.options, arch: other, fetch: offline });
    assert.match(
      !info.available ? info.reason : "",
      new RegExp(`crate: cannot build for ${other} on a ${hostArch()} host$`),
    );
    assert.equal(await s.countCargoRuns(), 0);
  } finally {
    await s.cleanup();
  }
});

Deno.test("ensureLlrt() says so when cargo fails", async () => {
  const s = await sandbox();
  try {
    const info = await ensureLlrt({ ...s.options, fetch: offline, cargo: "/bin/false" });
    assert.match(!info.available ? info.reason : "", /crate: cargo build -p battle-llrt exited 1$/);
    const noCargo = await ensureLlrt({
      ...s.options,
      fetch: offline,
      cargo: join(s.dir, "no-such-cargo"),
    });
    assert.match(!noCargo.available ? noCargo.reason : "", /crate: .*no-such-cargo not found$/);
  } finally {
    await s.cleanup();
  }
});
