/**
 * The pinned official LLRT release: asset names and SHA-256 checksums in one table, and the
 * download that refuses any byte it cannot verify.
 *
 * @module
 */
import { extractZipEntry } from "./_zip.ts";

/** CPU architecture in Lambda's spelling. */
export type LlrtArch = "x86_64" | "arm64";

/** Which `@aws-sdk` bundle a release asset embeds (`std`: the common clients, SQS included). */
export type SdkBundle = "std" | "full" | "none";

/** One downloadable file of a release. */
export interface ReleaseAsset {
  arch: LlrtArch;
  /** `cli`: `llrt` in a zip, runs anywhere; `lambda`: `bootstrap` in a zip; `container`: bare. */
  kind: "cli" | "lambda" | "container";
  sdk: SdkBundle;
  /** Lowercase hex SHA-256 of the file, or null where no trustworthy value is known. */
  sha256: string | null;
}

/** A release: its version, where its assets live and what they are. */
export interface LlrtRelease {
  version: string;
  /** Download URL of an asset is `${baseUrl}/v${version}/${name}`. */
  baseUrl: string;
  assets: Readonly<Record<string, ReleaseAsset>>;
}

/**
 * LLRT v0.7.0-beta, the newest release whose checksums could be pinned from independent
 * published sources (the AUR `llrt-bin` 0.7.0beta PKGBUILD for the `llrt-linux-*` zips,
 * `ADD --checksum` lines of public Dockerfiles for the container binaries). The Lambda zips'
 * checksums were not found, so they are listed with `sha256: null` and never downloaded.
 */
export const LLRT_RELEASE: LlrtRelease = {
  version: "0.7.0-beta",
  baseUrl: "https://github.com/awslabs/llrt/releases/download",
  assets: {
    "llrt-linux-x64.zip": {
      arch: "x86_64",
      kind: "cli",
      sdk: "std",
      sha256: "12f065250f2c3f165949184017c021c97a2b7ff99fb2b89690488936e3117b14",
    },
    "llrt-linux-arm64.zip": {
      arch: "arm64",
      kind: "cli",
      sdk: "std",
      sha256: "1e1e317f9ff44d03913d9c4f05603b4e0f5d45fbb789c7c1c28a0daf2087d328",
    },
    "llrt-linux-x64-full-sdk.zip": {
      arch: "x86_64",
      kind: "cli",
      sdk: "full",
      sha256: "36a4e66845bab11a82763b0b90502a65d911cf29a752078a2daf34446257a94e",
    },
    "llrt-linux-arm64-full-sdk.zip": {
      arch: "arm64",
      kind: "cli",
      sdk: "full",
      sha256: "7f2e06e9322e1df4220a0aec93dbe9da456470fcdced6313a87459831e96a5e8",
    },
    "llrt-linux-x64-no-sdk.zip": {
      arch: "x86_64",
      kind: "cli",
      sdk: "none",
      sha256: "c55879dcb3150691bdd9853e960cff3047e7f9c550c776f832bf9dad886aa623",
    },
    "llrt-linux-arm64-no-sdk.zip": {
      arch: "arm64",
      kind: "cli",
      sdk: "none",
      sha256: "efea1bb318d6fddc10d10fa6555a3978156788b16c7518981d214dfcfac4efa0",
    },
    "llrt-container-x64-no-sdk": {
      arch: "x86_64",
      kind: "container",
      sdk: "none",
      sha256: "abbdda0e2eea34e253425653e378b21c2c61de00e5a0c758ee86746a7a920dbc",
    },
    "llrt-container-arm64-no-sdk": {
      arch: "arm64",
      kind: "container",
      sdk: "none",
      sha256: "332597cfa1777ea818cd1bc034650982ac4fcb14713ea38cf495c9a9d1b723d0",
    },
    "llrt-lambda-x64.zip": { arch: "x86_64", kind: "lambda", sdk: "std", sha256: null },
    "llrt-lambda-arm64.zip": { arch: "arm64", kind: "lambda", sdk: "std", sha256: null },
  },
};

