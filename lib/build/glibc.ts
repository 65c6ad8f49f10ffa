/**
 * Which glibc a Linux binary needs, and whether Lambda's images have it. A binary built on a
 * newer host runs on Lambda only when every `GLIBC_2.x` symbol version it references exists in
 * Amazon Linux 2023 (glibc 2.34, the base of `provided.al2023` and `nodejs22.x`).
 *
 * @module
 */

/** The glibc of Lambda's `provided.al2023` and `nodejs22.x` images. */
export const LAMBDA_GLIBC = "2.34";

/**
 * The newest `GLIBC_2.x` symbol version a binary references.
 *
 * @param binary The executable's bytes.
 * @returns For example `"2.34"`, or null for a static or non-glibc binary.
 */
export function newestGlibc(binary: Uint8Array): string | null {
  const text = new TextDecoder("latin1").decode(binary);
  let newest: number | null = null;
  for (const m of text.matchAll(/GLIBC_2\.(\d+)/g)) {
    const minor = Number(m[1]);
    if (newest === null || minor > newest) newest = minor;
  }
  return newest === null ? null : `2.${newest}`;
}

/**
 * True when glibc version `a` is newer than `b`.
 *
 * @example
 * ```ts
 * import { glibcNewer } from "./glibc.ts";
 * glibcNewer("2.35", "2.34"); // true
 * ```
 */
export function glibcNewer(a: string, b: string): boolean {
  const [am = 0, an = 0] = a.split(".").map(Number);
  const [bm = 0, bn = 0] = b.split(".").map(Number);
  return am > bm || (am === bm && an > bn);
}
