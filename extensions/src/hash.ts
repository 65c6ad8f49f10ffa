/**
 * SHA-256 (plain and HMAC) and MD5 for the AWS SDK on `node:crypto`, which Node.js and LLRT
 * both implement natively. The SDK's browser build (the one the LLRT bundle uses) would
 * otherwise sign with Web Crypto whenever `crypto.subtle.importKey` exists, and an LLRT built
 * with the `crypto-ring` provider has that function only as a stub that throws.
 *
 * @module
 */
import { createHash, createHmac } from "node:crypto";

/** What the SDK hands to a hash: bytes or text. */
export type SourceData = string | ArrayBuffer | ArrayBufferView;

/** The SDK's `Checksum` shape. */
export interface Checksum {
  update(data: Uint8Array): void;
  digest(): Promise<Uint8Array>;
  reset(): void;
}

/** A `Checksum` class, as the SDK's `sha256` and `md5` options take. */
export type ChecksumConstructor = new (secret?: SourceData) => Checksum;

const encoder = new TextEncoder();

function bytesOf(data: SourceData): Uint8Array {
  if (typeof data === "string") return encoder.encode(data);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * A checksum class for one algorithm; with a secret it is the HMAC.
 *
 * @param algorithm `sha256` or `md5`.
 * @returns A class for the SDK's `sha256` / `md5` options.
 * @example
 * ```ts
 * import { nativeChecksum } from "./hash.ts";
 * const Sha256 = nativeChecksum("sha256");
 * const h = new Sha256();
 * h.update(new TextEncoder().encode("abc"));
 * await h.digest(); // 32 bytes
 * ```
 */
export function nativeChecksum(algorithm: "sha256" | "md5"): ChecksumConstructor {
  return class NativeChecksum implements Checksum {
    readonly #secret: Uint8Array | undefined;
    #hash: { update(data: Uint8Array): unknown; digest(): Uint8Array };

    constructor(secret?: SourceData) {
      this.#secret = secret === undefined ? undefined : bytesOf(secret);
      this.#hash = this.#fresh();
    }

    update(data: Uint8Array): void {
      this.#hash.update(bytesOf(data));
    }

    digest(): Promise<Uint8Array> {
      return Promise.resolve(new Uint8Array(this.#hash.digest()));
    }

    reset(): void {
      this.#hash = this.#fresh();
    }

    #fresh() {
      return this.#secret === undefined
        ? createHash(algorithm)
        : createHmac(algorithm, this.#secret);
    }
  };
}