/**
 * The asset `ensureLlrt()` installs: the command-line build with the standard SDK bundle,
 * the same JavaScript surface as the `llrt-lambda-*.zip` bootstrap users deploy.
 *
 * @param arch Target architecture.
 * @returns The asset's file name.
 */
export function cliAssetName(arch: LlrtArch): string {
  return `llrt-linux-${arch === "x86_64" ? "x64" : "arm64"}.zip`;
}

/**
 * Hex SHA-256 of some bytes.
 *
 * @param bytes Data to hash.
 * @returns Lowercase hex digest.
 */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Checks bytes against a pinned checksum.
 *
 * @param bytes The downloaded file.
 * @param expected Lowercase hex SHA-256, or null when none is pinned.
 * @param name File name for the error message.
 * @throws {Error} When no checksum is pinned or the digest differs.
 */
export async function verifySha256(
  bytes: Uint8Array,
  expected: string | null,
  name: string,
): Promise<void> {
  if (expected === null) throw new Error(`No pinned SHA-256 for ${name}; refusing to use it`);
  const actual = await sha256Hex(bytes);
  if (actual !== expected.toLowerCase()) {
    throw new Error(`Checksum mismatch for ${name}: expected ${expected}, got ${actual}`);
  }
}

/** Options of {@linkcode downloadCliBinary}. */
export interface DownloadOptions {
  release?: LlrtRelease;
  /** Give up after this long (default 15,000 ms). */
  timeoutMs?: number;
  /** Injected for tests (default: global `fetch`). */
  fetch?: typeof fetch;
}

/**
 * Downloads the release's command-line zip for `arch`, verifies its checksum and returns the
 * `llrt` executable inside.
 *
 * @param arch Target architecture.
 * @param options Release table, timeout, fetch.
 * @returns The asset name and the executable's bytes.
 * @throws {Error} With a one-line reason: network failure, HTTP status, timeout, checksum.
 */
export async function downloadCliBinary(
  arch: LlrtArch,
  options: DownloadOptions = {},
): Promise<{ asset: string; url: string; binary: Uint8Array }> {
  const release = options.release ?? LLRT_RELEASE;
  const asset = cliAssetName(arch);
  const pinned = release.assets[asset];
  if (!pinned) throw new Error(`Release v${release.version} has no asset ${asset}`);
  const url = `${release.baseUrl}/v${release.version}/${asset}`;
  const timeoutMs = options.timeoutMs ?? 15_000;
  let zip: Uint8Array;
  try {
    const response = await (options.fetch ?? fetch)(url, {
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!response.ok) {
      await response.body?.cancel();
      throw new Error(`HTTP ${response.status}`);
    }
    zip = new Uint8Array(await response.arrayBuffer());
  } catch (error) {
    const message = error instanceof DOMException && error.name === "TimeoutError"
      ? `no answer within ${timeoutMs} ms`
      : oneLine(error);
    throw new Error(`Cannot download ${url}: ${message}`);
  }
  await verifySha256(zip, pinned.sha256, asset);
  return { asset, url, binary: await extractZipEntry(zip, "llrt") };
}

/**
 * An error as one short line: its message and its causes' (Deno's `fetch failed` hides the
 * DNS or connect failure in `cause`), the URL already named by the caller left out.
 *
 * @param error Anything thrown.
 * @returns At most 240 characters, no newline.
 */
export function oneLine(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error, depth = 0; e !== undefined && depth < 4; depth++) {
    const text = e instanceof Error ? e.message : String(e);
    parts.push(
      (text.split("\n")[0] ?? "").replace(/^error sending request for url \([^)]*\): /, "").trim(),
    );
    e = e instanceof Error ? e.cause : undefined;
  }
  const line = parts.filter(Boolean).join(": ");
  return line.length > 240 ? `${line.slice(0, 237)}...` : line;
}
